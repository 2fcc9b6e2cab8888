// tcp-conform replay FILE...: vectors or counterexamples against a stack, with the oracle checks they name.
import { resolve } from 'node:path';
import { interruptedBy } from '../../harness/interrupt.js';
import { type Perturbation, parsePerturbation } from '../../stacks/perturbed.js';
import { UsageError } from '../../stacks/usage.js';
import { type OptionSpec, checkOutputs, parseCommand, str, writeAtomic } from '../args.js';
import { SIGNAL_EXIT, openStack } from '../session.js';
import { type Out, loadVectors, runVectors } from '../vectors.js';

const REPLAY_OPTIONS: OptionSpec = {
  stack: { type: 'string' },
  config: { type: 'string' },
  only: { type: 'string' },
  json: { type: 'string' },
};

export async function replayCommand(argv: string[], out: Out, errOut: Out): Promise<number> {
  const { values: o, positionals } = parseCommand('replay', argv, REPLAY_OPTIONS);
  if (positionals.length === 0) throw new UsageError('replay needs at least one vector or counterexample FILE');
  checkOutputs([['json', str(o, 'json')]]);
  const only = str(o, 'only');
  const { vectors, broken } = loadVectors(
    positionals.map((f) => resolve(f)),
    only,
  );
  if (vectors.length === 0 && broken.length === 0)
    throw new UsageError(`no vector matches --only ${JSON.stringify(only)}`);
  // A counterexample from reference-perturbed replays with the perturbation it was found with.
  const recorded = vectors.find((v) => v.origin?.stack === 'reference-perturbed' && v.origin.stackDetail !== undefined);
  const perturbation: Perturbation | undefined = recorded
    ? parsePerturbation(recorded.origin!.stackDetail, `${recorded.file}: origin.stackDetail`)
    : undefined;
  const config = str(o, 'config');
  const adapter = await openStack(str(o, 'stack') ?? 'reference', {
    ...(perturbation ? { perturbation } : {}),
    ...(config ? { config } : {}),
  });
  out(
    `tcp-conform: replaying ${vectors.length} vector${vectors.length === 1 ? '' : 's'} against stack ${adapter.name}`,
  );
  // Replaying is how one looks at a failure: known findings fail here as they are.
  const verdicts = await runVectors(vectors, adapter, out, true);
  for (const b of broken) errOut(`ERROR broken vector file: ${b.message}`);
  const passed = verdicts.filter((v) => v.result.status === 'pass').length;
  const failed =
    verdicts.filter((v) => v.result.status === 'fail' || v.result.status === 'error').length + broken.length;
  const skipped = verdicts.filter((v) => v.result.status === 'skip').length;
  const interrupted = interruptedBy();
  const json = str(o, 'json');
  if (json) {
    const doc = {
      tool: 'tcp-conform',
      stack: adapter.name,
      passed,
      failed,
      skipped,
      ...(interrupted ? { interrupted, notRun: vectors.slice(verdicts.length).map((v) => v.name) } : {}),
      vectors: verdicts.map(({ result: r, violations }) => ({
        name: r.name,
        status: r.status,
        failure: r.failure,
        violations,
        trace: r.trace.map((e) => `${e.t} ${e.dir} ${e.text}`),
      })),
    };
    writeAtomic(resolve(json), `${JSON.stringify(doc, null, 2)}\n`);
  }
  const note = interrupted ? `; interrupted by ${interrupted}: ${vectors.length - verdicts.length} not run` : '';
  out(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${note}`);
  if (interrupted) return SIGNAL_EXIT[interrupted] ?? 130;
  return broken.length > 0 || verdicts.some((v) => v.result.status === 'error') ? 2 : failed ? 1 : 0;
}
