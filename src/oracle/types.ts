// What the oracle reports.
import type { StackProfile } from '../stacks/adapter.js';
import type { TraceEntry } from '../harness/trace.js';

export interface Violation {
  /** The property that was violated (an invariant name or a property name). */
  property: string;
  /** The check that found it (its cause): a property's check id, an invariant, or a whole-run check. */
  check: string;
  requirements: string[];
  section: string;
  message: string;
  /** Index of the offending trace entry. */
  at: number;
  /** The offending segment or event, as text. */
  offending?: string;
  /** What the RFC allowed instead. */
  allowed?: string;
  /** The stack's state when it happened, where the check knows it (the tracker does). */
  state?: string;
}

/** A trace judgment: returns every violation it finds. */
export type Judge = (trace: TraceEntry[], profile: StackProfile, tally?: Tally) => Violation[];

/**
 * What one trace exercised: check id → how many times it judged something. A check counts when its precondition
 * held and it compared the stack's behaviour with what RFC 9293 allows, whatever the outcome.
 */
export class Tally {
  readonly hits = new Map<string, number>();

  hit(check: string, n = 1): void {
    if (n > 0) this.hits.set(check, (this.hits.get(check) ?? 0) + n);
  }

  add(other: Tally): void {
    for (const [k, n] of other.hits) this.hit(k, n);
  }
}

/** A named check: what it judges, and the requirement ids its verdicts count for. */
export interface CheckInfo {
  id: string;
  requirements: readonly string[];
  section: string;
  title: string;
}
