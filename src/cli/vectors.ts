// Vector files for run and replay: discovery, loading, running with the oracle checks they name.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { packageFile } from '../paths.js';
import { Interrupted } from '../harness/interrupt.js';
import { type Exercised, classify, countRun, judge } from '../oracle/engine.js';
import { Tally, type Violation } from '../oracle/types.js';
import type { VectorVerdict } from '../report/verdicts.js';
import type { StackAdapter } from '../stacks/adapter.js';
import { type VectorResult, formatFailure, runVector } from '../trace/runner.js';
import { type Vector, VectorError, isSlow, loadVector } from '../trace/vector.js';
import { formatViolation } from './report.js';

export const VECTORS_DIR = packageFile('vectors');
export const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', error: 'ERROR', known: 'KNOWN' } as const;
export type Out = (s: string) => void;

/** All *.json vector files below dir, sorted. */
export function vectorFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export interface Broken {
  file: string;
  message: string;
}

export function loadVectors(files: string[], only: string | undefined): { vectors: Vector[]; broken: Broken[] } {
  const vectors: Vector[] = [];
  const broken: Broken[] = [];
  for (const f of files) {
    try {
      const vec = loadVector(f);
      if (!only || vec.name.includes(only)) vectors.push(vec);
    } catch (e) {
      if (!(e instanceof VectorError)) throw e;
      broken.push({ file: f, message: e.message });
    }
  }
  return { vectors, broken };
}

interface OracleVerdict {
  violations: Violation[];
  declared: Violation[];
  known: Array<Violation & { finding: string }>;
  unknown: string[];
  /** What the named properties' checks and the invariants judged on the vector's trace. */
  tally?: Tally;
}
const NO_VERDICT: OracleVerdict = { violations: [], declared: [], known: [], unknown: [] };

/** Judge a replayed vector with the oracle of the properties it names. */
function oracleCheck(v: Vector, r: VectorResult, adapter: StackAdapter, strict: boolean): OracleVerdict {
  if (v.check.length === 0) return NO_VERDICT;
  const props = v.check.map((n) => ALL_PROPERTIES.find((p) => p.name === n));
  const unknown = v.check.filter((_, i) => !props[i]);
  const tally = new Tally();
  const all = props.flatMap((p) => (p ? judge(p, r.trace, adapter.profile, [], tally) : []));
  const uniq = all.filter(
    (x, i) => all.findIndex((y) => y.property === x.property && y.at === x.at && y.message === x.message) === i,
  );
  const c = classify(uniq, adapter.profile, strict);
  return { violations: c.real, declared: c.declared, known: c.known, unknown, tally };
}

/** One run's tally as exercise counts. */
function tallied(t: Tally): Exercised {
  const e: Exercised = {};
  countRun(e, t);
  return e;
}

const SLOW_SKIP = 'waits more than 10 s, slow on a real clock (--slow runs it)';

async function runOne(vec: Vector, adapter: StackAdapter, slow: boolean): Promise<VectorResult> {
  if (isSlow(vec) && adapter.profile.realTime && !slow) {
    const base = { name: vec.name, ...(vec.file ? { file: vec.file } : {}) };
    return { ...base, status: 'skip', skipReason: SLOW_SKIP, trace: [], bindings: {}, duration: 0 };
  }
  return runVector(vec, adapter);
}

/** Run vectors in order, printing a verdict line each; an interrupt ends the loop with what finished. */
export async function runVectors(
  vectors: Vector[],
  adapter: StackAdapter,
  out: Out,
  strict = false,
  slow = true,
): Promise<VectorVerdict[]> {
  const verdicts: VectorVerdict[] = [];
  for (const vec of vectors) {
    adapter.reseed?.(`vector:${vec.name}`); // a randomized stack draws per vector, independent of run order
    let r: VectorResult;
    try {
      r = await runOne(vec, adapter, slow);
    } catch (e) {
      if (e instanceof Interrupted) break; // the caller sees interruptedBy() and reports what finished
      throw e;
    }
    const o = r.status === 'error' || r.status === 'skip' ? NO_VERDICT : oracleCheck(vec, r, adapter, strict);
    if (o.unknown.length) {
      r.status = 'error';
      const message = `vector names unknown properties: ${o.unknown.join(', ')}`;
      r.failure = { step: vec.steps.length, stepText: '(check)', message };
    } else if (o.violations.length && r.status === 'pass') r.status = 'fail';
    // A failure this stack is known for: by the vector's name, or every oracle violation explained.
    const byName = strict ? undefined : adapter.profile.findings?.find((f) => f.vectors?.includes(vec.name));
    const explained = r.status === 'pass' && o.known.length > 0 ? o.known[0]!.finding : undefined;
    const known = r.status === 'fail' && byName ? `${byName.id}: ${byName.summary}` : explained;
    const exercised = o.tally ? tallied(o.tally) : undefined;
    verdicts.push({
      result: r,
      violations: o.violations,
      ...(known ? { known } : {}),
      ...(exercised ? { exercised } : {}),
    });
    const skip = r.status === 'skip' ? ` (${r.skipReason})` : '';
    out(
      `${(known ? MARK.known : MARK[r.status]).padEnd(9)} vector ` +
        `${vec.name}${skip}${known ? ` — known finding ${known}` : ''}`,
    );
    for (const d of o.declared)
      out(`          declared deviation: ${d.property} [${d.requirements.join(', ')}]: ${d.message}`);
    if (known) continue;
    if (r.failure) {
      out(
        formatFailure(r)
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n'),
      );
    }
    for (const v of o.violations) out(formatViolation(v, r.trace));
  }
  return verdicts;
}
