// The Linux kernel's TCP as a stack under test: protocol v1 driver (docs/adapter-protocol.md),
// run inside a private network namespace (`ip netns exec tcpc-… node driver.ts`, see netns.ts).
// The suite plays the peer through a TUN device; the kernel's side is driven by Node's net module.
//
// Every `reset` gives the instance a fresh local address from 10.128.0.0/16 (a `local` route on lo),
// so each scenario has its own 4-tuples while earlier connections linger in TIME-WAIT undisturbed.
// The suite always speaks of its own address (10.0.0.1): this driver rewrites it to the instance's
// address on the way in and back on the way out, patching checksums incrementally (RFC 1624) so
// that a deliberately bad checksum stays bad.
import { execFileSync } from 'node:child_process';
import { readSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { release } from 'node:os';
import { createInterface } from 'node:readline';

const TUN = 'tcpc0';
const LOCAL_NET = '10.128.0.0/16';
const PEER_NET = '10.0.0.0/8';
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const log = (s: string): void => {
  process.stderr.write(`linux-driver: ${s}\n`);
};

// ---- namespace plumbing (we are alone in a namespace the adapter created) ----
// The addon's path comes from the adapter (argv[2]): this file imports nothing of the package, so it runs as one
// precompiled JavaScript file (see adapter.ts).
const ADDON = process.argv[2];
if (!ADDON) {
  log('usage: driver.js ADDON_PATH (the TUN addon tun.node)');
  process.exit(2);
}
const { openTun, waitReadable, tcpDiag, setTcpInt, setIpInt, setSolInt, sendOob } = createRequire(import.meta.url)(
  ADDON,
) as {
  openTun(name: string): number;
  waitReadable(fd: number, ms: number, cb: (readable: boolean) => void): void;
  tcpDiag(src: string, sport: number, dst: string, dport: number): number[] | null;
  setTcpInt(fd: number, option: number, value: number): void;
  setIpInt(fd: number, option: number, value: number): void;
  setSolInt(fd: number, option: number, value: number): void;
  sendOob(fd: number, data: Buffer): number;
};
const tunFd = openTun(TUN);
const sysctl = (path: string, value: string): void => writeFileSync(`/proc/sys/${path}`, value);
sysctl(`net/ipv6/conf/all/disable_ipv6`, '1'); // no router solicitations on the TUN device
for (const d of ['all', 'default']) sysctl(`net/ipv4/conf/${d}/rp_filter`, '0'); // spoofed sources must reach TCP
const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};
ip('link', 'set', 'lo', 'up');
ip('link', 'set', TUN, 'up');
sysctl(`net/ipv4/conf/${TUN}/rp_filter`, '0');
ip('route', 'replace', 'local', LOCAL_NET, 'dev', 'lo');
ip('route', 'replace', PEER_NET, 'dev', TUN);

// ---- addresses and NAT ----
const v4 = (s: string): number[] => s.split('.').map(Number);
let suiteAddr = [10, 0, 0, 1];
let local = [10, 128, 0, 1];
let instance = 0;
const localStr = (): string => local.join('.');

/** RFC 1624 incremental update of the checksum at off for one 16-bit word changing from m to m2. */
function patch(b: Buffer, off: number, m: number, m2: number): void {
  let s = (~b.readUInt16BE(off) & 0xffff) + (~m & 0xffff) + m2;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  b.writeUInt16BE(~s & 0xffff, off);
}

/** Replace the IPv4 address at off (12 = source, 16 = destination) and fix both checksums. */
function rewrite(b: Buffer, off: number, to: number[]): void {
  const ihl = (b[0]! & 15) * 4;
  const isTcp = b[9] === 6 && (b.readUInt16BE(6) & 0x1fff) === 0 && b.length >= ihl + 18;
  for (let w = 0; w < 4; w += 2) {
    const m = b.readUInt16BE(off + w);
    const m2 = (to[w]! << 8) | to[w + 1]!;
    patch(b, 10, m, m2);
    if (isTcp) patch(b, ihl + 16, m, m2);
    b.writeUInt16BE(m2, off + w);
  }
}
/** An ICMP error quotes a segment from the suite's address: the kernel sent it from `to`. Both checksums fixed. */
function rewriteQuoted(b: Buffer, to: number[]): void {
  const ihl = (b[0]! & 15) * 4;
  const q = ihl + 8;
  const total = Math.min(b.length, b.readUInt16BE(2));
  if (b[9] !== 1 || total < q + 20 || !same(addrAt(b, q + 12), suiteAddr)) return;
  for (let w = 0; w < 4; w += 2) {
    const m = b.readUInt16BE(q + 12 + w);
    const m2 = (to[w]! << 8) | to[w + 1]!;
    patch(b, q + 10, m, m2);
    b.writeUInt16BE(m2, q + 12 + w);
  }
  b.writeUInt16BE(0, ihl + 2);
  let sum = 0;
  for (let i = ihl; i < total; i += 2) sum += (b[i]! << 8) | (i + 1 < total ? b[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, ihl + 2);
}
/** Does the TCP checksum verify (pseudo-header included)? */
function tcpChecksumOk(p: Buffer, ihl: number): boolean {
  const len = p.readUInt16BE(2) - ihl;
  let sum = p.readUInt16BE(12) + p.readUInt16BE(14) + p.readUInt16BE(16) + p.readUInt16BE(18) + 6 + len;
  for (let i = 0; i + 1 < len; i += 2) sum += p.readUInt16BE(ihl + i);
  if (len % 2) sum += p[ihl + len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}
const addrAt = (b: Buffer, off: number): number[] => [b[off]!, b[off + 1]!, b[off + 2]!, b[off + 3]!];
const same = (a: number[], b: number[]): boolean => a.every((x, i) => x === b[i]);

// ---- activity tracking for `sync` ----
let lastActivity = performance.now();
const touch = (): void => {
  lastActivity = performance.now();
};

// ---- packets from the kernel ----
const rbuf = Buffer.alloc(65536);
/** Read everything the kernel has queued on the TUN device (non-blocking), translating and emitting it. */
function drainTun(): void {
  for (;;) {
    let n: number;
    try {
      n = readSync(tunFd, rbuf, 0, rbuf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
      log(`read ${TUN}: ${(e as Error).message}`);
      process.exit(3);
    }
    const p = Buffer.from(rbuf.subarray(0, n));
    // Only IPv4 from the current instance's address; earlier instances' stragglers are not this scenario's.
    if (n >= 20 && p[0]! >> 4 === 4 && same(addrAt(p, 12), local)) {
      noteSent(p);
      rewrite(p, 12, suiteAddr);
      out(`packet ${p.toString('hex')}`);
      touch();
    }
  }
}
function readLoop(): void {
  // poll() on a worker with a bounded wait (so no thread is stuck in read() at exit), then drain here.
  waitReadable(tunFd, 200, (readable) => {
    if (readable) drainTun();
    readLoop();
  });
}
readLoop();

// ---- connections ----
interface Conn {
  sock: net.Socket;
  connected: boolean;
  released: boolean;
  /** The 4-tuple (in the instance's own address), once known. */
  tuple?: { lport: number; raddr: string; rport: number };
  /** Something ended it or is ending it (FIN either way, reset, close): watch for the TCB to go. */
  ending: boolean;
  closedSent: boolean;
}
const conns = new Map<string, Conn>();
const servers: net.Server[] = [];
let nextConn = 1;

const SO_OOBINLINE = 10;

/**
 * The application keeps urgent data in line (SO_OOBINLINE), as RFC 6093 §6 advises: without it Linux takes the
 * last urgent octet out of the stream (the BSD reading of the pointer), and the in-order delivery check would see
 * the stream short of it.
 */
function urgentInline(c: Conn): void {
  try {
    setSolInt(sockFd(c), SO_OOBINLINE, 1);
  } catch (e) {
    log(`SO_OOBINLINE: ${(e as Error).message}`);
  }
}

const SO_SNDBUF = 7;

/**
 * An urgent write: what Node still buffers goes first, then one send(MSG_OOB). The send buffer is made room for it
 * first (a non-blocking send takes only what fits, and the urgent pointer would end there); a short send is
 * finished in line, and logged.
 */
async function writeUrgent(c: Conn, data: Buffer): Promise<void> {
  setSolInt(sockFd(c), SO_SNDBUF, Math.max(212_992, 64 * data.length));
  if (c.sock.writableLength > 0)
    await new Promise<void>((res) => {
      c.sock.once('drain', res);
      c.sock.once('close', res);
    });
  const n = sendOob(sockFd(c), data);
  if (n < data.length) {
    log(`urgent write: the kernel took ${n} of ${data.length} octets; the rest goes as ordinary data`);
    c.sock.write(data.subarray(n));
  }
}

function watch(id: string, c: Conn): void {
  const ev = (s: string): void => {
    if (!c.released) {
      out(s);
      touch();
    }
  };
  c.sock.on('data', (d: Buffer) => ev(`data ${id} ${d.toString('hex')}`));
  c.sock.on('end', () => {
    c.ending = true;
    ev(`end ${id}`);
  });
  c.sock.on('connect', () => {
    urgentInline(c);
    c.connected = true;
    c.tuple = { lport: c.sock.localPort!, raddr: c.sock.remoteAddress!, rport: c.sock.remotePort! };
    ev(`connected ${id}`);
  });
  c.sock.on('close', () => {
    c.ending = true;
  });
  c.sock.on('error', (e: NodeJS.ErrnoException) => {
    c.ending = true;
    if (e.code === 'ECONNRESET' || e.code === 'EPIPE') ev(`reset ${id}${c.connected ? '' : ' refused'}`);
    else if (e.code === 'ECONNREFUSED') ev(`reset ${id} refused`);
    else ev(`error ${id} ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim());
  });
}

// ---- socket diag: one netlink query per 4-tuple (the addon), no walk of the kernel's socket tables ----
// Linux's TCP state numbers (include/net/tcp_states.h); 12 is a request socket (a SYN answered on a listener).
const TCP_STATES = [
  'CLOSED',
  'ESTABLISHED',
  'SYN-SENT',
  'SYN-RECEIVED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'CLOSED',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'SYN-RECEIVED',
];
const TCP_TIME_WAIT = 6;
const TCP_LISTEN = 10;
const TCP_NEW_SYN_RECV = 12;
/** [state, timer, expires ms, retransmissions]; a 4-tuple without a socket finds its port's listener, or nothing. */
const diag = (lport: number, raddr: string, rport: number): number[] | null => tcpDiag(localStr(), lport, raddr, rport);
const stateOf = (lport: number, raddr: string, rport: number): string =>
  TCP_STATES[diag(lport, raddr, rport)?.[0] ?? 0] ?? 'CLOSED';

/** `closed` for connections whose TCB has gone (after LAST-ACK, TIME-WAIT, a reset). */
function reportClosed(): void {
  for (const [id, c] of conns) {
    if (!c.ending || c.closedSent || !c.tuple) continue;
    const d = diag(c.tuple.lport, c.tuple.raddr, c.tuple.rport);
    if (d === null || d[0] === TCP_LISTEN) {
      c.closedSent = true;
      out(`closed ${id}`);
      touch();
    }
  }
}

// ---- what the kernel owes: its timers, and ACKs for what arrived ----
interface Tuple {
  lport: number;
  raddr: string;
  rport: number;
  /** The end of the last arrival occupying sequence space that no ACK has covered yet, and when it came. */
  unacked?: { end: number; at: number };
}
/** The instance's 4-tuples, by "lport raddr rport": every one a segment went out or came in on. */
const tuples = new Map<string, Tuple>();
const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;
function tupleOf(lport: number, raddr: number[], rport: number): Tuple {
  const key = `${lport} ${raddr.join('.')} ${rport}`;
  let t = tuples.get(key);
  if (!t) tuples.set(key, (t = { lport, raddr: raddr.join('.'), rport }));
  return t;
}

/** The kernel sent p (IPv4, from the instance): note its 4-tuple and whether it acknowledged what arrived. */
function noteSent(p: Buffer): void {
  const ihl = (p[0]! & 15) * 4;
  if (p[9] !== 6 || p.length < ihl + 20) return;
  const t = tupleOf(p.readUInt16BE(ihl), addrAt(p, 16), p.readUInt16BE(ihl + 2));
  const flags = p[ihl + 13]!;
  if (t.unacked && (flags & 0x04 || (flags & 0x10 && seqGe(p.readUInt32BE(ihl + 8), t.unacked.end))))
    t.unacked = undefined;
}

/** A segment went to the kernel: one that occupies sequence space (and verifies) is owed an ACK. */
function noteArrived(p: Buffer): void {
  if (p.length < 20 || p[0]! >> 4 !== 4) return;
  const ihl = (p[0]! & 15) * 4;
  if (p.length < ihl + 20 || p.readUInt16BE(2) > p.length || p[9] !== 6 || !same(addrAt(p, 16), local)) return;
  const t = tupleOf(p.readUInt16BE(ihl + 2), addrAt(p, 12), p.readUInt16BE(ihl));
  const flags = p[ihl + 13]!;
  const len = p.readUInt16BE(2) - ihl - (p[ihl + 12]! >> 4) * 4 + (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0);
  if (len <= 0 || !tcpChecksumOk(p, ihl)) return; // a segment dropped for its checksum is owed nothing
  t.unacked = { end: (p.readUInt32BE(ihl + 4) + len) >>> 0, at: performance.now() };
}

/**
 * When the kernel could next send on its own for this instance: each socket's retransmission, keep-alive or
 * zero-window-probe timer (socket diag), and the delayed ACK of what arrived and is not yet acknowledged (that
 * timer is not reported: it is bounded by ACK_DELAY_MAX from the arrival).
 */
const ACK_DELAY_MAX = 200 + 20;
function nextKernelTimer(): number | undefined {
  let best: number | undefined;
  const sooner = (ms: number): void => {
    if (best === undefined || ms < best) best = ms;
  };
  for (const t of tuples.values()) {
    const d = diag(t.lport, t.raddr, t.rport);
    const st = d?.[0];
    // 1 retransmission (or a request socket's SYN,ACK), 2 keep-alive, 4 zero-window probe; 3 TIME-WAIT sends nothing
    if (d && st !== TCP_LISTEN && (d[1] === 1 || d[1] === 2 || d[1] === 4)) sooner(d[2]!);
    if (!t.unacked) continue;
    const left = ACK_DELAY_MAX - (performance.now() - t.unacked.at);
    // Only a full socket delays an ACK: no socket, a listener, a request socket or TIME-WAIT answers at once or never.
    const full = st !== undefined && st !== TCP_TIME_WAIT && st !== TCP_LISTEN && st !== TCP_NEW_SYN_RECV;
    if (left > 0 && full) sooner(left);
    else t.unacked = undefined; // past the bound, or nothing there to send it late
  }
  return best;
}

// ---- application controls ----
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;
const IP_TOS = 1;
const IP_TTL = 2;

function sockFd(c: Conn): number {
  const fd = (c.sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) throw new Error('the socket has no file descriptor yet');
  return fd;
}

/**
 * `control CONN keepalive on [idle=MS] [interval=MS] [probes=N]` | `keepalive off` | `reading pause|resume` |
 * `read N` | `nodelay on|off` (TCP_NODELAY) | `timeout MS` (TCP_USER_TIMEOUT, in ms) | `ttl N` (IP_TTL) |
 * `dscp N` (IP_TOS).
 */
function control(c: Conn, a: string[]): string {
  const [what, how, ...kv] = a;
  if (what === 'reading' && (how === 'pause' || how === 'resume')) {
    if (how === 'pause') c.sock.pause();
    else c.sock.resume();
    return 'ok';
  }
  if (what === 'read' && /^\d+$/.test(how ?? '') && Number(how) > 0 && kv.length === 0) {
    // A paused stream hands over what Node holds (its 'data' handler reports it); Node then refills from the
    // kernel's buffer, whose window reopens by what it gave up.
    c.sock.read(Math.min(Number(how), c.sock.readableLength)); // read(0) when none waits: Node refills only
    return 'ok';
  }
  if (what === 'nodelay' && (how === 'on' || how === 'off')) {
    c.sock.setNoDelay(how === 'on');
    return 'ok';
  }
  if (what === 'timeout' && /^\d+$/.test(how ?? '') && kv.length === 0) {
    setTcpInt(sockFd(c), TCP_USER_TIMEOUT, Number(how));
    return 'ok';
  }
  if ((what === 'ttl' || what === 'dscp') && /^\d+$/.test(how ?? '') && kv.length === 0) {
    // IP_TOS takes the whole octet; the kernel keeps the ECN bits its own.
    setIpInt(sockFd(c), what === 'ttl' ? IP_TTL : IP_TOS, what === 'ttl' ? Number(how) : Number(how) << 2);
    return 'ok';
  }
  if (what !== 'keepalive' || (how !== 'on' && how !== 'off')) throw new Error(`unknown control ${a.join(' ')}`);
  c.sock.setKeepAlive(how === 'on');
  if (how === 'off') return 'ok';
  const fd = sockFd(c);
  const opts: Record<string, number> = { idle: TCP_KEEPIDLE, interval: TCP_KEEPINTVL, probes: TCP_KEEPCNT };
  for (const x of kv) {
    const [k, v] = x.split('=');
    const opt = opts[k ?? ''];
    if (opt === undefined || !/^\d+$/.test(v ?? '')) throw new Error(`bad keepalive setting ${x}`);
    // The kernel counts the two times in whole seconds (at least 1).
    setTcpInt(fd, opt, k === 'probes' ? Number(v) : Math.max(1, Math.round(Number(v) / 1000)));
  }
  return 'ok';
}

// ---- commands ----
// The kernel answers a segment inside write() (drained at once); this only catches late stragglers.
const QUIET_MS = Number(process.env.TCPC_QUIET_MS ?? 0.5);

async function handle(line: string): Promise<string> {
  const [cmd, ...a] = line.split(' ');
  if (cmd !== 'sync') {
    touch(); // whatever a command does, the kernel may answer: sync waits for quiet after it
  }
  const conn = (): Conn => {
    const c = conns.get(a[0] ?? '');
    if (!c || c.released) throw new Error(`no connection ${a[0]}`);
    return c;
  };
  switch (cmd) {
    case 'hello':
      return (
        `ok hello 2 name=linux-${release()} clock=real state=1 ipv4=1 ipv6=0 stderr=log next=1 ` +
        'controls=keepalive,reading,read,nodelay,timeout,ttl,dscp,urgent'
      );
    case 'control':
      return control(conn(), a.slice(1));
    case 'reset': {
      for (const c of conns.values()) {
        c.released = true;
        if (!c.sock.destroyed) c.sock.resetAndDestroy();
      }
      conns.clear();
      tuples.clear();
      for (const s of servers.splice(0)) s.close();
      suiteAddr = v4(a[0]!);
      // A fresh address per instance, 10.128.1.1 … 10.128.250.254 (254 hosts per /24, never .0 or .255),
      // reused only after 63 500 instances — long after any earlier connection's TIME-WAIT.
      instance = (instance % 63_500) + 1;
      local = [10, 128, 1 + Math.floor((instance - 1) / 254), 1 + ((instance - 1) % 254)];
      return 'ok';
    }
    case 'listen': {
      const srv = net.createServer({ allowHalfOpen: true }, (sock) => {
        const id = `c${nextConn++}`;
        const c: Conn = {
          sock,
          connected: true,
          released: false,
          ending: false,
          closedSent: false,
          tuple: { lport: sock.localPort!, raddr: sock.remoteAddress!, rport: sock.remotePort! },
        };
        conns.set(id, c);
        watch(id, c);
        urgentInline(c);
        out(`accepted ${id} ${sock.localPort} ${sock.remoteAddress} ${sock.remotePort}`);
        touch();
      });
      await new Promise<void>((res, rej) => {
        srv.once('error', rej);
        srv.listen({ host: localStr(), port: Number(a[0]), backlog: 128 }, () => res());
      });
      servers.push(srv);
      return 'ok';
    }
    case 'connect': {
      const id = `c${nextConn++}`;
      const sock = net.connect({
        host: a[1]!,
        port: Number(a[2]),
        localAddress: localStr(),
        localPort: Number(a[0]),
        allowHalfOpen: true,
      });
      const c: Conn = {
        sock,
        connected: false,
        released: false,
        ending: false,
        closedSent: false,
        tuple: { lport: Number(a[0]), raddr: a[1]!, rport: Number(a[2]) },
      };
      conns.set(id, c);
      watch(id, c);
      return `ok ${id}`;
    }
    case 'write': {
      const c = conn();
      if (c.sock.destroyed || c.sock.writableEnded) throw new Error(`connection ${a[0]} is closed for writing`);
      if (a[2] !== undefined && a[2] !== 'urgent') throw new Error(`write: third argument must be "urgent"`);
      if (a[2] === 'urgent') await writeUrgent(c, Buffer.from(a[1] ?? '', 'hex'));
      else c.sock.write(Buffer.from(a[1] ?? '', 'hex'));
      return 'ok';
    }
    case 'shutdown': {
      const c = conn();
      c.ending = true;
      c.sock.end();
      return 'ok';
    }
    case 'close': {
      const c = conns.get(a[0] ?? '');
      if (c && !c.released) {
        c.released = true;
        c.ending = true;
        c.sock.destroy();
      }
      return 'ok';
    }
    case 'abort': {
      const c = conns.get(a[0] ?? '');
      if (c && !c.released) {
        c.released = true;
        c.ending = true;
        if (!c.sock.destroyed) c.sock.resetAndDestroy();
      }
      return 'ok';
    }
    case 'deliver': {
      const p = Buffer.from(a[0] ?? '', 'hex');
      if (p.length >= 20 && p[0]! >> 4 === 4 && same(addrAt(p, 16), suiteAddr)) {
        rewrite(p, 16, local);
        rewriteQuoted(p, local);
      }
      try {
        writeSync(tunFd, p);
      } catch (e) {
        log(`the kernel refused a packet: ${(e as Error).message}`); // as a network would drop it
      }
      touch();
      noteArrived(p);
      drainTun(); // the kernel answers inside write(): pick it up now, in order
      return 'ok';
    }
    case 'sync': {
      // Let the kernel's answers reach us: until QUIET_MS have passed without a packet or event since the last command
      // (at most 25 ms). Each turn of the event loop (setImmediate) takes in the sockets' events; no timer granularity.
      const t0 = performance.now();
      drainTun();
      do {
        await new Promise((r) => setImmediate(r));
        drainTun();
      } while (performance.now() - lastActivity < QUIET_MS && performance.now() - t0 < 25);
      reportClosed();
      return 'ok';
    }
    case 'state':
      return `ok ${stateOf(Number(a[0]), a[1]!, Number(a[2]))}`;
    case 'next': {
      const t = nextKernelTimer();
      return `ok ${t === undefined ? 'none' : Math.round(t)}`;
    }
    case 'quit':
      out('ok');
      process.exit(0);
      break;
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd)}`);
  }
  return 'ok';
}

// One command at a time, in order.
let chain = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    chain = chain.then(async () => {
      try {
        out(await handle(line));
      } catch (e) {
        out(`err ${(e as Error).message.replace(/\n/g, ' ')}`);
      }
    });
  })
  .on('close', () => process.exit(0));
