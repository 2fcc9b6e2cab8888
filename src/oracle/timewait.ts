import type { TraceEntry } from '../harness/trace.js';
import { parseVector } from '../trace/vector.js';
import { RFC } from './limits.js';
import type { Violation } from './types.js';

export const TIME_WAIT_CHECK = 'time-wait-length';
/** The cause a profile's shorter MSL is declared against (its violations are that deviation, nothing else). */
export const SHORTER_MSL = `${TIME_WAIT_CHECK}/shorter-msl`;

/**
 * The scenario, as vector JSON: active close as in Figure 12, then watch the connection's state until it leaves TIME-
 * WAIT.
 */
export const timeWaitSource = () => ({
  name: TIME_WAIT_CHECK,
  title: 'TIME-WAIT lasts 2×MSL of the profile',
  source: 'RFC 9293 §3.6.1, §3.10.7.4 (TIME-WAIT), §3.10.8',
  requirements: ['MUST-13'],
  vars: { p: 7000 },
  steps: [
    { call: 'listen' },
    { inject: { flags: 'S', seq: 'p', options: [{ mss: 1460 }] } },
    { expect: { flags: 'SA', seq: '?b', ack: 'p+1' } },
    { inject: { flags: 'A', seq: 'p+1', ack: 'b+1' } },
    { event: { type: 'accepted' } },
    { call: 'shutdown' },
    { expect: { flags: 'FA', seq: 'b+1', ack: 'p+1' } },
    { inject: { flags: 'A', seq: 'p+1', ack: 'b+2' } },
    { inject: { flags: 'FA', seq: 'p+1', ack: 'b+2' } },
    { expect: { flags: 'A', seq: 'b+2', ack: 'p+2' }, within: 500 },
    { state: 'TIME-WAIT' },
    {
      state: 'LISTEN',
      after: { min: 0 as number | string, max: 'msl+msl+msl+msl+10000' },
      note: 'until the connection is gone (twice the expected time at most)',
    },
  ],
});

export const timeWaitVector = (): ReturnType<typeof parseVector> => parseVector(timeWaitSource(), TIME_WAIT_CHECK);

export interface TimeWaitResult {
  status: 'pass' | 'fail' | 'skip' | 'error';
  /** Measured TIME-WAIT length (ms), from the stack's ACK of the peer's FIN to the state leaving TIME-WAIT. */
  measuredMs?: number;
  expectedMs: number;
  violations: Violation[];
  message: string;
  trace: TraceEntry[];
}

/**
 * Judge a measured trace against a profile: TIME-WAIT must last at least 2×MSL (with 1 % or 1 s of slack)
 * and must end.
 */
export function judgeTimeWait(trace: TraceEntry[], msl: number): { measuredMs?: number; violations: Violation[] } {
  const twoMsl = 2 * Math.min(msl, RFC.msl);
  const rfcTwoMsl = 2 * RFC.msl;
  const tol = Math.max(1000, twoMsl / 100);
  const enter = trace.findIndex((e) => e.dir === 'state' && e.state === 'TIME-WAIT');
  // TIME-WAIT starts when the stack ACKs the peer's FIN: the last segment it sent before the state showed.
  let start = enter;
  for (let i = enter; i >= 0; i--)
    if (trace[i]!.dir === 'out') {
      start = i;
      break;
    }
  const leave = trace.findIndex((e, i) => i > enter && e.dir === 'state' && e.state !== 'TIME-WAIT');
  const v = (message: string, at: number, check = TIME_WAIT_CHECK): Violation => ({
    property: TIME_WAIT_CHECK,
    check,
    requirements: ['MUST-13'],
    section: '§3.4.2, §3.6.1',
    message,
    at,
    allowed: `TIME-WAIT for ${rfcTwoMsl / 1000} s (2×MSL, MSL 2 minutes)`,
  });
  if (enter < 0) return { violations: [] };
  if (leave < 0)
    return {
      violations: [
        v(
          `the connection was still in TIME-WAIT at the end of the watch ` +
            `(${Math.round((trace.at(-1)!.t - trace[start]!.t) / 1000)} s): 2×MSL is ${twoMsl / 1000} s`,
          trace.length - 1,
        ),
      ],
    };
  const measuredMs = trace[leave]!.t - trace[start]!.t;
  const lasted = `TIME-WAIT lasted ${(measuredMs / 1000).toFixed(2)} s`;
  if (measuredMs < twoMsl - tol) {
    const declared = twoMsl < rfcTwoMsl ? ` (the profile declares 2×MSL = ${twoMsl / 1000} s)` : '';
    return { measuredMs, violations: [v(`${lasted}, less than 2×MSL = ${twoMsl / 1000} s${declared}`, leave)] };
  }
  // Shorter than RFC 9293's 2×MSL but as long as the profile declares: a deviation when the profile declares it.
  if (measuredMs < rfcTwoMsl - Math.max(1000, rfcTwoMsl / 100))
    return {
      measuredMs,
      violations: [v(`${lasted}: the profile's MSL of ${msl / 1000} s, not RFC 9293's 2 minutes`, leave, SHORTER_MSL)],
    };
  if (measuredMs > 2 * 2 * msl + tol)
    return {
      measuredMs,
      violations: [v(`${lasted}, more than twice the profile's 2×MSL = ${(2 * msl) / 1000} s`, leave)],
    };
  return { measuredMs, violations: [] };
}
