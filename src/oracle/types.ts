// What the oracle reports.
import type { StackProfile } from '../stacks/adapter.js';
import type { TraceEntry } from '../harness/trace.js';

export interface Violation {
  /** The property that was violated (an invariant name or a property name). */
  property: string;
  requirements: string[];
  section: string;
  message: string;
  /** Index of the offending trace entry. */
  at: number;
  /** The offending segment or event, as text. */
  offending?: string;
  /** What the RFC allowed instead. */
  allowed?: string;
}

/** A trace judgment: returns every violation it finds. */
export type Judge = (trace: TraceEntry[], profile: StackProfile) => Violation[];
