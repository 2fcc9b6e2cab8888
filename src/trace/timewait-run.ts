// Runs the TIME-WAIT measurement of src/oracle/timewait.ts against a stack (once per run): the judging
// stays in the oracle, the running here beside the vector runner it uses.
import { type TimeWaitResult, TIME_WAIT_CHECK, judgeTimeWait, timeWaitVector } from '../oracle/timewait.js';
import type { StackAdapter } from '../stacks/adapter.js';
import { runVector } from './runner.js';

export async function timeWaitCheck(adapter: StackAdapter): Promise<TimeWaitResult> {
  const expectedMs = 2 * adapter.profile.msl;
  const inst = await adapter.create({ addr: '10.0.0.1' });
  const introspects = typeof inst.state === 'function';
  await inst.destroy();
  if (!introspects)
    return {
      status: 'skip',
      expectedMs,
      violations: [],
      trace: [],
      message: 'the stack has no state introspection to watch TIME-WAIT with',
    };
  adapter.reseed?.(`vector:${TIME_WAIT_CHECK}`);
  const r = await runVector(timeWaitVector(), adapter, { callTimeoutMs: 10_000 });
  if (r.status === 'error')
    return { status: 'error', expectedMs, violations: [], trace: r.trace, message: r.failure?.message ?? 'error' };
  if (r.status === 'fail' && !r.trace.some((e) => e.dir === 'state' && e.state === 'TIME-WAIT')) {
    return {
      status: 'fail',
      expectedMs,
      violations: [
        {
          property: TIME_WAIT_CHECK,
          check: TIME_WAIT_CHECK,
          requirements: ['MUST-13'],
          section: '§3.6.1',
          message: `never reached TIME-WAIT: ${r.failure?.message}`,
          at: r.trace.length - 1,
        },
      ],
      trace: r.trace,
      message: r.failure?.message ?? '',
    };
  }
  const j = judgeTimeWait(r.trace, adapter.profile.msl);
  const measured = j.measuredMs === undefined ? 'not measured' : `measured ${(j.measuredMs / 1000).toFixed(2)} s`;
  return {
    status: j.violations.length ? 'fail' : 'pass',
    ...(j.measuredMs !== undefined ? { measuredMs: j.measuredMs } : {}),
    expectedMs,
    violations: j.violations,
    trace: r.trace,
    message: `${measured}, 2×MSL of the profile = ${expectedMs / 1000} s`,
  };
}
