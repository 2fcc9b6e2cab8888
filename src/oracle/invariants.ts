// Invariants judged on every trace, whatever the scenario. Each one is sound for any input: a
// correct stack can never trip it, because it only uses what the stack itself sent and what
// actually reached it.
import { ACK, FIN, PSH, RST, SYN, type Segment, describe, mssOf } from '../wire/segment.js';
import { seqDelta } from '../wire/seq.js';
import type { StackProfile } from '../stacks/adapter.js';
import type { TraceEntry } from '../harness/trace.js';
import { type ConnShadow, ShadowWalker, keyOfOut } from './shadow.js';
import type { Tally, Violation } from './types.js';

export interface InvariantInfo {
  name: string;
  requirements: string[];
  section: string;
  title: string;
}

export const INVARIANTS: readonly InvariantInfo[] = [
  {
    name: 'seq-space',
    requirements: [],
    section: '§3.4',
    title:
      'SYN and FIN each consume exactly one sequence number, pure ACKs and RSTs none; the byte stream is what the ' +
      'application wrote, retransmissions carry the same octets, nothing follows the FIN, never a second FIN',
  },
  {
    name: 'ack-received',
    requirements: [],
    section: '§3.4, §3.10.7.4 step 7',
    title: 'never acknowledge sequence space that did not reach the stack',
  },
  {
    name: 'peer-window',
    requirements: [],
    section: '§3.8.6, §3.10.2',
    title: "never send beyond the peer's offered window (one octet zero-window probes allowed)",
  },
  {
    name: 'mss',
    requirements: ['MUST-14', 'MUST-16'],
    section: '§3.7.1',
    title: "data segments fit the MSS the peer's SYN announced",
  },
  {
    name: 'mss-layout',
    requirements: ['MUST-4', 'MUST-14'],
    section: '§3.1, §3.7.1',
    title:
      "data segments fit the MSS the peer's SYN announced after NOPs, at an odd offset or before an EOL (the option " +
      'kinds every stack must know)',
  },
  {
    name: 'mss-default',
    requirements: ['MUST-15', 'MUST-16'],
    section: '§3.7.1',
    title: "data segments fit 536 octets when the peer's SYN carried no MSS option",
  },
  {
    name: 'mss-syn-only',
    requirements: ['MUST-65'],
    section: '§3.2, §3.7.1',
    title: 'the MSS option only on SYN segments',
  },
  {
    name: 'mss-sent',
    requirements: ['MUST-14'],
    section: '§3.7.1',
    title: 'the stack announces its MSS on its SYNs (counted; a stack that never does leaves MUST-14 unearned)',
  },
  {
    name: 'mss-on-syn',
    requirements: ['SHLD-5'],
    section: '§3.7.1',
    title:
      'every SYN of the stack carries an MSS option: its link takes 1500-octet datagrams, so its receive MSS is not ' +
      'the default 536 (a stack whose receive MSS is 536 declares that as a deviation)',
  },
  {
    name: 'no-data-before-established',
    requirements: [],
    section: '§3.10.2, §3.10.7',
    title:
      'no data sent before the SYN is acknowledged, none delivered to the application before the connection is ' +
      'established',
  },
  { name: 'no-rst-for-rst', requirements: [], section: '§3.5.2', title: 'a RST is never answered with a RST' },
  {
    name: 'window-edge',
    requirements: ['SHLD-14'],
    section: '§3.8.6',
    title:
      'the right edge the stack offers (RCV.NXT+RCV.WND) never moves left (judged where no window scaling is in ' +
      'effect: a scaled window is rounded to its shift)',
  },
  {
    name: 'psh-last',
    requirements: ['MUST-61'],
    section: '§3.9.1.2',
    title:
      'the segment that sends the last octet written so far (the send queue empties) carries PSH, unless the ' +
      'application wrote that data without the PUSH flag',
  },
  {
    name: 'push-write',
    requirements: ['MAY-15'],
    section: '§3.9.1.2',
    title:
      'a stack whose SEND takes a PUSH flag (it offers push): the new segment that carries the last octet of a ' +
      'pushed write has PSH, though more written data waits behind it',
  },
  {
    name: 'in-order-delivery',
    requirements: [],
    section: '§3.10.7.4 step 7',
    title: "the application receives the peer's octets in order, exactly once",
  },
];

const info = (name: string): InvariantInfo => INVARIANTS.find((i) => i.name === name)!;

/** Flag a violation of invariant `name`; `sub` narrows its cause (check id name/sub). */
type Flag = (name: string, message: string, allowed?: string, sub?: string) => void;
type Hit = (name: string) => void;

/** What one judge sees of a stack segment: the segment, its connection's shadow before it, and a way to flag. */
interface OutCtx {
  s: Segment;
  c: ConnShadow;
  flag: Flag;
  hit: Hit;
  /** The stack's ISN on this connection (the segment's own when it is a SYN). */
  synSeq: number | undefined;
  /** The input that came last before it (what a RST may be answering). */
  cause: TraceEntry | undefined;
  /** When the stack sent it. */
  t: number;
  /** The stack's SEND takes a PUSH flag (it offers the push control). */
  pushApi: boolean;
}

/** no-rst-for-rst (§3.5.2). */
function noRstForRst({ s, cause, flag, hit }: OutCtx): void {
  if (cause?.dir === 'in' && cause.seg && cause.seg.flags & RST) hit('no-rst-for-rst');
  if (s.flags & RST && cause?.dir === 'in' && cause.seg && cause.seg.flags & RST) {
    flag('no-rst-for-rst', 'the stack answered a RST with a RST', 'no reply to a RST');
  }
}

/** mss (§3.7.1): the option only on SYNs, and segments within the peer's MSS (536 when it sent none). */
function mssFits({ s, c, flag, hit, synSeq }: OutCtx): void {
  if (s.flags & SYN && mssOf(s) !== undefined) hit('mss-sent');
  if (s.flags & SYN && !(s.flags & RST)) {
    hit('mss-on-syn');
    if (mssOf(s) === undefined) flag('mss-on-syn', 'a SYN without an MSS option', 'an MSS option on every SYN');
  }
  if (!(s.flags & SYN)) {
    hit('mss-syn-only');
    if (mssOf(s) !== undefined) flag('mss-syn-only', 'MSS option on a segment without SYN', 'MSS only on SYN segments');
  }
  const len = s.payload.length;
  if (synSeq === undefined || s.flags & SYN || len === 0 || c.peerIss === undefined) return;
  // The peer's SYN fixes the MSS; 536 when it carried none (§3.7.1).
  const name = !c.peerMssOption ? 'mss-default' : c.peerMssMoved ? 'mss-layout' : 'mss';
  const mss = c.peerMss ?? 536;
  hit(name);
  if (len <= mss) return;
  const none = name === 'mss-default' ? ' (536 when the SYN carried none)' : '';
  flag(name, `${len} data octets exceed the peer's MSS ${mss}${none}`, `at most ${mss} octets`);
}

/** seq-space (§3.4), on a SYN: a retransmitted SYN keeps its ISN. */
function synKeepsIsn({ s, c, flag, hit }: OutCtx): void {
  if (s.flags & SYN && c.stackIss !== undefined && !c.mayHaveEnded) hit('seq-space');
  if (!(s.flags & SYN) || c.stackIss === undefined || s.seq === c.stackIss || c.mayHaveEnded) return;
  const msg = `SYN with ISN ${s.seq}, but this connection's ISN is ${c.stackIss}`;
  flag('seq-space', msg, `SEQ=${c.stackIss} (a retransmitted SYN keeps its ISN)`);
}

/** SEQ=SND.NXT-1, nothing outstanding, empty or one octet, no FIN sent or carried: the keep-alive form (§3.8.4). */
const isKeepAlive = ({ s, c }: OutCtx, off: number): boolean =>
  s.payload.length <= 1 &&
  !(s.flags & FIN) &&
  c.stackFinOff === undefined &&
  off === c.peerAckMax - 1 &&
  c.stackMax === c.peerAckMax;

/** seq-space (§3.4) after the SYN: offsets from the ISN, the byte stream, the FIN. */
function seqSpace(ctx: OutCtx): void {
  const { s, c, flag, hit, synSeq } = ctx;
  if (synSeq === undefined || s.flags & SYN) return;
  hit('seq-space');
  const off = seqDelta(s.seq, synSeq);
  const len = s.payload.length;
  const abs = (o: number): number => (synSeq + o) >>> 0;
  // The keep-alive form (below) on a connection that never sent data sits at the ISN: allowed when nothing prompted it.
  const unprompted = ctx.t - (ctx.cause?.t ?? 0) > 1000;
  if (off < 1 && !(off === 0 && unprompted && isKeepAlive(ctx, off))) {
    const msg = `segment at sequence offset ${off} from the ISN: the SYN did not consume its sequence number`;
    flag('seq-space', msg, `SEQ >= ISN+1 = ${abs(1)}`);
  } else if (off > c.stackMax) {
    const msg = `segment starts ${off - c.stackMax} past the highest sequence number sent (${abs(c.stackMax)})`;
    flag('seq-space', msg, `SEQ <= ${abs(c.stackMax)}`);
  }
  // SEQ=SND.NXT-1 with nothing outstanding, empty or one garbage octet, before any FIN: the keep-alive form (§3.8.4,
  // MAY-6), which some stacks also use to probe a zero window. After a FIN that octet is the FIN's own number.
  if (isKeepAlive(ctx, off)) return;
  if (len === 0 && !(s.flags & FIN) && off >= 1 && off < c.peerAckMax) {
    const msg =
      `pure ACK at SEQ=${s.seq}, below SND.UNA=${abs(c.peerAckMax)} that the peer already acknowledged ` +
      '(a FIN or SYN did not consume its sequence number)';
    flag('seq-space', msg, `SEQ=SND.NXT >= ${abs(c.peerAckMax)}`);
  }
  if (len > 0) seqSpaceData(ctx, off);
  if (s.flags & FIN) seqSpaceFin(ctx, off + len);
}

function seqSpaceData({ s, c, flag }: OutCtx, off: number): void {
  const len = s.payload.length;
  if (c.stackFinOff !== undefined && off + len > c.stackFinOff) {
    flag(
      'seq-space',
      `data at offsets up to ${off + len - 1}, past the FIN at ${c.stackFinOff}`,
      'nothing after the FIN',
      'fin-order',
    );
  }
  for (let i = 0; i < len; i++) {
    const k = off - 1 + i;
    const prev = c.stackBytes.get(k);
    const octet = s.payload[i]!;
    if (prev !== undefined && prev !== octet) {
      const msg = `retransmission changed octet ${k} (0x${prev.toString(16)} -> 0x${octet.toString(16)})`;
      flag('seq-space', msg, 'the same octets at the same sequence numbers');
      return;
    }
    if (c.conn !== undefined && (k >= c.written.length || c.written[k] !== octet)) {
      const msg =
        k >= c.written.length
          ? `octet ${k} sent, but the application wrote only ${c.written.length}`
          : `octet ${k} differs from what the application wrote`;
      flag('seq-space', msg, 'exactly the written byte stream');
      return;
    }
  }
}

function seqSpaceFin({ c, flag }: OutCtx, finOff: number): void {
  if (c.stackFinOff !== undefined && finOff !== c.stackFinOff) {
    const msg = `a second FIN at offset ${finOff}; the first was at ${c.stackFinOff}`;
    flag('seq-space', msg, `the FIN only at offset ${c.stackFinOff}`, 'fin-order');
  }
  if (c.conn !== undefined && !c.closeCalled)
    flag('seq-space', 'FIN sent although the application never closed', 'FIN only after CLOSE');
}

/** no-data-before-established (§3.10.2, §3.10.7): no data on the SYN, none before the SYN is acknowledged. */
function noDataBeforeEstablishedOut({ s, c, flag, hit, synSeq }: OutCtx): void {
  if (s.payload.length === 0) return;
  hit('no-data-before-established');
  if (s.flags & SYN)
    flag(
      'no-data-before-established',
      `${s.payload.length} data octets on a SYN`,
      'no data before the handshake completes',
    );
  else if (synSeq !== undefined && !c.synAcked) {
    const msg = 'data sent before the peer acknowledged the SYN';
    flag('no-data-before-established', msg, 'data only once ESTABLISHED', 'before-syn-acked');
  }
}

/** peer-window (§3.8.6): never beyond the right edge offered (one octet allowed for a zero-window probe). */
function peerWindow({ s, c, flag, hit, synSeq }: OutCtx): void {
  if (synSeq === undefined || s.flags & SYN || s.payload.length === 0 || c.peerEdge === undefined) return;
  hit('peer-window');
  const end = seqDelta(s.seq, synSeq) + s.payload.length;
  if (end <= c.peerEdge + 1) return;
  const msg = `data up to offset ${end} beyond the peer's window edge ${c.peerEdge}`;
  flag('peer-window', msg, `SEQ+LEN <= SND.UNA+SND.WND = ${(synSeq + c.peerEdge) >>> 0}`);
}

/** window-edge (§3.8.6, SHLD-14): the offered right edge ACK+WND never moves left of the last one offered. */
function windowEdge({ s, c, flag, hit }: OutCtx): void {
  const before = c.offeredEdge;
  if (!(s.flags & ACK) || s.flags & SYN || before === undefined || c.scaled) return;
  hit('window-edge');
  const moved = seqDelta((s.ack + s.window) >>> 0, before);
  if (moved >= 0) return;
  // The field read as shifted by the scale the stack offered, which the peer never agreed to (RFC 7323 §2.2).
  const shift = c.stackWscale ?? 0;
  if (shift > 0 && seqDelta((s.ack + s.window * 2 ** shift) >>> 0, before) >= 0) {
    const msg =
      `the window field ${s.window} is the stack's window shifted by the scale ${shift} it offered, which the peer ` +
      `did not: unscaled, the right edge moved left by ${-moved} octets`;
    flag('window-edge', msg, `ACK+WND >= ${before} (no scaling without both SYNs offering it)`, 'unagreed-scale');
    return;
  }
  flag(
    'window-edge',
    `the offered window's right edge moved left by ${-moved} octets (ACK ${s.ack} + WND ${s.window}, after ${before})`,
    `ACK+WND >= ${before}`,
  );
}

/**
 * The data offsets [from, to) of a segment that sends new data within the peer's window: first transmissions only,
 * probes and sends past a shrunk window aside. Undefined for anything else.
 */
function newData({ s, c, synSeq }: OutCtx): { from: number; to: number } | undefined {
  const len = s.payload.length;
  if (synSeq === undefined || s.flags & SYN || len === 0 || c.conn === undefined) return undefined;
  const from = seqDelta(s.seq, synSeq) - 1; // data offset of the segment's first octet
  const to = from + len;
  const probe = c.probeEdge !== undefined && to + 1 > c.probeEdge;
  return to + 1 <= c.stackMax || probe ? undefined : { from, to };
}

/** psh-last (§3.9.1.2, MUST-61): new data that empties the send queue is pushed; probes beyond the window aside. */
function pshLast(ctx: OutCtx): void {
  const { s, c, flag, hit } = ctx;
  const span = newData(ctx);
  if (!span || span.to !== c.written.length) return;
  if (c.writeEnds.get(c.written.length) === false) return; // written without PUSH: MUST-61 does not apply
  hit('psh-last');
  if (s.flags & PSH) return;
  flag(
    'psh-last',
    `the segment sends the last of the ${c.written.length} octets written, emptying the send queue, without PSH`,
    'PSH on the segment that empties the send queue',
  );
}

/**
 * push-write (§3.9.1.2, MAY-15): with a PUSH flag on SEND, PSH goes on the segment that carries the last octet of a
 * pushed write; where that octet empties the send queue, psh-last judges instead. New data only, probes aside.
 */
function pushWrite(ctx: OutCtx): void {
  const { s, c, flag, hit, pushApi } = ctx;
  const span = pushApi ? newData(ctx) : undefined;
  if (!span) return;
  const end = [...c.writeEnds].find(([e, pushed]) => pushed && e > span.from && e <= span.to && e < c.written.length);
  if (!end) return;
  hit('push-write');
  if (s.flags & PSH) return;
  flag(
    'push-write',
    `the segment carries octet ${end[0] - 1}, the last of a pushed write, without PSH (${c.written.length} octets ` +
      'written so far)',
    'PSH on the segment that carries the last octet of a pushed write',
  );
}

/** ack-received (§3.10.7.4 step 7): never acknowledge sequence space that did not reach the stack. */
function ackReceived({ s, c, flag, hit }: OutCtx): void {
  if (!(s.flags & ACK) || c.peerIss === undefined) return;
  hit('ack-received');
  const named = (s.ack - 1) >>> 0;
  if (s.flags & SYN) {
    if (!c.peerSyns.has(named))
      flag('ack-received', `SYN,ACK acknowledges ${s.ack}, but no SYN with SEQ=${named} reached the stack`);
    return;
  }
  // The stack's first ACK names the peer SYN it accepted: nothing to judge yet.
  if (!c.stackAckedAny && c.peerSyns.has(named)) return;
  const end = c.covEnd();
  if (seqDelta(s.ack, c.peerIss) <= end) return;
  const upTo = (c.peerIss + end) >>> 0;
  flag(
    'ack-received',
    `acknowledges ${s.ack}, but the peer's sequence space reached the stack only up to ${upTo}`,
    `ACK <= ${upTo}`,
  );
}

/** Judges of a stack segment, in the order their findings are reported; a RST is judged only by the first. */
const OUT_JUDGES = [
  synKeepsIsn,
  seqSpace,
  noDataBeforeEstablishedOut,
  peerWindow,
  mssFits,
  ackReceived,
  windowEdge,
  pshLast,
  pushWrite,
];

/** Application events: no data before ESTABLISHED, and the peer's octets in order, exactly once. */
function judgeDelivery(e: TraceEntry, w: ShadowWalker, flag: Flag, hit: Hit): void {
  const ev = e.event;
  if (ev?.type !== 'data') return;
  hit('no-data-before-established');
  hit('in-order-delivery');
  const c = w.forConn(ev.conn);
  if (!c?.established) {
    const msg = `the application received ${ev.data.length} octets on connection ${ev.conn} before it was established`;
    flag('no-data-before-established', msg, 'data only after accepted/connected');
    return;
  }
  for (let i = 0; i < ev.data.length; i++) {
    const k = c.delivered + i;
    const cands = c.peerBytes.get(k);
    if (cands?.has(ev.data[i]!)) continue;
    const msg =
      `octet ${k} delivered to the application (0x${ev.data[i]!.toString(16)}) is not what the peer sent at that ` +
      `position${cands ? '' : ' (nothing reached the stack there)'}`;
    const allowed = cands
      ? `one of ${[...cands].map((b) => `0x${b.toString(16)}`).join(', ')}`
      : 'no delivery until that octet arrives';
    flag('in-order-delivery', msg, allowed);
    return;
  }
}

/**
 * Judge every entry once, each with the shadow as it stood before the entry; then update the shadow.
 * Profile-independent by design: nothing here depends on what a stack declares.
 */
export function checkInvariants(trace: TraceEntry[], profile?: StackProfile, tally?: Tally): Violation[] {
  const w = new ShadowWalker();
  const pushApi = profile?.controls?.includes('push') ?? false;
  const out: Violation[] = [];
  let lastInput = -1;
  const hit: Hit = (name) => tally?.hit(info(name).name);
  trace.forEach((e, at) => {
    const flag: Flag = (name, message, allowed, sub) => {
      const i = info(name);
      const offending = e.seg ? describe(e.seg) : e.text;
      const check = sub ? `${name}/${sub}` : name;
      const base = { property: name, check, requirements: [...i.requirements], section: i.section };
      out.push({ ...base, message, at, offending, ...(allowed ? { allowed } : {}) });
    };
    if (e.dir === 'event') judgeDelivery(e, w, flag, hit);
    else if (e.dir === 'out' && e.seg) {
      const s = e.seg;
      const c = w.get(keyOfOut(s));
      const synSeq = s.flags & SYN ? s.seq : c.stackIss;
      const ctx: OutCtx = { s, c, flag, hit, synSeq, cause: trace[lastInput], t: e.t, pushApi };
      noRstForRst(ctx);
      if (!(s.flags & RST)) for (const judge of OUT_JUDGES) judge(ctx);
    }
    if (e.dir === 'in' || e.dir === 'call' || e.dir === 'time') lastInput = at;
    w.apply(e, at);
  });
  return out;
}
