// The shadow: what the trace says about each connection of the stack under test. Values the
// stack chooses (ISN, window, MSS, segmentation) are bound from what it sent, never predicted.
import { ACK, FIN, RST, SYN, type Segment, mssOf, mssOffset, segLen } from '../wire/segment.js';
import { seqDelta } from '../wire/seq.js';
import type { ConnId } from '../stacks/adapter.js';
import type { TraceEntry } from '../harness/trace.js';

/** The MSS option is there but not first in the option area (MUST-4). */
const mssMoved = (s: Segment): boolean => (mssOffset(s) ?? 0) > 0;

export const tupleKey = (stackPort: number, peerAddr: string, peerPort: number): string =>
  `${stackPort}|${peerAddr}|${peerPort}`;
export const keyOfOut = (s: Segment): string => tupleKey(s.srcPort, s.dst, s.dstPort);
export const keyOfIn = (s: Segment): string => tupleKey(s.dstPort, s.src, s.srcPort);

/** One incarnation of a connection as seen on the wire. Offsets are relative to the ISNs. */
export class ConnShadow {
  stackIss: number | undefined;
  peerIss: number | undefined;
  /** Highest sequence offset the stack has sent (SYN = 1). */
  stackMax = 0;
  /** Data bytes the stack has sent, by data offset (0 = first octet after the SYN). */
  readonly stackBytes = new Map<number, number>();
  /** Offset of the stack's FIN octet. */
  stackFinOff: number | undefined;
  /** Highest valid ACK from the peer (offset from stackIss): the stack's SND.UNA. */
  peerAckMax = 0;
  /** Rightmost edge the peer has offered (offset from stackIss). */
  peerEdge: number | undefined;
  /** The edge of the peer's latest ACK: below peerEdge when the window shrank (or its scale rounded it to zero). */
  peerEdgeLast: number | undefined;
  peerMss: number | undefined;
  /** SYN sequence numbers the peer has sent on this tuple. */
  readonly peerSyns = new Set<number>();
  /** Intervals [from, to) of the peer's sequence space that reached the stack (offsets from peerIss). */
  cov: Array<[number, number]> = [];
  /** Data bytes the peer sent, by data offset; several candidates when segments disagreed. */
  readonly peerBytes = new Map<number, Set<number>>();
  /** Where a segment of the stack's becomes a probe, or a send past a shrunk window: past either edge. */
  get probeEdge(): number | undefined {
    return this.peerEdge === undefined ? undefined : Math.min(this.peerEdge, this.peerEdgeLast ?? this.peerEdge);
  }
  /** The peer acknowledged the stack's SYN. */
  synAcked = false;
  /** The stack has sent an ACK in this incarnation (its first ACK of a SYN shows which peer ISN it took). */
  stackAckedAny = false;
  /** Something happened that may end this incarnation (RST either way, new peer SYN, close events). */
  mayHaveEnded = true;
  /**
   * A RST crossed or the application heard of an end since the stack's last SYN: a SYN the stack sends now opens a
   * new incarnation even with the same ISNs (a reconnect on the same ports).
   */
  endSeen = false;
  /** Application side. */
  conn: ConnId | undefined;
  established = false;
  closeCalled = false;
  written: number[] = [];
  /** Where each write ends (an offset into written), and whether it was pushed (§3.9.1.2; false: push false). */
  writeEnds = new Map<number, boolean>();
  delivered = 0;
  /** The stack's last ACK value and window (its RCV.NXT and RCV.WND as far as the wire shows). */
  lastAck: number | undefined;
  lastWin: number | undefined;
  /**
   * The largest window the stack has advertised on this connection. Its real RCV.WND may have grown
   * past lastWin without telling the peer yet (receiver SWS avoidance, §3.8.6.2.2), so a sequence
   * number between RCV.NXT+lastWin and RCV.NXT+maxWin is neither surely in nor surely out of the window.
   */
  maxWin = 0;
  /** The right edge (ACK+WND) of the stack's last ACK since its last SYN: where SHLD-14 says it stays or grows. */
  offeredEdge: number | undefined;
  /** The shift the stack offered on its SYN (RFC 7323 §2): with the peer's offer too, its windows are shifted. */
  stackWscale: number | undefined;

  /** The shift the peer offered on its latest SYN that had the option (kept as inLog grows, never re-scanned). */
  peerWscale: number | undefined;

  /** Window scaling is in effect: both SYNs carried the option (the stack's window fields are then shifted). */
  get scaled(): boolean {
    return this.stackWscale !== undefined && this.peerWscale !== undefined;
  }

  /** RFC 7323 §2.3: the shift of the stack's window fields, 0 unless scaling is in effect. */
  get stackShift(): number {
    return this.scaled ? (this.stackWscale ?? 0) : 0;
  }

  /** The shift of the peer's window fields: its SYN's offer (at most 14), 0 unless scaling is in effect. */
  get peerShift(): number {
    return this.scaled ? Math.min(this.peerWscale ?? 0, 14) : 0;
  }

  /**
   * The largest RCV.WND the stack may have. Its receive buffer may be larger than any window it advertised (an
   * unscaled window field carries at most 65535, and a stack may round or hold back what it offers), so for every
   * stack, whatever it advertised, the range up to twice the largest field value is neither surely in nor surely out.
   */
  get winHi(): number {
    return 2 * Math.max(this.maxWin, 65535);
  }
  /** Trace index and time of the stack's first FIN, of its ACK of the peer's FIN, of the peer's ACK of its FIN. */
  stackFinIdx: number | undefined;
  ackedPeerFin: { idx: number; t: number } | undefined;
  peerAckedFinAt: number | undefined;
  /** Time the stack entered TIME-WAIT as the wire shows it: it sent its FIN first, then both FINs were acknowledged. */
  timeWaitAt: number | undefined;
  lastPeerFinAt: number | undefined;
  /** A RST reached the stack after it entered TIME-WAIT: it may have ended TIME-WAIT early (§3.10.7.4). */
  rstInTimeWait = false;

  /** Every segment the peer sent on this tuple (kept across incarnations to rebuild coverage). */
  readonly inLog: Segment[] = [];

  /** A peer SYN at its ISN carried an MSS option; without one the stack must assume 536 (§3.7.1). */
  peerMssOption = false;
  /** That MSS option was not the first option: after NOPs, at an odd offset, or before an EOL (MUST-4). */
  peerMssMoved = false;

  /** Bind the peer's ISN and rebuild what reached the stack relative to it. */
  setPeerIss(iss: number): void {
    this.peerIss = iss;
    this.cov = [];
    this.peerBytes.clear();
    for (const s of this.inLog) this.addCoverage(s);
    // Several SYNs may carry the same ISN with different MSS options: the stack may honour any of them.
    const syns = this.inLog.filter((s) => s.flags & SYN && s.seq === iss);
    this.peerMss = syns.length ? Math.max(...syns.map((s) => mssOf(s) ?? 536)) : undefined;
    this.peerMssOption = syns.some((s) => mssOf(s) !== undefined);
    this.peerMssMoved = syns.some(mssMoved);
  }

  addCoverage(s: Segment): void {
    if (this.peerIss === undefined) return;
    const from = seqDelta(s.seq, this.peerIss);
    const len = segLen(s);
    if (len === 0 || from <= -65536 || from >= 1 << 30) return;
    this.cov.push([from, from + len]);
    const dataStart = from + (s.flags & SYN ? 1 : 0);
    for (let i = 0; i < s.payload.length; i++) {
      const k = dataStart - 1 + i;
      if (k < 0) continue;
      let set = this.peerBytes.get(k);
      if (!set) this.peerBytes.set(k, (set = new Set()));
      set.add(s.payload[i]!);
    }
  }

  /** The peer's contiguous sequence space that reached the stack, from the SYN (offset 0). */
  covEnd(): number {
    let end = 0;
    const sorted = [...this.cov].sort((a, b) => a[0] - b[0]);
    for (const [a, b] of sorted) {
      if (a > end) break;
      end = Math.max(end, b);
    }
    return end;
  }

  newIncarnation(): void {
    this.stackIss = undefined;
    this.peerIss = undefined;
    this.stackMax = 0;
    this.stackBytes.clear();
    this.stackFinOff = undefined;
    this.peerAckMax = 0;
    this.peerEdge = undefined;
    this.peerEdgeLast = undefined;
    this.peerMss = undefined;
    this.peerMssOption = false;
    this.peerMssMoved = false;
    this.cov = [];
    this.peerBytes.clear();
    this.synAcked = false;
    this.stackAckedAny = false;
    this.timeWaitAt = undefined;
    this.rstInTimeWait = false;
    this.stackFinIdx = undefined;
    this.ackedPeerFin = undefined;
    this.peerAckedFinAt = undefined;
    this.lastAck = undefined;
    this.lastWin = undefined;
    this.maxWin = 0;
    this.stackWscale = undefined;
    this.offeredEdge = undefined;
  }

  private noteTimeWait(): void {
    if (
      this.timeWaitAt !== undefined ||
      this.stackFinIdx === undefined ||
      !this.ackedPeerFin ||
      this.peerAckedFinAt === undefined
    )
      return;
    if (this.stackFinIdx < this.ackedPeerFin.idx) this.timeWaitAt = Math.max(this.ackedPeerFin.t, this.peerAckedFinAt);
  }

  /** Called with each stack segment: FIN and ACK bookkeeping for TIME-WAIT. */
  noteOut(s: Segment, idx: number, t: number): void {
    if (s.flags & FIN && this.stackFinIdx === undefined) this.stackFinIdx = idx;
    if (s.flags & SYN) {
      const w = s.options.find((o) => o.kind === 'wscale');
      this.stackWscale = w?.kind === 'wscale' ? w.shift : undefined;
    }
    // A SYN starts the edge afresh (a new incarnation may reuse the ports and even the ISNs).
    const wnd = s.window * 2 ** (s.flags & SYN ? 0 : this.stackShift); // never scaled on a SYN (RFC 7323 §2.3)
    if (!(s.flags & RST) && (s.flags & SYN || s.flags & ACK))
      this.offeredEdge = s.flags & ACK ? (s.ack + wnd) >>> 0 : undefined;
    if (s.flags & ACK) {
      this.lastAck = s.ack;
      this.lastWin = wnd;
      this.maxWin = Math.max(this.maxWin, wnd);
      if (
        this.peerFinEnd !== undefined &&
        this.peerIss !== undefined &&
        seqDelta(s.ack, this.peerIss) >= this.peerFinEnd &&
        !this.ackedPeerFin
      )
        this.ackedPeerFin = { idx, t };
    }
    this.noteTimeWait();
  }

  /** Called with each peer segment. */
  noteIn(s: Segment, t: number): void {
    if (s.flags & FIN && this.peerIss !== undefined) {
      const end = seqDelta(s.seq, this.peerIss) + segLen(s);
      if (this.peerFinEnd === undefined) this.peerFinEnd = end;
    }
    if (
      s.flags & ACK &&
      this.stackIss !== undefined &&
      this.stackFinOff !== undefined &&
      seqDelta(s.ack, this.stackIss) > this.stackFinOff &&
      this.peerAckedFinAt === undefined &&
      seqDelta(s.ack, this.stackIss) <= this.stackMax
    )
      this.peerAckedFinAt = t;
    this.noteTimeWait();
  }

  /** End offset (after the FIN) of the peer's first FIN, relative to peerIss. */
  peerFinEnd: number | undefined;
}

/** A RST surely outside the receive window the stack's last ACK showed: the stack drops it (§3.10.7.4 first check). */
function outsideWindow(c: ConnShadow, rst: Segment): boolean {
  if (c.lastAck === undefined) return false;
  const d = seqDelta(rst.seq, c.lastAck);
  return d < 0 || d >= c.winHi;
}

/** Walks a trace, keeping a shadow per 4-tuple, and calls back per entry with the shadow before it is updated. */
export class ShadowWalker {
  readonly conns = new Map<string, ConnShadow>();
  readonly byConn = new Map<ConnId, string>();

  get(key: string): ConnShadow {
    let c = this.conns.get(key);
    if (!c) {
      c = new ConnShadow();
      this.conns.set(key, c);
    }
    return c;
  }

  forConn(id: ConnId): ConnShadow | undefined {
    const k = this.byConn.get(id);
    return k === undefined ? undefined : this.conns.get(k);
  }

  /** Update the shadow with one entry (after the judges looked at it). */
  apply(e: TraceEntry, idx = -1): void {
    if (e.dir === 'in' && e.seg) this.applyIn(e.seg, e.t);
    else if (e.dir === 'out' && e.seg) this.applyOut(e.seg, e.t, idx);
    else if (e.dir === 'call' && e.call) this.applyCall(e);
    else if (e.dir === 'event' && e.event) this.applyEvent(e);
  }

  private applyIn(s: Segment, t: number): void {
    const c = this.get(keyOfIn(s));
    c.inLog.push(s);
    const ws = s.flags & SYN ? s.options.find((o) => o.kind === 'wscale') : undefined;
    if (ws?.kind === 'wscale') c.peerWscale = ws.shift;
    // A RST with a SYN may be ignored (whether trimming moves it is a fork, §3.10.7.4): it proves no end.
    if (s.flags & RST) c.mayHaveEnded = true;
    if (s.flags & RST && !(s.flags & SYN) && !outsideWindow(c, s)) c.endSeen = true;
    if (s.flags & RST && c.timeWaitAt !== undefined) c.rstInTimeWait = true;
    if (s.flags & SYN && !(s.flags & RST)) {
      c.peerSyns.add(s.seq);
      if (!(s.flags & ACK) && c.peerIss !== s.seq) c.mayHaveEnded = true;
      const acksOurSyn = !!(s.flags & ACK) && c.stackIss !== undefined && seqDelta(s.ack, c.stackIss) === 1;
      if (c.peerIss === undefined && (!(s.flags & ACK) || acksOurSyn)) c.setPeerIss(s.seq);
      else c.addCoverage(s);
      if (c.peerIss === s.seq) {
        c.peerMss = Math.max(c.peerMss ?? 0, mssOf(s) ?? 536);
        if (mssOf(s) !== undefined) c.peerMssOption = true;
        if (mssMoved(s)) c.peerMssMoved = true;
      }
    } else c.addCoverage(s);
    if (s.flags & FIN && c.peerIss !== undefined) c.lastPeerFinAt = t;
    if (!(s.flags & RST)) c.noteIn(s, t);
    if (s.flags & ACK && c.stackIss !== undefined && !(s.flags & RST)) {
      const a = seqDelta(s.ack, c.stackIss);
      if (a >= 1 && a <= c.stackMax) {
        if (a > c.peerAckMax) c.peerAckMax = a;
        c.synAcked = true;
        const edge = a + s.window * 2 ** (s.flags & SYN ? 0 : c.peerShift);
        if (c.peerEdge === undefined || edge > c.peerEdge) c.peerEdge = edge;
        c.peerEdgeLast = edge;
      }
    }
  }

  private applyOut(s: Segment, t: number, idx: number): void {
    const c = this.get(keyOfOut(s));
    if (s.flags & RST) {
      c.mayHaveEnded = true;
      // <SEQ=SEG.ACK><CTL=RST> answering an unacceptable ACK (§3.10.7.3, §3.10.7.4 fifth check) ends nothing.
      if (!this.answersBadAck(c, s)) c.endSeen = true;
      return;
    }
    if (s.flags & SYN) {
      const otherPeerSyn = !!(s.flags & ACK) && c.peerIss !== undefined && (s.ack - 1) >>> 0 !== c.peerIss;
      // A SYN in SYN-SENT or SYN-RECEIVED carries no data, so reopening here loses nothing a later check needs.
      if (c.stackIss !== s.seq || (c.mayHaveEnded && (otherPeerSyn || c.endSeen))) {
        if (c.stackIss !== undefined) c.newIncarnation();
        c.stackIss = s.seq;
        c.mayHaveEnded = false;
      }
      c.endSeen = false;
      if (s.flags & ACK && c.peerIss !== (s.ack - 1) >>> 0 && c.peerSyns.has((s.ack - 1) >>> 0))
        c.setPeerIss((s.ack - 1) >>> 0);
      c.stackMax = Math.max(c.stackMax, 1);
    }
    if (s.flags & ACK) {
      const synSeq = (s.ack - 1) >>> 0;
      if (!c.stackAckedAny && c.peerSyns.has(synSeq) && c.peerIss !== synSeq) c.setPeerIss(synSeq);
      c.stackAckedAny = true;
    }
    if (c.stackIss === undefined) return;
    const off = seqDelta(s.seq, c.stackIss);
    // A segment of this incarnation past its SYN (a challenge ACK, say) shows the RST before it ended nothing.
    if (!(s.flags & SYN) && off >= 1 && off <= c.stackMax) c.endSeen = false;
    const dataOff = off + (s.flags & SYN ? 1 : 0);
    for (let i = 0; i < s.payload.length; i++) c.stackBytes.set(dataOff - 1 + i, s.payload[i]!);
    if (s.flags & FIN && c.stackFinOff === undefined) c.stackFinOff = dataOff + s.payload.length;
    c.stackMax = Math.max(c.stackMax, off + segLen(s));
    c.noteOut(s, idx, t);
  }

  private answersBadAck(c: ConnShadow, rst: Segment): boolean {
    const last = c.inLog.at(-1);
    if (!last || !(last.flags & ACK) || last.flags & RST || last.ack !== rst.seq || c.stackIss === undefined)
      return false;
    const a = seqDelta(rst.seq, c.stackIss);
    return a <= 0 || a > c.stackMax;
  }

  private applyCall(e: TraceEntry): void {
    const call = e.call!;
    if (call.name === 'connect' && call.port !== undefined && call.remote && call.conn) {
      const k = tupleKey(call.port, call.remote.addr, call.remote.port);
      const c = this.get(k);
      c.mayHaveEnded = true;
      c.conn = call.conn;
      c.written = [];
      c.writeEnds = new Map();
      c.delivered = 0;
      c.closeCalled = false;
      c.established = false;
      this.byConn.set(call.conn, k);
      return;
    }
    const c = call.conn === undefined ? undefined : this.forConn(call.conn);
    if (!c) return;
    if (call.name === 'write' && call.data && !call.refused) {
      for (const b of call.data) c.written.push(b);
      if (call.data.length) c.writeEnds.set(c.written.length, call.push !== false);
    }
    if (call.name === 'close' || call.name === 'shutdown') c.closeCalled = true;
    if (call.name === 'abort') c.mayHaveEnded = true;
  }

  private applyEvent(e: TraceEntry): void {
    const ev = e.event!;
    if (ev.type === 'accepted') {
      const k = tupleKey(ev.localPort, ev.remote.addr, ev.remote.port);
      const c = this.get(k);
      c.conn = ev.conn;
      c.established = true;
      c.written = [];
      c.writeEnds = new Map();
      c.delivered = 0;
      c.closeCalled = false;
      this.byConn.set(ev.conn, k);
      return;
    }
    const c = this.forConn(ev.conn);
    if (!c) return;
    if (ev.type === 'connected') c.established = true;
    if (ev.type === 'data') c.delivered += ev.data.length;
    if (ev.type === 'reset' || ev.type === 'closed') c.mayHaveEnded = c.endSeen = true;
  }
}

/** Walk a trace once, calling fn before each entry is applied to the shadow. */
export function scan(trace: TraceEntry[], fn: (i: number, e: TraceEntry, w: ShadowWalker) => void): ShadowWalker {
  const w = new ShadowWalker();
  trace.forEach((e, i) => {
    fn(i, e, w);
    w.apply(e, i);
  });
  return w;
}
