// The tracker, first slice: the RFC 9293 model judges every segment that reaches an ESTABLISHED connection of the
// stack whose receive state the wire shows exactly. For each such segment it builds candidate TCBs from what the
// stack chose (its ISN, SND.NXT, the RCV.NXT and window it advertised — and the larger window its buffer may
// hold), steps the model once per candidate, and asks the stack for what some candidate's rule owes: a challenge
// or window ACK, silence, a reset told to the application. A rule the tracker cannot judge on any candidate
// leaves the segment unjudged; nothing is predicted that RFC 9293 leaves to the stack.
import { match } from 'ts-pattern';
import { DEFAULT_CONFIG } from '../model/config.js';
import { RULES, type Reply, type RuleId, SEND_RULES } from '../model/rules.js';
import { step as modelStep } from '../model/step.js';
import { createTcb } from '../model/tcb.js';
import type { ModelEvent, StepResult, Tcb } from '../model/types.js';
import type { TraceEntry } from '../harness/trace.js';
import type { StackEvent, StackProfile } from '../stacks/adapter.js';
import { ACK, FIN, PSH, RST, SYN, type Segment, describe } from '../wire/segment.js';
import { seqAdd, seqDelta, seqGe, seqGt, seqLt } from '../wire/seq.js';
import type { IcmpError } from '../wire/icmp.js';
import { ackThrottled, traceEnd } from './property.js';
import { RFC } from './limits.js';
import {
  type Branch,
  type Cand,
  MAX_WALK,
  Walk,
  activeWalk,
  arrive,
  call as walkCall,
  dedupe,
  defer,
  deferredDone,
  dropped,
  explain,
  maybeDeferred,
  passiveCand,
  sendViolationText,
  timeWaitMayEnd,
} from './walk.js';
import { type ConnShadow, ShadowWalker, keyOfIn, keyOfOut, tupleKey } from './shadow.js';
import type { Tally, Violation } from './types.js';
import { Dues, TRACKER } from './due.js';

export { TRACKER };
type Step = (t: Tcb, ev: ModelEvent, now: number) => StepResult;

/** What a rule owes, as the wire and the application interface can show it. */
type Want =
  | { kind: 'ack'; ack: number; eof: boolean }
  | { kind: 'rst'; seq: number; ack: number | undefined }
  | { kind: 'synack'; ack: number }
  | { kind: 'silent' }
  | { kind: 'reset'; rst: boolean }
  | { kind: 'abort' }
  | { kind: 'goes-on' };

/** What the rule owes on this step, from the segments and application events the model produced. */
function wantOf(rule: RuleId, r: StepResult): Want | undefined {
  const seg = (f: (s: Segment) => boolean) => r.segments.find(f);
  return match(RULES[rule].reply as Reply)
    .with('ack', (): Want | undefined => {
      const a = seg((s) => (s.flags & (ACK | RST | SYN)) === ACK);
      // A FIN taken in on the same segment (one on a SYN,ACK, say) is told to the application as the end.
      return a && { kind: 'ack', ack: a.ack, eof: r.appEvents.some((x) => x.type === 'eof') };
    })
    .with('rst', () => {
      const x = seg((s) => (s.flags & RST) !== 0);
      return x && { kind: 'rst' as const, seq: x.seq, ack: x.flags & ACK ? x.ack : undefined };
    })
    .with('synack', () => {
      const x = seg((s) => (s.flags & (SYN | ACK)) === (SYN | ACK));
      return x && { kind: 'synack' as const, ack: x.ack };
    })
    .with('silent', () => ({ kind: 'silent' as const }))
    .with('drop', () => undefined)
    .with('abort', () =>
      r.appEvents.some((x) => x.type === 'error' || x.type === 'reset' || x.type === 'refused')
        ? { kind: 'abort' as const }
        : undefined,
    )
    .with('goes-on', () => ({ kind: 'goes-on' as const }))
    .with('reset', 'reset-rst', (k) =>
      r.appEvents.some((x) => x.type === 'reset' || x.type === 'refused')
        ? { kind: 'reset' as const, rst: k === 'reset-rst' }
        : undefined,
    )
    .exhaustive();
}

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
  /** Its segments on this connection within 500 ms (an ACK may be delayed that long). */
  all: Segment[];
  /** Application events before the next input. */
  events: string[];
  /** Nothing else reached the stack for long enough to see it answer (a real clock answers late). */
  quiet: boolean;
  /** The input came in a batch: the stack answers once for all of it, so an ACK past the one owed meets it. */
  batched: boolean;
}

/** What the stack did on this connection after entry i. */
function seen(trace: TraceEntry[], i: number, key: string, realTime: boolean): Seen {
  const t0 = trace[i]!.t;
  const batch = trace[i]!.batch;
  const s: Seen = { before: [], all: [], events: [], quiet: true, batched: batch !== undefined };
  let next = false;
  let nextT = traceEnd(trace);
  for (let j = i + 1; j < trace.length; j++) {
    const e = trace[j]!;
    if (e.t - t0 > RFC.ackDelay) break;
    // The rest of a batch is not a next input: the stack processes it all before it answers (MUST-59).
    if (!next && (e.dir === 'in' || e.dir === 'call') && (batch === undefined || e.batch !== batch)) {
      next = true;
      nextT = e.t;
    }
    const mine = e.dir === 'out' && e.seg && keyOfOut(e.seg) === key;
    if (mine && !next) s.before.push(e.seg!);
    // Under virtual time a stack answers before the next input reaches it; a real clock may answer later.
    if (mine && (realTime || !next)) s.all.push(e.seg!);
    if (e.dir === 'event' && e.event && !next)
      s.events.push(e.event.type === 'error' && e.event.busy ? 'busy' : e.event.type);
  }
  s.quiet = !realTime || nextT - t0 >= 200;
  return s;
}

const pureAck = (x: Segment): boolean => (x.flags & (ACK | RST | SYN)) === ACK;

const meets = (w: Want, s: Seen, throttled: boolean): boolean => {
  const reset = s.events.some((x) => x === 'reset' || x === 'closed' || x === 'end');
  const rst = s.before.some((x) => x.flags & RST);
  const failed = s.events.some((x) => x === 'reset' || x === 'closed' || x === 'error');
  return (
    match(w)
      .with(
        { kind: 'ack' },
        (w) =>
          !(w.eof ? failed : reset) &&
          !rst &&
          (throttled || s.all.some((x) => pureAck(x) && (s.batched ? seqGe(x.ack, w.ack) : x.ack === w.ack))),
      )
      .with(
        { kind: 'synack' },
        (w) => throttled || s.all.some((x) => (x.flags & (SYN | ACK | RST)) === (SYN | ACK) && x.ack === w.ack),
      )
      // <SEQ=SEG.ACK><CTL=RST> is matched by its SEQ; <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> by its ACK (the peer
      // checks a RST in SYN-SENT by its ACK field, §3.10.7.3).
      .with({ kind: 'rst' }, (w) =>
        s.all.some(
          (x) => x.flags & RST && (w.ack === undefined ? x.seq === w.seq : !!(x.flags & ACK) && x.ack === w.ack),
        ),
      )
      .with({ kind: 'silent' }, () => !reset && !rst && !s.before.some(pureAck))
      .with({ kind: 'reset' }, (w) => (reset || !s.quiet) && (!w.rst || rst))
      .with({ kind: 'abort' }, () => failed)
      .with({ kind: 'goes-on' }, () => !failed && !rst)
      .exhaustive()
  );
};

const shown = (w: Want, snd: number): string =>
  match(w)
    .with({ kind: 'ack' }, (w) => `<SEQ=${snd}><ACK=${w.ack}><CTL=ACK>, no reset`)
    .with({ kind: 'synack' }, (w) => `<SEQ=ISS><ACK=${w.ack}><CTL=SYN,ACK>`)
    .with({ kind: 'rst' }, (w) =>
      w.ack === undefined ? `<SEQ=${w.seq}><CTL=RST>` : `<SEQ=0><ACK=${w.ack}><CTL=RST,ACK>`,
    )
    .with({ kind: 'silent' }, () => 'nothing: no reply, no reset')
    .with({ kind: 'reset' }, (w) => `the connection reset${w.rst ? ` with <SEQ=${snd}><CTL=RST>` : ''}`)
    .with({ kind: 'abort' }, () => 'the connection aborted and the application told (an error or a reset)')
    .with({ kind: 'goes-on' }, () => 'the connection open: no failure told to the application, no reset')
    .exhaustive();

const gotText = (s: Seen): string =>
  [...new Set([...s.before, ...s.all])]
    .map((x) => describe(x))
    .concat(s.events)
    .join(' | ') || '(nothing)';

interface Judging {
  trace: TraceEntry[];
  profile: StackProfile;
  step: Step;
  tally: Tally | undefined;
  out: Violation[];
}

/** Judge every segment that reached a connection of the stack; count each rule verified. */
export function trackReplies(trace: TraceEntry[], profile: StackProfile, tally?: Tally, step: Step = modelStep) {
  const j: Judging = { trace, profile, step, tally, out: [] };
  const w = new ShadowWalker();
  const walks = new Walks(j);
  let jumpEnd: number | undefined;
  trace.forEach((e, i) => {
    // The clock jumped in one step: what the stack sent in the jump is stamped at its end (see Dues.sent).
    const jumped = e.dir === 'out' && e.t === jumpEnd;
    if (e.dir === 'time' && e.ms && e.jump) jumpEnd = e.t + e.ms;
    else if (e.dir !== 'out') jumpEnd = undefined;
    if (!jumped) walks.dues.expire(e.t);
    walks.jumped = jumped;
    const c = e.dir === 'in' && e.seg ? w.conns.get(keyOfIn(e.seg)) : undefined;
    const before = j.out.length;
    const judged = !!e.seg && !e.seg.badChecksum && exact(c) && judgeOne(j, i, e.seg, c);
    walks.entry(e, i, judged, j.out.length > before);
    w.apply(e, i);
  });
  walks.dues.expire(traceEnd(trace));
  return j.out;
}

/**
 * MAY-12 binds only a stack that declares the RFC 5961 ACK range check. MAX.SND.WND is the stack's own record, so
 * only an ACK older than SND.UNA by more than any unscaled window can be told apart from a duplicate ACK.
 */
function tooOldJudged(c: ConnShadow & { stackIss: number }, seg: Segment, profile: StackProfile): boolean {
  return profile.ackRangeCheck === true && !c.scaled && seqDelta(seqAdd(c.stackIss, c.peerAckMax), seg.ack) > 65535;
}

/** The first slice: judge a segment reaching an exactly known ESTABLISHED connection. True when it was judged. */
function judgeOne(
  j: Judging,
  i: number,
  seg: Segment,
  c: ConnShadow & { stackIss: number; peerIss: number; lastAck: number },
): boolean {
  const { trace, profile, step, tally, out } = j;
  // Whether a RST is checked at its own SEQ or at the trimmed one is a fork RFC 9293 leaves open (§3.10.7.4 first
  // and second checks): a RST that trimming would move (one starting below RCV.NXT, or with a SYN) is not judged.
  if (seg.flags & RST && (seg.flags & SYN || seqDelta(seg.seq, c.lastAck) < 0)) return false;
  const results = candidates(c, seg, profile.rfc5961).map((t) => step(t, { type: 'segment', seg }, trace[i]!.t));
  const rules = results.map((r) => (r.rules ?? []).find((x): x is RuleId => x in RULES));
  if (rules.some((r) => r === undefined)) return false; // a candidate took a rule the tracker does not judge
  if (rules.includes('ack-too-old') && !tooOldJudged(c, seg, profile)) return false;
  const wants = results.map((r, k) => wantOf(rules[k]!, r));
  if (wants.some((x) => x === undefined)) return false;
  const s = seen(trace, i, keyOfIn(seg), profile.realTime ?? false);
  if (!s.quiet && wants.some((x) => x!.kind !== 'reset')) return false;
  const rule = rules[0]!;
  tally?.hit(`${TRACKER}/${rule}`);
  // The application that still holds the connection must hear of a reset as a reset (MUST-12).
  const told = c.closeCalled || !s.events.some((x) => x === 'end' || x === 'closed') || s.events.includes('reset');
  const throttled = ackThrottled(trace, i, profile);
  if (wants.some((x) => meets(x!, s, throttled)) && (rule !== 'rst-resets' || told)) return true;
  const snd = seqAdd(c.stackIss, c.stackMax);
  out.push(replyViolation(rule, describe(seg), i, s, 'ESTABLISHED', [...new Set(wants.map((x) => shown(x!, snd)))]));
  return true;
}

function replyViolation(
  rule: RuleId,
  offending: string,
  at: number,
  s: Seen,
  state: string,
  allowed: string[],
): Violation {
  const r = RULES[rule];
  return {
    property: TRACKER,
    check: `${TRACKER}/${rule}`,
    requirements: [...r.requirements],
    section: r.section,
    message: `${r.section}: ${r.owes}; got ${gotText(s)}`,
    at,
    offending,
    state,
    allowed: allowed.join(' or '),
  };
}

/** States in which text and a FIN are taken in (§3.10.7.4 seventh and eighth checks). */
const TAKING = new Set(['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2']);

/**
 * The RCV.NXT every candidate reached by taking the segment in (a candidate that keeps it pending may not have
 * processed it yet, and one under the smaller window takes in less), when each one moved it on: what the stack owes
 * an ACK of (MUST-40), and whether every one took the FIN. Undefined when some candidate is outside the states that
 * take text in, or one moved nothing.
 */
function takenIn(branches: Branch[]): { ack: number; state: string; fin: boolean; irs: number } | undefined {
  if (!branches.length || branches.some((b) => !TAKING.has(b.from))) return undefined;
  const took = branches.filter((b) => !b.cand.deviant && b.cand.pending.length === 0);
  let due: number | undefined;
  for (const b of took) {
    const nxt = b.cand.tcb.rcvNxt;
    if (!seqGt(nxt, b.was.rcvNxt)) return undefined;
    if (due === undefined || seqLt(nxt, due)) due = nxt;
  }
  if (due === undefined) return undefined;
  const state = [...new Set(took.map((b) => b.cand.tcb.state))].join(' or ');
  return { ack: due, state, fin: took.every((b) => b.cand.tcb.finReceived), irs: took[0]!.cand.tcb.irs };
}

/** A call that may not have taken effect: the candidate goes on as it was, and the call is not judged. */
const unchanged = (cand: Cand): Branch => ({
  from: cand.tcb.state,
  was: cand.tcb,
  cand,
  rule: undefined,
  result: { tcb: cand.tcb, segments: [], appEvents: [], timers: [] },
});

/** The walks of every connection, keyed by 4-tuple. */
class Walks {
  private readonly walks = new Map<string, Walk>();
  private readonly listening = new Set<number>();
  private readonly connKey = new Map<string, string>();
  readonly dues: Dues;
  /** The entry being walked was stamped at the end of a one-step clock jump. */
  jumped = false;
  constructor(private readonly j: Judging) {
    this.dues = new Dues(j.trace, j.profile, j.tally, j.out);
  }

  entry(e: TraceEntry, i: number, judged: boolean, violated: boolean): void {
    let k: string | undefined;
    if (e.dir === 'in' && e.seg?.badChecksum) return; // it never reached TCP (§3.1, MUST-3)
    if (e.dir === 'in' && e.seg) {
      k = keyOfIn(e.seg);
      this.input(e.seg, i, judged);
    } else if (e.dir === 'in' && e.icmp) {
      const q = e.icmp.quoted;
      k = tupleKey(q.srcPort, q.dst, q.dstPort);
      this.icmp(k, e.icmp, i);
    } else if (e.dir === 'out' && e.seg) {
      k = keyOfOut(e.seg);
      this.output(e.seg, i);
    } else if (e.dir === 'call' && e.call) {
      k = e.call.conn === undefined ? undefined : this.connKey.get(e.call.conn);
      this.call(e, i);
    } else if (e.dir === 'event' && e.event) {
      k = 'conn' in e.event ? this.connKey.get(e.event.conn) : undefined;
      this.event(e.event, e.t);
    }
    // The ESTABLISHED judge found the stack off the RFC's path: the walk cannot follow it further.
    const w = violated && e.seg ? this.walks.get(keyOfIn(e.seg)) : undefined;
    if (w) w.halted = 'violation';
    if (k === undefined) return;
    const live = this.live(k);
    const ev = e.event;
    if (live && ev) this.tell(k, ev);
    if (live && e.call) this.app(k, e.call, i);
    if (!live || ev?.type === 'reset' || (ev?.type === 'error' && !ev.busy)) this.dues.gone(k);
    else if (ev?.type === 'closed') this.dues.gone(k, true);
    else
      this.dues.outstanding(
        k,
        live.cands.map((c) => c.tcb),
        e.t,
        i,
      );
  }

  /** What the application was told, against what it is owed. */
  private tell(k: string, ev: StackEvent): void {
    if (ev.type === 'data') this.dues.told(k, { type: 'data', n: ev.data.length });
    else if (ev.type === 'end') this.dues.told(k, { type: 'end' });
    else if (ev.type === 'reset') this.dues.resetTold(k);
  }

  /** The application's calls that change what it is owed: reading paused or resumed, its handle closed. */
  private app(k: string, c: NonNullable<TraceEntry['call']>, i: number): void {
    if (c.refused) return;
    if (c.name === 'control' && c.control?.name === 'reading') this.dues.reading(k, c.control.paused, i);
    if (c.name === 'close' || c.name === 'abort') this.dues.letGo(k);
  }

  private live(k: string | undefined): Walk | undefined {
    const w = k === undefined ? undefined : this.walks.get(k);
    return w && !w.halted ? w : undefined;
  }

  private call(e: TraceEntry, i: number): void {
    const c = e.call!;
    if (c.name === 'listen' && c.port !== undefined && !c.refused) this.listening.add(c.port);
    if (c.name === 'connect' && c.port !== undefined && c.remote && c.conn) {
      const k = tupleKey(c.port, c.remote.addr, c.remote.port);
      this.walks.set(k, activeWalk(this.j.profile, c.port, c.remote, e.t));
      this.dues.fresh(k);
      this.connKey.set(c.conn, k);
      return;
    }
    const k = c.conn === undefined ? undefined : this.connKey.get(c.conn);
    const w = this.live(k);
    if (!w || c.refused) return;
    const ev: ModelEvent | undefined =
      c.name === 'write' && c.data
        ? { type: 'send', data: c.data }
        : c.name === 'close' || c.name === 'shutdown'
          ? { type: 'close' }
          : c.name === 'abort'
            ? { type: 'abort' }
            : undefined;
    if (!ev) return;
    w.beforeCall = { cands: w.cands, t: e.t };
    // Calls behind a deferred one wait behind it.
    const held = w.cands.filter((c) => c.deferred?.length);
    const branches = walkCall(
      w.cands.filter((c) => !c.deferred?.length),
      ev,
      e.t,
      this.j.step,
    );
    branches.push(...held.map((c) => unchanged(defer(c, ev))));
    // An interface may defer CLOSE or ABORT on a connection it is still opening until the handshake ends (Node's
    // socket does): in SYN-SENT, or in SYN-RECEIVED after crossing SYNs, the connection may still be opening.
    const opening = (c: Cand) => !c.deferred?.length && (c.tcb.state === 'SYN-SENT' || c.tcb.state === 'SYN-RECEIVED');
    if (ev.type !== 'send') branches.push(...w.cands.filter(opening).map((c) => unchanged(defer(c, ev))));
    // After CLOSE a socket interface has let go of the connection: a later ABORT may reach nothing.
    if (ev.type === 'abort') branches.push(...w.cands.filter((c) => c.tcb.finQueued).map(unchanged));
    this.settle(w, this.judge(w, branches, i, k!, undefined), i);
  }

  private event(ev: StackEvent, t: number): void {
    if (ev.type === 'accepted') {
      this.connKey.set(ev.conn, tupleKey(ev.localPort, ev.remote.addr, ev.remote.port));
      return;
    }
    const w = this.live(this.connKey.get(ev.conn));
    if (!w) return;
    if (ev.type === 'connected') w.cands = deferredDone(w.cands, t, this.j.step);
    // The TCB is gone; one still opening may outlive what the interface reports (a socket API may defer an abort
    // until the handshake ends).
    const opening = w.cands.filter((c) => c.tcb.state === 'SYN-SENT' || c.tcb.state === 'SYN-RECEIVED');
    if (ev.type === 'reset' || ev.type === 'closed') w.cands = dedupe([...dropped(w.cands), ...opening]);
    // An error may refuse the call just made (it did not take effect), or end the connection (a give-up).
    if (ev.type !== 'error' || ev.busy) return;
    const refused = w.beforeCall && w.beforeCall.t === t ? w.beforeCall.cands : [];
    w.cands = dedupe([...w.cands, ...refused, ...dropped(w.cands)]);
  }

  private input(seg: Segment, i: number, judged: boolean): void {
    const k = keyOfIn(seg);
    const t = this.j.trace[i]!.t;
    let w = this.walks.get(k);
    const bareSyn = (seg.flags & (SYN | ACK | RST)) === SYN;
    const open = !w || w.halted || w.cands.every((c) => ['CLOSED', 'TIME-WAIT', 'LISTEN'].includes(c.tcb.state));
    if (bareSyn && this.listening.has(seg.dstPort) && open) {
      const fresh = passiveCand(this.j.profile, seg, t);
      w =
        !w || w.halted
          ? new Walk([fresh])
          : new Walk(dedupe([...w.cands.filter((c) => c.tcb.state !== 'CLOSED'), fresh]));
      this.walks.set(k, w);
      this.dues.fresh(k);
    }
    if (!w && this.listening.has(seg.dstPort)) {
      w = new Walk([passiveCand(this.j.profile, seg, t)]); // a segment for no connection, to a listener
      this.walks.set(k, w);
      this.dues.fresh(k);
    }
    if (!w || w.halted) return;
    w.cands = timeWaitMayEnd(w.cands);
    // A tuple whose connection is gone belongs to the listener again, if the port has one (§3.10.7.2).
    if (this.listening.has(seg.dstPort))
      w.cands = dedupe(w.cands.map((c) => (c.tcb.state === 'CLOSED' ? passiveCand(this.j.profile, seg, t) : c)));
    w.cands = maybeDeferred(w.cands, t, this.j.step);
    w.before = { cands: w.cands, t };
    const branches = arrive(w.cands, seg, t, this.j.step, this.j.profile.ackRangeCheck === true);
    this.settle(w, judged ? branches : this.judge(w, branches, i, k, seg), i);
    if (w.halted) return;
    if (seg.flags & RST) this.dues.gone(k);
    else if (seg.flags & ACK) this.dues.peerAck(k, t);
    const x = takenIn(branches);
    if (!x) return;
    this.dues.oweAck(k, x.ack, i, x.state);
    const end = x.fin ? seqAdd(x.ack, -1) : x.ack;
    // Pushed: up to the end of this segment's text (what reassembly brought in after it may wait for its own PSH).
    const own = seqAdd(seg.seq, seg.payload.length);
    const pushed = seg.flags & (PSH | FIN) ? (seqLt(own, end) ? own : end) : undefined;
    this.dues.oweTell(k, x.irs, { end, pushed, fin: x.fin, i, state: x.state });
  }

  /**
   * An ICMP error quoting a segment of connection k (§3.9.2.2). One quoting a sequence number outside what some
   * candidate has in flight may be ignored (RFC 5927 §4.1): it goes to the walk unjudged only through the events it
   * causes.
   */
  private icmp(k: string, m: IcmpError, i: number): void {
    const w = this.live(k);
    if (!w) return;
    const t = this.j.trace[i]!.t;
    const q = m.quoted.seq;
    const inFlight = (c: Cand) => c.issBound && seqGe(q, c.tcb.sndUna) && seqLt(q, c.tcb.sndNxt);
    if (!w.cands.every(inFlight)) return;
    w.cands = maybeDeferred(w.cands, t, this.j.step);
    const before = w.cands;
    const branches = walkCall(w.cands, { type: 'icmp', icmpType: m.type, code: m.code }, t, this.j.step);
    this.settle(w, this.judge(w, branches, i, k, undefined), i);
    if (!w.halted) w.cands = [...w.cands, ...this.wentOn(before, branches, i, k)];
  }

  /**
   * A real clock may tell the abort a hard ICMP error owes after the next input, so its judgment waits; meanwhile the
   * stack may have gone on as if the error had not come. A deviant copy of each candidate follows that, so the rule
   * is the one named if only it explains what the stack does next (not a later rule of the aborted connection).
   */
  private wentOn(before: Cand[], branches: Branch[], i: number, k: string): Cand[] {
    if (!this.j.profile.realTime || seen(this.j.trace, i, k, true).quiet) return [];
    if (!branches.some((b) => b.rule === 'icmp-hard-aborts')) return [];
    const deviant = (c: Cand) => ({ rule: 'icmp-hard-aborts' as const, state: c.tcb.state });
    return before.filter((c) => !c.deviant).map((c) => ({ ...c, deviant: deviant(c) }));
  }

  private output(seg: Segment, i: number): void {
    const w = this.live(keyOfOut(seg));
    if (!w) return;
    const t = this.j.trace[i]!.t;
    const again = w.cands.some((c) => c.issBound && seqLt(seg.seq, c.tcb.sndNxt));
    this.dues.sent(keyOfOut(seg), seg, t, again, this.jumped);
    const ex = explain(maybeDeferred(w.cands, t, this.j.step), seg, t, this.j.step);
    const deviant = ex.cands.length > 0 && ex.cands.every((c) => c.deviant) && w.cands.some((c) => !c.deviant);
    if (deviant) {
      this.deviated(w, ex.cands[0]!.deviant!.rule, ex.cands[0]!.deviant!.state, seg, i);
      return;
    }
    if (ex.cands.length > 0) {
      for (const r of ex.rules) this.j.tally?.hit(`${TRACKER}/${r}`);
      w.cands = ex.cands;
      return;
    }
    // A real clock: the segment may have left before the latest input reached the stack.
    const crossed = this.j.profile.realTime && w.before && t - w.before.t < 200;
    if (crossed && explain(w.before!.cands, seg, t, this.j.step).cands.length > 0) return;
    const refused = ex.refused ?? { rule: 'send-syn' as const, why: 'before its SYN' };
    const r = SEND_RULES[refused.rule];
    this.j.out.push({
      property: TRACKER,
      check: `${TRACKER}/${refused.rule}`,
      requirements: [...r.requirements],
      section: r.section,
      message: sendViolationText(refused.rule, refused.why, seg, w.states),
      at: i,
      offending: describe(seg),
      state: w.states.join(' or '),
      allowed: r.allows,
    });
    w.halted = 'violation';
  }

  /** Only a branch the RFC does not allow explains the stack's segment: the rule it broke is the violation. */
  private deviated(w: Walk, rule: RuleId, state: string, seg: Segment, i: number): void {
    const r = RULES[rule];
    const did = r.reply === 'abort' ? 'went on' : 'took the segment in anyway';
    this.j.out.push({
      property: TRACKER,
      check: `${TRACKER}/${rule}`,
      requirements: [...r.requirements],
      section: r.section,
      message: `${r.section}: ${r.owes}; the stack ${did}: got ${describe(seg)}`,
      at: i,
      offending: describe(seg),
      state,
      allowed: r.owes,
    });
    w.halted = 'violation';
  }

  /** Judge the reply rules the branches took; the branches whose obligation the stack met go on. */
  private judge(w: Walk, branches: Branch[], i: number, k: string, seg: Segment | undefined): Branch[] {
    const { trace, profile, tally } = this.j;
    const unbound = (b: Branch) => !b.cand.issBound && b.from !== 'LISTEN' && b.from !== 'CLOSED';
    if (branches.length === 0 || branches.some((b) => b.rule === undefined || unbound(b))) return branches;
    // A dropped segment is judged by what the stack acknowledges next (a deviant branch names the rule).
    if (branches.every((b) => RULES[b.rule!].reply === 'drop')) tally?.hit(`${TRACKER}/${branches[0]!.rule}`);
    const wants = branches.map((b) => wantOf(b.rule!, b.result));
    if (wants.some((x) => x === undefined)) return branches;
    const s = seen(trace, i, k, profile.realTime ?? false);
    if (!s.quiet && wants.some((x) => x!.kind !== 'reset')) return branches;
    // Named after a connection that exists, where a fork also kept a CLOSED one.
    const rule = (branches.find((b) => b.from !== 'CLOSED') ?? branches[0]!).rule!;
    tally?.hit(`${TRACKER}/${rule}`);
    const throttled = ackThrottled(trace, i, profile);
    const met = branches.filter((_, n) => meets(wants[n]!, s, throttled));
    if (met.length > 0) return met;
    const states = w.states.join(' or ');
    const allowed = [...new Set(wants.map((x, n) => shown(x!, branches[n]!.result.tcb.sndNxt)))];
    this.j.out.push(replyViolation(rule, seg ? describe(seg) : trace[i]!.text, i, s, states, allowed));
    w.halted = 'violation';
    return branches;
  }

  private settle(w: Walk, branches: Branch[], i: number): void {
    const next = dedupe(branches.map((b) => b.cand));
    if (next.length > MAX_WALK) w.halted = `more than ${MAX_WALK} candidates at entry ${i}`;
    w.cands = next;
  }
}
