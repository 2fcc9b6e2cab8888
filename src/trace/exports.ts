// Exports of a trace: pcap (Wireshark), a packetdrill script, a ladder diagram in the style of
// RFC 9293's figures, and a Mermaid sequenceDiagram. Pure: bytes and text; the CLI writes files.
import { decode, encode } from '../wire/codec.js';
import { type IcmpError, icmpClass, icmpPacket } from '../wire/icmp.js';
import { ACK, FIN, PSH, RST, SYN, type Segment, URG, segLen } from '../wire/segment.js';
import { seqDelta } from '../wire/seq.js';
import type { TraceEntry } from '../harness/trace.js';

// ---------------------------------------------------------------- stored traces

/** A trace as JSON (counterexample files keep the failing run's trace, so exports show what the stack really did). */
interface StoredEntry {
  t: number;
  dir: TraceEntry['dir'];
  text: string;
  /** Segments: the IPv4 packet as hex (a deliberately bad checksum stays bad). */
  hex?: string;
  bad?: boolean;
  probe?: string;
  /** An ICMP error delivered to the stack. */
  icmp?: IcmpError;
  call?: { name: string; conn?: string; len?: number };
  event?: string;
  ms?: number;
}

export function storeTrace(trace: TraceEntry[]): StoredEntry[] {
  return trace.map((e) => ({
    t: e.t,
    dir: e.dir,
    text: e.text,
    ...(e.seg ? { hex: Buffer.from(encode(e.seg)).toString('hex'), ...(e.seg.badChecksum ? { bad: true } : {}) } : {}),
    ...(e.probe ? { probe: e.probe } : {}),
    ...(e.icmp ? { icmp: e.icmp } : {}),
    ...(e.call
      ? {
          call: {
            name: e.call.name,
            ...(e.call.conn ? { conn: e.call.conn } : {}),
            ...(e.call.data ? { len: e.call.data.length } : {}),
          },
        }
      : {}),
    ...(e.event ? { event: e.event.type } : {}),
    ...(e.ms !== undefined ? { ms: e.ms } : {}),
  }));
}

/** Back from JSON; throws naming the entry when it is malformed. */
export function loadTrace(stored: unknown): TraceEntry[] {
  if (!Array.isArray(stored)) throw new Error('origin.trace must be an array');
  return stored.map((x: StoredEntry, i) => {
    if (!x || typeof x.t !== 'number' || typeof x.dir !== 'string')
      throw new Error(`origin.trace[${i}]: expected { t, dir, text }`);
    const e: TraceEntry = { t: x.t, dir: x.dir, text: String(x.text ?? '') };
    if (x.hex !== undefined) {
      const r = decode(Uint8Array.from(Buffer.from(x.hex, 'hex')), { verifyChecksum: false });
      if (!r.ok) throw new Error(`origin.trace[${i}]: packet does not decode: ${r.error.kind}`);
      e.seg = x.bad ? { ...r.segment, badChecksum: true } : r.segment;
    }
    if (x.probe) e.probe = x.probe;
    if (x.icmp !== undefined) e.icmp = storedIcmp(x.icmp, i);
    if (x.call)
      e.call = {
        name: x.call.name,
        ...(x.call.conn ? { conn: x.call.conn } : {}),
        ...(x.call.len !== undefined ? { data: new Uint8Array(x.call.len) } : {}),
      };
    if (x.event) e.event = { type: x.event, conn: '' } as TraceEntry['event'];
    if (x.ms !== undefined) e.ms = x.ms;
    return e;
  });
}

function storedIcmp(x: unknown, i: number): IcmpError {
  const m = x as IcmpError;
  const q = m?.quoted;
  const ok =
    m && Number.isInteger(m.type) && Number.isInteger(m.code) && typeof m.src === 'string' && typeof m.dst === 'string';
  if (!ok || !q || !Number.isInteger(q.seq) || !Number.isInteger(q.srcPort) || !Number.isInteger(q.dstPort))
    throw new Error(
      `origin.trace[${i}].icmp: expected { src, dst, type, code, quoted: { src, dst, srcPort, dstPort, seq } }`,
    );
  return m;
}

// ---------------------------------------------------------------- pcap

/** A classic pcap file of the trace's segments, both directions, link type RAW (IPv4 without a link header). */
export function toPcap(trace: TraceEntry[]): Uint8Array {
  const segs = trace.filter((e) => (e.dir === 'in' || e.dir === 'out') && (e.seg || e.icmp));
  const packets = segs.map((e) => ({ t: e.t, bytes: e.seg ? encode(e.seg) : icmpPacket(e.icmp!) }));
  const size = 24 + packets.reduce((a, p) => a + 16 + p.bytes.length, 0);
  const buf = Buffer.alloc(size);
  buf.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeInt32LE(0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt32LE(65535, 16);
  buf.writeUInt32LE(101, 20); // LINKTYPE_RAW
  let off = 24;
  // Time 0 of the trace is shown as 2026-01-01T00:00:00Z: Wireshark needs an absolute time; the relative one is what
  // matters.
  const epoch = 1_767_225_600;
  for (const p of packets) {
    const us = Math.round(p.t * 1000);
    buf.writeUInt32LE(epoch + Math.floor(us / 1e6), off);
    buf.writeUInt32LE(us % 1e6, off + 4);
    buf.writeUInt32LE(p.bytes.length, off + 8);
    buf.writeUInt32LE(p.bytes.length, off + 12);
    buf.set(p.bytes, off + 16);
    off += 16 + p.bytes.length;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// ---------------------------------------------------------------- ISNs and relative numbers

interface Isns {
  stack?: number;
  peer?: number;
}
function isnsOf(trace: TraceEntry[]): Isns {
  const first = (dir: 'in' | 'out'): number | undefined =>
    trace.find((e) => e.dir === dir && e.seg && e.seg.flags & SYN)?.seg?.seq;
  const isns: Isns = {};
  const s = first('out');
  const p = first('in');
  if (s !== undefined) isns.stack = s;
  if (p !== undefined) isns.peer = p;
  return isns;
}

// ---------------------------------------------------------------- packetdrill (its own module)

export { NotExportable, checkPacketdrill, toPacketdrill } from './packetdrill.js';

// ---------------------------------------------------------------- ladder (RFC 9293 figure style)

type State =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

/** The state of one side, inferred from the segments it sends and receives (for drawing, not judging). */
class Side {
  state: State = 'CLOSED';
  private iss?: number;
  private finSeq?: number;
  private passive = false;
  listen(): void {
    this.state = 'LISTEN';
    this.passive = true;
  }
  private acksOurFin = (s: Segment): boolean =>
    this.finSeq !== undefined && !!(s.flags & ACK) && seqDelta(s.ack, this.finSeq) > 0;
  send(s: Segment): void {
    if (s.flags & RST) return void (this.state = this.passive ? 'LISTEN' : 'CLOSED');
    if (s.flags & SYN) {
      this.iss = s.seq;
      this.state = s.flags & ACK ? 'SYN-RECEIVED' : this.state === 'SYN-RECEIVED' ? 'SYN-RECEIVED' : 'SYN-SENT';
    }
    if (s.flags & FIN && this.finSeq === undefined) {
      this.finSeq = (s.seq + s.payload.length + (s.flags & SYN ? 1 : 0)) >>> 0;
      if (this.state === 'ESTABLISHED' || this.state === 'SYN-RECEIVED') this.state = 'FIN-WAIT-1';
      else if (this.state === 'CLOSE-WAIT') this.state = 'LAST-ACK';
    }
  }
  receive(s: Segment): void {
    if (s.flags & RST)
      return void (this.state =
        this.passive && this.state === 'SYN-RECEIVED' ? 'LISTEN' : this.state === 'LISTEN' ? 'LISTEN' : 'CLOSED');
    const acksSyn = this.iss !== undefined && !!(s.flags & ACK) && seqDelta(s.ack, this.iss) > 0;
    if (
      s.flags & SYN &&
      !(s.flags & ACK) &&
      (this.state === 'SYN-SENT' || this.state === 'LISTEN' || this.state === 'CLOSED')
    )
      this.state = 'SYN-RECEIVED';
    else if ((this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') && acksSyn) this.state = 'ESTABLISHED';
    if (this.state === 'FIN-WAIT-1' && this.acksOurFin(s)) this.state = 'FIN-WAIT-2';
    else if (this.state === 'CLOSING' && this.acksOurFin(s)) this.state = 'TIME-WAIT';
    else if (this.state === 'LAST-ACK' && this.acksOurFin(s)) this.state = 'CLOSED';
    if (s.flags & FIN) {
      if (this.state === 'ESTABLISHED') this.state = 'CLOSE-WAIT';
      else if (this.state === 'FIN-WAIT-1') this.state = this.acksOurFin(s) ? 'TIME-WAIT' : 'CLOSING';
      else if (this.state === 'FIN-WAIT-2') this.state = 'TIME-WAIT';
    }
  }
}

const ctl = (f: number): string =>
  [f & SYN && 'SYN', f & ACK && 'ACK', f & FIN && 'FIN', f & RST && 'RST', f & PSH && 'PSH', f & URG && 'URG']
    .filter(Boolean)
    .join(',');

interface LadderRow {
  /** Index of the trace entry (-1: the opening line). */
  at: number;
  t: number;
  left: string;
  /** '-->' A sends, '<--' B sends (A receives at once), '...' B receives an earlier A segment late (crossing). */
  arrow: '-->' | '<--' | '...' | '   ';
  text: string;
  /** B's state, or '...' while the segment is still in flight towards B. */
  right: string;
}

/**
 * The trace as ladder rows: the stack is TCP Peer A (left), the suite's peer is TCP Peer B (right).
 * The trace is the stack's view, so B receives A's segments when its own next segment shows it
 * (its ACK covers them) or at the end: segments still in flight read '...', as in Figure 7.
 */
export function ladderRows(trace: TraceEntry[]): LadderRow[] {
  const isns = isnsOf(trace);
  // As in RFC 9293's figures: A's ISN reads as 100, B's as 300.
  const num = (v: number, base: number | undefined, at: number): number =>
    base === undefined ? v : (at + (seqDelta(v, base) >>> 0)) >>> 0;
  const a = new Side();
  const b = new Side();
  const rows: LadderRow[] = [{ at: -1, t: 0, left: a.state, arrow: '   ', text: '', right: b.state }];
  const pending: Array<{ seg: Segment; row: LadderRow }> = [];
  let bRcvEnd: number | undefined; // how far B has received A's sequence space
  const deliverToB = (upto: number | undefined): void => {
    while (pending.length) {
      const p = pending[0]!;
      if (upto !== undefined && bRcvEnd !== undefined && seqDelta(bRcvEnd, upto) >= 0) break;
      pending.shift();
      b.receive(p.seg);
      const end = (p.seg.seq + segLen(p.seg)) >>> 0;
      if (bRcvEnd === undefined || seqDelta(end, bRcvEnd) > 0) bRcvEnd = end;
      if (rows[rows.length - 1] === p.row)
        p.row.right = b.state; // nothing happened in between: one line, as in Figure 6
      else rows.push({ at: p.row.at, t: p.row.t, left: '', arrow: '...', text: p.row.text, right: b.state });
      if (upto === undefined) continue;
    }
  };
  const show = (s: Segment, out: boolean): string => {
    const seq = num(s.seq, out ? isns.stack : isns.peer, out ? 100 : 300);
    const ack = s.flags & ACK ? `<ACK=${num(s.ack, out ? isns.peer : isns.stack, out ? 300 : 100)}>` : '';
    return `<SEQ=${seq}>${ack}<CTL=${ctl(s.flags)}>${s.payload.length ? `<DATA ${s.payload.length}>` : ''}`;
  };
  trace.forEach((e, i) => {
    if (e.dir === 'call' && e.call?.name === 'listen') {
      a.listen();
      rows.push({ at: i, t: e.t, left: a.state, arrow: '   ', text: '(listen)', right: '' });
    }
    if (e.dir === 'in' && e.icmp) {
      // The segment it quotes never reached B: the network answered it instead.
      const k = pending.findIndex((p) => p.seg.seq === e.icmp!.quoted.seq);
      if (k >= 0) pending.splice(k, 1)[0]!.row.right = '(lost)';
      const text = `<ICMP type ${e.icmp.type} code ${e.icmp.code} (${icmpClass(e.icmp.type, e.icmp.code)})>`;
      rows.push({ at: i, t: e.t, left: a.state, arrow: '<--', text, right: '(network)' });
      return;
    }
    if ((e.dir !== 'in' && e.dir !== 'out') || !e.seg) return;
    const s = e.seg;
    if (e.dir === 'out') {
      a.send(s);
      const row: LadderRow = { at: i, t: e.t, left: a.state, arrow: '-->', text: show(s, true), right: '...' };
      rows.push(row);
      pending.push({ seg: s, row });
    } else {
      // B sent this after receiving what it acknowledges (and, with no ACK, nothing new: a crossing segment).
      if (s.flags & ACK) deliverToB(s.ack);
      b.send(s);
      a.receive(s);
      rows.push({ at: i, t: e.t, left: a.state, arrow: '<--', text: show(s, false), right: b.state });
    }
  });
  deliverToB(undefined);
  return rows;
}

const traceEndMs = (trace: TraceEntry[]): number => trace.reduce((m, e) => Math.max(m, e.t + (e.ms ?? 0)), 0);

/** A text ladder like RFC 9293's figures, with the time of each line and an optional marked entry. */
export function toLadder(trace: TraceEntry[], opts: { mark?: number; title?: string } = {}): string {
  const rows = ladderRows(trace);
  const w = Math.max(8, ...rows.map((r) => r.text.length));
  const head = `${' '.repeat(4)}${'TCP Peer A (stack)'.padEnd(14 + 4 + w + 4)}TCP Peer B (peer)`;
  const lines = [
    ...(opts.title ? [opts.title] : []),
    head,
    ...rows.map((r, n) => {
      const mark = opts.mark !== undefined && r.at === opts.mark && r.arrow !== '...' ? '>>' : '  ';
      const right =
        r.arrow === '-->'
          ? r.right === '...'
            ? '...'
            : `--> ${r.right}`
          : r.arrow === '<--'
            ? `<-- ${r.right}`
            : r.arrow === '...'
              ? `--> ${r.right}`
              : `    ${r.right}`;
      const arrow = r.arrow === '<--' || r.arrow === '-->' || r.arrow === '...' ? r.arrow : '   ';
      const left = `${r.left.padEnd(13)}${arrow}`;
      return (
        `${mark}${String(n + 1).padStart(2)}. ${left} ${r.text.padEnd(w)} ` +
        `${right}${r.at >= 0 ? `   (${r.t} ms)` : ''}`
      );
    }),
    `    (sequence numbers as in RFC 9293's figures: A's ISN reads 100, B's 300; states inferred from the ` +
      `segments${trace.length && trace.at(-1) ? `; the trace ends at ${traceEndMs(trace)} ms` : ''})`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The same ladder as a Mermaid sequenceDiagram, in a Markdown code block. */
export function toMermaid(trace: TraceEntry[], opts: { mark?: number; note?: string } = {}): string {
  const rows = ladderRows(trace);
  const lines = [
    '```mermaid',
    'sequenceDiagram',
    '    participant A as TCP Peer A (stack)',
    '    participant B as TCP Peer B (peer)',
  ];
  let la = '';
  let lb = '';
  for (const r of rows) {
    if (r.arrow === '-->') lines.push(`    A-)B: ${r.text}`);
    else if (r.arrow === '<--') lines.push(`    B->>A: ${r.text}`);
    else if (r.arrow === '...') lines.push(`    Note right of B: receives ${r.text}`);
    if (r.at === opts.mark) lines.push(`    Note over A,B: ✗ ${(opts.note ?? 'violation').replace(/[;:#]/g, ' ')}`);
    if (r.left && r.left !== la) lines.push(`    Note left of A: ${r.left}`);
    if (r.right && r.right !== '...' && r.right !== lb) lines.push(`    Note right of B: ${r.right}`);
    la = r.left || la;
    lb = r.right && r.right !== '...' ? r.right : lb;
  }
  lines.push('```');
  return `${lines.join('\n')}\n`;
}
