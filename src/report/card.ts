// The report card: one verdict per RFC 9293 requirement, decided by the properties, checks and
// vectors that judge it, as data (JSON), Markdown and HTML. Pure: the CLI writes the files.
import escapeHtml from 'escape-html';
import type { StackProfile } from '../stacks/adapter.js';
import { profileLine } from '../stacks/profile.js';
import { RULES, RULE_IDS, SEND_RULES, SEND_RULE_IDS } from '../model/rules.js';
import { type Coverage, REQUIREMENTS, type Requirement } from '../oracle/requirements.js';
import { verdictChart } from './chart.js';

export type Verdict =
  | 'pass'
  | 'not exercised'
  | 'fail'
  | 'declared deviation'
  | 'known finding'
  | 'not run'
  | 'not covered'
  | 'not observable';

/** One judged item of a run: a property, a check or a vector. */
export interface Judged {
  kind: 'property' | 'check' | 'vector';
  name: string;
  /** The requirement ids it is tagged with. */
  requirements: string[];
  status: 'pass' | 'fail' | 'skip' | 'error' | 'known';
  /** Requirement ids of the violations that failed it (a property may flag ids beyond its own tags). */
  violated: string[];
  declared: Array<{ requirements: string[]; reason: string }>;
  known: Array<{ requirements: string[]; finding: string }>;
  /** Per check id: in how many runs it judged something, and how many judgments. */
  exercised: Record<string, { runs: number; hits: number }>;
  /** The counterexample or vector file to open, relative to the report. */
  link?: string;
  message?: string;
}

export interface RequirementVerdict {
  id: string;
  level: Requirement['level'];
  section: string;
  summary: string;
  verdict: Verdict;
  /** What decided the verdict (property, check or vector names), or the reason nothing judges it. */
  decidedBy: string[];
  reason?: string;
  link?: string;
  checkedBy: Coverage;
  /** The checks that judged it in this run, with the runs that exercised each (summed over properties). */
  exercised: Array<{ check: string; runs: number; hits: number }>;
  /** Runs that exercised it in total. */
  runs: number;
}

export interface CardHeader {
  stack: string;
  profile: StackProfile;
  seed: number;
  runs: number;
  strict: boolean;
  date: string;
  elapsedMs: number;
  totals: { passed: number; failed: number; known: number; skipped: number };
  /** The run was interrupted by this signal: the card shows only what finished. */
  interrupted?: string;
  notRun?: string[];
}

export interface ReportCard {
  header: CardHeader;
  requirements: RequirementVerdict[];
  counts: Record<Verdict, number>;
  /** The model's named rules, reply and sending (src/model/rules.ts), and the runs the tracker judged each in. */
  rules: Array<{ rule: string; section: string; runs: number }>;
}

function ruleRuns(judged: Judged[]): ReportCard['rules'] {
  const all = [
    ...RULE_IDS.map((rule) => ({ rule, section: RULES[rule].section })),
    ...SEND_RULE_IDS.map((rule) => ({ rule, section: SEND_RULES[rule].section })),
  ];
  return all.map(({ rule, section }) => ({
    rule,
    section,
    runs: judged.reduce((n, j) => n + (j.exercised[`tracker/${rule}`]?.runs ?? 0), 0),
  }));
}

const rulesLine = (c: ReportCard): string => {
  const used = c.rules.filter((r) => r.runs > 0);
  const unused = c.rules.filter((r) => r.runs === 0).map((r) => r.rule);
  return (
    `${used.length} of ${c.rules.length} judged by the tracker (${used.map((r) => `${r.rule} ${r.runs}`).join(', ')}` +
    `${unused.length ? `; not reached: ${unused.join(', ')}` : ''})`
  );
};

/** A requirement passes only when its checks judged it in at least this many runs (a passing vector counts one). */
export const MIN_EXERCISED_RUNS = 3;

const EARNED =
  `a requirement passes only when the checks that count for it judged it in at least ${MIN_EXERCISED_RUNS} runs ` +
  '(a passing vector counts one), and none failed; "not exercised" means they ran but never reached it. ' +
  '"Decided by" lists each check with the runs that exercised it.';

export const VERDICTS: Verdict[] = [
  'pass',
  'not exercised',
  'fail',
  'declared deviation',
  'known finding',
  'not run',
  'not covered',
  'not observable',
];

/** The checks of this run that count for a requirement (its coverage), summed over everything judged. */
function exerciseOf(judged: Judged[], checkedBy: Coverage): RequirementVerdict['exercised'] {
  const mine = new Set([...checkedBy.checks, ...checkedBy.vectors.map((v) => `vector:${v}`)]);
  const sum = new Map<string, { runs: number; hits: number }>();
  for (const j of judged)
    for (const [check, e] of Object.entries(j.exercised)) {
      if (!mine.has(check)) continue;
      const t = sum.get(check) ?? { runs: 0, hits: 0 };
      sum.set(check, { runs: t.runs + e.runs, hits: t.hits + e.hits });
    }
  return [...sum].map(([check, e]) => ({ check, ...e })).sort((a, b) => b.runs - a.runs);
}

/** The verdict once nothing failed and nothing is declared or known: earned, partial, or not reached. */
function unfailed(
  r: Requirement,
  ex: RequirementVerdict['exercised'],
  ran: boolean | Judged[],
): Pick<RequirementVerdict, 'verdict' | 'decidedBy' | 'reason'> {
  const runs = ex.reduce((n, e) => n + e.runs, 0);
  const missing = (r.needs ?? []).filter((c) => !ex.some((e) => e.check === c));
  const by = ex.map((e) => `${e.check} (${e.runs} runs)`);
  // A gap means the checks judge only part of it: they can fail it, never pass it.
  if (r.gap)
    return {
      verdict: r.gap.kind === 'not-covered' ? 'not covered' : 'not observable',
      decidedBy: by,
      reason: r.gap.reason,
    };
  if (runs >= MIN_EXERCISED_RUNS && missing.length === 0) return { verdict: 'pass', decidedBy: by };
  if (ran === false) return { verdict: 'not run', decidedBy: [], reason: 'no check that judges it ran (--only?)' };
  if (Array.isArray(ran)) {
    const why = [...new Set(ran.map((j) => j.message ?? 'skipped'))].join('; ');
    return { verdict: 'not run', decidedBy: ran.map((j) => `${j.kind} ${j.name}`), reason: why };
  }
  const why = missing.length
    ? `never exercised: ${missing.join(', ')}${missing.map((c) => NEEDS_WHY[c] ?? '').join('')}`
    : runs === 0
      ? `its checks ran but no run reached what they judge${UNREACHED_WHY[r.id] ?? ''}`
      : `exercised in ${runs} run${runs === 1 ? '' : 's'}, fewer than the ${MIN_EXERCISED_RUNS} a pass needs`;
  return { verdict: 'not exercised', decidedBy: by, reason: why };
}

/** Why a requirement may be out of reach on a stack: a permission judged only where the profile claims it. */
const UNREACHED_WHY: Record<string, string> = {
  'MAY-12': ' (judged only for a stack whose profile declares ackRangeCheck)',
  'MUST-69': ' (no segment of the stack had octets after an EOL: a stack that never pads there gives none to judge)',
  'MAY-15': ' (judged only for a stack that offers the push control: a SEND with a PUSH flag)',
  'MAY-17': ' (judged only for a stack whose profile declares pushEvents: RECEIVE passes PSH on)',
  'SHLD-24': ' (judged only where the stack answered a SYN that came along a source route)',
};

const NEEDS_WHY: Record<string, string> = {
  'mss-sent': ' (the stack sent no MSS option on any SYN)',
};

/**
 * Whether anything that judges a requirement ran: false when nothing ran at all; the skipped properties (with their
 * reasons) when its checks all belong to properties that were skipped on this stack; true otherwise.
 */
function ranFor(judged: Judged[], cov: Coverage): boolean | Judged[] {
  if (!judged.some((j) => j.status !== 'skip')) return false;
  if (cov.vectors.length || cov.alwaysOn !== false || cov.properties === undefined) return true;
  const owners = judged.filter((j) => j.kind === 'property' && cov.properties!.includes(j.name));
  if (owners.length === 0) return false; // left out of this run (--only)
  return owners.some((j) => j.status !== 'skip') ? true : owners;
}

export function buildCard(header: CardHeader, judged: Judged[], cov: Map<string, Coverage>): ReportCard {
  const requirements = REQUIREMENTS.map((r): RequirementVerdict => {
    const checkedBy = cov.get(r.id) ?? { checks: [], vectors: [] };
    const exercised = exerciseOf(judged, checkedBy);
    const runs = exercised.reduce((n, e) => n + e.runs, 0);
    const base = { id: r.id, level: r.level, section: r.section, summary: r.summary, checkedBy, exercised, runs };
    const failed = judged.filter((j) => (j.status === 'fail' || j.status === 'error') && j.violated.includes(r.id));
    if (failed.length)
      return {
        ...base,
        verdict: 'fail',
        decidedBy: failed.map((j) => `${j.kind} ${j.name}`),
        ...(failed[0]!.link ? { link: failed[0]!.link } : {}),
        ...(failed[0]!.message ? { reason: failed[0]!.message } : {}),
      };
    const declared = judged.flatMap((j) =>
      j.declared.filter((d) => d.requirements.includes(r.id)).map((d) => ({ j, d })),
    );
    if (declared.length)
      return {
        ...base,
        verdict: 'declared deviation',
        decidedBy: [...new Set(declared.map((x) => `${x.j.kind} ${x.j.name}`))],
        reason: declared[0]!.d.reason,
      };
    const known = judged.flatMap((j) => j.known.filter((k) => k.requirements.includes(r.id)).map((k) => ({ j, k })));
    if (known.length)
      return {
        ...base,
        verdict: 'known finding',
        decidedBy: [...new Set(known.map((x) => `${x.j.kind} ${x.j.name}`))],
        reason: known[0]!.k.finding,
      };
    // Nothing in the suite judges it (no gap was written for it): not covered, never "not exercised".
    if (!r.gap && checkedBy.checks.length === 0 && checkedBy.vectors.length === 0)
      return {
        ...base,
        verdict: 'not covered',
        decidedBy: [],
        reason: 'no rule, check or vector of the suite judges it',
      };
    return { ...base, ...unfailed(r, exercised, ranFor(judged, checkedBy)) };
  });
  const counts = Object.fromEntries(
    VERDICTS.map((v) => [v, requirements.filter((r) => r.verdict === v).length]),
  ) as Record<Verdict, number>;
  return { header, requirements, counts, rules: ruleRuns(judged) };
}

const ICON: Record<Verdict, string> = {
  pass: '✅ pass',
  'not exercised': '◌ not exercised',
  fail: '❌ fail',
  'declared deviation': '⚠️ declared deviation',
  'known finding': '🔎 known finding',
  'not run': '⏸ not run',
  'not covered': '➖ not covered',
  'not observable': '👁 not observable',
};

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function cardMarkdown(c: ReportCard): string {
  const h = c.header;
  const lines = [
    `# tcp-conform report card: ${h.stack}`,
    '',
    `- **Stack** ${h.stack} — ${profileLine(h.profile)}`,
    `- **Run** seed ${h.seed}, ${h.runs} scenarios per property${h.strict ? ', strict' : ''}, ` +
      `${Math.round(h.elapsedMs / 1000)} s, ${h.date}`,
    `- **Totals** ${h.totals.passed} passed, ${h.totals.failed} failed, ${h.totals.known} known findings, ` +
      `${h.totals.skipped} skipped`,
    ...(h.interrupted
      ? [`- **Interrupted** by ${h.interrupted}: ${h.notRun?.length ?? 0} not run (${(h.notRun ?? []).join(', ')})`]
      : []),
    `- **Requirements** ${VERDICTS.map((v) => `${c.counts[v]} ${v}`).join(' · ')} (of ${c.requirements.length})`,
    `- **Earned** ${EARNED}`,
    `- **Model rules** ${rulesLine(c)}`,
  ];
  if (h.profile.deviations.length)
    lines.push(
      `- **Declared deviations** ${h.profile.deviations.map((d) => `${d.requirement}: ${d.reason}`).join('; ')}`,
    );
  lines.push(
    '',
    '| Requirement | Level | Section | Summary | Verdict | Decided by | Details |',
    '|---|---|---|---|---|---|---|',
  );
  for (const r of c.requirements) {
    const detail = r.link ? `[counterexample](${r.link})${r.reason ? ` ${r.reason}` : ''}` : (r.reason ?? '');
    lines.push(
      `| ${r.id} | ${r.level} | §${r.section} | ${mdCell(r.summary)} | ${ICON[r.verdict]} | ` +
        `${mdCell(r.decidedBy.join(', '))} | ${mdCell(detail)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const COLOR: Record<Verdict, string> = {
  pass: '#d7f5dd',
  'not exercised': '#e6eefc',
  fail: '#ffd6d6',
  'declared deviation': '#fff1c2',
  'known finding': '#e8dcff',
  'not run': '#eeeeee',
  'not covered': '#f4f4f4',
  'not observable': '#f4f4f4',
};

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:2em}',
  'table{border-collapse:collapse;font-size:14px}',
  'td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}',
].join('');
const HEADINGS = ['Requirement', 'Level', 'Section', 'Summary', 'Verdict', 'Decided by', 'Details'];

function htmlRow(r: RequirementVerdict, e: (s: string) => string): string {
  const link = r.link ? `<a class="counterexample" href="${e(r.link)}">counterexample</a> ` : '';
  const detail = `${link}${e(r.reason ?? '')}`;
  const cells = [r.id, r.level, `§${r.section}`, r.summary, r.verdict, r.decidedBy.join(', ')].map(
    (x) => `<td>${e(x)}</td>`,
  );
  const attrs = `id="${e(r.id)}" data-verdict="${e(r.verdict)}" style="background:${COLOR[r.verdict]}"`;
  return `<tr ${attrs}>${cells.join('')}<td>${detail}</td></tr>`;
}

function htmlHeader(c: ReportCard, e: (s: string) => string): string[] {
  const h = c.header;
  const t = h.totals;
  const run = `seed ${h.seed}, ${h.runs} scenarios per property${h.strict ? ', strict' : ''}`;
  const items = [
    `<li><b>Profile</b> ${e(profileLine(h.profile))}</li>`,
    `<li><b>Run</b> ${run}, ${Math.round(h.elapsedMs / 1000)} s, ${e(h.date)}</li>`,
    `<li><b>Totals</b> ${t.passed} passed, ${t.failed} failed, ${t.known} known findings, ${t.skipped} skipped</li>`,
  ];
  if (h.interrupted) {
    const notRun = h.notRun ?? [];
    items.push(
      `<li><b>Interrupted</b> by ${e(h.interrupted)}: ${notRun.length} not run (${e(notRun.join(', '))})</li>`,
    );
  }
  const counts = VERDICTS.map((v) => `${c.counts[v]} ${v}`).join(' · ');
  items.push(`<li><b>Requirements</b> ${e(counts)} (of ${c.requirements.length})</li>`);
  items.push(`<li><b>Earned</b> ${e(EARNED)}</li>`);
  items.push(`<li><b>Model rules</b> ${e(rulesLine(c))}</li>`);
  for (const d of h.profile.deviations)
    items.push(`<li><b>Declared deviation</b> ${e(d.requirement)}: ${e(d.reason)}</li>`);
  return items;
}

export function cardHtml(c: ReportCard): string {
  const e = (s: string): string => escapeHtml(s);
  const title = `tcp-conform report card: ${e(c.header.stack)}`;
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${title}</title>`,
    `<style>${STYLE}</style></head>`,
    `<body><h1>${title}</h1>`,
    `<ul>${htmlHeader(c, e).join('\n')}</ul>`,
    `<figure>${verdictChart(c.requirements, VERDICTS)}<figcaption>Verdicts by part of RFC 9293</figcaption></figure>`,
    `<table class="requirements"><thead><tr>${HEADINGS.map((x) => `<th>${x}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...c.requirements.map((r) => htmlRow(r, e)),
    '</tbody></table></body></html>',
    '',
  ].join('\n');
}
