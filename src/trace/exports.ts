// Exports of a trace: pcap (Wireshark), a packetdrill script, a ladder diagram in the style of
// RFC 9293's figures, and a Mermaid sequenceDiagram. Pure: bytes and text; the CLI writes files.
import { decode, encode } from '../wire/codec.js';
import { ACK, FIN, PSH, RST, SYN, type Segment, type TcpOption, URG, segLen } from '../wire/segment.js';
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

// ---------------------------------------------------------------- pcap

/** A classic pcap file of the trace's segments, both directions, link type RAW (IPv4 without a link header). */
export function toPcap(trace: TraceEntry[]): Uint8Array {
  const segs = trace.filter((e) => (e.dir === 'in' || e.dir === 'out') && e.seg);
  const packets = segs.map((e) => ({ t: e.t, bytes: encode(e.seg!) }));
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

// ---------------------------------------------------------------- packetdrill

const pdFlags = (f: number): string => {
  let s = '';
  if (f & SYN) s += 'S';
  if (f & FIN) s += 'F';
  if (f & RST) s += 'R';
  if (f & PSH) s += 'P';
  if (f & URG) s += 'U';
  if (f & ACK) s += '.';
  return s || '.';
};

const pdOption = (o: TcpOption): string | undefined => {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'nop':
      return 'nop';
    case 'eol':
      return 'eol';
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackPermitted':
      return 'sackOK';
    case 'timestamps':
      return `TS val ${o.tsval} ecr ${o.tsecr}`;
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    default:
      return undefined;
  }
};

/**
 * A packetdrill script replaying the trace against a Linux stack: syscalls for the application
 * calls, `<` for injected segments, `>` for what the stack must send. Sequence numbers are relative
 * (packetdrill's default): the stack's ISN and the peer's ISN are both 0.
 */
export function toPacketdrill(trace: TraceEntry[], opts: { port?: number; title?: string } = {}): string {
  const isns = isnsOf(trace);
  const lines: string[] = [
    `// ${opts.title ?? 'tcp-conform trace'} — generated by tcp-conform; ` +
      "sequence numbers relative to each side's ISN",
  ];
  let last = 0;
  const time = (t: number): string => {
    const d = (t - last) / 1000;
    last = t;
    return d <= 0 ? '+0' : `+${Number(d.toFixed(6))}`;
  };
  const fd = { listen: 3, conn: 4 };
  let passive = false;
  for (const e of trace) {
    if (e.dir === 'call' && e.call) {
      const c = e.call;
      const t = time(e.t);
      if (c.name === 'listen') {
        passive = true;
        lines.push(
          `${t} socket(..., SOCK_STREAM, IPPROTO_TCP) = 3`,
          `+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`,
          `+0 bind(3, ..., ...) = 0`,
          `+0 listen(3, 1) = 0`,
        );
      } else if (c.name === 'connect') {
        lines.push(
          `${t} socket(..., SOCK_STREAM, IPPROTO_TCP) = 4`,
          `+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0`,
          `+0 connect(4, ..., ...) = -1 EINPROGRESS (Operation now in progress)`,
        );
      } else if (c.name === 'write')
        lines.push(`${t} write(${fd.conn}, ..., ${c.data?.length ?? 0}) = ${c.data?.length ?? 0}`);
      else if (c.name === 'shutdown') lines.push(`${t} shutdown(${fd.conn}, SHUT_WR) = 0`);
      else if (c.name === 'close') lines.push(`${t} close(${fd.conn}) = 0`);
      else if (c.name === 'abort')
        lines.push(
          `${t} setsockopt(${fd.conn}, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0`,
          `+0 close(${fd.conn}) = 0`,
        );
    } else if (e.dir === 'event' && e.event?.type === 'accepted' && passive) {
      lines.push(`${time(e.t)} accept(3, ..., ...) = 4`);
    } else if ((e.dir === 'in' || e.dir === 'out') && e.seg) {
      const s = e.seg;
      const inbound = e.dir === 'in';
      const ownIsn = inbound ? isns.peer : isns.stack;
      const otherIsn = inbound ? isns.stack : isns.peer;
      const rel = (v: number, base: number | undefined): number => (base === undefined ? v : seqDelta(v, base) >>> 0);
      const start = rel(s.seq, ownIsn);
      const len = s.payload.length;
      let text = `${time(e.t)} ${inbound ? '<' : '>'} ${pdFlags(s.flags)} ${start}:${(start + len) >>> 0}(${len})`;
      if (s.flags & ACK) text += ` ack ${rel(s.ack, otherIsn)}`;
      text += ` win ${s.window}`;
      if (inbound) {
        const o = s.options.map(pdOption).filter((x): x is string => x !== undefined);
        if (o.length) text += ` <${o.join(',')}>`;
      } else if (s.options.length) {
        // The stack's own options (timestamps, window scale) are its choice.
        text += ' <...>';
      }
      lines.push(text);
    }
  }
  return `${lines.join('\n')}\n`;
}

const PD_TIME = String.raw`(?:\+?\d+(?:\.\d+)?|\*)`;
const PD_SYSCALL = new RegExp(String.raw`^${PD_TIME}\s+[a-z_]+\(.*\)\s+=\s+-?\d+(?:\s+[A-Z]+(?:\s+\(.*\))?)?$`);
const PD_OPT = String.raw`(?:mss \d+|nop|eol|wscale \d+|sackOK|TS val \d+ ecr \d+|sack(?: \d+:\d+)+)`;
const PD_PACKET = new RegExp(
  String.raw`^${PD_TIME}\s+[<>]\s+[SFRPUEW.]+\s+\d+:\d+\(\d+\)(?:\s+ack \d+)?(?:\s+win ` +
    String.raw`\d+)?(?:\s+<(?:\.\.\.|${PD_OPT}(?:,${PD_OPT})*)>)?$`,
);

/** A small grammar of packetdrill lines (the subset this exporter writes): returns one message per bad line. */
export function checkPacketdrill(script: string): string[] {
  const errors: string[] = [];
  const lines = script.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) return;
    if (PD_SYSCALL.test(line) || PD_PACKET.test(line)) return;
    errors.push(`line ${i + 1}: not a packetdrill syscall or packet line: ${line}`);
  });
  if (!lines.some((l) => /^\S+\s+[<>]\s/.test(l.trim()))) errors.push('no packet lines');
  return errors;
}

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
