// From a run's results to the report card's terms: what was judged, by what, with which outcome. Pure.
import { relative } from 'node:path';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { checksOf } from '../oracle/property.js';
import { TRACKER } from '../oracle/tracker.js';
import { DUE_RULES, DUE_RULE_IDS, RULES, RULE_IDS, SEND_RULES, SEND_RULE_IDS } from '../model/rules.js';
import type { Exercised, PropertyResult } from '../oracle/engine.js';
import { INVARIANTS } from '../oracle/invariants.js';
import { coverage } from '../oracle/requirements.js';
import { SHORTER_MSL, TIME_WAIT_CHECK, type TimeWaitResult } from '../oracle/timewait.js';
import type { Violation } from '../oracle/types.js';
import type { VectorResult } from '../trace/runner.js';
import type { Vector } from '../trace/vector.js';
import type { Judged } from './card.js';

export interface VectorVerdict {
  result: VectorResult;
  /** Vectors judged by properties' checks: what those checks (and the invariants) exercised on its trace. */
  exercised?: Exercised;
  violations: Violation[];
  /** The known finding (docs/findings.md) that explains the failure. */
  known?: string;
}

export type TimeWaitVerdict = TimeWaitResult & { declaredMsl?: string };

/** The checks that are not a property's: the wire checks on every emitted segment, and the crash verdict. */
const WIRE_CHECKS = [
  { id: 'wire-checksum', requirements: ['MUST-2'] },
  { id: 'wire-format', requirements: [] },
  { id: 'option-length', requirements: ['MUST-68'] },
  { id: 'option-padding', requirements: ['MUST-69'] },
  { id: 'stack-crashed', requirements: [] },
];

/** Every check the run can make, with the requirement ids it counts for: the only source of those ids. */
export function checkCatalog(vectors: Array<{ name: string; requirements: string[] }>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const p of ALL_PROPERTIES) for (const c of checksOf(p)) m.set(c.id, [...c.requirements]);
  for (const i of INVARIANTS) m.set(i.name, [...i.requirements]);
  for (const w of WIRE_CHECKS) m.set(w.id, w.requirements);
  for (const r of RULE_IDS) m.set(`${TRACKER}/${r}`, [...RULES[r].requirements]);
  for (const r of SEND_RULE_IDS) m.set(`${TRACKER}/${r}`, [...SEND_RULES[r].requirements]);
  for (const r of DUE_RULE_IDS) m.set(`${TRACKER}/${r}`, [...DUE_RULES[r].requirements]);
  m.set(TIME_WAIT_CHECK, ['MUST-13']);
  m.set(SHORTER_MSL, ['MUST-13']);
  for (const v of vectors) m.set(`vector:${v.name}`, v.requirements);
  return m;
}

/** Which checks and vectors judge each requirement (from the catalog), and the properties that own those checks. */
export function requirementCoverage(vectors: Vector[]): ReturnType<typeof coverage> {
  const owner = new Map<string, string>();
  for (const p of ALL_PROPERTIES) for (const c of checksOf(p)) owner.set(c.id, p.name);
  const cov = coverage(checkCatalog(vectors));
  for (const c of cov.values()) {
    c.properties = uniq(c.checks.flatMap((id) => owner.get(id) ?? []));
    c.alwaysOn = c.checks.some((id) => !owner.has(id));
  }
  return cov;
}

const uniq = (xs: string[]): string[] => [...new Set(xs)];

function judgedProperty(r: PropertyResult & { file?: string }, rel: (f?: string) => string | undefined): Judged {
  const vs = r.counterexample?.violations ?? [];
  return {
    kind: 'property',
    name: r.property,
    requirements: uniq(vs.flatMap((v) => v.requirements)),
    status: r.status,
    violated: uniq(vs.flatMap((v) => v.requirements)),
    declared: r.declared.map((d) => ({ requirements: d.requirements, reason: d.reason })),
    known: r.known.map((k) => ({ requirements: k.requirements, finding: k.finding })),
    exercised: r.exercised ?? {},
    ...(r.file ? { link: rel(r.file)! } : {}),
    ...(vs[0]
      ? { message: vs[0].message }
      : r.error
        ? { message: r.error }
        : r.skipReason
          ? { message: r.skipReason }
          : {}),
  };
}

function judgedTimeWait(tw: TimeWaitVerdict): Judged {
  return {
    kind: 'check',
    name: TIME_WAIT_CHECK,
    requirements: ['MUST-13'],
    status: tw.status,
    violated: tw.violations.length ? ['MUST-13'] : [],
    declared: tw.declaredMsl ? [{ requirements: ['MUST-13'], reason: tw.declaredMsl }] : [],
    known: [],
    exercised: tw.measuredMs === undefined ? {} : { [TIME_WAIT_CHECK]: { runs: 1, hits: 1 } },
    message: tw.message,
  };
}

function judgedVector(v: VectorVerdict, vectors: Vector[], rel: (f?: string) => string | undefined): Judged {
  const requirements = vectors.find((x) => x.name === v.result.name)?.requirements ?? [];
  return {
    kind: 'vector',
    name: v.result.name,
    requirements,
    status: v.known ? 'known' : v.result.status,
    // A vector whose own expectations failed (no oracle violation) fails what it is tagged with.
    violated:
      v.result.status === 'fail' && v.violations.length === 0
        ? requirements
        : uniq(v.violations.flatMap((x) => x.requirements)),
    declared: [],
    known: v.known ? [{ requirements, finding: v.known }] : [],
    // A vector judged by properties' checks earns what those checks exercised; one judged by its own expectations
    // alone exercised everything it is tagged with, once, when it passed.
    exercised: v.result.status !== 'pass' ? {} : (v.exercised ?? { [`vector:${v.result.name}`]: { runs: 1, hits: 1 } }),
    ...(v.result.file ? { link: rel(v.result.file)! } : {}),
    ...(v.result.failure ? { message: v.result.failure.message } : {}),
  };
}

/** Everything the run judged, in the report card's terms; links relative to the report's folder. */
export function judgedOf(
  results: Array<PropertyResult & { file?: string }>,
  verdicts: VectorVerdict[],
  vectors: Vector[],
  tw: TimeWaitVerdict | undefined,
  base: string,
): Judged[] {
  const rel = (f?: string): string | undefined => (f ? relative(base, f) : undefined);
  return [
    ...results.map((r) => judgedProperty(r, rel)),
    ...(tw ? [judgedTimeWait(tw)] : []),
    ...verdicts.map((v) => judgedVector(v, vectors, rel)),
  ];
}
