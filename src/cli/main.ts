// tcp-conform command line. I/O lives here; everything else is a library.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { classify, judge, type PropertyResult, runProperty } from '../oracle/engine.js';
import type { Violation } from '../oracle/types.js';
import type { StackAdapter } from '../stacks/adapter.js';
import { MUTANTS } from '../stacks/mutants.js';
import type { Perturbation } from '../stacks/perturbed.js';
import { CONFIG_FILE, type ResolveOptions, resolveStack, splitCommand, UsageError } from '../stacks/registry.js';
import { LWIP_DRIVER } from '../stacks/lwip/adapter.js';
import { checkDriver } from '../stacks/process/selftest.js';
import { traceToVector } from '../trace/export.js';
import { checkPacketdrill, loadTrace, storeTrace, toLadder, toMermaid, toPacketdrill, toPcap } from '../trace/exports.js';
import { type TraceEntry, type VectorResult, formatFailure, runVector } from '../trace/runner.js';
import { type Vector, VectorError, isSlow, loadVector } from '../trace/vector.js';
import { formatTrace, formatViolation, formatViolationLadder } from './report.js';
import { type Judged, buildCard, cardHtml, cardMarkdown } from './reportcard.js';
import junitModule, { type Builder as JunitBuilder } from 'junit-report-builder';
import { coverage } from '../oracle/requirements.js';
import { INVARIANTS } from '../oracle/invariants.js';
import { TIME_WAIT_CHECK, type TimeWaitResult, timeWaitCheck, timeWaitSource } from '../oracle/timewait.js';

export const VECTORS_DIR = fileURLToPath(new URL('../../vectors', import.meta.url));
const BIN = 'npx tcp-conform';

const HELP = `tcp-conform — property-based TCP conformance against an executable RFC 9293 model

usage:
  tcp-conform run [--stack NAME|PATH] [--runs N] [--seed N] [--only PATTERN] [--strict] [--slow]
                  [--report FILE.md|.html] [--junit FILE] [--json FILE] [--out DIR] [--vectors DIR] [--shard i/n]
  tcp-conform replay FILE... [--stack NAME|PATH] [--json FILE]
  tcp-conform mutants [--runs N] [--seed N] [--only PATTERN] [--json FILE]
  tcp-conform promote FILE [--name NAME]
  tcp-conform export FILE [--pcap OUT.pcap] [--pkt OUT.pkt] [--ladder] [--mermaid OUT.md] [--stack NAME]
  tcp-conform check-driver --stack process:"CMD ARGS"|NAME   (the adapter protocol's own checks for a driver)
  tcp-conform help

  --stack    reference (default), reference-perturbed, mutant:NAME, lwip, linux, process:"CMD ARGS",
             a stack named in tcp-conform.config.json, or a path to a module exporting a StackAdapter
  --config   config file naming process stacks (default ./tcp-conform.config.json)
  --strict   count the stack's known findings (docs/findings.md) as failures
  --slow     on a real-clock stack, also run the vectors marked slow (minutes of waiting)
  --runs     generated scenarios per property (default 100; 20 on real-clock stacks such as linux)
  --seed     fast-check seed (default: random, printed)
  --only     run only properties and vectors whose name contains PATTERN
  --json     write every verdict to FILE as JSON (with the per-requirement verdicts)
  --report   write a report card by RFC 9293 requirement to FILE (.md, or .html)
  --junit    write JUnit XML to FILE (one test case per property, check and vector)
  --shard    i/n: run the i-th of n slices of the properties and vectors (one per CI machine; same --seed on all)
  --out      folder for counterexample files (default ./counterexamples)
  --vectors  folder of vector files (default: the vectors shipped with tcp-conform, recursively)

exit status: 0 nothing failed, 1 a property or vector failed, 2 bad usage, a broken vector file or an adapter error`;

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

interface Opts {
  stack: string;
  vectors?: string;
  only?: string;
  json?: string;
  runs?: string;
  seed?: string;
  out?: string;
  name?: string;
  config?: string;
  strict?: boolean;
  slow?: boolean;
  report?: string;
  pcap?: string;
  pkt?: string;
  ladder?: boolean;
  mermaid?: string;
  shard?: string;
  junit?: string;
  help?: boolean;
}

function parse(argv: string[]): { cmd: string | undefined; rest: string[]; o: Opts } {
  try {
    const a = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: 'string', default: 'reference' },
        vectors: { type: 'string' },
        only: { type: 'string' },
        json: { type: 'string' },
        runs: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        name: { type: 'string' },
        config: { type: 'string' },
        strict: { type: 'boolean' },
        report: { type: 'string' },
        pcap: { type: 'string' },
        pkt: { type: 'string' },
        ladder: { type: 'boolean' },
        mermaid: { type: 'string' },
        shard: { type: 'string' },
        junit: { type: 'string' },
        slow: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [cmd, ...rest] = a.positionals;
    return { cmd, rest, o: a.values as Opts };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --shard i/n: this machine runs every n-th property and vector, starting with the i-th (1-based). */
function parseShard(v: string | undefined): { i: number; n: number } {
  if (v === undefined) return { i: 1, n: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard must be i/n with 1 <= i <= n (got ${JSON.stringify(v)})`);
  return { i: Number(m[1]), n: Number(m[2]) };
}

const intOpt = (v: string | undefined, name: string, def: number, min = 0): number => {
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
  return Number(v);
};

type Out = (s: string) => void;

/** Adapters opened by this command; disposed (children reaped, namespaces removed) however the command ends. */
const opened: StackAdapter[] = [];
let signalsHooked = false;
async function openStack(spec: string, opts: ResolveOptions): Promise<StackAdapter> {
  const a = await resolveStack(spec, opts);
  opened.push(a);
  if (!signalsHooked) {
    signalsHooked = true;
    // Interrupted: stop the drivers and remove their namespaces before leaving.
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      process.once(sig, () => {
        process.stderr.write(`\ntcp-conform: ${sig}: stopping drivers and cleaning up\n`);
        const hard = setTimeout(() => process.exit(code), 5000);
        void disposeAll().finally(() => {
          clearTimeout(hard);
          process.exit(code);
        });
      });
    }
  }
  return a;
}
async function disposeAll(): Promise<void> {
  for (const a of opened.splice(0)) await Promise.resolve(a.dispose?.()).catch(() => undefined);
}

export async function main(argv: string[], out: Out = (s) => process.stdout.write(`${s}\n`), errOut: Out = (s) => process.stderr.write(`${s}\n`)): Promise<number> {
  try {
    const { cmd, rest, o } = parse(argv);
    if (o.help || cmd === 'help' || cmd === undefined) {
      out(HELP);
      return cmd === undefined && !o.help ? 2 : 0;
    }
    switch (cmd) {
      case 'run':
        if (rest.length) throw new UsageError(`run takes no positional arguments (got ${rest.join(' ')})`);
        return await run(o, out, errOut);
      case 'replay':
        if (rest.length === 0) throw new UsageError('replay needs at least one vector or counterexample FILE');
        return await replay(rest.map((f) => resolve(f)), o, out, errOut);
      case 'mutants':
        return await mutants(o, out);
      case 'export':
        if (rest.length !== 1) throw new UsageError('export needs exactly one vector or counterexample FILE');
        return await exportCmd(resolve(rest[0]!), o, out);
      case 'check-driver':
        return await checkDriverCmd(o, out);
      case 'promote':
        if (rest.length !== 1) throw new UsageError('promote needs exactly one counterexample FILE');
        return promote(rest[0]!, o, out);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)} (expected run, replay, mutants, promote, export, check-driver or help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      errOut(`tcp-conform: ${e.message}`);
      errOut(`run 'tcp-conform help' for usage`);
      return 2;
    }
    throw e;
  } finally {
    await disposeAll();
  }
}

function loadVectors(files: string[], only: string | undefined): { vectors: Vector[]; broken: Array<{ file: string; message: string }> } {
  const vectors: Vector[] = [];
  const broken: Array<{ file: string; message: string }> = [];
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

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/** Judge a replayed vector with the oracle of the properties it names. */
function oracleCheck(v: Vector, r: VectorResult, adapter: StackAdapter, strict: boolean): { violations: Violation[]; declared: Violation[]; known: Array<Violation & { finding: string }>; unknown: string[] } {
  if (v.check.length === 0) return { violations: [], declared: [], known: [], unknown: [] };
  const props = v.check.map((n) => ALL_PROPERTIES.find((p) => p.name === n));
  const unknown = v.check.filter((_, i) => !props[i]);
  const all = props.flatMap((p) => (p ? judge(p, r.trace, adapter.profile) : []));
  const uniq = all.filter((x, i) => all.findIndex((y) => y.property === x.property && y.at === x.at && y.message === x.message) === i);
  const c = classify(uniq, adapter.profile, strict);
  return { violations: c.real, declared: c.declared, known: c.known, unknown };
}

interface VectorVerdict {
  result: VectorResult;
  violations: Violation[];
  /** The known finding (docs/findings.md) that explains the failure. */
  known?: string;
}

const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', error: 'ERROR', known: 'KNOWN' } as const;

async function runVectors(vectors: Vector[], adapter: StackAdapter, out: Out, strict = false, slow = true): Promise<VectorVerdict[]> {
  const verdicts: VectorVerdict[] = [];
  for (const vec of vectors) {
    adapter.reseed?.(`vector:${vec.name}`); // a randomized stack draws per vector, independent of run order
    const r: VectorResult =
      isSlow(vec) && adapter.profile.realTime && !slow
        ? { name: vec.name, ...(vec.file ? { file: vec.file } : {}), status: 'skip', skipReason: 'waits more than 10 s, slow on a real clock (--slow runs it)', trace: [], bindings: {}, duration: 0 }
        : await runVector(vec, adapter);
    const o = r.status === 'error' || r.status === 'skip' ? { violations: [], declared: [], known: [], unknown: [] } : oracleCheck(vec, r, adapter, strict);
    if (o.unknown.length) {
      r.status = 'error';
      r.failure = { step: vec.steps.length, stepText: '(check)', message: `vector names unknown properties: ${o.unknown.join(', ')}` };
    } else if (o.violations.length && r.status === 'pass') r.status = 'fail';
    // A failure this stack is known for: by the vector's name, or every oracle violation explained.
    const byName = strict ? undefined : adapter.profile.findings?.find((f) => f.vectors?.includes(vec.name));
    const explained = r.status === 'pass' && o.known.length > 0 ? o.known[0]!.finding : undefined;
    const known = r.status === 'fail' && byName ? `${byName.id}: ${byName.summary}` : explained;
    verdicts.push({ result: r, violations: o.violations, ...(known ? { known } : {}) });
    out(`${(known ? MARK.known : MARK[r.status]).padEnd(9)} vector ${vec.name}${r.status === 'skip' ? ` (${r.skipReason})` : ''}${known ? ` — known finding ${known}` : ''}`);
    for (const d of o.declared) out(`          declared deviation: ${d.property} [${d.requirements.join(', ')}]: ${d.message}`);
    if (known) continue;
    if (r.failure) out(formatFailure(r).split('\n').map((l) => `      ${l}`).join('\n'));
    for (const v of o.violations) out(formatViolation(v, r.trace));
  }
  return verdicts;
}

function writeCounterexample(r: PropertyResult, adapter: StackAdapter, dir: string): string | undefined {
  const c = r.counterexample;
  if (!c) return undefined;
  mkdirSync(dir, { recursive: true });
  const name = safe(`${r.property}-${adapter.name}-${c.seed}`);
  const file = join(dir, `${name}.json`);
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
      violations: c.violations.map((v) => ({ property: v.property, requirements: v.requirements, section: v.section, message: v.message, at: v.at })),
      // The failing run itself, so `export` shows what this stack did (a replay on another stack would not).
      trace: storeTrace(c.trace),
    },
  });
  writeFileSync(file, `${JSON.stringify(vec, null, 2)}\n`);
  return file;
}

async function run(o: Opts, out: Out, errOut: Out): Promise<number> {
  const seed = intOpt(o.seed, 'seed', (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff);
  const adapter = await openStack(o.stack, { seed, ...(o.config ? { config: o.config } : {}) });
  // A real-clock stack waits for real: fewer runs by default (each property still sees dozens of scenarios).
  const runs = intOpt(o.runs, 'runs', adapter.profile.realTime ? 20 : 100, 1);
  const strict = o.strict ?? false;
  const dir = resolve(o.vectors ?? VECTORS_DIR);
  let files: string[];
  try {
    files = vectorFiles(dir);
  } catch (e) {
    throw new UsageError(`cannot read vectors folder ${dir}: ${(e as Error).message}`);
  }
  const shard = parseShard(o.shard);
  const inShard = (_: unknown, i: number): boolean => i % shard.n === shard.i - 1;
  const props = ALL_PROPERTIES.filter((p) => !o.only || p.name.includes(o.only) || p.area.includes(o.only)).filter(inShard);
  const loaded = loadVectors(files, o.only);
  const vectors = loaded.vectors.filter(inShard);
  const broken = loaded.broken;
  if (props.length === 0 && vectors.length === 0 && broken.length === 0 && !(o.only && TIME_WAIT_CHECK.includes(o.only))) throw new UsageError(o.only ? `no property or vector matches --only ${JSON.stringify(o.only)}` : 'nothing to run');
  const outDir = resolve(o.out ?? 'counterexamples');
  const progress = process.stderr.isTTY && !process.env.CI;
  out(`tcp-conform: ${props.length} properties × ${runs} runs and ${vectors.length} vectors against stack ${adapter.name} (seed ${seed}${shard.n > 1 ? `, shard ${shard.i}/${shard.n}` : ''})`);
  const t0 = Date.now();
  const results: Array<PropertyResult & { file?: string }> = [];
  // Properties run concurrently when the adapter allows it; verdicts are printed in order.
  const done: Array<PropertyResult | undefined> = [];
  let nextProp = 0;
  let printed = 0;
  const conc = Math.max(1, Math.min(adapter.maxConcurrency ?? 1, props.length));
  const worker = async (): Promise<void> => {
    while (nextProp < props.length) {
      const i = nextProp++;
      if (progress) process.stderr.write(`\r\x1b[K  [${printed}/${props.length} done] ${props[i]!.name} … ${Math.round((Date.now() - t0) / 1000)} s on ${adapter.name}`);
      done[i] = await runProperty(props[i]!, adapter, { runs, seed, strict });
      while (printed < props.length && done[printed]) report(printed++);
    }
  };
  const report = (i: number): void => {
    const p = props[i]!;
    const r: PropertyResult & { file?: string } = done[i]!;
    if (progress) process.stderr.write('\r\x1b[K');
    const file = r.status === 'fail' ? writeCounterexample(r, adapter, outDir) : undefined;
    if (file) r.file = file;
    results.push(r);
    const ids = p.requirements.length ? ` [${p.requirements.join(', ')}]` : '';
    out(`${MARK[r.status].padEnd(9)} ${p.area}/${p.name}${ids}${r.status === 'skip' ? ` (${r.skipReason})` : ''}`);
    for (const d of r.declared.filter((d, k, all) => all.findIndex((x) => x.reason === d.reason) === k)) out(`          declared deviation: ${d.property}${d.requirements.length ? ` [${d.requirements.join(', ')}]` : ''}: ${d.reason}`);
    for (const k of r.known) out(`          known finding ${k.finding} (${k.property}: ${k.message})`);
    if (r.status === 'error') out(`  adapter error: ${r.error}`);
    if (r.counterexample) {
      const c = r.counterexample;
      out(formatViolationLadder(c.violations[0]!, c.trace));
      for (const v of c.violations.slice(1, 3)) out(`  also violated: ${v.property}${v.requirements.length ? ` [${v.requirements.join(', ')}]` : ''}: ${v.message}`);
      if (c.violations.length > 3) out(`  … and ${c.violations.length - 3} more violations`);
      out(`  shrunk to ${c.scenario.actions.length} actions after ${c.shrinks} shrinks; seed ${c.seed}, path ${JSON.stringify(c.path)}${c.reproduced ? '' : ' (it did not fail again when re-run: the trace is of the failing run; timing-dependent)'}`);
      if (file) {
        const f = relative(process.cwd(), file);
        out(`  counterexample: ${f}\n  replay: ${BIN} replay ${f} --stack ${o.stack}\n  export: ${BIN} export ${f} --pcap ${f.replace(/\.json$/, '.pcap')} --pkt ${f.replace(/\.json$/, '.pkt')} --ladder`);
      }
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  const tw = (o.only && !TIME_WAIT_CHECK.includes(o.only)) || shard.i !== 1 ? undefined : await timeWaitRun(adapter, outDir, o, out);
  const verdicts = await runVectors(vectors, adapter, out, strict, o.slow ?? false);
  for (const b of broken) errOut(`ERROR broken vector file: ${b.message}`);
  const passed = results.filter((r) => r.status === 'pass').length + verdicts.filter((v) => v.result.status === 'pass' && !v.known).length + (tw?.status === 'pass' ? 1 : 0);
  const knownN = results.filter((r) => r.status === 'known').length + verdicts.filter((v) => v.known).length;
  const failedP = results.filter((r) => r.status === 'fail' || r.status === 'error').length;
  const failedV = verdicts.filter((v) => !v.known && (v.result.status === 'fail' || v.result.status === 'error')).length + broken.length + (tw?.status === 'fail' || tw?.status === 'error' ? 1 : 0);
  const skipped = results.filter((r) => r.status === 'skip').length + verdicts.filter((v) => v.result.status === 'skip').length;
  const card = buildCard(
    { stack: adapter.name, profile: adapter.profile, seed, runs, strict, date: new Date().toISOString(), elapsedMs: Date.now() - t0, totals: { passed, failed: failedP + failedV, known: knownN, skipped } },
    judgedOf(results, verdicts, vectors, tw, o.report ? dirname(resolve(o.report)) : process.cwd()),
    requirementCoverage(vectors),
  );
  if (o.report) {
    const file = resolve(o.report);
    writeFileSync(file, file.endsWith('.html') || file.endsWith('.htm') ? cardHtml(card) : cardMarkdown(card));
    out(`report card: ${relative(process.cwd(), file)} (${card.counts.pass} pass, ${card.counts.fail} fail, ${card.counts['declared deviation']} declared, ${card.counts['known finding']} known, ${card.counts['not covered'] + card.counts['not observable'] + card.counts['not run']} not judged of ${card.requirements.length} requirements)`);
  }
  if (o.junit) writeJunit(resolve(o.junit), adapter.name, results, verdicts, tw);
  if (o.json) {
    const doc = {
      requirements: card.requirements,
      tool: 'tcp-conform', stack: adapter.name, profile: adapter.profile, seed, runs, strict, passed, failed: failedP + failedV, skipped, known: knownN, elapsedMs: Date.now() - t0,
      properties: results.map((r) => ({
        name: r.property, area: r.area, title: r.title, requirements: r.requirements, section: r.section, status: r.status, runs: r.runs, seed: r.seed,
        ...(r.skipReason ? { skipReason: r.skipReason } : {}), ...(r.error ? { error: r.error } : {}),
        declared: r.declared.map((d) => ({ property: d.property, requirements: d.requirements, message: d.message, reason: d.reason })),
        known: r.known.map((k) => ({ finding: k.finding, property: k.property, requirements: k.requirements, message: k.message })),
        ...(r.counterexample ? { violations: r.counterexample.violations, counterexample: r.file ? relative(process.cwd(), r.file) : undefined, shrunkActions: r.counterexample.scenario.actions.length } : {}),
      })),
      vectors: verdicts.map(({ result: r, violations, known }) => ({ name: r.name, file: r.file ? relative(process.cwd(), r.file) : undefined, status: known ? 'known' : r.status, ...(known ? { known } : {}), ...(r.skipReason ? { skipReason: r.skipReason } : {}), ...(r.failure ? { failure: r.failure } : {}), ...(violations.length ? { violations } : {}) })),
      brokenFiles: broken,
      ...(tw ? { timeWait: { status: tw.status, measuredMs: tw.measuredMs, expectedMs: tw.expectedMs, message: tw.message, violations: tw.violations } } : {}),
    };
    writeFileSync(o.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
  const declaredN = new Set([...results.flatMap((r) => r.declared.map((d) => d.reason)), ...(tw?.declaredMsl ? [tw.declaredMsl] : [])]).size;
  out(`${passed} passed, ${failedP + failedV} failed${skipped ? `, ${skipped} skipped` : ''}${knownN ? `, ${knownN} known findings (docs/findings.md; --strict fails them)` : ''}${declaredN ? `, ${declaredN} declared deviations met` : ''}`);
  const trouble = broken.length > 0 || results.some((r) => r.status === 'error') || verdicts.some((v) => v.result.status === 'error');
  return trouble ? 2 : failedP + failedV > 0 ? 1 : 0;
}

async function replay(files: string[], o: Opts, out: Out, errOut: Out): Promise<number> {
  const { vectors, broken } = loadVectors(files, o.only);
  if (vectors.length === 0 && broken.length === 0) throw new UsageError(`no vector matches --only ${JSON.stringify(o.only)}`);
  // A counterexample from reference-perturbed replays with the perturbation it was found with.
  const perturbation = vectors.map((v) => (v.origin?.stack === 'reference-perturbed' ? (v.origin.stackDetail as Perturbation | undefined) : undefined)).find(Boolean);
  const adapter = await openStack(o.stack, { ...(perturbation ? { perturbation } : {}), ...(o.config ? { config: o.config } : {}) });
  out(`tcp-conform: replaying ${vectors.length} vector${vectors.length === 1 ? '' : 's'} against stack ${adapter.name}`);
  // Replaying is how one looks at a failure: known findings fail here as they are.
  const verdicts = await runVectors(vectors, adapter, out, true);
  for (const b of broken) errOut(`ERROR broken vector file: ${b.message}`);
  const passed = verdicts.filter((v) => v.result.status === 'pass').length;
  const failed = verdicts.filter((v) => v.result.status === 'fail' || v.result.status === 'error').length + broken.length;
  const skipped = verdicts.filter((v) => v.result.status === 'skip').length;
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ tool: 'tcp-conform', stack: adapter.name, passed, failed, skipped, vectors: verdicts.map(({ result: r, violations }) => ({ name: r.name, status: r.status, failure: r.failure, violations, trace: r.trace.map((e) => `${e.t} ${e.dir} ${e.text}`) })) }, null, 2)}\n`);
  out(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return broken.length > 0 || verdicts.some((v) => v.result.status === 'error') ? 2 : failed ? 1 : 0;
}

async function mutants(o: Opts, out: Out): Promise<number> {
  const runs = intOpt(o.runs, 'runs', 100, 1);
  const seed = intOpt(o.seed, 'seed', 42);
  const list = MUTANTS.filter((m) => !o.only || m.name.includes(o.only));
  if (list.length === 0) throw new UsageError(`no mutant matches --only ${JSON.stringify(o.only)}`);
  out(`tcp-conform: ${list.length} mutants, up to ${ALL_PROPERTIES.length} properties × ${runs} runs each (seed ${seed})`);
  out(`${'mutant'.padEnd(28)} ${'caught by'.padEnd(44)} ${'first fail'.padStart(10)} ${'shrunk'.padStart(7)}`);
  const rows: Array<Record<string, unknown>> = [];
  for (const m of list) {
    const adapter = await resolveStack(`mutant:${m.name}`);
    const t0 = Date.now();
    let row: Record<string, unknown> = { mutant: m.name, bug: m.bug, breaks: m.breaks, killed: false };
    for (const p of ALL_PROPERTIES) {
      const r = await runProperty(p, adapter, { runs, seed });
      if (r.status === 'fail' && r.counterexample) {
        const v = r.counterexample.violations[0]!;
        row = { ...row, killed: true, property: p.name, violated: v.property, requirements: v.requirements, message: v.message, msToFirstFailure: Date.now() - t0 - r.elapsedMs + (r.msToFailure ?? 0), shrunkActions: r.counterexample.scenario.actions.length, shrunkTraceEntries: r.counterexample.trace.length };
        break;
      }
      if (r.status === 'error') {
        row = { ...row, error: r.error };
        break;
      }
    }
    rows.push(row);
    const caught = row.killed ? `${row.property}${row.violated !== row.property ? ` (${row.violated})` : ''}` : row.error ? `ERROR ${row.error}` : 'SURVIVED';
    out(`${m.name.padEnd(28)} ${String(caught).padEnd(44)} ${row.killed ? `${row.msToFirstFailure} ms`.padStart(10) : ''.padStart(10)} ${row.killed ? String(row.shrunkActions).padStart(7) : ''}`);
  }
  if (o.json) writeFileSync(o.json, `${JSON.stringify(rows, null, 2)}\n`);
  const survived = rows.filter((r) => !r.killed).length;
  out(`${rows.length - survived} passed, ${survived} failed (a mutant passes when the suite kills it)`);
  return survived ? 1 : 0;
}

/** Which properties (with the invariants they always run) and vectors judge each requirement. */
function requirementCoverage(vectors: Vector[]): ReturnType<typeof coverage> {
  const invariantIds = [...new Set(INVARIANTS.flatMap((i) => i.requirements))];
  return coverage(
    [...ALL_PROPERTIES, { name: 'invariants (every property)', requirements: invariantIds }, { name: TIME_WAIT_CHECK, requirements: ['MUST-13'] }],
    vectors,
  );
}

/** Everything the run judged, in the report card's terms; links relative to the report's folder. */
function judgedOf(results: Array<PropertyResult & { file?: string }>, verdicts: VectorVerdict[], vectors: Vector[], tw: (TimeWaitResult & { declaredMsl?: string }) | undefined, base: string): Judged[] {
  const rel = (f: string | undefined): string | undefined => (f ? relative(base, f) : undefined);
  const out: Judged[] = results.map((r) => {
    const p = ALL_PROPERTIES.find((x) => x.name === r.property);
    const vs = r.counterexample?.violations ?? [];
    return {
      kind: 'property', name: r.property, requirements: [...r.requirements, ...(p?.alsoChecks ?? [])], status: r.status,
      violated: [...new Set(vs.flatMap((v) => v.requirements))],
      declared: r.declared.map((d) => ({ requirements: d.requirements, reason: d.reason })),
      known: r.known.map((k) => ({ requirements: k.requirements, finding: k.finding })),
      ...(r.file ? { link: rel(r.file)! } : {}),
      ...(vs[0] ? { message: vs[0].message } : r.error ? { message: r.error } : {}),
    };
  });
  if (tw) out.push({ kind: 'check', name: TIME_WAIT_CHECK, requirements: ['MUST-13'], status: tw.status, violated: tw.violations.length ? ['MUST-13'] : [], declared: tw.declaredMsl ? [{ requirements: ['MUST-13'], reason: tw.declaredMsl }] : [], known: [], message: tw.message });
  for (const v of verdicts) {
    const vec = vectors.find((x) => x.name === v.result.name);
    out.push({
      kind: 'vector', name: v.result.name, requirements: vec?.requirements ?? [], status: v.known ? 'known' : v.result.status,
      violated: [...new Set(v.violations.flatMap((x) => x.requirements))], declared: [],
      known: v.known ? [{ requirements: vec?.requirements ?? [], finding: v.known }] : [],
      ...(v.result.file ? { link: rel(v.result.file)! } : {}),
      ...(v.result.failure ? { message: v.result.failure.message } : {}),
    });
  }
  return out;
}

/** JUnit XML: one test case per property, check and vector, through junit-report-builder. */
function writeJunit(file: string, stack: string, results: PropertyResult[], verdicts: VectorVerdict[], tw: TimeWaitResult | undefined): void {
  // The package is CommonJS with a default export: Node hands the builder itself to an ESM default import.
  const mod = junitModule as unknown as JunitBuilder & { default?: JunitBuilder };
  const b = (typeof mod.newBuilder === 'function' ? mod : mod.default!).newBuilder();
  const props = b.testSuite().name(`tcp-conform properties (${stack})`);
  for (const r of results) {
    const tc = props.testCase().className(`tcp-conform.${r.area}`).name(`${r.property}${r.requirements.length ? ` [${r.requirements.join(', ')}]` : ''}`).time(r.elapsedMs / 1000);
    const v = r.counterexample?.violations ?? [];
    if (r.status === 'fail') tc.failure(v.map((x) => `${x.property}: ${x.message}`).join('\n'), 'violation').standardOutput(r.counterexample ? formatTrace(r.counterexample.trace, r.counterexample.violations[0]?.at).join('\n') : '');
    else if (r.status === 'error') tc.error(r.error ?? 'adapter error', 'adapter-error');
    else if (r.status === 'skip') tc.skipped();
    if (r.declared.length || r.known.length) tc.standardOutput([...r.declared.map((d) => `declared deviation ${d.requirements.join(', ')}: ${d.reason}`), ...r.known.map((k) => `known finding ${k.finding}`)].join('\n'));
  }
  if (tw) {
    const tc = b.testSuite().name(`tcp-conform checks (${stack})`).testCase().className('tcp-conform.check').name(`${TIME_WAIT_CHECK} [MUST-13]`);
    if (tw.status === 'fail') tc.failure(tw.violations.map((v) => v.message).join('\n'), 'violation');
    else if (tw.status === 'error') tc.error(tw.message, 'adapter-error');
    else if (tw.status === 'skip') tc.skipped();
    tc.standardOutput(tw.message);
  }
  const vecs = b.testSuite().name(`tcp-conform vectors (${stack})`);
  for (const v of verdicts) {
    const r = v.result;
    const tc = vecs.testCase().className('tcp-conform.vector').name(r.name);
    if (v.known) tc.standardOutput(`known finding ${v.known}`);
    else if (r.status === 'fail') tc.failure([r.failure?.message, ...v.violations.map((x) => `${x.property}: ${x.message}`)].filter(Boolean).join('\n'), 'violation');
    else if (r.status === 'error') tc.error(r.failure?.message ?? 'error', 'adapter-error');
    else if (r.status === 'skip') tc.skipped();
  }
  b.writeTo(file);
}

/** The run's one TIME-WAIT measurement (slow on a real clock); a failure is written as a replayable vector. */
async function timeWaitRun(adapter: StackAdapter, outDir: string, o: Opts, out: Out): Promise<TimeWaitResult & { declaredMsl?: string }> {
  const r = await timeWaitCheck(adapter);
  const { real, declared } = classify(r.violations, adapter.profile, o.strict ?? false);
  const status = r.status === 'fail' && real.length === 0 ? 'pass' : r.status;
  out(`${MARK[status].padEnd(9)} check/${TIME_WAIT_CHECK} [MUST-13] — ${status === 'skip' ? r.message : r.message}`);
  // The profile's own MSL may be shorter than RFC 9293's 2 minutes (§3.4.2): say so when it declares that.
  const mslDev = adapter.profile.deviations.find((d) => d.requirement === 'MUST-13');
  const declaredMsl = mslDev && adapter.profile.msl < 120_000 && r.measuredMs !== undefined ? mslDev.reason : undefined;
  if (declaredMsl) out(`          declared deviation: ${TIME_WAIT_CHECK} [MUST-13]: ${declaredMsl}`);
  for (const d of declared) out(`          declared deviation: ${d.property} [${d.requirements.join(', ')}]: ${d.reason}`);
  for (const v of real) out(formatViolation(v, r.trace));
  if (real.length) {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, safe(`${TIME_WAIT_CHECK}-${adapter.name}.json`));
    const vec = JSON.parse(JSON.stringify(timeWaitSource()));
    // Replaying fails the same way: the connection must not leave TIME-WAIT before 2×MSL of the profile used.
    vec.steps[vec.steps.length - 1].after.min = 'msl+msl-1000';
    vec.origin = { stack: adapter.name, check: TIME_WAIT_CHECK, measuredMs: r.measuredMs, expectedMs: r.expectedMs, profileMsl: adapter.profile.msl };
    writeFileSync(file, `${JSON.stringify(vec, null, 2)}\n`);
    out(`  counterexample: ${relative(process.cwd(), file)}\n  replay: ${BIN} replay ${relative(process.cwd(), file)} --stack ${o.stack}`);
  }
  return { ...r, status, violations: real, ...(declaredMsl ? { declaredMsl } : {}) };
}

/** export FILE: pcap, packetdrill, ladder, Mermaid of a counterexample's stored trace, or of a vector replayed on --stack. */
async function exportCmd(file: string, o: Opts, out: Out): Promise<number> {
  if (!o.pcap && !o.pkt && !o.ladder && !o.mermaid) throw new UsageError('export needs at least one of --pcap OUT.pcap, --pkt OUT.pkt, --ladder, --mermaid OUT.md');
  let vec: Vector;
  try {
    vec = loadVector(file);
  } catch (e) {
    if (e instanceof VectorError) throw new UsageError(e.message);
    throw e;
  }
  let trace: TraceEntry[];
  let mark: number | undefined;
  let note: string | undefined;
  const stored = (vec.origin as { trace?: unknown; violations?: Array<{ at?: number; property: string; message: string }> } | undefined);
  if (stored?.trace) {
    try {
      trace = loadTrace(stored.trace);
    } catch (e) {
      throw new UsageError(`${file}: ${(e as Error).message}`);
    }
    mark = stored.violations?.[0]?.at;
    note = stored.violations?.[0] ? `${stored.violations[0].property}: ${stored.violations[0].message}` : undefined;
    out(`tcp-conform: exporting the recorded trace of ${basename(file)} (${trace.length} entries, stack ${String((vec.origin as { stack?: string }).stack ?? '?')})`);
  } else {
    const adapter = await openStack(o.stack, o.config ? { config: o.config } : {});
    const r = await runVector(vec, adapter);
    trace = r.trace;
    out(`tcp-conform: exporting ${vec.name} as replayed on ${adapter.name} (${r.status})`);
  }
  if (o.pcap) {
    writeFileSync(o.pcap, toPcap(trace));
    out(`pcap: ${o.pcap} (${trace.filter((e) => e.seg).length} packets; open it in Wireshark)`);
  }
  if (o.pkt) {
    const script = toPacketdrill(trace, { title: vec.title });
    const errors = checkPacketdrill(script);
    if (errors.length) throw new Error(`internal: the packetdrill script fails its own grammar: ${errors.join('; ')}`);
    writeFileSync(o.pkt, script);
    out(`packetdrill: ${o.pkt}`);
  }
  if (o.ladder) out(toLadder(trace, { ...(mark !== undefined ? { mark } : {}), title: vec.title }));
  if (o.mermaid) {
    writeFileSync(o.mermaid, `# ${vec.title}\n\n${toMermaid(trace, { ...(mark !== undefined ? { mark } : {}), ...(note ? { note } : {}) })}`);
    out(`mermaid: ${o.mermaid}`);
  }
  return 0;
}

async function checkDriverCmd(o: Opts, out: Out): Promise<number> {
  let argv: string[];
  if (o.stack.startsWith('process:')) argv = splitCommand(o.stack.slice('process:'.length));
  else if (o.stack === 'lwip') argv = [LWIP_DRIVER];
  else {
    const cfg = resolve(o.config ?? CONFIG_FILE);
    const entry = existsSync(cfg) ? (JSON.parse(readFileSync(cfg, 'utf8')) as { stacks?: Record<string, { command?: string | string[] }> }).stacks?.[o.stack] : undefined;
    const cmd = entry?.command;
    if (!cmd) throw new UsageError(`check-driver needs --stack process:"CMD ARGS", lwip, or a stack named in ${CONFIG_FILE}`);
    argv = typeof cmd === 'string' ? splitCommand(cmd) : cmd;
  }
  if (argv.length === 0) throw new UsageError('check-driver: empty driver command');
  out(`tcp-conform: adapter protocol checks for driver \`${argv.join(' ')}\``);
  const checks = await checkDriver(argv);
  for (const c of checks) out(`${(c.ok ? 'PASS' : 'FAIL').padEnd(9)} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  const failed = checks.filter((c) => !c.ok).length;
  out(`${checks.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

function promote(file: string, o: Opts, out: Out): number {
  const src = resolve(file);
  let vec: Vector;
  try {
    vec = loadVector(src);
  } catch (e) {
    if (e instanceof VectorError) throw new UsageError(e.message);
    throw e;
  }
  const name = safe(o.name ?? vec.name);
  const dir = join(VECTORS_DIR, 'regressions');
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, `${name}.json`);
  const json = JSON.parse(readFileSync(src, 'utf8'));
  json.name = name;
  writeFileSync(dest, `${JSON.stringify(json, null, 2)}\n`);
  out(`promoted ${basename(src)} to ${relative(process.cwd(), dest)}: it now runs with every 'tcp-conform run'`);
  return 0;
}

