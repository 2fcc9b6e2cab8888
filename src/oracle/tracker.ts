// The tracker, first slice: the RFC 9293 model judges every segment that reaches an ESTABLISHED connection of the
// stack whose receive state the wire shows exactly. For each such segment it builds candidate TCBs from what the
// stack chose (its ISN, SND.NXT, the RCV.NXT and window it advertised — and the larger window its buffer may
// hold), steps the model once per candidate, and asks the stack for what some candidate's rule owes: a challenge
// or window ACK, silence, a reset told to the application. A rule the tracker cannot judge on any candidate
// leaves the segment unjudged; nothing is predicted that RFC 9293 leaves to the stack.
import { DEFAULT_CONFIG } from '../model/config.js';
import { RULES, type RuleId } from '../model/rules.js';
import { step as modelStep } from '../model/step.js';
import { createTcb } from '../model/tcb.js';
import type { StepResult, Tcb } from '../model/types.js';
import type { TraceEntry } from '../harness/trace.js';
import type { StackProfile } from '../stacks/adapter.js';
import { ACK, RST, SYN, type Segment, describe } from '../wire/segment.js';
import { seqAdd, seqDelta } from '../wire/seq.js';
import { ackThrottled } from './property.js';
import { type ConnShadow, ShadowWalker, keyOfIn, keyOfOut } from './shadow.js';
import type { Tally, Violation } from './types.js';

export const TRACKER = 'tracker';
type Step = (t: Tcb, ev: { type: 'segment'; seg: Segment }, now: number) => StepResult;

/** What a rule owes, as the wire and the application interface can show it. */
type Want = { kind: 'ack'; ack: number } | { kind: 'silent' } | { kind: 'reset'; rst: boolean };

const WANT: Record<RuleId, (rcvNxt: number) => Want> = {
  'unacceptable-ack': (ack) => ({ kind: 'ack', ack }),
  'ack-unsent': (ack) => ({ kind: 'ack', ack }),
  'rst-challenge-ack': (ack) => ({ kind: 'ack', ack }),
  'syn-challenge-ack': (ack) => ({ kind: 'ack', ack }),
  'rst-outside-window': () => ({ kind: 'silent' }),
  'rst-resets': () => ({ kind: 'reset', rst: false }),
  'syn-resets': () => ({ kind: 'reset', rst: true }),
};

/** The connection is ESTABLISHED on the wire and everything that reached it in order is acknowledged. */
function exact(c: ConnShadow | undefined): c is ConnShadow & { stackIss: number; peerIss: number; lastAck: number } {
  return (
    !!c &&
    c.conn !== undefined &&
    c.established &&
    c.synAcked &&
    !c.mayHaveEnded &&
    c.stackIss !== undefined &&
    c.peerIss !== undefined &&
    c.lastAck !== undefined &&
    c.lastWin !== undefined &&
    c.stackFinOff === undefined &&
    c.peerFinEnd === undefined &&
    seqDelta(c.lastAck, c.peerIss) === c.covEnd()
  );
}

/** Candidate TCBs: the state the stack's own segments bound, under each receive window it may have. */
function candidates(
  c: ConnShadow & { stackIss: number; peerIss: number; lastAck: number },
  seg: Segment,
  rfc5961: boolean,
): Tcb[] {
  const windows = [...new Set([c.lastWin!, Math.max(c.lastWin!, c.winHi)])];
  return windows.map((rcvWnd) => {
    const t = createTcb({ ...DEFAULT_CONFIG, rfc5961 }, { addr: seg.dst, port: seg.dstPort });
    const sndUna = seqAdd(c.stackIss, c.peerAckMax);
    return {
      ...t,
      state: 'ESTABLISHED',
      remote: { addr: seg.src, port: seg.srcPort },
      iss: c.stackIss,
      sndUna,
      sndNxt: seqAdd(c.stackIss, c.stackMax),
      sndBufSeq: seqAdd(c.stackIss, c.stackMax),
      sndWnd: Math.max(0, (c.peerEdge ?? c.peerAckMax) - c.peerAckMax),
      irs: c.peerIss,
      rcvNxt: c.lastAck,
      rcvWnd,
    };
  });
}

interface Seen {
  /** The stack's segments on this connection before the next input. */
  before: Segment[];
  /** Its ACK-bearing segments on this connection within 500 ms (an ACK may be delayed that long). */
  acks: Segment[];
  /** Application events before the next input. */
  events: string[];
  /** Nothing else reached the stack for long enough to see it answer (a real clock answers late). */
  quiet: boolean;
}

/** What the stack did on this connection after entry i. */
function seen(trace: TraceEntry[], i: number, key: string, realTime: boolean): Seen {
  const t0 = trace[i]!.t;
  const s: Seen = { before: [], acks: [], events: [], quiet: true };
  let next = false;
  let nextT = trace.at(-1)!.t;
  for (let j = i + 1; j < trace.length; j++) {
    const e = trace[j]!;
    if (e.t - t0 > 500) break;
    if (!next && (e.dir === 'in' || e.dir === 'call')) {
      next = true;
      nextT = e.t;
    }
    const mine = e.dir === 'out' && e.seg && keyOfOut(e.seg) === key;
    if (mine && !next) s.before.push(e.seg!);
    if (mine && (e.seg!.flags & (ACK | RST | SYN)) === ACK) s.acks.push(e.seg!);
    if (e.dir === 'event' && e.event && !next) s.events.push(e.event.type);
  }
  s.quiet = !realTime || nextT - t0 >= 200;
  return s;
}

const meets = (w: Want, s: Seen, throttled: boolean): boolean => {
  const reset = s.events.some((x) => x === 'reset' || x === 'closed' || x === 'end');
  const rst = s.before.some((x) => x.flags & RST);
  if (w.kind === 'ack') return !reset && !rst && (throttled || s.acks.some((x) => x.ack === w.ack));
  if (w.kind === 'silent') return !reset && s.before.length === 0;
  return (reset || !s.quiet) && (!w.rst || rst);
};

const shown = (w: Want, c: { stackIss: number; stackMax: number }): string =>
  w.kind === 'ack'
    ? `<SEQ=${seqAdd(c.stackIss, c.stackMax)}><ACK=${w.ack}><CTL=ACK>, no reset`
    : w.kind === 'silent'
      ? 'nothing: no reply, no reset'
      : `the connection reset${w.rst ? ` with <SEQ=${seqAdd(c.stackIss, c.stackMax)}><CTL=RST>` : ''}`;

/** Judge every segment that reached an exactly known ESTABLISHED connection; count each rule verified. */
export function trackReplies(trace: TraceEntry[], profile: StackProfile, tally?: Tally, step: Step = modelStep) {
  const out: Violation[] = [];
  const w = new ShadowWalker();
  trace.forEach((e, i) => {
    const c = e.dir === 'in' && e.seg ? w.conns.get(keyOfIn(e.seg)) : undefined;
    if (e.seg && exact(c)) judgeOne(trace, i, e.seg, c, profile, step, tally, out);
    w.apply(e, i);
  });
  return out;
}

function judgeOne(
  trace: TraceEntry[],
  i: number,
  seg: Segment,
  c: ConnShadow & { stackIss: number; peerIss: number; lastAck: number },
  profile: StackProfile,
  step: Step,
  tally: Tally | undefined,
  out: Violation[],
): void {
  // Whether a RST is checked at its own SEQ or at the trimmed one is a fork RFC 9293 leaves open (§3.10.7.4 first
  // and second checks): a RST that trimming would move (one starting below RCV.NXT, or with a SYN) is not judged.
  if (seg.flags & RST && (seg.flags & SYN || seqDelta(seg.seq, c.lastAck) < 0)) return;
  const results = candidates(c, seg, profile.rfc5961).map((t) => step(t, { type: 'segment', seg }, trace[i]!.t));
  const rules = results.map((r) => (r.rules ?? []).find((x): x is RuleId => x in RULES));
  if (rules.some((r) => r === undefined)) return; // a candidate took a rule the tracker does not judge
  const wants = rules.map((r) => WANT[r!](c.lastAck));
  const s = seen(trace, i, keyOfIn(seg), profile.realTime ?? false);
  if (!s.quiet && wants.some((x) => x.kind !== 'reset')) return;
  const rule = rules[0]!;
  tally?.hit(`${TRACKER}/${rule}`);
  // The application that still holds the connection must hear of a reset as a reset (MUST-12).
  const told = c.closeCalled || !s.events.some((x) => x === 'end' || x === 'closed') || s.events.includes('reset');
  if (wants.some((x) => meets(x, s, ackThrottled(trace, i, profile))) && (rule !== 'rst-resets' || told)) return;
  const r = RULES[rule];
  const got =
    [...new Set([...s.before, ...s.acks])]
      .map((x) => describe(x))
      .concat(s.events)
      .join(' | ') || '(nothing)';
  out.push({
    property: TRACKER,
    check: `${TRACKER}/${rule}`,
    requirements: [...r.requirements],
    section: r.section,
    message: `${r.section}: ${r.owes}; got ${got}`,
    at: i,
    offending: describe(seg),
    state: 'ESTABLISHED',
    allowed: [...new Set(wants.map((x) => shown(x, c)))].join(' or '),
  });
}
