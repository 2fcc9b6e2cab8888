// Runs properties against a stack with fast-check, judges every trace with the property's check
// and the invariants, separates declared deviations from violations, and keeps the shrunk
// counterexample with its trace.
import fc from 'fast-check';
import type { StackAdapter, StackProfile } from '../stacks/adapter.js';
import { AdapterError } from '../harness/bounded.js';
import { Interrupted } from '../harness/interrupt.js';
import type { TraceEntry } from '../harness/trace.js';
import type { Scenario } from '../gen/scenario.js';
import { execute } from './execute.js';
import { checkInvariants } from './invariants.js';
import { trackReplies } from './tracker.js';
import { type Property, missingControls } from './property.js';
import { Tally, type Violation } from './types.js';

/** Per check id: in how many runs it judged something, and how many judgments in all. */
export type Exercised = Record<string, { runs: number; hits: number }>;

/** Add one run's tally to the totals. */
export function countRun(into: Exercised, t: Tally): void {
  for (const [id, n] of t.hits) {
    const e = (into[id] ??= { runs: 0, hits: 0 });
    e.runs++;
    e.hits += n;
  }
}

export interface Counterexample {
  scenario: Scenario;
  trace: TraceEntry[];
  violations: Violation[];
  seed: number;
  path: string;
  shrinks: number;
  /** What the stack adapter reported about the instance (e.g. a perturbation), for exact replay. */
  stackDetail?: unknown;
  /**
   * False when running the shrunk scenario once more did not fail again (a real-clock stack may time things
   * differently): the trace is the failing one.
   */
  reproduced: boolean;
}

export interface PropertyResult {
  property: string;
  area: string;
  title: string;
  requirements: string[];
  section: string;
  /** known: every violation seen is explained by a known finding of the stack's profile. */
  status: 'pass' | 'fail' | 'skip' | 'error' | 'known';
  runs: number;
  seed: number;
  skipReason?: string;
  error?: string;
  /** Violations that match a deviation the stack's profile declares. */
  declared: Array<Violation & { reason: string }>;
  /** Violations explained by known findings (docs/findings.md), one per finding and kind. */
  known: Array<Violation & { finding: string }>;
  counterexample?: Counterexample;
  /** What its checks (and the invariants and wire checks on its traces) judged, over the runs before any failure. */
  exercised: Exercised;
  /** Wall ms until the first failing run was seen. */
  msToFailure?: number;
  elapsedMs: number;
}

export interface EngineOptions {
  runs?: number;
  seed?: number;
  callTimeoutMs?: number;
  /** Known findings count as failures. */
  strict?: boolean;
  /** Passed to the executor (real-clock waits). */
  realTimeCapMs?: number;
  /** Stop shrinking this long after the first failure (default: 60 s on real-clock stacks, unbounded otherwise). */
  shrinkBudgetMs?: number;
}

/**
 * Judge one trace: the property's own check, the invariants, and malformed output. Repeats of a kind are collapsed into
 * the first.
 */
export function judge(
  p: Property | undefined,
  trace: TraceEntry[],
  profile: StackProfile,
  wire: Violation[] = [],
  tally?: Tally,
): Violation[] {
  // A crash is the verdict: what the dead stack then failed to answer is its consequence.
  const crash = wire.filter((v) => v.property === 'stack-crashed');
  if (crash.length) return crash;
  const inv = checkInvariants(trace, profile, tally);
  const model = trackReplies(trace, profile, tally);
  return collapse([...wire, ...inv, ...model, ...(p ? p.check(trace, profile, tally) : [])]);
}

export function collapse(vs: Violation[]): Violation[] {
  const first = new Map<string, { v: Violation; n: number }>();
  for (const v of vs) {
    const k = `${v.property}|${v.message.replace(/\d+/g, 'N')}`;
    const f = first.get(k);
    if (f) f.n++;
    else first.set(k, { v, n: 0 });
  }
  return [...first.values()].map(({ v, n }) => (n ? { ...v, message: `${v.message} (and ${n} more like it)` } : v));
}

type Matcher = { requirement?: string; check?: string; crash?: string; state?: string };
/** A check id, or the last part of one: "shorter-msl" names every ".../shorter-msl". */
const sameCause = (want: string, check: string): boolean => check === want || check.endsWith(`/${want}`);
/** By cause: the check that found it, the requirement, the stack's own crash message — never our message text. */
const explains = (m: Matcher, v: Violation): boolean =>
  (m.requirement === undefined ||
    m.requirement === v.property ||
    m.requirement === v.check ||
    v.requirements.includes(m.requirement)) &&
  (m.check === undefined || sameCause(m.check, v.check)) &&
  (m.crash === undefined || (v.check === 'stack-crashed' && new RegExp(m.crash).test(v.message))) &&
  (m.state === undefined || m.state === v.state) &&
  (m.requirement !== undefined || m.check !== undefined);

/**
 * Split violations into real ones, those the profile declares as deviations, and those explained by
 * a known finding (unless strict).
 */
export function classify(
  vs: Violation[],
  profile: StackProfile,
  strict = false,
): {
  real: Violation[];
  declared: Array<Violation & { reason: string }>;
  known: Array<Violation & { finding: string }>;
} {
  const real: Violation[] = [];
  const declared: Array<Violation & { reason: string }> = [];
  const known: Array<Violation & { finding: string }> = [];
  for (const v of vs) {
    const d = profile.deviations.find((d) => explains(d, v));
    const f = strict ? undefined : profile.findings?.find((f) => explains(f, v));
    if (d) declared.push({ ...v, reason: d.reason });
    else if (f) known.push({ ...v, finding: `${f.id}: ${f.summary}` });
    else real.push(v);
  }
  // One wrong segment trips every check that looks at it: when a known finding explains the segment, the other
  // checks' verdicts on that same segment are the same fault, not a new one.
  const knownAt = new Map(known.map((k) => [k.at, k.finding]));
  const still: Violation[] = [];
  for (const v of real) {
    const f = v.at === undefined ? undefined : knownAt.get(v.at);
    if (f) known.push({ ...v, finding: `${f} (same segment)` });
    else still.push(v);
  }
  return { real: still, declared, known };
}

export async function runProperty(
  p: Property,
  adapter: StackAdapter,
  opts: EngineOptions = {},
): Promise<PropertyResult> {
  const t0 = Date.now();
  const seed = opts.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const runs = opts.runs ?? 100;
  const base = {
    property: p.name,
    area: p.area,
    title: p.title,
    requirements: p.requirements,
    section: p.section,
    runs,
    seed,
    declared: [] as Array<Violation & { reason: string }>,
    known: [] as Array<Violation & { finding: string }>,
    exercised: {} as Exercised,
  };
  const skip = missingControls(p, adapter.profile) ?? p.skip?.(adapter.profile);
  if (skip) return { ...base, status: 'skip', skipReason: skip, runs: 0, elapsedMs: 0 };
  const profile = adapter.profile;
  const execOpts = {
    ...(opts.callTimeoutMs === undefined ? {} : { callTimeoutMs: opts.callTimeoutMs }),
    ...(opts.realTimeCapMs === undefined ? {} : { realTimeCapMs: opts.realTimeCapMs }),
  };
  const strict = opts.strict ?? false;
  const known = new Map<string, Violation & { finding: string }>();
  let lastFailure: { key: string; trace: TraceEntry[]; violations: Violation[] } | undefined;
  let adapterError: AdapterError | undefined;
  let interrupted: Interrupted | undefined;
  let firstFailure: number | undefined;
  const declared = new Map<string, Violation & { reason: string }>();
  const shrinkBudget = opts.shrinkBudgetMs ?? (profile.realTime ? 60_000 : Infinity);
  const prop = fc.asyncProperty(p.scenario(profile), async (sc) => {
    if (adapterError || interrupted) return true;
    // Shrinking on a real clock costs seconds per candidate: past the budget, candidates count as passing,
    // which ends the shrink with the smallest failing scenario found so far.
    if (firstFailure !== undefined && Date.now() - t0 - firstFailure > shrinkBudget) return true;
    let ex: Awaited<ReturnType<typeof execute>>;
    adapter.reseed?.(JSON.stringify(sc));
    try {
      ex = await execute(sc, adapter, execOpts);
    } catch (e) {
      if (e instanceof AdapterError) {
        adapterError = e;
        return true;
      }
      // An interruption is no verdict: stop exploring and let the caller say so.
      if (e instanceof Interrupted) {
        interrupted = e;
        return true;
      }
      throw e;
    }
    const tally = new Tally();
    tally.add(ex.tally);
    const verdict = judge(p, ex.trace, profile, ex.wire, tally);
    if (firstFailure === undefined) countRun(base.exercised, tally);
    const { real, declared: dev, known: kn } = classify(verdict, profile, strict);
    for (const d of dev) declared.set(`${d.property}:${d.message.replace(/\d+/g, 'N')}`, d);
    for (const k of kn) if (!known.has(k.finding)) known.set(k.finding, k);
    if (real.length) {
      firstFailure ??= Date.now() - t0;
      lastFailure = { key: JSON.stringify(sc), trace: ex.trace, violations: real };
      return false;
    }
    return true;
  });
  const out = await fc.check(prop, { numRuns: runs, seed, endOnFailure: false });
  if (interrupted) throw interrupted;
  const elapsedMs = (): number => Date.now() - t0;
  const notes = { declared: [...declared.values()], known: [...known.values()] };
  if (adapterError) return { ...base, ...notes, status: 'error', error: adapterError.message, elapsedMs: elapsedMs() };
  if (!out.failed) return { ...base, ...notes, status: known.size ? 'known' : 'pass', elapsedMs: elapsedMs() };
  if (!out.counterexample)
    return {
      ...base,
      ...notes,
      status: 'error',
      error: `fast-check failed without a counterexample: ${String(out.errorInstance ?? out.failures)}`,
      elapsedMs: elapsedMs(),
    };
  const scenario = out.counterexample[0] as Scenario;
  adapter.reseed?.(JSON.stringify(scenario));
  const stackDetail = adapter.current?.();
  const ex = await execute(scenario, adapter, execOpts);
  let { real } = classify(judge(p, ex.trace, profile, ex.wire), profile, strict);
  let trace = ex.trace;
  const reproduced = real.length > 0;
  if (!reproduced && lastFailure?.key === JSON.stringify(scenario)) ({ trace, violations: real } = lastFailure);
  return {
    ...base,
    ...notes,
    status: 'fail',
    counterexample: {
      scenario,
      trace,
      violations: real,
      seed: out.seed,
      path: out.counterexamplePath ?? '',
      shrinks: out.numShrinks,
      reproduced,
      ...(stackDetail !== undefined ? { stackDetail } : {}),
    },
    ...(firstFailure !== undefined ? { msToFailure: firstFailure } : {}),
    elapsedMs: elapsedMs(),
  };
}
