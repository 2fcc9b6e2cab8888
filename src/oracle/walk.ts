// The walk: per connection of the stack under test, the RFC 9293 model runs beside it from the first SYN to CLOSED
// as a small set of candidate TCBs (model config `track`). Each candidate is fed what reached the stack (segments,
// application calls, the events that show the stack dropped its TCB); each segment the stack sends is a `sent`
// event that binds what the stack chose (ISN, SND.NXT, the FIN's place, the window it offers) after the sending
// rules allowed it. What the RFC leaves open forks the set, and what the stack does next prunes it:
// - the receive window: the one last advertised, or the larger one the stack's buffer may hold;
// - a segment carrying text or a FIN may not have been taken in yet (dropped, or not yet processed): it waits as
//   pending, and a later `sent` may take it in first;
// - TIME-WAIT may have ended (its length is the TIME-WAIT checks' to judge, MUST-13); a SYN in TIME-WAIT may reopen
//   (MAY-2) or draw the old connection's reply;
// - an application call the stack answered with an error may not have taken effect;
// - CLOSE or ABORT on a connection still opening may be held by the interface until the handshake is over;
// - text on a segment that a rule drops may be taken in anyway: a deviant branch, so that the rule is named when
//   only it explains what the stack does next.
// A segment the stack sent that no candidate explains is a violation of the sending rule the first candidate
// applied. Reply rules (rules.ts) are judged in every state the tracker's ESTABLISHED judge leaves aside.
import { DEFAULT_CONFIG } from '../model/config.js';
import { RULES, type RuleId, SEND_RULES, type SendRuleId } from '../model/rules.js';
import { step as modelStep } from '../model/step.js';
import { createTcb } from '../model/tcb.js';
import { rcvShift, sndShift } from '../model/output.js';
import type { ModelEvent, StepResult, Tcb } from '../model/types.js';
import type { StackProfile } from '../stacks/adapter.js';
import { ACK, FIN, RST, SYN, type Segment, describe } from '../wire/segment.js';
import { seqAdd, seqDelta } from '../wire/seq.js';

export type Step = (t: Tcb, ev: ModelEvent, now: number) => StepResult;

export interface Cand {
  tcb: Tcb;
  /** The stack's ISN is known (its SYN was seen); until then the model's ISS is a placeholder. */
  issBound: boolean;
  /** Segments that reached the stack and may not have been taken in yet. */
  pending: Segment[];
  /** The right edge the stack last offered (SEG.ACK + SEG.WND), and the largest window it offered. */
  edge: number | undefined;
  maxWin: number;
  /**
   * A branch the RFC does not allow, kept to name the cause if only it explains what the stack does next: the rule
   * that dropped a segment this candidate takes in anyway.
   */
  deviant?: { rule: RuleId; state: string };
  /**
   * CLOSE or ABORT taken while the connection was opening, which the interface may hand to the stack only once the
   * handshake is over (Node's socket does); applied at any later point, at the latest when the interface reports the
   * connection open.
   */
  deferred?: ModelEvent[];
}

/** A stepped candidate and the reply rule that decided the step, if any. */
export interface Branch {
  /** The candidate's state before the step, and its TCB. */
  from: string;
  was: Tcb;
  cand: Cand;
  rule: RuleId | undefined;
  result: StepResult;
}

const MAX_CANDIDATES = 24;
const MAX_PENDING = 8;

const key = (c: Cand): string => {
  const t = c.tcb;
  return [
    t.state,
    t.iss,
    t.irs,
    t.sndUna,
    t.sndNxt,
    t.sndWnd,
    t.rcvNxt,
    t.rcvWnd,
    t.finSeq,
    t.finQueued,
    t.finReceived,
    t.sndBuf.length,
    t.ooo.map((o) => `${o.seq}+${o.data.length}${o.fin ? 'F' : ''}`).join(','),
    c.issBound,
    c.pending.length,
    c.edge,
    c.deviant?.rule,
    c.deferred?.map((e) => e.type).join(','),
  ].join('|');
};

export function dedupe(cs: Cand[]): Cand[] {
  const seen = new Map<string, Cand>();
  for (const c of cs) if (!seen.has(key(c))) seen.set(key(c), c);
  return [...seen.values()];
}

const TRACK_CONFIG = (profile: StackProfile) => ({ ...DEFAULT_CONFIG, rfc5961: profile.rfc5961, track: true });

/** One connection's candidate set; `halted` once a violation was found or the set grew past what is judged. */
export class Walk {
  cands: Cand[];
  /** The set before the latest input, for a real-time stack whose segment crossed that input. */
  before: { cands: Cand[]; t: number } | undefined;
  halted: string | undefined;
  /** The set before the latest application call, in case the stack refuses the call with an error. */
  beforeCall: { cands: Cand[]; t: number } | undefined;
  constructor(cands: Cand[]) {
    this.cands = cands;
  }
  get states(): string[] {
    return [...new Set(this.cands.map((c) => c.tcb.state))];
  }
}

export function activeWalk(profile: StackProfile, port: number, remote: { addr: string; port: number }, now: number) {
  const t = createTcb(TRACK_CONFIG(profile), { addr: '', port });
  const r = modelStep(t, { type: 'open', passive: false, remote }, now);
  return new Walk([{ tcb: r.tcb, issBound: false, pending: [], edge: undefined, maxWin: 0 }]);
}

export function passiveCand(profile: StackProfile, seg: Segment, now: number): Cand {
  const t = createTcb(TRACK_CONFIG(profile), { addr: seg.dst, port: seg.dstPort });
  const r = modelStep(t, { type: 'open', passive: true }, now);
  return { tcb: r.tcb, issBound: false, pending: [], edge: undefined, maxWin: 0 };
}

/** The receive windows the stack may have now: what its last offer leaves, and what its buffer may hold. */
function windows(c: Cand): number[] {
  if (c.edge === undefined) return [c.tcb.rcvWnd];
  const lo = Math.max(0, seqDelta(c.edge, c.tcb.rcvNxt));
  const hi = Math.max(lo, seqDelta(seqAdd(c.edge, 2 * Math.max(c.maxWin, 65535) - c.tcb.rcvWnd), c.tcb.rcvNxt));
  return [...new Set([lo, hi])];
}

const carries = (s: Segment): boolean => s.payload.length > 0 || (s.flags & FIN) !== 0;

/** Feed one segment that reached the stack to every candidate. */
export function arrive(cands: Cand[], seg: Segment, now: number, step: Step, ackRange = false): Branch[] {
  const out: Branch[] = [];
  for (const c of cands) {
    for (const w of windows(c)) {
      const result = step({ ...c.tcb, rcvWnd: w }, { type: 'segment', seg }, now);
      const rule = (result.rules ?? []).find((x): x is RuleId => x in RULES);
      const tcb = { ...result.tcb, rcvWnd: c.tcb.rcvWnd };
      const unscaled = sndShift(c.tcb) === 0 && rcvShift(c.tcb) === 0;
      if (rule === 'ack-too-old' && !(ackRange && unscaled && seqDelta(c.tcb.sndUna, seg.ack) > 65535)) {
        out.push(...ackRangeFork(c, w, seg, now, step, result));
        continue;
      }
      // A RST that trimming would move is checked at its own SEQ or at the trimmed one: a fork RFC 9293 leaves open
      // (§3.10.7.4 first and second checks). Both outcomes go on, unjudged.
      if (seg.flags & RST && (seg.flags & SYN || seqDelta(seg.seq, c.tcb.rcvNxt) < 0)) {
        out.push(
          { from: c.tcb.state, was: c.tcb, cand: { ...c, tcb }, rule: undefined, result },
          { from: c.tcb.state, was: c.tcb, cand: c, rule: undefined, result },
        );
        continue;
      }
      out.push({ from: c.tcb.state, was: c.tcb, cand: { ...c, tcb }, rule, result });
      // Text on a segment acknowledging what was never sent, or without the ACK bit, must be dropped (§3.10.7.4 fifth
      // check); a stack that takes it in anyway is followed by a deviant branch, so the rule it broke is the one named.
      if ((rule === 'ack-unsent' || rule === 'ack-bit-off' || rule === 'ack-too-old') && carries(seg) && !c.deviant) {
        const taken = { ...seg, flags: seg.flags | ACK, ack: c.tcb.sndUna };
        const deviant = { rule, state: c.tcb.state };
        out.push({
          from: c.tcb.state,
          was: c.tcb,
          cand: { ...c, pending: [...c.pending, taken], deviant },
          rule,
          result,
        });
      }
      if (rule === undefined && carries(seg) && c.pending.length < MAX_PENDING)
        out.push({
          from: c.tcb.state,
          was: c.tcb,
          cand: { ...c, pending: [...c.pending, seg] },
          rule,
          result: { ...result, segments: [] },
        });
    }
  }
  return out;
}

/**
 * RFC 5961 §5 (MAY-12) is the stack's choice unless its profile declares it; and MAX.SND.WND is the stack's own
 * record, so an ACK less than any unscaled window old may be taken either way. Both outcomes go on, unjudged: the
 * segment dropped with an ACK, or the ACK ignored as a duplicate and the rest of the segment processed.
 */
function ackRangeFork(c: Cand, w: number, seg: Segment, now: number, step: Step, checked: StepResult): Branch[] {
  const legacy = step(
    { ...c.tcb, rcvWnd: w, cfg: { ...c.tcb.cfg, noAckRangeCheck: true } },
    { type: 'segment', seg },
    now,
  );
  const back = (r: StepResult): Cand => ({ ...c, tcb: { ...r.tcb, cfg: c.tcb.cfg, rcvWnd: c.tcb.rcvWnd } });
  return [
    { from: c.tcb.state, was: c.tcb, cand: back(checked), rule: undefined, result: checked },
    { from: c.tcb.state, was: c.tcb, cand: back(legacy), rule: undefined, result: legacy },
  ];
}

/** Take the stack's ISN from its SYN: re-base the placeholder send sequence space on it. */
function bindIss(c: Cand, seg: Segment): Cand {
  if (c.issBound || !(seg.flags & SYN) || seg.flags & RST) return c;
  const t = c.tcb;
  const d = seqDelta(seg.seq, t.iss);
  return {
    ...c,
    issBound: true,
    tcb: {
      ...t,
      local: { addr: seg.src, port: seg.srcPort },
      iss: seg.seq,
      sndUna: seqAdd(t.sndUna, d),
      sndNxt: seqAdd(t.sndNxt, d),
      sndBufSeq: seqAdd(t.sndBufSeq, d),
      sndWl2: t.sndWl2,
    },
  };
}

export interface Explained {
  cands: Cand[];
  rules: Set<SendRuleId>;
  refused: { rule: SendRuleId; why: string } | undefined;
}

/** The candidates that explain a segment the stack sent, after taking in none, some or all of their pending ones. */
export function explain(cands: Cand[], seg: Segment, now: number, step: Step): Explained {
  const ok: Cand[] = [];
  const rules = new Set<SendRuleId>();
  let refused: Explained['refused'];
  for (const c0 of cands) {
    let c: Cand | undefined = c0;
    for (let k = 0; c && k <= c0.pending.length; k++) {
      const b = bindIss(c, seg);
      if (!b.issBound && b.tcb.state !== 'CLOSED' && b.tcb.state !== 'LISTEN') {
        // Its SYN not seen yet: only a RST (an answer to some segment) can come first.
        if (seg.flags & RST) ok.push(b);
        else refused ??= { rule: 'send-syn', why: 'a segment before the stack sent its SYN' };
      } else {
        const r = step(b.tcb, { type: 'sent', seg }, now);
        if (!r.refused) {
          for (const x of r.rules ?? []) if (x in SEND_RULES) rules.add(x as SendRuleId);
          const wnd = seg.window * 2 ** (seg.flags & SYN ? 0 : rcvShift(r.tcb)); // RFC 7323 §2.3
          const edge = r.tcb.state === 'CLOSED' || seg.flags & RST ? b.edge : seqAdd(seg.ack, wnd);
          ok.push({ ...b, tcb: r.tcb, edge, maxWin: Math.max(b.maxWin, wnd) });
        } else refused ??= r.refused as Explained['refused'];
      }
      c = k < c0.pending.length ? takeIn(c, now, step) : undefined;
    }
  }
  return { cands: dedupe(ok).slice(0, MAX_CANDIDATES), rules, refused };
}

/** Process the oldest pending segment. */
function takeIn(c: Cand, now: number, step: Step): Cand {
  const [seg, ...rest] = c.pending;
  const r = step(c.tcb, { type: 'segment', seg: seg! }, now);
  return { ...c, tcb: { ...r.tcb, rcvWnd: c.tcb.rcvWnd }, pending: rest };
}

/** An application call, as the model takes it. */
export function call(cands: Cand[], ev: ModelEvent, now: number, step: Step): Branch[] {
  return cands.map((c) => {
    const result = step(c.tcb, ev, now);
    const rule = (result.rules ?? []).find((x): x is RuleId => x in RULES);
    return {
      from: c.tcb.state,
      was: c.tcb,
      cand: { ...c, tcb: { ...result.tcb, rcvWnd: c.tcb.rcvWnd } },
      rule,
      result,
    };
  });
}

const opening = (c: Cand): boolean => c.tcb.state === 'SYN-SENT' || c.tcb.state === 'SYN-RECEIVED';

/** A call the interface may hold while the connection opens: the candidate goes on with the call deferred. */
export function defer(c: Cand, ev: ModelEvent): Cand {
  return { ...c, deferred: [...(c.deferred ?? []), ev] };
}

/** The deferred calls handed to the stack now, in order; undefined while the connection is still opening. */
export function applyDeferred(c: Cand, now: number, step: Step): Cand | undefined {
  if (!c.deferred?.length || opening(c)) return undefined;
  let tcb = c.tcb;
  for (const ev of c.deferred) tcb = { ...step(tcb, ev, now).tcb, rcvWnd: c.tcb.rcvWnd };
  return { ...c, tcb, deferred: undefined };
}

/** Each candidate, and beside it the one whose deferred calls reached the stack just now. */
export function maybeDeferred(cands: Cand[], now: number, step: Step): Cand[] {
  const applied = cands.map((c) => applyDeferred(c, now, step)).filter((c): c is Cand => c !== undefined);
  return applied.length ? dedupe([...cands, ...applied]) : cands;
}

/** The interface reported the connection open: whatever it held has reached the stack. */
export function deferredDone(cands: Cand[], now: number, step: Step): Cand[] {
  return dedupe(cands.map((c) => applyDeferred(c, now, step) ?? c));
}

/** The stack told its application the connection is gone: every candidate is CLOSED. */
export function dropped(cands: Cand[]): Cand[] {
  return dedupe(cands.map((c) => ({ ...c, tcb: { ...c.tcb, state: 'CLOSED', timers: {}, ooo: [] }, pending: [] })));
}

/**
 * The stack's TIME-WAIT may have ended (how long it lasts is judged by the TIME-WAIT checks, MUST-13, not here): each
 * TIME-WAIT candidate goes on beside a CLOSED one.
 */
export function timeWaitMayEnd(cands: Cand[]): Cand[] {
  const ended = cands.filter((c) => c.tcb.state === 'TIME-WAIT');
  return ended.length ? dedupe([...cands, ...dropped(ended)]) : cands;
}

export function sendViolationText(rule: SendRuleId, why: string, seg: Segment, states: string[]): string {
  const r = SEND_RULES[rule];
  return `${r.section}: in ${states.join(' or ')} the stack may send ${r.allows}; got ${describe(seg)}: ${why}`;
}

export const MAX_WALK = MAX_CANDIDATES;
