// A property: a scenario generator and a judgment, tagged with RFC 9293 requirement ids. The
// invariants of invariants.ts are judged on every property's traces as well.
import type fc from 'fast-check';
import { ACK, FIN, RST, SYN, type Segment, describe } from '../wire/segment.js';
import { seqAdd } from '../wire/seq.js';
import type { ControlName, StackProfile } from '../stacks/adapter.js';
import type { TraceEntry } from '../harness/trace.js';
import type { Scenario } from '../gen/scenario.js';
import type { Tally, Violation } from './types.js';

export interface Property {
  name: string;
  /** The properties/ file it lives in. */
  area: string;
  title: string;
  /** The requirement ids of its main check (check id = the property's name). */
  requirements: string[];
  /** Further checks it makes (check id = name/sub), each with the requirement ids its verdicts count for. */
  checks?: Record<string, readonly string[]>;
  section: string;
  scenario: (profile: StackProfile) => fc.Arbitrary<Scenario>;
  /** Judge one trace; every judgment made (precondition held, behaviour compared) is counted in the tally. */
  check: (trace: TraceEntry[], profile: StackProfile, tally?: Tally) => Violation[];
  /** A reason to skip on this stack, or undefined to run. */
  skip?: (profile: StackProfile) => string | undefined;
  /** Application controls the scenarios use; a stack whose profile lacks one does not run the property. */
  needs?: readonly ControlName[];
}

/** Why a property cannot run on a stack for want of an application control, if it cannot. */
export function missingControls(p: Pick<Property, 'needs'>, profile: StackProfile): string | undefined {
  const lacking = (p.needs ?? []).filter((n) => !(profile.controls ?? []).includes(n));
  if (!lacking.length) return undefined;
  return (
    `needs the application control${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')}, which the stack's profile ` +
    'does not list (profile "controls"; a driver offers them in its hello, protocol version 2)'
  );
}

/** A property's bound helper, as the shared checks take it. */
export type Checker = ReturnType<typeof violations>;

type Checked = Pick<Property, 'name' | 'requirements' | 'section' | 'checks'>;

/** The check ids a property makes and the requirement ids each counts for. */
export function checksOf(p: Checked): Array<{ id: string; requirements: readonly string[] }> {
  return [
    { id: p.name, requirements: p.requirements },
    ...Object.entries(p.checks ?? {}).map(([sub, requirements]) => ({ id: `${p.name}/${sub}`, requirements })),
  ];
}

/** Helper bound to one property: counts its judgments and makes violations carrying the check's ids. */
export function violations(p: Checked, tally?: Tally) {
  const out: Violation[] = [];
  const reqs = (sub?: string): readonly string[] => {
    if (sub === undefined) return p.requirements;
    const r = p.checks?.[sub];
    if (!r) throw new Error(`property ${p.name} has no check ${sub}`);
    return r;
  };
  const id = (sub?: string): string => {
    reqs(sub); // an undeclared sub-check is a bug in the property: fail loudly
    return sub === undefined ? p.name : `${p.name}/${sub}`;
  };
  return {
    out,
    /** Count one judgment of the main check, or of sub-check `sub`. */
    hit(sub?: string, n = 1): void {
      tally?.hit(id(sub), n);
    },
    flag(at: number, message: string, offending?: string, allowed?: string, sub?: string): void {
      out.push({
        property: p.name,
        check: id(sub),
        requirements: [...reqs(sub)],
        section: p.section,
        message,
        at,
        ...(offending ? { offending } : {}),
        ...(allowed ? { allowed } : {}),
      });
    },
  };
}

const isInput = (e: TraceEntry): boolean => e.dir === 'in' || e.dir === 'call' || e.dir === 'time';

/** Everything the stack emitted in response to entry i: up to the next input. */
export function responses(
  trace: TraceEntry[],
  i: number,
): { segs: Array<{ at: number; seg: Segment }>; events: TraceEntry[] } {
  const segs: Array<{ at: number; seg: Segment }> = [];
  const events: TraceEntry[] = [];
  for (let j = i + 1; j < trace.length && !isInput(trace[j]!); j++) {
    const e = trace[j]!;
    if (e.dir === 'out' && e.seg) segs.push({ at: j, seg: e.seg });
    if (e.dir === 'event') events.push(e);
  }
  return { segs, events };
}

/**
 * Segments the stack emitted within ms after entry i (crossing time advances, stopping at other inputs unless through
 * is set).
 */
export function within(trace: TraceEntry[], i: number, ms: number): Array<{ at: number; seg: Segment }> {
  const t0 = trace[i]!.t;
  const out: Array<{ at: number; seg: Segment }> = [];
  for (let j = i + 1; j < trace.length; j++) {
    const e = trace[j]!;
    if (e.t - t0 > ms) break;
    if (e.dir === 'out' && e.seg) out.push({ at: j, seg: e.seg });
  }
  return out;
}

export const probes = (trace: TraceEntry[], name: string): number[] =>
  trace.flatMap((e, i) => (e.dir === 'in' && e.probe === name ? [i] : []));

/** The time a trace covers: a time entry is stamped before its advance, so add it. */
export const traceEnd = (trace: TraceEntry[]): number => trace.reduce((m, e) => Math.max(m, e.t + (e.ms ?? 0)), 0);

/** Emitted segments as one line of text, or "(nothing)". */
export const showSegs = (segs: Array<{ seg: Segment }>): string =>
  segs.map((s) => describe(s.seg)).join(' | ') || '(nothing)';

/**
 * Judge the answer to an ACK-bearing segment that must be <SEQ=SEG.ACK><CTL=RST> (§3.5.2 case 1,
 * §3.10.7.1, §3.10.7.2, §3.10.7.3): 'ok'; 'ack-bit' when the one RST is right but for a set ACK bit;
 * otherwise a message. `also` lets other segments through (e.g. a SYN-SENT stack re-sending its SYN).
 */
export function rstAnswer(
  segs: Array<{ seg: Segment }>,
  seq: number,
  also: (s: Segment) => boolean = () => false,
): 'ok' | 'ack-bit' | 'wrong' {
  const rsts = segs.filter((s) => s.seg.flags & RST);
  const others = segs.filter((s) => !(s.seg.flags & RST));
  if (rsts.length !== 1 || rsts[0]!.seg.seq !== seq || others.some((s) => !also(s.seg))) return 'wrong';
  const f = rsts[0]!.seg.flags & (SYN | ACK | RST | FIN);
  return f === RST ? 'ok' : f === (RST | ACK) ? 'ack-bit' : 'wrong';
}

/**
 * Marks a violation at exactly SEG.SEQ = RCV.NXT+RCV.WND, the first sequence number outside the window (§3.4 Table 5).
 */
export const RIGHT_EDGE =
  'at the right edge RCV.NXT+RCV.WND (the largest window the stack may have), which is outside the window';

/** The message for an 'ack-bit' answer. */
export const RST_ACK_BIT =
  'the RST carries an ACK bit: for an ACK-bearing segment the form is <SEQ=SEG.ACK><CTL=RST> without one';

/**
 * May the stack leave out the ACK owed for entry i (challenge ACK, ACK of an unacceptable segment)?
 * Yes when its profile throttles such ACKs (RFC 5961 §7) and it sent a bare ACK on the same
 * connection within that time before.
 */
export function ackThrottled(trace: TraceEntry[], i: number, profile: StackProfile): boolean {
  const limit = profile.ackRateLimitMs;
  const seg = trace[i]?.seg;
  if (!limit || !seg) return false;
  for (let j = i - 1; j >= 0 && trace[i]!.t - trace[j]!.t < limit; j--) {
    const s = trace[j]!.seg;
    if (
      trace[j]!.dir === 'out' &&
      s &&
      (s.flags & (ACK | SYN | FIN | RST)) === ACK &&
      s.payload.length === 0 &&
      s.dstPort === seg.srcPort &&
      s.dst === seg.src
    )
      return true;
  }
  return false;
}

/** Is seg a SYN,ACK (no RST) acknowledging the SYN `syn`? */
export const isSynAckFor = (seg: Segment, syn: Segment): boolean =>
  (seg.flags & (SYN | ACK | RST)) === (SYN | ACK) && seg.ack === seqAdd(syn.seq, 1);
