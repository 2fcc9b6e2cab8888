// From a run's results to the report card's terms: what was judged, by what, with which outcome. Pure.
import { relative } from 'node:path';
import { ALL_PROPERTIES } from '../../properties/index.js';
import type { PropertyResult } from '../oracle/engine.js';
import { INVARIANTS } from '../oracle/invariants.js';
import { coverage } from '../oracle/requirements.js';
import { TIME_WAIT_CHECK, type TimeWaitResult } from '../oracle/timewait.js';
import type { Violation } from '../oracle/types.js';
import type { VectorResult } from '../trace/runner.js';
import type { Vector } from '../trace/vector.js';
import type { Judged } from './card.js';

export interface VectorVerdict {
  result: VectorResult;
  violations: Violation[];
  /** The known finding (docs/findings.md) that explains the failure. */
  known?: string;
}

export type TimeWaitVerdict = TimeWaitResult & { declaredMsl?: string };

/** Which properties (with the invariants they always run) and vectors judge each requirement. */
export function requirementCoverage(vectors: Vector[]): ReturnType<typeof coverage> {
  const invariantIds = [...new Set(INVARIANTS.flatMap((i) => i.requirements))];
  return coverage(
    [
      ...ALL_PROPERTIES,
      { name: 'invariants (every property)', requirements: invariantIds },
      { name: TIME_WAIT_CHECK, requirements: ['MUST-13'] },
    ],
    vectors,
  );
}

const uniq = (xs: string[]): string[] => [...new Set(xs)];

function judgedProperty(r: PropertyResult & { file?: string }, rel: (f?: string) => string | undefined): Judged {
  const p = ALL_PROPERTIES.find((x) => x.name === r.property);
  const vs = r.counterexample?.violations ?? [];
  return {
    kind: 'property',
    name: r.property,
    requirements: [...r.requirements, ...(p?.alsoChecks ?? [])],
    status: r.status,
    violated: uniq(vs.flatMap((v) => v.requirements)),
    declared: r.declared.map((d) => ({ requirements: d.requirements, reason: d.reason })),
    known: r.known.map((k) => ({ requirements: k.requirements, finding: k.finding })),
    ...(r.file ? { link: rel(r.file)! } : {}),
    ...(vs[0] ? { message: vs[0].message } : r.error ? { message: r.error } : {}),
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
    violated: uniq(v.violations.flatMap((x) => x.requirements)),
    declared: [],
    known: v.known ? [{ requirements, finding: v.known }] : [],
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
