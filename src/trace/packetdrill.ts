// A trace as a packetdrill script that real packetdrill runs against Linux. Pure: text; the CLI writes the file.
// packetdrill tests one connection per script, models the socket calls of a C program, and checks every field
// written on an outbound line — so what RFC 9293 leaves to the stack (window, its options, ACK and retransmission
// timing within bounds) is written loosely or not at all.
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, ecnName, type Segment, type TcpOption, URG } from '../wire/segment.js';
import { seqDelta } from '../wire/seq.js';
import type { CallRecord, TraceEntry } from '../harness/trace.js';
import { invalidSrc, notUnicastDst } from '../wire/address.js';
import { type AppControl, controlText } from '../stacks/adapter.js';

/** The trace cannot be written as a packetdrill script; the message says why. */
export class NotExportable extends Error {}

const pdFlags = (f: number): string => {
  let s = '';
  if (f & SYN) s += 'S';
  if (f & FIN) s += 'F';
  if (f & RST) s += 'R';
  if (f & PSH) s += 'P';
  if (f & URG) s += 'U';
  if (f & ECE) s += 'E';
  if (f & CWR) s += 'W';
  if (f & ACK) s += '.';
  return s || '.';
};

const pdOption = (o: TcpOption): string => {
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
      throw new NotExportable(
        `TCP option ${o.kind === 'unknown' ? `kind ${o.type}` : 'bytes (raw)'} has no packetdrill syntax ` +
          '(its grammar knows nop, eol, mss, wscale, sackOK, sack, TS, md5 and Fast Open only); ' +
          'replay this vector with tcp-conform or open its pcap instead',
      );
  }
};

// ---------------------------------------------------------------- timing

/** Delays up to this are an immediate reply or a delayed ACK: §3.8.6.3 bounds an ACK's delay by 0.5 s. */
const ACK_BOUND_MS = 500;

/** packetdrill's timing tolerance written into every script (its default of 4 ms fails on a busy machine). */
const TOLERANCE_US = 100_000;

const secs = (ms: number): string => `${Number((ms / 1000).toFixed(6))}`;

/**
 * packetdrill's clock: the first event at 0, each later one relative to the previous. Outbound segments are
 * written as ranges: when a stack replies or ACKs is its choice within §3.8.6.3's bound, and a timer-driven
 * segment (retransmission, probe) is allowed half to one and a half times the delay the trace shows.
 * An inbound segment sent after waiting for the stack's state waits 1/8 longer: Linux's timer wheel may
 * fire a long timer (TIME-WAIT's 60 s) that much late, which the replay saw by polling and packetdrill cannot.
 */
class Clock {
  private last: number | undefined;
  private waitedOnState = false;
  stateSeen(): void {
    this.waitedOnState = true;
  }
  at(t: number, kind: 'in' | 'out' | 'call'): string {
    const first = this.last === undefined;
    const d = first ? 0 : Math.max(0, t - (this.last as number));
    this.last = t;
    const waited = this.waitedOnState;
    this.waitedOnState = false;
    if (kind === 'out') return d <= ACK_BOUND_MS ? '+0~+0.5' : `+${secs(d / 2)}~+${secs(d * 1.5)}`;
    if (first) return '0';
    const pad = waited && d > 1000 ? d / 8 : 0;
    return d + pad <= 0 ? '+0' : `+${secs(d + pad)}`;
  }
}

// ---------------------------------------------------------------- one connection

/** The ISNs of the one connection packetdrill can follow; throws when the trace holds more than one. */
function isnsOf(trace: TraceEntry[]): { stack?: number; peer?: number } {
  if (trace.some((e) => e.icmp))
    throw new NotExportable('the trace delivers an ICMP error; the exporter writes TCP segments only');
  const ins = trace.filter((e) => e.dir === 'in' && e.seg).map((e) => e.seg!);
  const odd = ins.find((s) => s.src !== ins[0]!.src || invalidSrc(s.src) || notUnicastDst(s.dst));
  if (odd)
    throw new NotExportable(
      `the trace delivers a segment from ${odd.src} to ${odd.dst}; a script speaks for one remote unicast address`,
    );
  if (trace.some((e) => e.call?.control?.name === 'reading'))
    throw new NotExportable(
      'the trace pauses or resumes reading; packetdrill has no syscall that stops a socket from being read',
    );
  if (trace.some((e) => e.dir === 'in' && e.seg?.ipOptions?.length))
    throw new NotExportable('the trace delivers a datagram with IP options; packetdrill writes a 20-octet IPv4 header');
  const syns = (dir: 'in' | 'out'): Set<number> =>
    new Set(trace.filter((e) => e.dir === dir && e.seg && e.seg.flags & SYN).map((e) => e.seg!.seq));
  const ports = new Set(trace.filter((e) => e.seg && e.dir === 'in').map((e) => `${e.seg!.srcPort}>${e.seg!.dstPort}`));
  const stack = syns('out');
  if (ports.size > 1) {
    throw new NotExportable(`the trace holds ${ports.size} connections; packetdrill follows one per script`);
  }
  if (stack.size > 1) {
    throw new NotExportable(
      `the stack chose ${stack.size} ISNs (a second handshake on one 4-tuple); packetdrill learns the stack's ISN ` +
        'once per script, so the second cannot be matched',
    );
  }
  const [s] = [...stack];
  const [p] = [...syns('in')];
  return { ...(s !== undefined ? { stack: s } : {}), ...(p !== undefined ? { peer: p } : {}) };
}

const rel = (v: number, base: number | undefined): number => (base === undefined ? v : seqDelta(v, base) >>> 0);

function packetLine(s: Segment, inbound: boolean, isns: { stack?: number; peer?: number }): string {
  const start = rel(s.seq, inbound ? isns.peer : isns.stack);
  const len = s.payload.length;
  const ecn = ecnName(s) ? `[${ecnName(s)}] ` : ''; // RFC 3168 §5 codepoints
  let text = `${inbound ? '<' : '>'} ${ecn}${pdFlags(s.flags)} ${start}:${(start + len) >>> 0}(${len})`;
  if (s.flags & ACK) text += ` ack ${rel(s.ack, inbound ? isns.stack : isns.peer)}`;
  const urg = s.flags & URG ? ` urg ${s.urgent}` : ''; // the pointer is not the stack's choice (MUST-62)
  if (!inbound) return `${text}${urg}${s.options.length ? ' <...>' : ''}`; // window, options: the stack's choice
  if (s.badChecksum) {
    throw new NotExportable(
      'the trace injects a segment with a deliberately bad checksum; packetdrill computes every checksum itself',
    );
  }
  text += ` win ${s.window}${urg}`;
  const o = s.options.map(pdOption);
  return o.length ? `${text} <${o.join(',')}>` : text;
}

// ---------------------------------------------------------------- socket calls

/**
 * The script's file descriptors: 3 for a listener or the first socket, each accepted or connected socket the
 * next number (packetdrill maps script descriptors to live ones, so they need not match the kernel's).
 */
class Sockets {
  private next = 3;
  private listener: number | undefined;
  private conn: number | undefined;
  private closed = false;
  /** Writes made while a non-blocking connect is in progress: Node queues them until connected. */
  queued: number[] = [];
  connecting = false;
  listen(): string[] {
    this.listener = this.next++;
    const fd = this.listener;
    return [
      `socket(..., SOCK_STREAM, IPPROTO_TCP) = ${fd}`,
      `+0 setsockopt(${fd}, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`,
      `+0 bind(${fd}, ..., ...) = 0`,
      `+0 listen(${fd}, 1) = 0`,
    ];
  }
  connect(): string[] {
    const fd = this.open();
    this.connecting = true;
    return [
      `socket(..., SOCK_STREAM, IPPROTO_TCP) = ${fd}`,
      `+0 fcntl(${fd}, F_SETFL, O_RDWR|O_NONBLOCK) = 0`,
      `+0 connect(${fd}, ..., ...) = -1 EINPROGRESS (Operation now in progress)`,
    ];
  }
  accept(): string[] {
    if (this.listener === undefined) return [];
    return [`accept(${this.listener}, ..., ...) = ${this.open()}`];
  }
  /** A call on the connection; a call after close gets EBADF, as the C program would. */
  call(name: string, len: number, urgent = false, more = false): string[] {
    const fd = this.conn;
    if (fd === undefined) return [`// ${name}(): no connection yet — not written`];
    const flags = [urgent ? 'MSG_OOB' : '', more ? 'MSG_MORE' : ''].filter(Boolean).join('|');
    const text =
      name === 'write'
        ? flags
          ? `send(${fd}, ..., ${len}, ${flags})`
          : `write(${fd}, ..., ${len})`
        : name === 'shutdown'
          ? `shutdown(${fd}, SHUT_WR)`
          : `close(${fd})`;
    if (this.closed) return [`${text} = -1 EBADF (Bad file descriptor)`];
    if (name === 'write') return [`${text} = ${len}`];
    if (name === 'shutdown') return [`${text} = 0`];
    this.closed = true;
    if (name === 'close') return [`${text} = 0`];
    return [`setsockopt(${fd}, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0`, `+0 ${text} = 0`];
  }
  /** An application control as the setsockopt calls that make it on Linux (reading has none: refused earlier). */
  control(c: AppControl): string[] {
    const fd = this.conn;
    if (fd === undefined) return [`// control ${controlText(c)}: no connection yet — not written`];
    if (c.name === 'urgent-pending') return ['// urgent-pending: a question the application asks; no wire effect'];
    if (c.name === 'keepalive' && c.on && c.garbage)
      throw new NotExportable('keep-alive probes with a garbage octet: Linux has no socket option for them (MAY-6)');
    const opt = (level: string, name: string, v: number): string =>
      `setsockopt(${fd}, ${level}, ${name}, [${v}], 4) = 0`;
    const calls =
      c.name === 'nodelay'
        ? [opt('IPPROTO_TCP', 'TCP_NODELAY', c.on ? 1 : 0)]
        : c.name === 'timeout'
          ? [opt('IPPROTO_TCP', 'TCP_USER_TIMEOUT', c.ms)]
          : c.name === 'ttl'
            ? [opt('IPPROTO_IP', 'IP_TTL', c.value)]
            : c.name === 'dscp'
              ? [opt('IPPROTO_IP', 'IP_TOS', c.value << 2)]
              : c.name === 'keepalive'
                ? [
                    opt('SOL_SOCKET', 'SO_KEEPALIVE', c.on ? 1 : 0),
                    // Linux counts the keep-alive times in whole seconds, at least 1.
                    ...(c.on && c.idleMs !== undefined ? [opt('IPPROTO_TCP', 'TCP_KEEPIDLE', secsOf(c.idleMs))] : []),
                    ...(c.on && c.intervalMs !== undefined
                      ? [opt('IPPROTO_TCP', 'TCP_KEEPINTVL', secsOf(c.intervalMs))]
                      : []),
                    ...(c.on && c.probes !== undefined ? [opt('IPPROTO_TCP', 'TCP_KEEPCNT', c.probes)] : []),
                  ]
                : [];
    if (this.closed)
      return calls.map((l, i) => `${i ? '+0 ' : ''}${l.replace(/= 0$/, '= -1 EBADF (Bad file descriptor)')}`);
    return calls.map((l, i) => (i ? `+0 ${l}` : l));
  }
  private open(): number {
    this.conn = this.next++;
    this.closed = false;
    return this.conn;
  }
}

const secsOf = (ms: number): number => Math.max(1, Math.round(ms / 1000));

// ---------------------------------------------------------------- the script

/**
 * A packetdrill script replaying the trace against Linux: syscalls for the application calls, `<` for injected
 * segments, `>` for what the stack must send. Sequence numbers are relative (packetdrill's default): both ISNs
 * are 0. Throws NotExportable when packetdrill cannot express the trace (a second connection, an option kind
 * its grammar lacks).
 */
export function toPacketdrill(trace: TraceEntry[], opts: { title?: string } = {}): string {
  const isns = isnsOf(trace);
  const clock = new Clock();
  const fds = new Sockets();
  const lines = [
    `// ${opts.title ?? 'tcp-conform trace'} — generated by tcp-conform; sequence numbers relative to each ISN`,
    "// The inbound times are the replay's own pacing, not a claim about the stack: a loaded machine may be late.",
    `--tolerance_usecs=${TOLERANCE_US}`,
  ];
  const put = (t: number, kind: 'in' | 'out' | 'call', body: string[]): void => {
    if (body.length === 0) return;
    if (body[0]!.startsWith('//')) return void lines.push(...body);
    lines.push(`${clock.at(t, kind)} ${body[0]}`, ...body.slice(1));
  };
  for (const e of trace) {
    if (e.dir === 'state') clock.stateSeen();
    else if (e.dir === 'call' && e.call?.control) put(e.t, 'call', fds.control(e.call.control));
    else if (e.dir === 'call' && e.call) put(e.t, 'call', callLines(e.call, fds));
    else if (e.dir === 'event' && e.event?.type === 'accepted') put(e.t, 'call', fds.accept());
    else if (e.dir === 'event' && e.event?.type === 'connected') put(e.t, 'call', flushQueued(fds));
    else if ((e.dir === 'in' || e.dir === 'out') && e.seg) put(e.t, e.dir, [packetLine(e.seg, e.dir === 'in', isns)]);
  }
  if (fds.queued.length) lines.push(`// ${fds.queued.length} write(s) made before the connection opened: never sent`);
  return `${lines.join('\n')}\n`;
}

/** A write without PUSH is Linux's send(MSG_MORE): the kernel may hold it for more (MAY-16). */
function callLines(call: CallRecord, fds: Sockets): string[] {
  const { name } = call;
  const len = call.data?.length ?? 0;
  if (name === 'listen') return fds.listen();
  if (name === 'connect') return fds.connect();
  // Linux returns EAGAIN for a write on a non-blocking socket still connecting; Node (and the driver) queue it
  // until the connection opens, so the script writes it then (§3.10.2 lets a stack queue data in SYN-SENT).
  if (name === 'write' && fds.connecting) {
    fds.queued.push(len);
    return [`// write(${len}) while connecting: queued until the connection opens`];
  }
  return fds.call(name, len, call.urgent, call.push === false);
}

function flushQueued(fds: Sockets): string[] {
  fds.connecting = false;
  const out = fds.queued.flatMap((len, i) => fds.call('write', len).map((l) => (i === 0 ? l : `+0 ${l}`)));
  fds.queued = [];
  return out;
}

// ---------------------------------------------------------------- a grammar of what this exporter writes

const PD_TIME = String.raw`(?:\+?\d+(?:\.\d+)?(?:~\+?\d+(?:\.\d+)?)?|\*)`;
const PD_SYSCALL = new RegExp(String.raw`^${PD_TIME}\s+[a-z_]+\(.*\)\s+=\s+-?\d+(?:\s+[A-Z]+(?:\s+\(.*\))?)?$`);
const PD_OPT = String.raw`(?:mss \d+|nop|eol|wscale \d+|sackOK|TS val \d+ ecr \d+|sack(?: \d+:\d+)+)`;
const PD_PACKET = new RegExp(
  String.raw`^${PD_TIME}\s+[<>]\s+(?:\[(?:ect0|ect1|ce)\]\s+)?[SFRPUEW.]+\s+\d+:\d+\(\d+\)(?:\s+ack \d+)?(?:\s+win ` +
    String.raw`\d+)?(?:\s+urg \d+)?(?:\s+<(?:\.\.\.|${PD_OPT}(?:,${PD_OPT})*)>)?$`,
);

/** A small grammar of packetdrill lines (the subset this exporter writes): returns one message per bad line. */
export function checkPacketdrill(script: string): string[] {
  const errors: string[] = [];
  const lines = script.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || /^--[a-z_]+=\d+$/.test(line)) return;
    if (PD_SYSCALL.test(line) || PD_PACKET.test(line)) return;
    errors.push(`line ${i + 1}: not a packetdrill syscall or packet line: ${line}`);
  });
  if (!lines.some((l) => /^\S+\s+[<>]\s/.test(l.trim()))) errors.push('no packet lines');
  return errors;
}
