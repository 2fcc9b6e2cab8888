// SEGMENT ARRIVES (§3.10.7), per state, in the order the RFC gives.
import { match } from 'ts-pattern';
import { ACK, CWR, ECE, ECN, FIN, PSH, RST, SYN, type Segment, URG, ecnOf, mssOf, segLen } from '../wire/segment.js';
import { seqAdd, seqDelta, seqDiff, seqGt, seqInWindow, seqLe, seqLt } from '../wire/seq.js';
import { emit, makeSegment, openWindow, rstReply, sendAck, sendSyn, sndShift } from './output.js';
import { type Ctx, concat } from './tcb.js';
import type { State, Tcb } from './types.js';

/** §3.4 Table 5 / §3.10.7.4 Table 6: is a segment of length `len` at `segSeq` acceptable? */
export function acceptableSeq(segSeq: number, len: number, rcvNxt: number, rcvWnd: number): boolean {
  if (len === 0) return rcvWnd === 0 ? segSeq === rcvNxt : seqInWindow(segSeq, rcvNxt, rcvWnd);
  if (rcvWnd === 0) return false;
  return seqInWindow(segSeq, rcvNxt, rcvWnd) || seqInWindow(seqAdd(segSeq, len - 1), rcvNxt, rcvWnd);
}

export function segmentArrives(c: Ctx, seg: Segment): void {
  match(c.t.state)
    .with('CLOSED', () => closedArrives(c, seg))
    .with('LISTEN', () => listenArrives(c, seg))
    .with('SYN-SENT', () => synSentArrives(c, seg))
    .with(
      'SYN-RECEIVED',
      'ESTABLISHED',
      'FIN-WAIT-1',
      'FIN-WAIT-2',
      'CLOSE-WAIT',
      'CLOSING',
      'LAST-ACK',
      'TIME-WAIT',
      () => otherArrives(c, seg),
    )
    .exhaustive();
}

const has = (seg: { flags: number }, f: number): boolean => (seg.flags & f) !== 0;

/** §3.10.7.1: no TCB. Data is dropped; anything but a RST draws a RST. */
function closedArrives(c: Ctx, seg: Segment): void {
  const r = rstReply(seg);
  if (!r) return;
  c.rules.push('closed-resets');
  c.segs.push(r);
}

/** Effective send MSS: the peer's option, else 536 for IPv4 (MUST-15), never above our cap (MUST-16). */
function learnMss(t: Tcb, seg: Segment): void {
  t.sndMss = Math.max(1, Math.min(mssOf(seg) ?? 536, t.cfg.sendMssCap));
  const ws = seg.options.find((o) => o.kind === 'wscale');
  t.wsPeer = ws?.kind === 'wscale' ? ws.shift : undefined; // RFC 7323 §2.2: only a SYN's option counts
  // RFC 3168 §6.1.1: an ECN-setup SYN has ECE and CWR; an ECN-setup SYN,ACK answering ours has ECE alone.
  if (!has(seg, ACK)) t.ecnPeerAsked = has(seg, ECE) && has(seg, CWR);
  else t.ecnOk = !!t.ecnAsked && has(seg, ECE) && !has(seg, CWR);
}

/** RFC 3168 §6.1.2–3: the peer's CWR ends our echo, a CE mark starts it, the peer's ECE asks for our CWR. */
function ecnArrives(t: Tcb, seg: Segment): void {
  if (!t.ecnOk) return;
  if (has(seg, CWR)) t.ecnEcho = false;
  if (ecnOf(seg) === ECN.ce && t.cfg.ecnFault !== 'no-echo') t.ecnEcho = true;
  if (has(seg, ECE)) t.ecnCwr = true;
}

/** Text or FIN riding on a SYN waits for ESTABLISHED (§3.10.7.2 step 3, §3.10.7.3 step 4). */
function holdSynText(t: Tcb, seg: Segment): void {
  if (seg.payload.length > 0 || has(seg, FIN)) {
    t.ooo.push({ seq: seqAdd(seg.seq, 1), data: seg.payload, fin: has(seg, FIN), psh: has(seg, PSH) });
  }
}

/** §3.10.7.2 LISTEN. */
function listenArrives(c: Ctx, seg: Segment): void {
  const t = c.t;
  if (has(seg, RST)) return; // first: ignore a RST
  if (has(seg, ACK)) {
    c.rules.push('listen-ack-resets');
    c.segs.push(rstReply(seg)!); // second: <SEQ=SEG.ACK><CTL=RST>
    return;
  }
  if (!has(seg, SYN)) return; // fourth: anything else is dropped
  // third: a SYN
  t.remote = { addr: seg.src, port: seg.srcPort };
  t.origin = 'passive';
  t.irs = seg.seq;
  t.rcvNxt = seqAdd(seg.seq, 1);
  t.iss = t.cfg.isn({ now: c.now, local: t.local, remote: t.remote });
  t.sndUna = t.iss;
  t.sndNxt = seqAdd(t.iss, 1);
  t.sndBufSeq = t.sndNxt;
  t.sndWnd = seg.window;
  t.maxSndWnd = seg.window;
  learnMss(t, seg);
  holdSynText(t, seg);
  t.state = 'SYN-RECEIVED';
  sendSyn(c, true);
  t.rttTiming = { seq: t.iss, at: c.now };
}

/** §3.10.7.3 SYN-SENT. */
function synSentArrives(c: Ctx, seg: Segment): void {
  const t = c.t;
  // first: the ACK bit
  if (has(seg, ACK) && (seqLe(seg.ack, t.iss) || seqGt(seg.ack, t.sndNxt))) {
    c.rules.push(has(seg, RST) ? 'synsent-rst-ignored' : 'synsent-bad-ack-resets');
    if (!has(seg, RST)) c.segs.push(rstReply(seg)!); // <SEQ=SEG.ACK><CTL=RST>
    return;
  }
  const ackOk = has(seg, ACK) && seqLt(t.sndUna, seg.ack) && seqLe(seg.ack, t.sndNxt);
  // second: the RST bit
  if (has(seg, RST)) {
    c.rules.push(ackOk ? 'synsent-rst-refused' : 'synsent-rst-ignored');
    if (ackOk) {
      c.app.push({ type: 'refused' });
      closeTcb(c);
    }
    return;
  }
  // third: security/compartment is not modelled (no MLS).
  // fourth: the SYN bit
  if (!has(seg, SYN)) return; // fifth: neither SYN nor RST
  t.irs = seg.seq;
  t.rcvNxt = seqAdd(seg.seq, 1);
  learnMss(t, seg);
  if (ackOk) newAck(c, seg.ack);
  if (seqGt(t.sndUna, t.iss)) {
    // Our SYN is acknowledged: ESTABLISHED, take the window from this segment
    t.state = 'ESTABLISHED';
    updateWindow(t, seg, true);
    c.app.push({ type: 'established' });
    c.rules.push('synsent-synack-acked');
    c.ackNow = true;
    holdSynText(t, seg);
    drainText(c);
  } else {
    // Simultaneous open (Figure 7, MUST-10)
    c.rules.push('synsent-syn-crossing');
    t.state = 'SYN-RECEIVED';
    t.sndWnd = seg.window;
    t.maxSndWnd = Math.max(t.maxSndWnd, seg.window);
    t.sndWl1 = seg.seq;
    t.sndWl2 = seg.ack;
    holdSynText(t, seg);
    sendSyn(c, true);
  }
}

/** Working copy of the fields steps 1-8 may trim. */
interface Work {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payload: Uint8Array;
}

/** §3.10.7.4: SYN-RECEIVED and the synchronized states. */
function otherArrives(c: Ctx, seg: Segment): void {
  const t = c.t;
  let w: Work = { seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, payload: seg.payload };

  // Our SYN is unacknowledged (SYN-RECEIVED, or FIN-WAIT-1 after CLOSE there) and the peer repeats its SYN.
  if (t.sndUna === t.iss && has(w, SYN) && w.seq === t.irs) {
    if (!has(w, ACK)) {
      // The peer retransmitted its SYN: our SYN,ACK was lost, send it again (what our RTO would do).
      if (has(w, RST)) return;
      c.rules.push('synrcvd-syn-repeated');
      sendSyn(c, true);
      return;
    }
    // Simultaneous open: the peer's SYN,ACK repeats a SYN we already have; its ACK is what counts (Fig. 7 line 6).
    w = { ...w, seq: seqAdd(w.seq, 1), flags: w.flags & ~SYN };
  }

  // first: check the sequence number
  const len = segLen(w);
  // A fault (mutants only): with the window shut, everything is dropped but ACKs, RSTs included (MUST-66).
  if (t.cfg.zeroWindowDropsRst && t.rcvWnd === 0 && has(w, RST)) return;
  if (!acceptableSeq(w.seq, len, t.rcvNxt, t.rcvWnd)) {
    if (has(w, RST)) {
      c.rules.push('rst-outside-window');
      return;
    }
    if (t.state === 'TIME-WAIT' && has(w, FIN) && seqAdd(w.seq, len) === t.rcvNxt) {
      // The peer's FIN again: acknowledge it and restart the 2 MSL timer (§3.10.7.4 steps 5 and 8, TIME-WAIT).
      t.timers.timeWait = c.now + 2 * t.cfg.msl;
      c.rules.push('timewait-fin-acked');
      sendAck(c);
      return;
    }
    if (t.rcvWnd === 0 && w.seq === t.rcvNxt) {
      // MUST-66: a zero window still honours the ACK, RST and URG carried by the segment.
      c.rules.push('unacceptable-ack');
      sendAck(c);
      w = { ...w, payload: new Uint8Array(0), flags: w.flags & ~FIN };
    } else {
      c.rules.push('unacceptable-ack');
      sendAck(c);
      return;
    }
  }
  const synBit = has(w, SYN); // step 4 under RFC 5961 looks at the SYN bit whatever its position
  w = trimToWindow(t, w);

  // second: the RST bit
  if (has(w, RST)) {
    if (t.cfg.rfc5961 && w.seq !== t.rcvNxt) {
      c.rules.push('rst-challenge-ack');
      sendAck(c); // challenge ACK (RFC 5961 §3.2)
      return;
    }
    c.rules.push('rst-resets');
    resetPerState(c);
    return;
  }
  // third: security/compartment is not modelled.
  // fourth: the SYN bit (RFC 793 rules: only a SYN inside the window; the trimmed one was old)
  if (t.cfg.rfc5961 ? synBit : has(w, SYN)) {
    if (t.state === 'SYN-RECEIVED' && t.origin === 'passive') {
      returnToListen(c);
      return;
    }
    if (t.cfg.rfc5961) {
      c.rules.push('syn-challenge-ack');
      sendAck(c); // challenge ACK whatever SEG.SEQ is (RFC 5961 §4.2)
      return;
    }
    // RFC 793 rule: a SYN in the window is an error; reset the connection.
    c.rules.push('syn-resets');
    emit(c, makeSegment(t, { seq: t.sndNxt, flags: RST }));
    c.app.push({ type: 'reset' });
    closeTcb(c);
    return;
  }
  // fifth: the ACK field
  if (!has(w, ACK)) {
    c.rules.push('ack-bit-off');
    return;
  }
  ecnArrives(t, seg);
  // CLOSE in SYN-RECEIVED moved to FIN-WAIT-1 with our SYN still unacknowledged (§3.10.4).
  const synStillPending = t.sndUna === t.iss && t.state !== 'SYN-RECEIVED';
  if (t.state === 'SYN-RECEIVED') {
    if (!(seqLt(t.sndUna, w.ack) && seqLe(w.ack, t.sndNxt))) {
      c.rules.push('synrcvd-bad-ack-resets');
      c.segs.push(makeSegment(t, { seq: w.ack, flags: RST })); // <SEQ=SEG.ACK><CTL=RST>
      return;
    }
    t.state = t.finQueued ? 'FIN-WAIT-1' : 'ESTABLISHED';
    updateWindow(t, w, true);
    c.app.push({ type: 'established' });
  }
  if (t.cfg.rfc5961 && !t.cfg.noAckRangeCheck && seqLt(w.ack, seqAdd(t.sndUna, -t.maxSndWnd))) {
    c.rules.push('ack-too-old');
    sendAck(c); // MAY-12: ACK too old to be genuine
    return;
  }
  if (seqGt(w.ack, t.sndNxt)) {
    c.rules.push('ack-unsent');
    sendAck(c); // acknowledges something not yet sent
    return;
  }
  if (seqLt(t.sndUna, w.ack)) {
    if (synStillPending) {
      updateWindow(t, w, true);
      c.app.push({ type: 'established' });
    }
    newAck(c, w.ack);
  }
  if (seqLe(t.sndUna, w.ack)) updateWindow(t, w, false);
  if (w.ack === t.sndUna && t.sndWnd === 0 && t.sndNxt !== t.sndUna) probeAnswered(c);

  const finAcked = t.finSeq !== undefined && seqGt(t.sndUna, t.finSeq);
  const stop = match(t.state as State)
    .with('FIN-WAIT-1', () => {
      if (finAcked) t.state = 'FIN-WAIT-2';
      return false;
    })
    .with('CLOSING', () => {
      if (finAcked) enterTimeWait(c);
      return !finAcked; // otherwise ignore the segment
    })
    .with('LAST-ACK', () => {
      if (finAcked) closeTcb(c);
      return finAcked;
    })
    .with(
      'SYN-RECEIVED',
      'ESTABLISHED',
      'FIN-WAIT-2',
      'CLOSE-WAIT',
      'TIME-WAIT',
      'CLOSED',
      'LISTEN',
      'SYN-SENT',
      () => false,
    )
    .exhaustive();
  if (stop) return;

  if (textStates(t) && has(seg, URG)) urgentArrives(c, seqAdd(seg.seq, seg.urgent)); // sixth: the URG bit
  // seventh: segment text; eighth: the FIN bit
  // Other states have seen the peer's FIN already: their text is ignored.
  const fresh = w.payload.length > 0 || has(w, FIN);
  if (textStates(t) && fresh) t.ooo.push({ seq: w.seq, data: w.payload, fin: has(w, FIN), psh: has(w, PSH) });
  if (textStates(t) && t.ooo.length > 0) drainText(c, fresh); // also text held from a SYN
}

/** The states whose URG bit and text count: the peer's FIN is not in yet. */
const textStates = (t: Tcb): boolean =>
  t.state === 'ESTABLISHED' || t.state === 'FIN-WAIT-1' || t.state === 'FIN-WAIT-2';

/**
 * §3.10.7.4 sixth: RCV.UP moves to the furthest pointer seen; when it is ahead of what the application has read,
 * the application is told (MUST-32). The urgent data itself is delivered in line, in order (MUST-31).
 */
function urgentArrives(c: Ctx, up: number): void {
  const t = c.t;
  if (t.rcvUp !== undefined && !seqGt(up, t.rcvUp)) return;
  t.rcvUp = up;
  if (t.cfg.urgentFault === 'out-of-line') t.oobAt = seqAdd(up, -1);
  const read = seqAdd(t.rcvNxt, -t.rcvUnread.length);
  if (seqGt(up, read)) c.app.push({ type: 'urgent' });
}

/** Trim octets before RCV.NXT (the SYN first) and past the right window edge (the FIN last). */
function trimToWindow(t: Tcb, w: Work): Work {
  let { seq, flags, payload } = w;
  let before = seqDelta(t.rcvNxt, seq);
  if (before > 0) {
    if (flags & SYN) {
      flags &= ~SYN;
      seq = seqAdd(seq, 1);
      before--;
    }
    const cut = Math.min(before, payload.length);
    payload = payload.subarray(cut);
    seq = seqAdd(seq, cut);
  }
  const room = seqDiff(seqAdd(t.rcvNxt, t.rcvWnd), seq);
  if (payload.length >= room) {
    if (payload.length > room) flags &= ~PSH; // the pushed octet is cut off
    payload = payload.subarray(0, room);
    flags &= ~FIN; // the FIN lies at or past the right edge
  }
  return { ...w, seq, flags, payload };
}

/** New acknowledgment: advance SND.UNA, purge acked data, take an RTT sample (Karn), re-arm timers. */
function newAck(c: Ctx, ack: number): void {
  const t = c.t;
  if (t.rttTiming && seqGt(ack, t.rttTiming.seq)) {
    rttSample(t, c.now - t.rttTiming.at);
    t.rttTiming = undefined;
  }
  const dataAcked = Math.min(Math.max(0, seqDelta(ack, t.sndBufSeq)), t.sndBuf.length);
  if (dataAcked > 0) {
    t.sndBuf = t.sndBuf.subarray(dataAcked);
    t.sndBufSeq = seqAdd(t.sndBufSeq, dataAcked);
  }
  t.sndUna = ack;
  if (t.sndUp !== undefined && !seqGt(t.sndUp, ack)) delete t.sndUp; // the urgent data is acknowledged
  if (t.pushEnds?.length) t.pushEnds = t.pushEnds.filter((e) => seqGt(e, ack));
  t.rexmtCount = 0;
  if (t.sndUna === t.sndNxt) {
    delete t.timers.rexmt;
    delete t.timers.user;
  } else {
    t.timers.rexmt = c.now + t.rto;
    t.timers.user = c.now + t.cfg.userTimeout;
  }
}

/**
 * A zero window reported for what is in flight: the peer is there and answering the probe, so it counts toward
 * neither R2 nor the user timeout while the backoff goes on (§3.8.6.1 MUST-37).
 */
function probeAnswered(c: Ctx): void {
  const t = c.t;
  t.rexmtCount = 0;
  if (t.timers.user !== undefined) t.timers.user = c.now + t.cfg.userTimeout;
}

/** RFC 6298 §2.2-2.4 (clock granularity 1 ms). */
function rttSample(t: Tcb, r: number): void {
  if (t.srtt === undefined || t.rttvar === undefined) {
    t.srtt = r;
    t.rttvar = r / 2;
  } else {
    t.rttvar = 0.75 * t.rttvar + 0.25 * Math.abs(t.srtt - r);
    t.srtt = 0.875 * t.srtt + 0.125 * r;
  }
  t.rto = Math.min(t.cfg.rtoMax, Math.max(t.cfg.rtoMin, t.srtt + Math.max(1, 4 * t.rttvar)));
}

/** §3.10.7.4 step 5 window update (force: first window of the connection). */
function updateWindow(t: Tcb, w: { seq: number; ack: number; window: number; flags: number }, force: boolean): void {
  if (force || seqLt(t.sndWl1, w.seq) || (t.sndWl1 === w.seq && seqLe(t.sndWl2, w.ack))) {
    const wnd = w.window * 2 ** (has(w, SYN) ? 0 : sndShift(t)); // RFC 7323 §2.3: a SYN's window is never scaled
    t.sndWnd = wnd;
    t.sndWl1 = w.seq;
    t.sndWl2 = w.ack;
    t.maxSndWnd = Math.max(t.maxSndWnd, wnd);
    if (wnd > 0) delete t.timers.persist;
  }
}

/** Deliver held text in sequence order from RCV.NXT; process a FIN that becomes next (steps 7-8). */
function drainText(c: Ctx, fresh = true): void {
  const t = c.t;
  t.ooo.sort((a, b) => seqDelta(a.seq, b.seq));
  let delivered = 0;
  let progressed = true;
  while (progressed && !t.finReceived) {
    progressed = false;
    for (let i = 0; i < t.ooo.length; i++) {
      const s = t.ooo[i]!;
      const end = seqAdd(s.seq, s.data.length);
      if (seqGt(s.seq, t.rcvNxt)) continue;
      t.ooo.splice(i, 1);
      progressed = true;
      if (seqGt(end, t.rcvNxt)) {
        const fresh = s.data.subarray(seqDiff(t.rcvNxt, s.seq));
        deliver(c, fresh, s.psh);
        delivered += fresh.length;
      }
      if (s.fin && end === t.rcvNxt) processFin(c);
      break;
    }
  }
  if (t.finReceived) t.ooo = [];
  if (t.ooo.length > 0 && fresh) c.ackNow = true; // out of order: ACK at once (MAY-13, duplicate ACK)
  if (delivered > 0) {
    t.ackPending += delivered;
    if (!t.cfg.delayedAck || (t.ackPending >= 2 * t.cfg.mss && !t.cfg.noSecondSegmentAck))
      c.ackNow = true; // SHLD-19
    else if (t.timers.delack === undefined) t.timers.delack = c.now + t.cfg.ackDelay; // MUST-40
  }
}

/** Text taken in from RCV.NXT; psh: its last octet came with PSH (a push point, §3.9.1.3). */
function deliver(c: Ctx, got: Uint8Array, psh: boolean): void {
  const t = c.t;
  let data = got;
  if (data.length === 0) return;
  const oob = t.oobAt === undefined ? -1 : seqDelta(t.oobAt, t.rcvNxt);
  t.rcvNxt = seqAdd(t.rcvNxt, data.length);
  if (oob >= 0 && oob < data.length) {
    data = concat(data.subarray(0, oob), data.subarray(oob + 1)); // the out-of-line fault: that octet goes missing
    delete t.oobAt;
  }
  const fault = t.cfg.pushFault;
  const push = fault === 'never-told' ? false : psh || fault === 'always-told';
  if (t.cfg.autoReceive) c.app.push({ type: 'data', data: data.slice(), ...(push ? { push } : {}) });
  else {
    t.rcvUnread = concat(t.rcvUnread, data.slice());
    if (push) t.rcvUnreadPush = [...(t.rcvUnreadPush ?? []), t.rcvUnread.length];
  }
  if (t.cfg.track) return;
  t.rcvWnd = Math.max(0, t.rcvWnd - got.length); // the right edge stays where it was
  openWindow(t);
}

/** Eighth step: the FIN bit. */
function processFin(c: Ctx): void {
  const t = c.t;
  t.rcvNxt = seqAdd(t.rcvNxt, 1);
  t.finReceived = true;
  c.app.push({ type: 'eof' });
  c.ackNow = true;
  match(t.state)
    .with('SYN-RECEIVED', 'ESTABLISHED', () => {
      t.state = 'CLOSE-WAIT';
    })
    .with('FIN-WAIT-1', () => {
      if (t.finSeq !== undefined && seqGt(t.sndUna, t.finSeq)) enterTimeWait(c);
      else t.state = 'CLOSING';
    })
    .with('FIN-WAIT-2', () => enterTimeWait(c))
    .with('TIME-WAIT', () => {
      t.timers.timeWait = c.now + 2 * t.cfg.msl;
    })
    .with('CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'CLOSED', 'LISTEN', 'SYN-SENT', () => undefined)
    .exhaustive();
}

function enterTimeWait(c: Ctx): void {
  c.t.state = 'TIME-WAIT';
  c.t.timers = { timeWait: c.now + 2 * c.t.cfg.msl }; // start the time-wait timer, turn off the others
}

/** §3.10.7.4 step 2: a valid RST. */
function resetPerState(c: Ctx): void {
  const t = c.t;
  match(t.state)
    .with('SYN-RECEIVED', () => {
      if (t.origin === 'passive')
        returnToListen(c); // MUST-11
      else {
        c.app.push({ type: 'refused' });
        closeTcb(c);
      }
    })
    .with('ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', () => {
      c.app.push({ type: 'reset' });
      closeTcb(c);
    })
    .with('CLOSING', 'LAST-ACK', 'TIME-WAIT', () => closeTcb(c))
    .with('CLOSED', 'LISTEN', 'SYN-SENT', () => undefined)
    .exhaustive();
}

/** Delete the TCB: CLOSED with queues flushed and timers off. */
export function closeTcb(c: Ctx): void {
  const t = c.t;
  t.state = 'CLOSED';
  t.timers = {};
  t.sndBuf = new Uint8Array(0);
  t.ooo = [];
  c.ackNow = false;
  c.app.push({ type: 'closed' });
}

/** A passive SYN-RECEIVED connection goes back to LISTEN, forgetting the peer (MUST-11). */
export function returnToListen(c: Ctx): void {
  const t = c.t;
  t.state = 'LISTEN';
  t.remote = t.listenRemote;
  t.origin = undefined;
  t.timers = {};
  t.sndBuf = new Uint8Array(0);
  t.ooo = [];
  t.finQueued = false;
  t.finSeq = undefined;
  t.rexmtCount = 0;
  t.rto = t.cfg.rtoInitial;
  c.ackNow = false;
}
