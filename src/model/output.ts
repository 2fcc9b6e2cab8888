// Building and sending segments: SYN, ACK, RST, data/FIN segmentation (§3.7), retransmission (§3.8.1).
import { ACK, CWR, ECE, ECN, FIN, PSH, RST, SYN, type Segment, type TcpOption, URG, segLen } from '../wire/segment.js';
import { seqAdd, seqDelta, seqDiff, seqGt } from '../wire/seq.js';
import type { Ctx } from './tcb.js';
import type { Tcb } from './types.js';

export function makeSegment(
  t: Tcb,
  f: { seq: number; ack?: number; flags: number; payload?: Uint8Array; options?: TcpOption[]; ect?: boolean },
): Segment {
  const remote = t.remote!;
  // §3.8.5: while SND.UP is ahead of the segment, URG and the pointer to the octet after the urgent data (MUST-62).
  const ahead = t.sndUp === undefined || f.flags & (RST | SYN) ? 0 : seqDelta(t.sndUp, f.seq);
  const fault = t.cfg.urgentFault;
  const shown = fault === 'end-segment-only' && ahead > (f.payload?.length ?? 0) ? 0 : ahead;
  const up = Math.min(0xffff, Math.max(0, shown - (fault === 'last-octet' && shown > 1 ? 1 : 0)));
  return {
    src: t.local.addr,
    dst: remote.addr,
    srcPort: t.local.port,
    dstPort: remote.port,
    seq: f.seq,
    ack: f.flags & ACK ? (f.ack ?? 0) : 0,
    flags: f.flags | (up > 0 ? URG : 0) | ecnEcho(t, f.flags),
    window: f.flags & RST ? 0 : Math.max(0, Math.min(0xffff, Math.floor(t.rcvWnd / 2 ** fieldShift(t, f.flags)))),
    urgent: up,
    options: f.options ?? [],
    payload: f.payload ?? new Uint8Array(0),
    // §3.9.2 (MUST-49) and §3.9.1.9 (MUST-48, SHLD-22): the connection's TTL and Diffserv value, unchanged.
    ttl: t.cfg.ttl,
    tos: (t.cfg.dscp << 2) | (ect(t, f) ? ECN.ect0 : 0),
  };
}

/** §6.1.3: with ECN in use, ACKs (not SYNs or RSTs) carry ECE while a CE mark waits for the peer's CWR. */
const ecnEcho = (t: Tcb, flags: number): number =>
  t.ecnOk && t.ecnEcho && flags & ACK && !(flags & (SYN | RST)) ? ECE : 0;

/** §6.1.1, §6.1.4–6: ECT only on new data of a connection using ECN (no SYNs, pure ACKs, retransmissions, probes). */
const ect = (t: Tcb, f: { flags: number; payload?: Uint8Array; ect?: boolean }): boolean =>
  !!t.ecnOk &&
  !(f.flags & (SYN | RST)) &&
  (!!(f.ect && f.payload?.length) || (t.cfg.ecnFault === 'ect-on-ack' && !f.payload?.length));

/** Queue a segment for sending; any ACK-bearing segment satisfies a pending ACK. */
export function emit(c: Ctx, seg: Segment): void {
  c.segs.push(seg);
  if (seg.flags & ACK) {
    c.ackNow = false;
    c.t.ackPending = 0;
    delete c.t.timers.delack;
  }
}

/** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (§3.10.7.4 step 1, challenge ACK of RFC 5961). */
export function sendAck(c: Ctx): void {
  emit(c, makeSegment(c.t, { seq: c.t.sndNxt, ack: c.t.rcvNxt, flags: ACK }));
}

/**
 * RCV.WND: the free receive buffer, at most what the window field can carry (65535 << the shift in effect; a
 * larger buffer without scaling is not offered, RFC 7323 §2.3).
 */
export const ownWindow = (t: Tcb): number => Math.max(0, Math.min(t.cfg.rcvBuf - t.rcvUnread.length, maxWindow(t)));

/** The largest window our field can offer: 65535 << the shift in effect. */
const maxWindow = (t: Tcb): number => 65535 * 2 ** rcvShift(t);

/**
 * Receiver SWS avoidance (§3.8.6.2.2, MUST-39): the right edge RCV.NXT + RCV.WND moves right only once it can move by
 * min(Fr × RCV.BUFF, Eff.snd.MSS), Fr = 1/2; until then it stays where it is. It never moves left: RCV.WND is at most
 * the free buffer, which data inside the window cannot make smaller than the window. Returns whether it moved.
 */
export function openWindow(t: Tcb): boolean {
  const free = ownWindow(t);
  const buf = Math.min(t.cfg.rcvBuf, maxWindow(t));
  const before = t.rcvWnd;
  t.rcvWnd = Math.min(t.rcvWnd, free);
  if (free - t.rcvWnd >= Math.min(Math.floor(buf / 2), t.sndMss) || (t.cfg.noReceiverSws && free > t.rcvWnd))
    t.rcvWnd = free;
  return t.rcvWnd > before;
}

/** The shift of our window field: none on a SYN (RFC 7323 §2.3), and none with the 'unshifted' fault. */
const fieldShift = (t: Tcb, flags: number): number =>
  flags & SYN || t.cfg.wscaleFault === 'unshifted' ? 0 : rcvShift(t);

/** RFC 7323 §2.2: the shifts in effect, 0 unless both SYNs carried a Window Scale option. */
export const rcvShift = (t: Tcb): number => (t.wsOffer !== undefined && t.wsPeer !== undefined ? t.wsOffer : 0);
export const sndShift = (t: Tcb): number =>
  t.wsOffer !== undefined && t.wsPeer !== undefined ? Math.min(t.wsPeer, 14) : 0;

/**
 * <SEQ=ISS><CTL=SYN> or <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, with MSS when offered (MUST-14), and a Window Scale
 * option when configured: on a SYN,ACK only if the peer's SYN had one (RFC 7323 §2.2).
 */
export function sendSyn(c: Ctx, withAck: boolean): void {
  const t = c.t;
  const mss = t.cfg.offerMss ? synOptions(t.cfg.mss, t.cfg.synLayout) : [];
  const asked = !withAck || t.wsPeer !== undefined || t.cfg.wscaleFault === 'unasked';
  const scale = t.cfg.wscale !== undefined && !t.cfg.track && asked;
  if (scale) t.wsOffer = t.cfg.wscale;
  // The Window Scale option goes before an EOL: nothing but zeros may follow one (MUST-69).
  const ws: TcpOption[] = scale ? [{ kind: 'wscale', shift: t.cfg.wscale! }] : [];
  const eol = mss.at(-1)?.kind === 'eol' ? mss.length - 1 : mss.length;
  const options: TcpOption[] = [...mss.slice(0, eol), ...ws, ...mss.slice(eol)];
  const flags = SYN | (withAck ? ACK : 0) | ecnSetup(t, withAck);
  emit(c, makeSegment(t, { seq: t.iss, ack: t.rcvNxt, flags, options }));
  armRexmt(c);
}

/**
 * RFC 3168 §6.1.1: an ECN-setup SYN (ECE and CWR) when we want ECN; an ECN-setup SYN,ACK (ECE alone) only to a SYN
 * that asked, after which ECN is in use.
 */
function ecnSetup(t: Tcb, withAck: boolean): number {
  const fault = t.cfg.ecnFault;
  if (!t.cfg.ecn || t.cfg.track || fault === 'refused') return 0;
  if (!withAck) {
    t.ecnAsked = true;
    return ECE | CWR;
  }
  if (!t.ecnPeerAsked && fault !== 'unasked') return 0;
  t.ecnOk = !!t.ecnPeerAsked;
  return ECE;
}

/** The MSS option in one of three layouts (MUST-4); the encoder pads the option area with zeros (EOL). */
function synOptions(value: number, layout: 'plain' | 'odd' | 'eol'): TcpOption[] {
  const mss: TcpOption = { kind: 'mss', value };
  const nop: TcpOption = { kind: 'nop' };
  if (layout === 'odd') return [nop, mss];
  if (layout === 'eol') return [nop, nop, nop, mss, { kind: 'eol' }];
  return [mss];
}

/** A RST answering `seg`, for a TCB-less context (§3.10.7.1) or an unacceptable ACK (§3.5.2). */
export function rstReply(seg: Segment): Segment | undefined {
  if (seg.flags & RST) return undefined; // never answer a RST with a RST
  const base = {
    src: seg.dst,
    dst: seg.src,
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    window: 0,
    urgent: 0,
    options: [],
    payload: new Uint8Array(0),
  };
  if (seg.flags & ACK) return { ...base, seq: seg.ack, ack: 0, flags: RST }; // <SEQ=SEG.ACK><CTL=RST>
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
  return { ...base, seq: 0, ack: seqAdd(seg.seq, segLen(seg)), flags: RST | ACK };
}

function armRexmt(c: Ctx): void {
  if (c.t.timers.rexmt === undefined) c.t.timers.rexmt = c.now + c.t.rto;
  if (c.t.timers.user === undefined) c.t.timers.user = c.now + c.t.cfg.userTimeout;
}

const synAcked = (t: Tcb): boolean => seqGt(t.sndUna, t.iss);

/** Octets of sndBuf already sent (SND.NXT - first unacked data octet), excluding a sent FIN. */
const sentData = (t: Tcb): number =>
  synAcked(t) ? Math.min(seqDiff(t.finSeq ?? t.sndNxt, t.sndBufSeq), t.sndBuf.length) : 0;

/** Octets up to the end of the current write (the segmentPerWrite fault), else no limit. */
function toWriteEnd(t: Tcb): number {
  const end = t.writeEnds?.find((e) => seqGt(e, t.sndNxt));
  return end === undefined ? Number.POSITIVE_INFINITY : seqDelta(end, t.sndNxt);
}

/**
 * Send what the window allows (§3.10.2 SEND, §3.7 segmentation), then the FIN once the queued
 * data is out (§3.10.4), then any ACK still owed. PSH marks the segment that empties the queue (MUST-61).
 */
export function output(c: Ctx): void {
  const t = c.t;
  // CLOSING too: data queued before CLOSE may still be waiting for window when the peer's FIN arrives.
  const sending =
    t.state === 'ESTABLISHED' ||
    t.state === 'CLOSE-WAIT' ||
    t.state === 'FIN-WAIT-1' ||
    t.state === 'LAST-ACK' ||
    t.state === 'CLOSING';
  if (sending && !t.cfg.track) {
    for (;;) {
      if (t.finSeq !== undefined) break;
      if (!synAcked(t) && t.sndBuf.length > 0) break;
      const off = sentData(t);
      const avail = t.sndBuf.length - off;
      const room = usableWindow(t);
      const n = Math.min(avail, t.sndMss, room, toWriteEnd(t));
      const fin =
        t.finQueued && avail - n === 0 && (t.state === 'FIN-WAIT-1' || t.state === 'LAST-ACK' || t.state === 'CLOSING');
      if (n <= 0 && !fin) {
        if (avail > 0 && room === 0 && t.sndNxt === t.sndUna && t.timers.persist === undefined) {
          t.timers.persist = c.now + t.rto; // zero-window probing (MUST-35/36, SHLD-29)
        }
        break;
      }
      const last = off + n === t.sndBuf.length;
      if (t.cfg.holdTail && last && n < t.sndMss && !fin) break;
      if (nagleHolds(t, n, fin)) break;
      if (!c.swsOverride && swsHolds(t, n, avail, room, fin)) {
        t.timers.persist ??= c.now + t.cfg.swsOverride;
        break;
      }
      const payload = t.sndBuf.slice(off, off + n);
      // §6.1.2: the first new data after the peer's ECE carries CWR.
      const cwr = n > 0 && t.ecnOk && t.ecnCwr && t.cfg.ecnFault !== 'no-cwr' ? CWR : 0;
      if (cwr) t.ecnCwr = false;
      emit(
        c,
        makeSegment(t, {
          seq: t.sndNxt,
          ack: t.rcvNxt,
          flags: ACK | (pushed(t, t.sndNxt, n, last) ? PSH : 0) | (fin ? FIN : 0) | cwr,
          payload,
          ect: true,
        }),
      );
      if (t.rttTiming === undefined) t.rttTiming = { seq: t.sndNxt, at: c.now };
      if (n > 0 && n < t.sndMss) t.sndSml = seqAdd(t.sndNxt, n);
      if (fin) t.finSeq = seqAdd(t.sndNxt, n);
      t.sndNxt = seqAdd(t.sndNxt, n + (fin ? 1 : 0));
      armRexmt(c);
    }
  }
  if (c.ackNow) sendAck(c);
}

/**
 * §3.7.4 Nagle (SHLD-7): a segment shorter than the MSS waits while data is outstanding (classic), or while an
 * earlier short segment is (Minshall's variant), unless the application turned Nagle off (MUST-17). A FIN, and the
 * data sent with it once the application has closed, never waits.
 */
function nagleHolds(t: Tcb, n: number, fin: boolean): boolean {
  if (urgentPending(t) || fin || t.finQueued || n >= t.sndMss || t.cfg.noDelay || t.cfg.nagle === 'off') return false;
  if (t.cfg.nagle === 'minshall') return t.sndSml !== undefined && seqGt(t.sndSml, t.sndUna);
  return t.sndNxt !== t.sndUna;
}

/**
 * §3.8.6.2.1 sender SWS avoidance (MUST-38): the window allows only a sliver — less than a full segment and less than
 * half the largest window the peer offered — and more data waits than fits: wait for more window or the override.
 */
function swsHolds(t: Tcb, n: number, avail: number, room: number, fin: boolean): boolean {
  if (t.cfg.noSenderSws || fin || urgentPending(t)) return false;
  return n === room && n < avail && n < t.sndMss && n < Math.floor(t.maxSndWnd / 2);
}

/**
 * §3.9.1.2: PSH on a segment of n octets from seq that carries the last octet of a pushed write (MAY-15), or that
 * empties the send queue when the last write was pushed (MUST-61).
 */
function pushed(t: Tcb, seq: number, n: number, last: boolean): boolean {
  if (n <= 0) return false;
  const ends = t.pushEnds ?? [];
  const end = seqAdd(seq, n);
  if (t.cfg.pushFault === 'queue-end-only') return last && ends.some((e) => !seqGt(e, end));
  return ends.some((e) => seqGt(e, seq) && !seqGt(e, end));
}

/** Urgent data waits to be sent: it goes at once, neither Nagle nor SWS avoidance holds it (§3.8.5). */
const urgentPending = (t: Tcb): boolean => t.sndUp !== undefined && seqGt(t.sndUp, t.sndNxt);

/** Octets the peer's window has room for beyond SND.NXT. */
export const usableWindow = (t: Tcb): number => Math.max(0, seqDelta(seqAdd(t.sndUna, t.sndWnd), t.sndNxt));

/** Retransmit the earliest unacknowledged segment (§3.8.1; RFC 6298 §5.4). */
export function retransmit(c: Ctx): void {
  const t = c.t;
  if (!synAcked(t)) {
    sendSyn(c, t.state !== 'SYN-SENT');
    return;
  }
  const outstanding = sentData(t);
  const n = Math.min(outstanding, t.sndMss);
  const fin = t.finSeq !== undefined && n === outstanding;
  if (n === 0 && !fin) return;
  emit(
    c,
    makeSegment(t, {
      seq: t.sndUna,
      ack: t.rcvNxt,
      flags: ACK | (fin ? FIN : 0) | (pushed(t, t.sndUna, n, n === t.sndBuf.length) ? PSH : 0),
      payload: t.sndBuf.slice(0, n),
    }),
  );
}

/** One new octet beyond a zero window (§3.8.6.1, MUST-36). */
export function sendWindowProbe(c: Ctx): void {
  const t = c.t;
  const off = sentData(t);
  if (off >= t.sndBuf.length || t.finSeq !== undefined) return;
  emit(c, makeSegment(t, { seq: t.sndNxt, ack: t.rcvNxt, flags: ACK, payload: t.sndBuf.slice(off, off + 1) }));
  t.sndNxt = seqAdd(t.sndNxt, 1);
  armRexmt(c);
}
