// The report card's picture: one bar per part of RFC 9293, split by verdict, as inline SVG. Pure.
import escapeHtml from 'escape-html';
import type { RequirementVerdict, Verdict } from './card.js';

/** The parts of RFC 9293 the requirements fall in, by section number prefix, with the section titles. */
const PARTS: Array<[string, string]> = [
  ['3.1', 'Header format'],
  ['3.2', 'Option definitions'],
  ['3.3', 'Terminology'],
  ['3.4', 'Sequence numbers'],
  ['3.5', 'Establishing a connection'],
  ['3.6', 'Closing a connection'],
  ['3.7', 'Segmentation'],
  ['3.8.1', 'Retransmission timeout'],
  ['3.8.2', 'Congestion control'],
  ['3.8.3', 'Connection failures'],
  ['3.8.4', 'Keep-alives'],
  ['3.8.5', 'Urgent information'],
  ['3.8.6', 'Managing the window'],
  ['3.9.1', 'User/TCP interface'],
  ['3.9.2', 'TCP/lower-level interface'],
  ['3.10', 'Event processing'],
];

/** Bar colours, one per verdict (stronger than the table's row tints). */
export const BAR_COLOR: Record<Verdict, string> = {
  pass: '#2e9e4f',
  'not exercised': '#7ea6e0',
  fail: '#d63b3b',
  'declared deviation': '#e0b228',
  'known finding': '#9a6dd7',
  'not run': '#9e9e9e',
  'not covered': '#cfcfcf',
  'not observable': '#e4e4e4',
};

const inPart = (section: string, prefix: string): boolean => section === prefix || section.startsWith(`${prefix}.`);

/** The part a section belongs to: the longest matching prefix (3.8.6.2.1 is in 3.8.6), or its own number. */
export function partOf(section: string): string {
  const hits = PARTS.filter(([p]) => inPart(section, p)).sort((a, b) => b[0].length - a[0].length);
  return hits[0]?.[0] ?? section;
}

const LABEL_W = 230;
const BAR_W = 520;
const ROW_H = 22;

/** Verdicts by part of RFC 9293: a stacked bar per part, widths by count, each segment titled for hovering. */
export function verdictChart(rows: RequirementVerdict[], order: readonly Verdict[]): string {
  const parts = [...new Set(rows.map((r) => partOf(r.section)))];
  const known = PARTS.map(([p]) => p).filter((p) => parts.includes(p));
  const ordered = [...known, ...parts.filter((p) => !known.includes(p))];
  const most = Math.max(1, ...ordered.map((p) => rows.filter((r) => partOf(r.section) === p).length));
  const bars = ordered.map((p, i) =>
    bar(
      p,
      rows.filter((r) => partOf(r.section) === p),
      order,
      i,
      most,
    ),
  );
  const legendY = ordered.length * ROW_H + 14;
  const legend = order.map((v, i) => {
    const x = (i % 4) * 190;
    const y = legendY + Math.floor(i / 4) * 18;
    return (
      `<rect x="${x}" y="${y}" width="12" height="12" fill="${BAR_COLOR[v]}"/>` +
      `<text x="${x + 17}" y="${y + 10}">${escapeHtml(v)}</text>`
    );
  });
  const height = legendY + Math.ceil(order.length / 4) * 18 + 4;
  const width = LABEL_W + BAR_W + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="verdict-chart" role="img" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="system-ui,sans-serif" font-size="12">`,
    '<title>Verdicts by part of RFC 9293</title>',
    ...bars,
    ...legend,
    '</svg>',
  ].join('\n');
}

function bar(part: string, rows: RequirementVerdict[], order: readonly Verdict[], i: number, most: number): string {
  const title = PARTS.find(([p]) => p === part)?.[1] ?? '';
  const y = i * ROW_H;
  const out = [`<g data-part="${escapeHtml(part)}">`, `<text x="0" y="${y + 14}">§${part} ${escapeHtml(title)}</text>`];
  let x = LABEL_W;
  for (const v of order) {
    const n = rows.filter((r) => r.verdict === v).length;
    if (n === 0) continue;
    const w = (n / most) * BAR_W;
    const ids = rows.filter((r) => r.verdict === v).map((r) => r.id);
    out.push(
      `<rect data-verdict="${escapeHtml(v)}" data-count="${n}" x="${x.toFixed(1)}" y="${y + 3}" ` +
        `width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${BAR_COLOR[v]}">` +
        `<title>§${part}: ${n} ${escapeHtml(v)} (${ids.join(', ')})</title></rect>`,
    );
    x += w;
  }
  out.push(`<text x="${(x + 6).toFixed(1)}" y="${y + 14}">${rows.length}</text>`, '</g>');
  return out.join('');
}
