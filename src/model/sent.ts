// "The stack sent this segment": the model takes a segment the stack under test chose to send, checks it against
// the sending rules (rules.ts SEND_RULES) for the state it has, and binds what the segment shows — SND.NXT, the FIN's
// sequence number, the window the stack offers. Nothing the RFC leaves to the stack is predicted: when, how much
// and how it is cut into segments are the stack's; only what no state allows is refused.
import { ACK, FIN, RST, SYN, type Segment } from '../wire/segment.js';
import { seqAdd, seqDelta, seqGt, seqLe } from '../wire/seq.js';
import type { SendRuleId } from './rules.js';
import type { Ctx } from './tcb.js';
import { rcvShift } from './output.js';
import type { Tcb } from './types.js';

const has = (seg: { flags: number }, f: number): boolean => (seg.flags & f) !== 0;

export function stackSent(c: Ctx, seg: Segment): void {
  const no = apply(c, seg);
  if (no) c.refused = { rule: no[0], why: no[1] };
}

type Refusal = [SendRuleId, string];

function apply(c: Ctx, seg: Segment): Refusal | undefined {
  const t = c.t;
  if (t.state === 'CLOSED' || t.state === 'LISTEN') {
    if (!has(seg, RST)) return ['send-closed', `${t.state}: there is no connection to send on`];
    c.rules.push('send-closed');
    return undefined;
  }
  if (has(seg, RST)) {
    resetSent(t, seg);
    return undefined;
  }
  const why = synProblem(t, seg) ?? ackProblem(t, seg);
  if (why) return why;
  if (has(seg, SYN)) {
    c.rules.push('send-syn');
    const ws = seg.options.find((o) => o.kind === 'wscale');
    t.wsOffer = ws?.kind === 'wscale' ? ws.shift : undefined; // RFC 7323 §2.2: the stack's own offer
  }
  if (t.state !== 'SYN-SENT') c.rules.push('send-ack');
  const start = has(seg, SYN) ? seqAdd(seg.seq, 1) : seg.seq;
  if (seqGt(seg.seq, t.sndNxt)) return ['send-seq', `SEQ=${seg.seq} leaves a gap after SND.NXT=${t.sndNxt}`];
  c.rules.push('send-seq');
  if (seg.payload.length > 0) {
    const bad = textProblem(t, start, seg.payload);
    if (bad) return ['send-text', bad];
    c.rules.push('send-text');
  }
  if (has(seg, FIN)) {
    const finAt = seqAdd(start, seg.payload.length);
    const want = t.finSeq ?? seqAdd(t.sndBufSeq, t.sndBuf.length);
    if (!t.finQueued) return ['send-fin', 'a FIN before the application closed'];
    if (finAt !== want) return ['send-fin', `FIN at ${finAt}; after the last octet written it is ${want}`];
    t.finSeq = finAt;
    c.rules.push('send-fin');
  }
  const end = seqAdd(start, seg.payload.length + (has(seg, FIN) ? 1 : 0));
  if (seqGt(end, t.sndNxt)) t.sndNxt = end;
  // The window the stack offers is its choice (§3.8.6), shifted when scaling is in effect (never on a SYN).
  t.rcvWnd = seg.window * 2 ** (has(seg, SYN) ? 0 : rcvShift(t));
  return undefined;
}

/**
 * A RST at SND.UNA..SND.NXT ends a synchronized connection; one elsewhere answers a segment (<SEQ=SEG.ACK>) and ends
 * nothing. In SYN-SENT a RST only answers an unacceptable ACK (§3.10.7.3 first check).
 */
function resetSent(t: Tcb, seg: Segment): void {
  const ends = t.state === 'SYN-RECEIVED' ? seg.seq === t.sndNxt : seqLe(t.sndUna, seg.seq) && seqLe(seg.seq, t.sndNxt);
  if (t.state !== 'SYN-SENT' && ends) {
    t.state = 'CLOSED';
    t.timers = {};
    t.sndBuf = new Uint8Array(0);
    t.ooo = [];
  }
}

function synProblem(t: Tcb, seg: Segment): Refusal | undefined {
  const peerSyn = t.state !== 'SYN-SENT';
  if (!has(seg, SYN)) return peerSyn ? undefined : ['send-syn', 'in SYN-SENT the stack has only its SYN to send'];
  if (t.sndUna !== t.iss) return ['send-syn', `a SYN after its SYN was acknowledged (SND.UNA=${t.sndUna})`];
  if (seg.seq !== t.iss) return ['send-syn', `SYN at ${seg.seq}, ISS=${t.iss}`];
  if (peerSyn && !has(seg, ACK)) return ['send-syn', 'a SYN without ACK after the peer SYN arrived'];
  if (!peerSyn && has(seg, ACK)) return ['send-syn', 'a SYN,ACK before any peer SYN arrived'];
  return undefined;
}

function ackProblem(t: Tcb, seg: Segment): Refusal | undefined {
  if (t.state === 'SYN-SENT') return undefined;
  if (!has(seg, ACK)) return ['send-ack', 'no ACK bit on a segment after the peer SYN arrived'];
  if (seg.ack !== t.rcvNxt) return ['send-ack', `ACK=${seg.ack}, RCV.NXT=${t.rcvNxt}`];
  return undefined;
}

/** Octets from `start`: written by the application, and sent only once the stack's SYN is acknowledged. */
function textProblem(t: Tcb, start: number, data: Uint8Array): string | undefined {
  if (t.sndUna === t.iss) return `${data.length} octets before its SYN was acknowledged`;
  const off = seqDelta(start, t.sndBufSeq);
  const beyond = off + data.length - t.sndBuf.length;
  if (beyond > 0) return `${beyond} octets beyond what the application wrote`;
  for (let i = Math.max(0, -off); i < data.length; i++) {
    if (t.sndBuf[off + i] !== data[i]) return `the octet at SEQ=${seqAdd(start, i)} is not the one written there`;
  }
  return undefined;
}
