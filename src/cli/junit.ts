// JUnit XML for CI systems: one test case per property, check and vector, through junit-report-builder.
import junitModule, { type Builder as JunitBuilder } from 'junit-report-builder';
import type { PropertyResult } from '../oracle/engine.js';
import { TIME_WAIT_CHECK, type TimeWaitResult } from '../oracle/timewait.js';
import type { RequirementVerdict } from '../report/card.js';
import type { VectorVerdict } from '../report/verdicts.js';
import { formatTrace } from './report.js';

function builder(): JunitBuilder {
  // The package is CommonJS with a default export: Node hands the builder itself to an ESM default import.
  const mod = junitModule as unknown as JunitBuilder & { default?: JunitBuilder };
  return (typeof mod.newBuilder === 'function' ? mod : mod.default!).newBuilder();
}

type Suite = ReturnType<JunitBuilder['testSuite']>;

function addProperties(suite: Suite, results: PropertyResult[]): void {
  for (const r of results) {
    const ids = r.requirements.length ? ` [${r.requirements.join(', ')}]` : '';
    const tc = suite
      .testCase()
      .className(`tcp-conform.${r.area}`)
      .name(`${r.property}${ids}`)
      .time(r.elapsedMs / 1000);
    const c = r.counterexample;
    const v = c?.violations ?? [];
    if (r.status === 'fail') {
      const ladder = c ? formatTrace(c.trace, c.violations[0]?.at).join('\n') : '';
      tc.failure(v.map((x) => `${x.property}: ${x.message}`).join('\n'), 'violation').standardOutput(ladder);
    } else if (r.status === 'error') tc.error(r.error ?? 'adapter error', 'adapter-error');
    else if (r.status === 'skip') tc.skipped();
    const notes = [
      ...r.declared.map((d) => `declared deviation ${d.requirements.join(', ')}: ${d.reason}`),
      ...r.known.map((k) => `known finding ${k.finding}`),
    ];
    if (notes.length) tc.standardOutput(notes.join('\n'));
  }
}

function addTimeWait(b: JunitBuilder, stack: string, tw: TimeWaitResult): void {
  const suite = b.testSuite().name(`tcp-conform checks (${stack})`);
  const tc = suite.testCase().className('tcp-conform.check').name(`${TIME_WAIT_CHECK} [MUST-13]`);
  if (tw.status === 'fail') tc.failure(tw.violations.map((v) => v.message).join('\n'), 'violation');
  else if (tw.status === 'error') tc.error(tw.message, 'adapter-error');
  else if (tw.status === 'skip') tc.skipped();
  tc.standardOutput(tw.message);
}

function addVectors(suite: Suite, verdicts: VectorVerdict[]): void {
  for (const v of verdicts) {
    const r = v.result;
    const tc = suite.testCase().className('tcp-conform.vector').name(r.name);
    if (v.known) tc.standardOutput(`known finding ${v.known}`);
    else if (r.status === 'fail') {
      const lines = [r.failure?.message, ...v.violations.map((x) => `${x.property}: ${x.message}`)];
      tc.failure(lines.filter(Boolean).join('\n'), 'violation');
    } else if (r.status === 'error') tc.error(r.failure?.message ?? 'error', 'adapter-error');
    else if (r.status === 'skip') tc.skipped();
  }
}

/**
 * One test case per requirement, its earned verdict: pass (with the checks that judged it and their run counts),
 * fail, or skipped with the reason (not exercised, declared deviation, known finding, not covered, not observable).
 */
function addRequirements(suite: Suite, reqs: RequirementVerdict[]): void {
  for (const r of reqs) {
    const tc = suite
      .testCase()
      .className(`tcp-conform.requirement.${r.level}`)
      .name(`${r.id} §${r.section} ${r.summary}`);
    const by = r.exercised.map((e) => `${e.check}: ${e.runs} runs, ${e.hits} judgments`).join('\n');
    if (r.verdict === 'fail') tc.failure(r.reason ?? `failed (${r.decidedBy.join(', ')})`, 'violation');
    else if (r.verdict !== 'pass') tc.skipped();
    tc.standardOutput([`verdict: ${r.verdict}${r.reason ? ` — ${r.reason}` : ''}`, by].filter(Boolean).join('\n'));
  }
}

export interface JunitInput {
  stack: string;
  /** The report card's per-requirement verdicts. */
  requirements?: RequirementVerdict[];
  results: PropertyResult[];
  verdicts: VectorVerdict[];
  tw: TimeWaitResult | undefined;
  /** Names left unfinished by an interrupt: skipped test cases saying so. */
  unfinished: string[];
  interrupted?: string;
}

export function junitXml(j: JunitInput): string {
  const b = builder();
  addProperties(b.testSuite().name(`tcp-conform properties (${j.stack})`), j.results);
  if (j.tw) addTimeWait(b, j.stack, j.tw);
  addVectors(b.testSuite().name(`tcp-conform vectors (${j.stack})`), j.verdicts);
  if (j.requirements)
    addRequirements(b.testSuite().name(`tcp-conform RFC 9293 requirements (${j.stack})`), j.requirements);
  if (j.unfinished.length) {
    const suite = b.testSuite().name(`tcp-conform not run: interrupted by ${j.interrupted ?? 'a signal'} (${j.stack})`);
    for (const n of j.unfinished) suite.testCase().className('tcp-conform.interrupted').name(n).skipped();
  }
  return b.build();
}
