// Terminal output for verdicts: the violated property, ids and section, the trace with the
// offending entry marked, expected vs actual, and the commands that replay and inspect it.
import { relative } from 'node:path';
import type { PropertyResult } from '../oracle/engine.js';
import type { Violation } from '../oracle/types.js';
import type { TraceEntry } from '../harness/trace.js';
import { toLadder } from '../trace/exports.js';

export function formatTrace(trace: TraceEntry[], mark?: number, max = 40): string[] {
  const from =
    mark === undefined ? Math.max(0, trace.length - max) : Math.max(0, Math.min(mark - max + 5, trace.length - max));
  const lines: string[] = [];
  if (from > 0) lines.push(`    … ${from} earlier entries`);
  for (let i = from; i < Math.min(trace.length, from + max); i++) {
    const e = trace[i]!;
    const arrow = e.dir === 'in' ? '-->' : e.dir === 'out' ? '<--' : '   ';
    lines.push(
      `${i === mark ? ' >>' : '   '} ${String(e.t).padStart(9)} ms ${arrow} ` +
        `${e.dir === 'in' || e.dir === 'out' ? '' : `${e.dir}: `}${e.text}${e.probe ? `   (probe ${e.probe})` : ''}`,
    );
  }
  if (from + max < trace.length) lines.push(`    … ${trace.length - from - max} later entries`);
  return lines;
}

/** A violation with its trace drawn as a ladder (RFC 9293 figure style), the offending line marked. */
export function formatViolationLadder(v: Violation, trace: TraceEntry[], maxRows = 30): string {
  const ids = v.requirements.length ? ` [${v.requirements.join(', ')}]` : '';
  const lines = [`  violated: ${v.property}${ids} — RFC 9293 ${v.section}`, `    ${v.message}`];
  lines.push(
    `    expected: ${v.allowed ?? '(see the property)'}`,
    `    actual:   ${v.offending ?? '(see the marked line)'}`,
  );
  const ladder = toLadder(trace, { mark: v.at }).trimEnd().split('\n');
  const [head, ...body] = ladder;
  const foot = body.pop()!;
  const marked = body.findIndex((l) => l.startsWith('>>'));
  const from =
    marked < 0
      ? Math.max(0, body.length - maxRows)
      : Math.max(0, Math.min(marked - maxRows + 6, body.length - maxRows));
  const shown = body.slice(from, from + maxRows);
  lines.push(
    `  ${head}`,
    ...(from > 0 ? [`      … ${from} earlier lines`] : []),
    ...shown.map((l) => `  ${l}`),
    ...(from + maxRows < body.length ? [`      … ${body.length - from - maxRows} later lines`] : []),
    `  ${foot}`,
  );
  return lines.join('\n');
}

export function formatViolation(v: Violation, trace?: TraceEntry[]): string {
  const ids = v.requirements.length ? ` [${v.requirements.join(', ')}]` : '';
  const lines = [`  violated: ${v.property}${ids} — RFC 9293 ${v.section}`, `    ${v.message}`];
  if (v.offending) lines.push(`    actual:   ${v.offending}`);
  if (v.allowed) lines.push(`    allowed:  ${v.allowed}`);
  if (trace)
    lines.push(
      '    trace (stack at 10.0.0.1; --> into the stack, <-- from it):',
      ...formatTrace(trace, v.at).map((l) => `  ${l}`),
    );
  return lines.join('\n');
}

const MARKS = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', error: 'ERROR', known: 'KNOWN' } as const;

/**
 * A property's verdict as the terminal shows it: the verdict line, declared deviations and known findings, and for
 * a failure the ladder, the seed and path, and the commands that replay and export the counterexample file.
 */
export function propertyLines(r: PropertyResult & { file?: string }, stackSpec: string, bin = 'npx tcp-conform') {
  const ids = r.requirements.length ? ` [${r.requirements.join(', ')}]` : '';
  const skip = r.status === 'skip' ? ` (${r.skipReason})` : '';
  const lines = [`${MARKS[r.status].padEnd(9)} ${r.area}/${r.property}${ids}${skip}`];
  for (const d of r.declared.filter((d, k, all) => all.findIndex((x) => x.reason === d.reason) === k)) {
    const dIds = d.requirements.length ? ` [${d.requirements.join(', ')}]` : '';
    lines.push(`          declared deviation: ${d.property}${dIds}: ${d.reason}`);
  }
  for (const k of r.known) lines.push(`          known finding ${k.finding} (${k.property}: ${k.message})`);
  if (r.status === 'error') lines.push(`  adapter error: ${r.error}`);
  const c = r.counterexample;
  if (!c) return lines;
  lines.push(formatViolationLadder(c.violations[0]!, c.trace));
  for (const v of c.violations.slice(1, 3)) {
    const vIds = v.requirements.length ? ` [${v.requirements.join(', ')}]` : '';
    lines.push(`  also violated: ${v.property}${vIds}: ${v.message}`);
  }
  if (c.violations.length > 3) lines.push(`  … and ${c.violations.length - 3} more violations`);
  const flaky = c.reproduced
    ? ''
    : ' (it did not fail again when re-run: the trace is of the failing run; timing-dependent)';
  lines.push(
    `  shrunk to ${c.scenario.actions.length} actions after ${c.shrinks} shrinks; seed ${c.seed}, path ` +
      `${JSON.stringify(c.path)}${flaky}`,
  );
  if (r.file) {
    const f = relative(process.cwd(), r.file);
    lines.push(`  counterexample: ${f}`, `  replay: ${bin} replay ${f} --stack ${stackSpec}`);
    lines.push(
      `  export: ${bin} export ${f} --pcap ${f.replace(/\.json$/, '.pcap')} --pkt ${f.replace(/\.json$/, '.pkt')} ` +
        '--ladder',
    );
  }
  return lines;
}
