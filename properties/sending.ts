// Sending-side checks judged on the data-transfer scenario: windows of 32 KiB and more used (MUST-1), segments as
// large as the stack's own largest when data waits (SHLD-28), and no written octet held back for good (MUST-60).
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, within } from '../src/oracle/property.js';
import { type ShadowWalker, keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { ACK, FIN, RST, SYN, type Segment, segLen } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import { acceptableSeq } from '../src/model/arrive.js';

const LARGE = 32768;

/**
 * MUST-1: a write while nothing is outstanding and the peer offers ≥ 32768 octets (a Window field with its top bit
 * set, read as unsigned) goes out at once: at least 2 new octets (1 for a 1-octet write) within 900 ms, where a
 * stack reading the field as signed (a negative window) sends nothing or, later, a 1-octet probe. No Nagle or SWS
 * rule holds data back when nothing is in flight and the window is that wide.
 */
export function largeWindow(trace: TraceEntry[], i: number, e: TraceEntry, w: ShadowWalker, v: Checker): void {
  const call = e.call;
  if (e.dir !== 'call' || call?.name !== 'write' || call.refused || !call.data?.length) return;
  const c = call.conn === undefined ? undefined : w.forConn(call.conn);
  if (!c?.established || c.stackIss === undefined || c.peerEdge === undefined || c.closeCalled) return;
  if (c.stackFinOff !== undefined || c.stackMax !== c.peerAckMax || c.peerEdge - c.stackMax < LARGE) return;
  if (trace.some((x) => x.seg && x.seg.flags & RST)) return;
  const key = call.conn === undefined ? undefined : w.byConn.get(call.conn);
  if (key === undefined || !ackTaken(trace, i, key, seqAdd(c.stackIss, c.stackMax))) return;
  const iss = c.stackIss;
  const sent = within(trace, i, 900)
    .filter((x) => w.conns.get(keyOfOut(x.seg)) === c && x.seg.payload.length > 0)
    .reduce((m, x) => Math.max(m, seqDelta(seqAdd(x.seg.seq, x.seg.payload.length), iss) - c.stackMax), 0);
  v.hit('large-window');
  if (sent < Math.min(2, call.data.length))
    v.flag(
      i,
      `a write of ${call.data.length} octets with nothing in flight and a window of ${c.peerEdge - c.stackMax} ` +
        `offered sent ${sent} new octets within 900 ms`,
      undefined,
      'the data sent at once: a Window field of 32768 or more is an unsigned count of octets',
      'large-window',
    );
}

/**
 * Did an ACK of `una` reach the stack on a segment it accepted (§3.4 Table 5, against the window its last segment
 * before offered, unscaled: a lower bound)? An unacceptable segment is dropped whole, its ACK field unread, so data
 * the wire shows acknowledged may still be in flight for the stack.
 */
function ackTaken(trace: TraceEntry[], i: number, key: string, una: number): boolean {
  let rcvNxt: number | undefined;
  let wnd = 0;
  for (let j = 0; j < i; j++) {
    const s = trace[j]!.seg;
    if (!s || s.flags & RST) continue;
    if (trace[j]!.dir === 'out' && keyOfOut(s) === key && s.flags & ACK) {
      rcvNxt = s.ack;
      wnd = s.window;
    }
    if (trace[j]!.dir !== 'in' || keyOfIn(s) !== key || !(s.flags & ACK) || rcvNxt === undefined) continue;
    if (acceptableSeq(s.seq, segLen(s), rcvNxt, wnd) && seqDelta(s.ack, una) >= 0) return true;
  }
  return false;
}

/**
 * The largest data segment the stack sent on each 4-tuple: what it has shown its path and peer take. `size` measures
 * a segment (its data, by default; Nagle counts the options in too).
 */
export function largestSent(
  trace: TraceEntry[],
  size: (s: Segment) => number = (s) => s.payload.length,
): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of trace)
    if (e.dir === 'out' && e.seg?.payload.length)
      m.set(keyOfOut(e.seg), Math.max(m.get(keyOfOut(e.seg)) ?? 0, size(e.seg)));
  return m;
}

/** Data offsets (1 = the first octet after the SYN) at which a write of the connection ended. */
function writeEnds(trace: TraceEntry[], conn: string | undefined): Set<number> {
  const ends = new Set<number>();
  let off = 1;
  for (const e of trace)
    if (e.call?.name === 'write' && e.call.conn === conn && !e.call.refused && e.call.data)
      ends.add((off += e.call.data.length));
  return ends;
}

interface NewData {
  i: number;
  seg: Segment;
}

/**
 * SHLD-28: two segments of new data sent back to back — nothing reached the stack, no call and no time passed
 * between them — whose data would have fitted one segment of the size the stack itself sent on that connection: it
 * sent a short segment where a full one was possible. Segment boundaries are otherwise the stack's choice (§3.7).
 */
export function fullSized(trace: TraceEntry[], v: Checker): void {
  const largest = largestSent(trace);
  const last = new Map<string, NewData>();
  scan(trace, (i, e, w) => {
    if (e.dir === 'in' || e.dir === 'call' || e.dir === 'time') last.clear();
    const s = e.dir === 'out' ? e.seg : undefined;
    if (!s) return;
    const k = keyOfOut(s);
    const c = w.conns.get(k);
    const prev = last.get(k);
    last.delete(k);
    if (!c || c.stackIss === undefined || s.flags & (SYN | RST) || s.payload.length === 0) return;
    const off = seqDelta(s.seq, c.stackIss);
    if (off < c.stackMax) return; // a retransmission
    last.set(k, { i, seg: s });
    const ends = writeEnds(trace, c.conn);
    // One segment across a write's end: two pushes collapsed, as SHLD-27 asks.
    for (let x = off + 1; x < off + s.payload.length; x++) if (ends.has(x)) v.hit('psh-collapsed');
    if (!prev || seqAdd(prev.seg.seq, prev.seg.payload.length) !== s.seq || prev.seg.flags & FIN) return;
    const full = largest.get(k) ?? 0;
    // The first ends where a write ended: a PSH boundary, which SHLD-27 says to collapse all the same.
    const sub = ends.has(off) ? 'psh-collapsed' : 'full-sized';
    v.hit(sub);
    const both = prev.seg.payload.length + s.payload.length;
    if (prev.seg.payload.length < full && both <= full)
      v.flag(
        prev.i,
        `${prev.seg.payload.length} and then ${s.payload.length} octets of new data sent back to back, where one ` +
          `segment of ${both} (the stack sent ${full} on this connection) would do` +
          (sub === 'psh-collapsed' ? ' (the first ends a write: successive pushes are collapsed)' : ''),
        undefined,
        'maximum-sized segments whenever the data and the window allow',
        sub,
      );
  });
}

/**
 * MUST-60: a connection that ends open, with no reset anywhere, everything it sent acknowledged and a peer window of a
 * full segment or more, has sent every octet written more than a second before the end.
 */
export function sentEventually(trace: TraceEntry[], w: ShadowWalker, v: Checker): void {
  const end = trace.at(-1);
  if (!end || trace.some((e) => (e.seg && e.seg.flags & RST) || e.event?.type === 'reset' || e.event?.type === 'error'))
    return;
  const endT = end.t + (end.ms ?? 0);
  for (const [k, c] of w.conns) {
    if (!c.established || c.stackIss === undefined || c.peerEdge === undefined || c.stackFinOff !== undefined) continue;
    const writes = trace.filter((e) => e.call?.name === 'write' && !e.call.refused && w.forConn(e.call.conn!) === c);
    if (!writes.length || endT - writes.at(-1)!.t < 1000) continue;
    const full = Math.max(536, largestSent(trace).get(k) ?? 0);
    // Everything sent is acknowledged (nothing keeps it waiting for an ACK) and the window holds a full segment.
    if (c.peerAckMax < c.stackMax || c.peerEdge - c.stackMax < full) continue;
    v.hit('sent-eventually');
    const unsent = c.written.length - (c.stackMax - 1);
    if (unsent > 0)
      v.flag(
        trace.length - 1,
        `${unsent} of the ${c.written.length} octets written were never sent, ${endT - writes.at(-1)!.t} ms after ` +
          `the last write, with a window of ${c.peerEdge - c.stackMax} open`,
        undefined,
        'every octet written is sent in the end',
        'sent-eventually',
      );
  }
}
