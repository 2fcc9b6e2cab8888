// tcp-conform run: every property and vector against one stack; verdict lines, report card, JUnit, JSON.
import { dirname, relative, resolve } from 'node:path';
import { ALL_PROPERTIES } from '../../../properties/index.js';
import { Interrupted, interruptedBy } from '../../harness/interrupt.js';
import { type PropertyResult, classify, runProperty } from '../../oracle/engine.js';
import type { Property } from '../../oracle/property.js';
import { TIME_WAIT_CHECK } from '../../oracle/timewait.js';
import { timeWaitCheck } from '../../trace/timewait-run.js';
import { MIN_EXERCISED_RUNS, type ReportCard, buildCard, cardHtml, cardMarkdown } from '../../report/card.js';
import { type TimeWaitVerdict, type VectorVerdict, judgedOf, requirementCoverage } from '../../report/verdicts.js';
import type { StackAdapter } from '../../stacks/adapter.js';
import { UsageError } from '../../stacks/usage.js';
import type { Vector } from '../../trace/vector.js';
import {
  type OptionSpec,
  type Values,
  checkOutputs,
  flag,
  intOpt,
  parseCommand,
  parseShard,
  seedOpt,
  str,
  writeAtomic,
} from '../args.js';
import { writeCounterexample, writeTimeWaitCounterexample } from '../counterexample.js';
import { formatViolation, propertyLines } from '../report.js';
import { SIGNAL_EXIT, openStack } from '../session.js';
import { type Broken, MARK, type Out, VECTORS_DIR, loadVectors, runVectors, vectorFiles } from '../vectors.js';
import { junitXml } from '../junit.js';

const BIN = 'npx tcp-conform';

const RUN_OPTIONS: OptionSpec = {
  stack: { type: 'string' },
  config: { type: 'string' },
  runs: { type: 'string' },
  seed: { type: 'string' },
  only: { type: 'string' },
  strict: { type: 'boolean' },
  slow: { type: 'boolean' },
  report: { type: 'string' },
  junit: { type: 'string' },
  json: { type: 'string' },
  out: { type: 'string' },
  vectors: { type: 'string' },
  shard: { type: 'string' },
};

type Result = PropertyResult & { file?: string };

interface Plan {
  o: Values;
  stackSpec: string;
  adapter: StackAdapter;
  seed: number;
  runs: number;
  strict: boolean;
  shard: { i: number; n: number };
  props: Property[];
  vectors: Vector[];
  broken: Broken[];
  outDir: string;
  withTimeWait: boolean;
}

async function plan(argv: string[]): Promise<Plan> {
  const { values: o, positionals } = parseCommand('run', argv, RUN_OPTIONS);
  if (positionals.length) throw new UsageError(`run takes no positional arguments (got ${positionals.join(' ')})`);
  checkOutputs(
    [
      ['json', str(o, 'json')],
      ['report', str(o, 'report')],
      ['junit', str(o, 'junit')],
    ],
    [['out', str(o, 'out')]],
  );
  const report = str(o, 'report');
  if (report !== undefined && !/\.(md|markdown|html?)$/i.test(report)) {
    throw new UsageError(`--report ${report}: name a .md or .html file`);
  }
  const shard = parseShard(str(o, 'shard'));
  const dir = resolve(str(o, 'vectors') ?? VECTORS_DIR);
  let files: string[];
  try {
    files = vectorFiles(dir);
  } catch (e) {
    throw new UsageError(`cannot read vectors folder ${dir}: ${(e as Error).message}`);
  }
  const only = str(o, 'only');
  const inShard = (_: unknown, i: number): boolean => i % shard.n === shard.i - 1;
  const props = ALL_PROPERTIES.filter((p) => !only || p.name.includes(only) || p.area.includes(only)).filter(inShard);
  const loaded = loadVectors(files, only);
  const vectors = loaded.vectors.filter(inShard);
  const twOnly = only !== undefined && TIME_WAIT_CHECK.includes(only);
  if (props.length === 0 && vectors.length === 0 && loaded.broken.length === 0 && !twOnly) {
    throw new UsageError(only ? `no property or vector matches --only ${JSON.stringify(only)}` : 'nothing to run');
  }
  const seed = seedOpt(str(o, 'seed'), (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff);
  const stackSpec = str(o, 'stack') ?? 'reference';
  const config = str(o, 'config');
  const adapter = await openStack(stackSpec, { seed, ...(config ? { config } : {}) });
  // A real-clock stack waits for real: fewer runs by default (each property still sees dozens of scenarios).
  const runs = intOpt(str(o, 'runs'), 'runs', adapter.profile.realTime ? 20 : 100, 1, 1_000_000);
  const withTimeWait = !(only && !twOnly) && shard.i === 1;
  const outDir = resolve(str(o, 'out') ?? 'counterexamples');
  return {
    o,
    stackSpec,
    adapter,
    seed,
    runs,
    strict: flag(o, 'strict'),
    shard,
    props,
    vectors,
    broken: loaded.broken,
    outDir,
    withTimeWait,
  };
}

function printProperty(p: Plan, r: Result, out: Out): void {
  for (const line of propertyLines(r, p.stackSpec)) out(line);
}

/**
 * Properties run concurrently when the adapter allows it; verdicts are printed in order. Unfinished ones are returned.
 */
async function runProperties(p: Plan, out: Out, t0: number): Promise<{ results: Result[]; unfinished: string[] }> {
  const { props, adapter } = p;
  const done: Array<Result | undefined> = [];
  const results: Result[] = [];
  let nextProp = 0;
  let printed = 0;
  const progress = process.stderr.isTTY && !process.env.CI;
  const report = (i: number): void => {
    const r = done[i]!;
    if (progress) process.stderr.write('\r\x1b[K');
    const file = r.status === 'fail' ? writeCounterexample(r, adapter, p.outDir) : undefined;
    if (file) r.file = file;
    results.push(r);
    printProperty(p, r, out);
  };
  const worker = async (): Promise<void> => {
    while (nextProp < props.length && !interruptedBy()) {
      const i = nextProp++;
      if (progress) {
        const secs = Math.round((Date.now() - t0) / 1000);
        process.stderr.write(
          `\r\x1b[K  [${printed}/${props.length} done] ${props[i]!.name} … ${secs} s on ${adapter.name}`,
        );
      }
      try {
        done[i] = await runProperty(props[i]!, adapter, { runs: p.runs, seed: p.seed, strict: p.strict });
      } catch (e) {
        if (e instanceof Interrupted) return;
        throw e;
      }
      while (printed < props.length && done[printed]) report(printed++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(adapter.maxConcurrency ?? 1, props.length)) }, worker));
  // Finished after an unfinished one (concurrent workers): still reported.
  for (let i = printed; i < props.length; i++) if (done[i]) report(i);
  const unfinished = props.filter((_, i) => !done[i]).map((x) => `${x.area}/${x.name}`);
  return { results, unfinished };
}

/** The run's one TIME-WAIT measurement (slow on a real clock); a failure is written as a replayable vector. */
async function timeWaitRun(p: Plan, out: Out): Promise<TimeWaitVerdict | undefined> {
  const { adapter } = p;
  let r: Awaited<ReturnType<typeof timeWaitCheck>>;
  try {
    r = await timeWaitCheck(adapter);
  } catch (e) {
    if (e instanceof Interrupted) return undefined;
    throw e;
  }
  const { real, declared } = classify(r.violations, adapter.profile, p.strict);
  const status = r.status === 'fail' && real.length === 0 ? 'pass' : r.status;
  out(`${MARK[status].padEnd(9)} check/${TIME_WAIT_CHECK} [MUST-13] — ${r.message}`);
  // The profile's own MSL may be shorter than RFC 9293's 2 minutes (§3.4.2): a deviation only when it declares it.
  const declaredMsl = declared.find((d) => d.requirements.includes('MUST-13'))?.reason;
  for (const d of declared)
    out(`          declared deviation: ${d.property} [${d.requirements.join(', ')}]: ${d.reason}`);
  for (const v of real) out(formatViolation(v, r.trace));
  if (real.length) {
    const f = relative(process.cwd(), writeTimeWaitCounterexample(r, adapter, p.outDir));
    out(`  counterexample: ${f}\n  replay: ${BIN} replay ${f} --stack ${p.stackSpec}`);
  }
  return { ...r, status, violations: real, ...(declaredMsl ? { declaredMsl } : {}) };
}

interface Totals {
  passed: number;
  failed: number;
  known: number;
  skipped: number;
}

function totals(
  results: Result[],
  verdicts: VectorVerdict[],
  tw: TimeWaitVerdict | undefined,
  broken: Broken[],
): Totals {
  const vBad = (v: VectorVerdict): boolean => !v.known && (v.result.status === 'fail' || v.result.status === 'error');
  return {
    passed:
      results.filter((r) => r.status === 'pass').length +
      verdicts.filter((v) => v.result.status === 'pass' && !v.known).length +
      (tw?.status === 'pass' ? 1 : 0),
    known: results.filter((r) => r.status === 'known').length + verdicts.filter((v) => v.known).length,
    failed:
      results.filter((r) => r.status === 'fail' || r.status === 'error').length +
      verdicts.filter(vBad).length +
      broken.length +
      (tw?.status === 'fail' || tw?.status === 'error' ? 1 : 0),
    skipped:
      results.filter((r) => r.status === 'skip').length + verdicts.filter((v) => v.result.status === 'skip').length,
  };
}

interface Outcome {
  results: Result[];
  verdicts: VectorVerdict[];
  tw: TimeWaitVerdict | undefined;
  unfinished: string[];
  interrupted: string | undefined;
  t: Totals;
  elapsedMs: number;
}

function jsonDoc(p: Plan, x: Outcome, card: ReportCard): unknown {
  const rel = (f: string | undefined): string | undefined => (f ? relative(process.cwd(), f) : undefined);
  const properties = x.results.map((r) => ({
    name: r.property,
    area: r.area,
    title: r.title,
    requirements: r.requirements,
    section: r.section,
    status: r.status,
    runs: r.runs,
    seed: r.seed,
    elapsedMs: r.elapsedMs,
    exercised: r.exercised,
    ...(r.skipReason ? { skipReason: r.skipReason } : {}),
    ...(r.error ? { error: r.error } : {}),
    declared: r.declared.map((d) => ({
      property: d.property,
      requirements: d.requirements,
      message: d.message,
      reason: d.reason,
    })),
    known: r.known.map((k) => ({
      finding: k.finding,
      property: k.property,
      requirements: k.requirements,
      message: k.message,
    })),
    ...(r.counterexample
      ? {
          violations: r.counterexample.violations,
          counterexample: rel(r.file),
          shrunkActions: r.counterexample.scenario.actions.length,
        }
      : {}),
  }));
  const vectors = x.verdicts.map(({ result: r, violations, known }) => ({
    name: r.name,
    file: rel(r.file),
    status: known ? 'known' : r.status,
    ...(known ? { known } : {}),
    ...(r.skipReason ? { skipReason: r.skipReason } : {}),
    ...(r.failure ? { failure: r.failure } : {}),
    ...(violations.length ? { violations } : {}),
  }));
  const tw = x.tw;
  return {
    requirements: card.requirements,
    /** A requirement passes only when exercised in at least this many runs. */
    minExercisedRuns: MIN_EXERCISED_RUNS,
    modelRules: card.rules,
    tool: 'tcp-conform',
    stack: p.adapter.name,
    profile: p.adapter.profile,
    seed: p.seed,
    runs: p.runs,
    strict: p.strict,
    ...x.t,
    elapsedMs: x.elapsedMs,
    ...(x.interrupted ? { interrupted: x.interrupted, notRun: x.unfinished } : {}),
    properties,
    vectors,
    brokenFiles: p.broken,
    ...(tw
      ? {
          timeWait: {
            status: tw.status,
            measuredMs: tw.measuredMs,
            expectedMs: tw.expectedMs,
            message: tw.message,
            violations: tw.violations,
          },
        }
      : {}),
  };
}

function writeOutputs(p: Plan, x: Outcome, out: Out): void {
  const { o, adapter } = p;
  const reportFile = str(o, 'report');
  const header = {
    stack: adapter.name,
    profile: adapter.profile,
    seed: p.seed,
    runs: p.runs,
    strict: p.strict,
    date: new Date().toISOString(),
    elapsedMs: x.elapsedMs,
    totals: x.t,
    ...(x.interrupted ? { interrupted: x.interrupted, notRun: x.unfinished } : {}),
  };
  const base = reportFile ? dirname(resolve(reportFile)) : process.cwd();
  const card = buildCard(
    header,
    judgedOf(x.results, x.verdicts, p.vectors, x.tw, base),
    requirementCoverage(p.vectors),
  );
  if (reportFile) {
    const file = resolve(reportFile);
    writeAtomic(file, /\.html?$/i.test(file) ? cardHtml(card) : cardMarkdown(card));
    const c = card.counts;
    const judged = c['not covered'] + c['not observable'] + c['not run'];
    out(
      `report card: ${relative(process.cwd(), file)} (${c.pass} pass, ${c['not exercised']} not exercised, ` +
        `${c.fail} fail, ${c['declared deviation']} declared, ${c['known finding']} known, ${judged} not judged of ` +
        `${card.requirements.length} requirements)`,
    );
  }
  const junit = str(o, 'junit');
  if (junit) {
    const j = {
      stack: adapter.name,
      results: x.results,
      verdicts: x.verdicts,
      tw: x.tw,
      unfinished: x.unfinished,
      requirements: card.requirements,
    };
    writeAtomic(resolve(junit), junitXml({ ...j, ...(x.interrupted ? { interrupted: x.interrupted } : {}) }));
  }
  const json = str(o, 'json');
  if (json) writeAtomic(resolve(json), `${JSON.stringify(jsonDoc(p, x, card), null, 2)}\n`);
}

export async function runCommand(argv: string[], out: Out, errOut: Out): Promise<number> {
  const p = await plan(argv);
  const shardNote = p.shard.n > 1 ? `, shard ${p.shard.i}/${p.shard.n}` : '';
  out(
    `tcp-conform: ${p.props.length} properties × ${p.runs} runs and ${p.vectors.length} vectors against stack ` +
      `${p.adapter.name} (seed ${p.seed}${shardNote})`,
  );
  const t0 = Date.now();
  const { results, unfinished } = await runProperties(p, out, t0);
  const tw = p.withTimeWait && !interruptedBy() ? await timeWaitRun(p, out) : undefined;
  if (p.withTimeWait && !tw) unfinished.push(`check/${TIME_WAIT_CHECK}`);
  const verdicts = interruptedBy() ? [] : await runVectors(p.vectors, p.adapter, out, p.strict, flag(p.o, 'slow'));
  unfinished.push(...p.vectors.slice(verdicts.length).map((v) => `vector ${v.name}`));
  for (const b of p.broken) errOut(`ERROR broken vector file: ${b.message}`);
  const interrupted = interruptedBy();
  const t = totals(results, verdicts, tw, p.broken);
  const x: Outcome = {
    results,
    verdicts,
    tw,
    unfinished: interrupted ? unfinished : [],
    interrupted,
    t,
    elapsedMs: Date.now() - t0,
  };
  writeOutputs(p, x, out);
  const declaredN = new Set([
    ...results.flatMap((r) => r.declared.map((d) => d.reason)),
    ...(tw?.declaredMsl ? [tw.declaredMsl] : []),
  ]).size;
  const notes = [
    t.skipped ? `, ${t.skipped} skipped` : '',
    t.known ? `, ${t.known} known findings (docs/findings.md; --strict fails them)` : '',
    declaredN ? `, ${declaredN} declared deviations met` : '',
    interrupted ? `; interrupted by ${interrupted}: ${unfinished.length} not run` : '',
  ];
  out(`${t.passed} passed, ${t.failed} failed${notes.join('')}`);
  if (interrupted) return SIGNAL_EXIT[interrupted] ?? 130;
  const trouble =
    p.broken.length > 0 ||
    results.some((r) => r.status === 'error') ||
    verdicts.some((v) => v.result.status === 'error');
  return trouble ? 2 : t.failed > 0 ? 1 : 0;
}
