// Obligations with a deadline (rules.ts DUE_RULES): what the model's timers make a stack owe, held per connection from
// the step that creates the obligation until it is met or its deadline passes. The deadline passing is the violation;
// a trace that ends first leaves the obligation unjudged.
// - ack-in-order: text or a FIN every candidate took in, in order, is acknowledged within RFC 9293's 0.5 s (MUST-40).
// - data-told, eof-told: text up to a PSH or FIN, and the FIN itself, that every candidate took in reach an
//   application that reads and holds the connection within the same 0.5 s (the RFC gives no other bound; a stack has
//   processed the segment by the time it owes the ACK); paused reading owes nothing until it resumes.
// - retransmit: while every candidate has sequence space outstanding, the stack sends again within its declared RTO
//   ceiling of the later of its last transmission and the last ACK that reached it (RFC 6298 §5.1, §5.3); past R2
//   from when the space went outstanding the stack may have given up, which the give-up checks judge instead.
import { DUE_RULES, type DueRuleId } from '../model/rules.js';
import type { Tcb } from '../model/types.js';
import type { TraceEntry } from '../harness/trace.js';
import type { StackProfile } from '../stacks/adapter.js';
import { ACK, FIN, RST, SYN, type Segment, describe } from '../wire/segment.js';
import { seqAdd, seqGe, seqGt, seqLt } from '../wire/seq.js';
import { RFC } from './limits.js';
import type { Tally, Violation } from './types.js';

export const TRACKER = 'tracker';

interface AckDue {
  ack: number;
  i: number;
  t: number;
  state: string;
}

/** data-told: the stream up to `seq` delivered; eof-told: the end of the stream told. */
interface TellDue {
  rule: 'data-told' | 'eof-told';
  seq: number;
  i: number;
  t: number;
  state: string;
}

/** What the application of one connection was given, and what it may be owed. */
interface App {
  /** The sequence number of the first octet not yet delivered to the application. */
  next: number;
  /** What every candidate took in last: the end of its text, and whether the FIN came. */
  taken: Taken | undefined;
  ended: boolean;
}

/** What every candidate took in: the end of the stream's text, where the text last pushed ends, the FIN. */
interface Taken {
  end: number;
  pushed: number;
  fin: boolean;
  i: number;
  state: string;
}

interface RtxDue {
  /** When the space went outstanding, and the entry. */
  since: number;
  i: number;
  /** The later of the last transmission and the last ACK that reached the stack. */
  last: number;
  opening: boolean;
  state: string;
}

/**
 * States in which sequence space the stack sent may be outstanding and owed again. Not SYN-RECEIVED: a stack may let a
 * half-open connection go that no application knew of (RFC 4987 §3), and the handshake checks judge the SYN,ACK.
 */
const RETRANSMITTING = new Set(['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK']);

const occupies = (s: Segment): boolean => s.payload.length > 0 || (s.flags & (SYN | FIN)) !== 0;

/** Take the entries `pick` chooses out of connection k's list, and return them. */
function take<T>(m: Map<string, T[]>, k: string, pick: (x: T) => boolean): T[] {
  const list = m.get(k) ?? [];
  const out = list.filter(pick);
  if (out.length)
    m.set(
      k,
      list.filter((x) => !out.includes(x)),
    );
  return out;
}

export class Dues {
  private readonly acks = new Map<string, AckDue[]>();
  private readonly rtx = new Map<string, RtxDue>();
  private readonly tells = new Map<string, TellDue[]>();
  private readonly apps = new Map<string, App>();
  /** Reading paused by the application, per connection, from before anything was owed to it. */
  private readonly paused = new Map<string, boolean>();
  /** Connections whose application closed its handle, or which ended: nothing new is owed to tell. */
  private readonly closed = new Set<string>();
  /** The highest ACK the stack sent per connection. */
  private readonly acked = new Map<string, number>();
  private readonly slack: number;

  constructor(
    private readonly trace: TraceEntry[],
    private readonly profile: StackProfile,
    private readonly tally: Tally | undefined,
    private readonly out: Violation[],
  ) {
    // A real clock stamps output when the harness sees it; a virtual one when the stack sent it.
    this.slack = profile.realTime ? 100 : 0;
  }

  /** Every obligation whose deadline passed before time t (at the trace's end: what fell due before it). */
  expire(t: number): void {
    const late = (d: { t: number }) => t - d.t >= RFC.ackDelay + this.slack;
    for (const k of this.acks.keys()) {
      const [d] = take(this.acks, k, late);
      if (d) this.ackMissed(d);
    }
    for (const k of this.tells.keys()) {
      const missed = take(this.tells, k, late);
      for (const rule of ['data-told', 'eof-told'] as const) {
        const d = missed.find((x) => x.rule === rule);
        if (d) this.tellMissed(d, `not told within ${RFC.ackDelay} ms`);
      }
    }
    for (const [k, d] of this.rtx) {
      const deadline = d.last + this.ceiling();
      if (t <= deadline) continue;
      this.rtx.delete(k);
      // Past R2 the stack may have given up (the give-up checks judge that): no verdict here.
      if (deadline - d.since < (d.opening ? RFC.synR2 : RFC.dataR2)) this.rtxMissed(d, t);
    }
  }

  /** Every candidate took in text or a FIN in order: an ACK at or past `ack` is due. */
  oweAck(k: string, ack: number, i: number, state: string): void {
    const list = this.acks.get(k) ?? [];
    const top = list.at(-1)?.ack ?? this.acked.get(k);
    if (top !== undefined && seqGe(top, ack)) return;
    list.push({ ack, i, t: this.trace[i]!.t, state });
    this.acks.set(k, list);
  }

  /**
   * Every candidate took in the peer's stream up to `end` (the FIN too when `fin`); `pushed` when the segment was
   * pushed (PSH or FIN), up to where: an application that reads is owed the pushed text and the end of the stream.
   */
  oweTell(k: string, irs: number, taken: Omit<Taken, 'pushed'> & { pushed: number | undefined }): void {
    const a = this.app(k, irs);
    a.taken = { ...taken, pushed: taken.pushed ?? a.taken?.pushed ?? seqAdd(irs, 1) };
    this.tellFrom(k, a, taken.i, this.trace[taken.i]!.t);
  }

  /** The application was given n octets, or told the stream ended. */
  told(k: string, ev: { type: 'data'; n: number } | { type: 'end' }): void {
    const a = this.apps.get(k);
    if (!a) return;
    if (ev.type === 'data') a.next = seqAdd(a.next, ev.n);
    else a.ended = true;
    const met = take(this.tells, k, (d) => (d.rule === 'eof-told' ? a.ended : seqGe(a.next, d.seq)));
    for (const d of met) this.tally?.hit(`${TRACKER}/${d.rule}`);
  }

  /** The application paused or resumed reading: a pause owes nothing; a resume owes what was held. */
  reading(k: string, paused: boolean, i: number): void {
    this.paused.set(k, paused);
    const a = this.apps.get(k);
    if (paused) this.tells.delete(k);
    else if (a?.taken) this.tellFrom(k, a, i, this.trace[i]!.t);
  }

  /** The application closed its handle: what was already owed stays owed, nothing new is. */
  letGo(k: string): void {
    this.closed.add(k);
  }

  /** The application was told of a reset with no RST in sight: an end of stream owed is missed (MUST-12). */
  resetTold(k: string): void {
    const d = this.tells.get(k)?.find((x) => x.rule === 'eof-told');
    if (d) this.tellMissed(d, 'told the connection was reset instead');
    this.tells.delete(k);
  }

  private app(k: string, irs: number): App {
    let a = this.apps.get(k);
    if (!a) {
      a = { next: seqAdd(irs, 1), taken: undefined, ended: false };
      this.apps.set(k, a);
    }
    return a;
  }

  private tellFrom(k: string, a: App, i: number, t: number): void {
    const x = a.taken;
    if (!x || this.paused.get(k) || this.closed.has(k)) return;
    const list = this.tells.get(k) ?? [];
    const owed = (rule: TellDue['rule']) => list.some((d) => d.rule === rule);
    if (seqGt(x.pushed, a.next) && !list.some((d) => d.rule === 'data-told' && seqGe(d.seq, x.pushed)))
      list.push({ rule: 'data-told', seq: x.pushed, i, t, state: x.state });
    if (x.fin && !a.ended && !owed('eof-told')) list.push({ rule: 'eof-told', seq: x.end, i, t, state: x.state });
    this.tells.set(k, list);
  }

  /** An ACK reached the stack: its retransmission timer may restart (RFC 6298 §5.3). */
  peerAck(k: string, t: number): void {
    const d = this.rtx.get(k);
    if (d) d.last = t;
  }

  /**
   * The stack sent seg on connection k; `again` when it starts below what some candidate had sent; `jumped` when the
   * clock jumped to t in one step, so that the segment may have left at any time in the jump (it then meets what it
   * answers, unjudged).
   */
  sent(k: string, seg: Segment, t: number, again: boolean, jumped: boolean): void {
    if (seg.flags & RST) {
      this.gone(k);
      return;
    }
    if (seg.flags & ACK) {
      const top = this.acked.get(k);
      if (top === undefined || seqGt(seg.ack, top)) this.acked.set(k, seg.ack);
      const met = take(this.acks, k, (d) => seqGe(seg.ack, d.ack));
      if (met.length && !jumped) this.tally?.hit(`${TRACKER}/ack-in-order`, met.length);
    }
    const d = this.rtx.get(k);
    if (d && (again || occupies(seg))) {
      if (again && !jumped) this.tally?.hit(`${TRACKER}/retransmit`);
      d.last = t;
    }
  }

  /** After an entry: the connection's candidates say whether sequence space is outstanding. */
  outstanding(k: string, cands: Tcb[], t: number, i: number): void {
    const owed = cands.length > 0 && cands.every((c) => RETRANSMITTING.has(c.state) && seqLt(c.sndUna, c.sndNxt));
    if (!owed) {
      this.rtx.delete(k);
      return;
    }
    if (this.rtx.has(k)) return;
    const opening = cands.some((c) => c.state === 'SYN-SENT' || c.state === 'SYN-RECEIVED');
    const state = [...new Set(cands.map((c) => c.state))].join(' or ');
    this.rtx.set(k, { since: t, i, last: t, opening, state });
  }

  /**
   * The connection may be gone (a reset, an error, the TCB deleted): no ACK or retransmission is owed on it, nor
   * (unless `keepTells`: the TCB went after a FIN, and the application may still hear of it) anything to tell.
   */
  gone(k: string, keepTells = false): void {
    this.acks.delete(k);
    this.rtx.delete(k);
    if (keepTells) return;
    this.tells.delete(k);
    this.closed.add(k);
  }

  /** A new connection on tuple k: what was owed on the last one is gone with it. */
  fresh(k: string): void {
    this.gone(k);
    this.apps.delete(k);
    this.paused.delete(k);
    this.closed.delete(k);
  }

  private ceiling(): number {
    return this.profile.rtoMax * 1.1 + 100 + this.slack;
  }

  private ackMissed(d: AckDue): void {
    this.tally?.hit(`${TRACKER}/ack-in-order`);
    const input = this.trace[d.i]!;
    this.push(
      'ack-in-order',
      d.i,
      d.state,
      input.seg ? describe(input.seg) : input.text,
      `data or a FIN that reached the stack in order was not acknowledged within ${RFC.ackDelay} ms`,
      `an ACK of ${d.ack} or beyond within ${RFC.ackDelay} ms`,
    );
  }

  private tellMissed(d: TellDue, how: string): void {
    this.tally?.hit(`${TRACKER}/${d.rule}`);
    const what =
      d.rule === 'eof-told'
        ? `the peer's FIN reached the stack in order but the application, reading, was ${how}: no end of stream`
        : `text the peer pushed reached the stack in order but the application, reading, was ${how}`;
    const input = this.trace[d.i]!;
    this.push(
      d.rule,
      d.i,
      d.state,
      input.seg ? describe(input.seg) : input.text,
      what,
      d.rule === 'eof-told' ? 'an end-of-stream event' : `the stream delivered up to ${d.seq}`,
    );
  }

  private rtxMissed(d: RtxDue, t: number): void {
    this.tally?.hit(`${TRACKER}/retransmit`);
    const quiet = Math.round(t - d.last);
    this.push(
      'retransmit',
      d.i,
      d.state,
      this.trace[d.i]!.text,
      `sequence space outstanding since ${Math.round(d.since)} ms was not sent again for ${quiet} ms, past the ` +
        `RTO ceiling of ${this.profile.rtoMax} ms, although the connection was not given up`,
      `a retransmission (or a probe) within ${this.profile.rtoMax} ms of the last transmission or ACK`,
    );
  }

  private push(rule: DueRuleId, at: number, state: string, offending: string, what: string, allowed: string): void {
    const r = DUE_RULES[rule];
    this.out.push({
      property: TRACKER,
      check: `${TRACKER}/${rule}`,
      requirements: [...r.requirements],
      section: r.section,
      message: `${r.section}: ${what}`,
      at,
      offending,
      state,
      allowed,
    });
  }
}
