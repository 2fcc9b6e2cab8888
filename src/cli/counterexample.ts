// Counterexample files: a failing property's shrunk trace (or the TIME-WAIT check's) as a replayable vector.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PropertyResult } from '../oracle/engine.js';
import { TIME_WAIT_CHECK, type TimeWaitResult, timeWaitSource } from '../oracle/timewait.js';
import type { StackAdapter } from '../stacks/adapter.js';
import { traceToVector } from '../trace/export.js';
import { storeTrace } from '../trace/exports.js';
import { writeAtomic } from './args.js';

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');

export function writeCounterexample(r: PropertyResult, adapter: StackAdapter, dir: string): string | undefined {
  const c = r.counterexample;
  if (!c) return undefined;
  mkdirSync(dir, { recursive: true });
  const name = safeName(`${r.property}-${adapter.name}-${c.seed}`);
  const file = join(dir, `${name}.json`);
  const violations = c.violations.map((v) => ({
    property: v.property,
    requirements: v.requirements,
    section: v.section,
    message: v.message,
    at: v.at,
  }));
  const vec = traceToVector(c.trace, {
    name,
    title: `counterexample: ${r.title}`,
    requirements: [...new Set(c.violations.flatMap((v) => v.requirements))],
    check: [r.property],
    origin: {
      stack: adapter.name,
      property: r.property,
      seed: c.seed,
      path: c.path,
      shrinks: c.shrinks,
      runs: r.runs,
      ...(c.stackDetail !== undefined ? { stackDetail: c.stackDetail } : {}),
      scenario: c.scenario,
      violations,
      // The failing run itself, so `export` shows what this stack did (a replay on another stack would not).
      trace: storeTrace(c.trace),
    },
  });
  writeAtomic(file, `${JSON.stringify(vec, null, 2)}\n`);
  return file;
}

/** The TIME-WAIT check's failure as a vector that fails the same way when replayed. */
export function writeTimeWaitCounterexample(r: TimeWaitResult, adapter: StackAdapter, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, safeName(`${TIME_WAIT_CHECK}-${adapter.name}.json`));
  const vec = JSON.parse(JSON.stringify(timeWaitSource()));
  // The connection must not leave TIME-WAIT before 2×MSL of the profile used.
  vec.steps[vec.steps.length - 1].after.min = 'msl+msl-1000';
  const profileMsl = adapter.profile.msl;
  vec.origin = {
    stack: adapter.name,
    check: TIME_WAIT_CHECK,
    measuredMs: r.measuredMs,
    expectedMs: r.expectedMs,
    profileMsl,
  };
  writeAtomic(file, `${JSON.stringify(vec, null, 2)}\n`);
  return file;
}
