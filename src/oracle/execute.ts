// Runs a scenario against a stack with a reference peer: scenario actions translated into harness verbs.
// The network between the two (queues, drop/dup/reorder) and the peer host live here.
import { encodeIcmpError } from '../wire/icmp.js';
import {
  type Action,
  CLOSED_PORT,
  FRESH_PORT,
  MISDIRECTED,
  type Hostile,
  PEER_ADDR,
  PEER_PORT,
  SPOOF_NET,
  STACK_ADDR,
  STACK_PORT,
  type Scenario,
  bytesAt,
} from '../gen/scenario.js';
import { StackCrashed } from '../harness/bounded.js';
import { type Collected, Harness } from '../harness/harness.js';
import { sleep } from '../harness/interrupt.js';
import type { TraceEntry } from '../harness/trace.js';
import type { ConnId, StackAdapter } from '../stacks/adapter.js';
import { ReferenceHost } from '../stacks/reference/host.js';
import { decode } from '../wire/codec.js';
import { ACK, ECN, RST, SYN, type Segment, ecnOf, segLen } from '../wire/segment.js';
import { seqAdd, seqDelta } from '../wire/seq.js';
import { LSRR, SSRR, routeOption } from '../wire/route.js';
import { Tally, type Violation } from './types.js';

export interface ExecOptions {
  callTimeoutMs?: number;
  /** Default time budget of a settle action. */
  settleMs?: number;
  /** Real-clock stacks: the longest a single advance or settle waits (default 3000 ms). */
  realTimeCapMs?: number;
  /** Real-clock stacks: a settle ends after this much silence once nothing is in flight and no peer timer is due. */
  quietMs?: number;
}

export interface Execution {
  trace: TraceEntry[];
  /** Malformed packets from the stack (MUST-2 and friends), and a crash. */
  wire: Violation[];
  /** What the wire checks judged (every emitted segment's checksum and format). */
  tally: Tally;
}

type Dir = 'toStack' | 'toPeer';
const peerTuple = { localPort: PEER_PORT, remote: { addr: STACK_ADDR, port: STACK_PORT } };

/** The scenario's world: a harness on the stack, a reference peer, and the network between them. */
class World {
  readonly wire: Violation[] = [];
  readonly tally = new Tally();
  readonly toStack: Segment[] = [];
  readonly toPeer: Segment[] = [];
  readonly peer: ReferenceHost;
  lastConn: ConnId | undefined;
  peerConn: ConnId | undefined;
  /** End of the stack's sequence space sent towards the peer and not yet acknowledged to it. */
  stackOwed: number | undefined;
  stackIss: number | undefined;
  readonly issByPort = new Map<number, number>();
  private peerClock = 0;
  /** On-demand reading: the peer's application reads everything as it arrives (after peerResume). */
  private peerReading = false;
  private lastPeerTcb: ReturnType<ReferenceHost['tcb']>;

  constructor(
    readonly h: Harness,
    readonly sc: Scenario,
    readonly opts: Required<Pick<ExecOptions, 'settleMs' | 'realTimeCapMs' | 'quietMs'>>,
  ) {
    const model = {
      isn: () => sc.peerIsn,
      rcvBuf: sc.peerWindow,
      mss: sc.peerMss ?? 536,
      synLayout: sc.peerSynLayout ?? 'plain',
      ...(sc.peerWscale !== undefined ? { wscale: sc.peerWscale } : {}),
      ...(sc.peerEcn ? { ecn: true } : {}),
    };
    this.peer = new ReferenceHost({
      addr: PEER_ADDR,
      // The peer sends what the scenario says when it says it: no Nagle, no sender SWS avoidance (a sliver of the
      // stack's window is filled at once, which is what the hostile and window scenarios want of it), and its
      // window opens by whatever its application read (slivers for the stack's sender SWS avoidance to face).
      model: {
        ...model,
        offerMss: sc.peerMss !== undefined,
        delayedAck: false,
        autoReceive: !sc.peerReadsOnDemand,
        nagle: 'off',
        noSenderSws: true,
        noReceiverSws: true,
      },
    });
    h.observe((c) => this.onStackOutput(c));
  }

  private onStackOutput(c: Collected): void {
    this.syncPeer();
    for (const m of c.malformed) {
      const check = WIRE_CHECK_OF[m.kind] ?? 'wire-format';
      const requirements = check === 'wire-checksum' ? ['MUST-2'] : check === 'option-length' ? ['MUST-68'] : [];
      const message = `the stack emitted a malformed packet: ${m.kind}: ${m.detail}`;
      this.tally.hit(check);
      this.wire.push({
        property: 'wire-format',
        check,
        requirements,
        section: '§3.1',
        message,
        at: m.index,
        offending: m.hex,
      });
    }
    // Every segment the stack emits was decoded with its checksum verified (MUST-2).
    this.tally.hit('wire-checksum', c.segs.length);
    this.tally.hit('wire-format', c.segs.length);
    // What follows an EOL up to the data offset is zero (MUST-69).
    this.tally.hit('option-padding', c.padded.length);
    for (const p of c.padded.filter((x) => x.nonzero.length))
      this.wire.push({
        property: 'wire-format',
        check: 'option-padding',
        requirements: ['MUST-69'],
        section: '§3.1',
        message:
          `the stack padded its options after an EOL with octets that are not zero (at option offsets ` +
          `${p.nonzero.join(', ')} of ${p.octets} padding octets)`,
        at: p.index,
        offending: p.hex,
      });
    // Every option with a kind above NOP carried a length that fits (MUST-68): the decoder checked each one.
    this.tally.hit('option-length', c.segs.filter(({ seg }) => seg.options.some((o) => o.kind !== 'nop')).length);
    for (const { seg: s } of c.segs) this.noteStackSegment(s);
    for (const { ev } of c.events) if (ev.type === 'accepted' || ev.type === 'connected') this.lastConn = ev.conn;
    this.collectPeer();
  }

  /** The peer host (virtual) is kept at the harness's clock. */
  private syncPeer(): void {
    const n = this.h.now;
    if (n > this.peerClock) {
      this.peer.advance(n - this.peerClock);
      this.peerClock = n;
    }
  }

  private noteStackSegment(s: Segment): void {
    if (s.flags & SYN && s.dstPort === PEER_PORT && this.stackIss === undefined) this.stackIss = s.seq;
    if (s.flags & SYN) this.issByPort.set(s.dstPort, s.seq);
    if (s.dstPort === PEER_PORT) {
      // What the stack waits to see acknowledged (a real-clock settle waits for its retransmission).
      if (s.flags & RST) this.stackOwed = undefined;
      else if (segLen(s) > 0) {
        const end = seqAdd(s.seq, segLen(s));
        if (this.stackOwed === undefined || s.flags & SYN || seqDelta(end, this.stackOwed) > 0) this.stackOwed = end;
      }
    }
    // Only the peer host's connection is wired up; other destinations are a black hole.
    if (s.dst === PEER_ADDR && s.dstPort === PEER_PORT) this.toPeer.push(s);
  }

  collectPeer(): void {
    const out = this.peer.drain();
    for (const p of out.packets) {
      const r = decode(p);
      if (r.ok) this.toStack.push(r.segment);
    }
    for (const ev of out.events) if (ev.type === 'accepted' || ev.type === 'connected') this.peerConn = ev.conn;
    this.peerTcb();
    if (this.peerReading) this.peerReceive(undefined);
  }

  /** The peer's application reads up to n octets (all when undefined); a window update may follow. */
  private peerReceive(n: number | undefined): void {
    const t = this.peerTcb();
    if (!this.sc.peerReadsOnDemand || this.peerConn === undefined || !t || t.rcvUnread.length === 0) return;
    try {
      this.peer.receive(this.peerConn, n);
    } catch {
      return;
    }
    this.collectPeer();
  }

  /** The peer's last view of the connection survives its deletion (e.g. after LAST-ACK). */
  peerTcb(): ReturnType<ReferenceHost['tcb']> {
    const t = this.peer.tcb(peerTuple);
    if (t) this.lastPeerTcb = t;
    return t ?? this.lastPeerTcb;
  }

  async deliverToStack(given: Segment, probe?: string): Promise<void> {
    await this.h.deliver(this.arriving(given), probe);
  }

  /**
   * What is in flight to the stack arrives at once, queued at its input (MUST-59): at most 64 segments, so that a
   * driver's deliver-batch line stays under the frame limit; the rest stays in flight.
   */
  private async batchToStack(): Promise<void> {
    const segs = this.toStack.splice(0, 64).map((s) => this.arriving(s));
    if (segs.length) await this.h.deliverBatch(segs);
  }

  /** A segment on its way in: along the peer's route, CE-marked when asked; what the stack waits for is noted. */
  private arriving(given: Segment): Segment {
    const routed = this.peerRoute && given.src === PEER_ADDR && given.srcPort === PEER_PORT && !given.ipOptions;
    const s = this.congestionMark(routed ? { ...given, ipOptions: this.peerRoute } : given, 'toStack');
    const owed = this.stackOwed;
    const acks = s.flags & RST || (s.flags & ACK && owed !== undefined && seqDelta(s.ack, owed) >= 0);
    if (owed !== undefined && s.srcPort === PEER_PORT && acks) this.stackOwed = undefined;
    return s;
  }

  /** A 'ce' action waits for the next ECN-capable data segment its way and marks it CE (RFC 3168 §5). */
  private readonly ceNext = { toStack: false, toPeer: false };
  /** The completed source route the peer's segments arrive with (peerRoute), if any. */
  private peerRoute: Uint8Array | undefined;
  private congestionMark(s: Segment, dir: Dir): Segment {
    const capable = ecnOf(s) === ECN.ect0 || ecnOf(s) === ECN.ect1;
    if (!this.ceNext[dir] || s.payload.length === 0 || !capable) return s;
    this.ceNext[dir] = false;
    return { ...s, tos: (s.tos ?? 0) | ECN.ce };
  }

  deliverToPeer(s: Segment): void {
    this.peer.deliverSegment(this.congestionMark(s, 'toPeer'));
    this.collectPeer();
  }

  /** Deliver everything in flight both ways (dropping one direction when lossy); true if anything moved. */
  async flush(lossy?: Dir): Promise<boolean> {
    let moved = false;
    while (this.toStack.length) {
      const s = this.toStack.shift()!;
      moved = true;
      if (lossy !== 'toStack') await this.deliverToStack(s);
    }
    while (this.toPeer.length) {
      const s = this.toPeer.shift()!;
      moved = true;
      if (lossy !== 'toPeer') this.deliverToPeer(s);
    }
    return moved;
  }

  /** The earlier of the peer's and the stack's next timer (a fixed tick when the stack cannot tell). */
  async nextTimer(): Promise<number | undefined> {
    let best = this.peer.nextTimer();
    if (!this.h.real && this.h.canTellTimers) {
      const s = await this.h.nextTimer();
      if (s !== undefined && (best === undefined || s < best)) best = s;
    } else if (!this.h.real) best = best === undefined ? 10 : Math.min(best, 10);
    else best = best === undefined ? 2 : Math.min(best, 2);
    return best;
  }

  advance(ms: number): Promise<unknown> {
    return this.h.advance(ms);
  }

  /** Deliver what is in flight and run timers up to budget ms; idle lets the whole budget pass. */
  async settle(budget: number, lossy?: Dir, idle = false): Promise<void> {
    if (this.h.real) return this.settleReal(budget, lossy, idle);
    const start = this.h.clock();
    // A guard against a livelock, not a budget: a long idle on a ticking stack takes a round per tick.
    const maxRounds = Math.max(2000, Math.ceil(budget / 20));
    for (let rounds = 0; rounds < maxRounds; rounds++) {
      if (await this.flush(lossy)) continue;
      const left = budget - (this.h.clock() - start);
      if (left <= 0) return;
      const nt = await this.nextTimer();
      if (nt === undefined || nt > left) {
        if (idle) await this.advance(left);
        return;
      }
      if (this.h.canRun) {
        // A stack that can run to its next output skips its idle ticks in one call; the peer's timer still bounds it.
        const pt = this.peer.nextTimer();
        await this.h.runUntil(pt === undefined || pt > left ? left : Math.max(1, Math.ceil(pt)));
      } else await this.advance(Math.max(1, Math.ceil(nt)));
    }
  }

  /**
   * Real clock: deliver what is in flight; end after quietMs of silence once nothing is in flight, no peer
   * timer is due and the stack waits for nothing. Losing one direction, or idle, waits the whole (capped)
   * budget: the stack's own timers are what the scenario wants to see.
   */
  private async settleReal(budget: number, lossy?: Dir, idle = false): Promise<void> {
    const h = this.h;
    const start = h.clock();
    const limit = Math.min(budget, this.opts.realTimeCapMs);
    const whole = idle || lossy !== undefined;
    let lastMove = h.clock();
    for (let rounds = 0; rounds < 100_000; rounds++) {
      if (await this.flush(lossy)) {
        lastMove = h.clock();
        continue;
      }
      const elapsed = h.clock() - start;
      if (elapsed >= limit) return;
      const pt = this.peer.nextTimer();
      const peerIdle = pt === undefined || pt > limit - elapsed;
      if (!whole && this.stackOwed === undefined && peerIdle && h.clock() - lastMove >= this.opts.quietMs) return;
      await sleep(Math.max(1, Math.min(5, pt ?? 5, limit - elapsed)));
      const c = await h.drain();
      if (c.segs.length + c.malformed.length + c.events.length > 0) lastMove = h.clock();
    }
  }

  /** A hostile segment, placed relative to the peer's view of the connection. */
  hostile(x: Hostile): Segment {
    const srcPort = x.to === 'fresh' || x.to === 'spoof' ? FRESH_PORT + (x.n ?? 0) : PEER_PORT;
    const seq = seqAdd(this.hostileBase(x.seq.ref, srcPort), x.seq.d);
    const ack = seqAdd(this.hostileBase(x.ack.ref, srcPort), x.ack.d);
    const n = x.n ?? 0;
    const src = x.src ?? (x.to === 'spoof' ? `${SPOOF_NET}${(n >> 8) & 0xff}.${n & 0xff}` : PEER_ADDR);
    return {
      src,
      dst: x.dst ?? STACK_ADDR,
      ...(x.ipOptions ? { ipOptions: Uint8Array.from(x.ipOptions) } : {}),
      srcPort,
      dstPort: x.to === 'closed' ? CLOSED_PORT : STACK_PORT,
      seq,
      ack: x.flags & ACK ? ack : 0,
      flags: x.flags,
      window: x.window ?? 65535,
      urgent: 0,
      options: x.options ?? [],
      payload: bytesAt(seqAdd(seq, x.flags & SYN ? 1 : 0), x.len),
      ...(x.badChecksum ? { badChecksum: true } : {}),
    };
  }

  private hostileBase(r: Hostile['ack']['ref'] | Hostile['seq']['ref'], srcPort: number): number {
    const t = srcPort === PEER_PORT ? this.peerTcb() : undefined;
    const synced = t && t.state !== 'LISTEN' && t.state !== 'SYN-SENT';
    const stackNext = seqAdd(this.stackIss ?? 0, 1);
    switch (r) {
      case 'rcvNxt':
        return t && t.state !== 'SYN-SENT' ? t.sndNxt : this.sc.peerIsn;
      case 'peerUna':
        return t && t.state !== 'SYN-SENT' ? t.sndUna : this.sc.peerIsn;
      case 'peerIss':
        return this.sc.peerIsn;
      case 'sndNxt':
        return synced ? t.rcvNxt : stackNext;
      case 'sndUna':
        return synced ? seqAdd(t.rcvNxt, -t.rcvUnread.length) : stackNext;
      case 'iss':
        return this.issByPort.get(srcPort) ?? 0;
      default:
        return 0;
    }
  }

  /** A user call on the stack; calls on a connection are no-ops until there is one. */
  async stackCall(
    name: 'listen' | 'connect' | 'write' | 'shutdown' | 'close' | 'abort',
    n = 0,
    urgent = false,
    push = true,
  ): Promise<void> {
    const h = this.h;
    if (name === 'listen') {
      await h.call({ name, port: n || STACK_PORT });
      return;
    }
    if (name === 'connect') {
      const r = await h.call({ name, port: STACK_PORT, remote: { addr: PEER_ADDR, port: PEER_PORT } });
      this.lastConn = r.conn;
      return;
    }
    const conn = this.lastConn;
    if (conn === undefined) return;
    if (name === 'write') {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
      await h.call({ name, conn, data, ...(urgent ? { urgent } : {}), ...(push ? {} : { push }) });
    } else await h.call({ name, conn });
  }

  private peerCall(f: (c: ConnId) => void): void {
    if (this.peerConn !== undefined) {
      try {
        f(this.peerConn);
      } catch {
        /* gone */
      }
    }
    this.collectPeer();
  }

  async act(x: Action): Promise<void> {
    switch (x.a) {
      case 'stackListen':
        return this.stackCall('listen', x.port ?? STACK_PORT);
      case 'stackConnect':
        return this.stackCall('connect');
      case 'stackWrite':
        return this.stackCall('write', x.n, x.urgent, x.push !== false);
      case 'stackShutdown':
        return this.stackCall('shutdown');
      case 'stackClose':
        return this.stackCall('close');
      case 'stackAbort':
        return this.stackCall('abort');
      case 'stackControl': {
        const conn = this.lastConn;
        if (conn !== undefined) await this.h.call({ name: 'control', conn, control: x.control });
        return;
      }
      case 'peerListen':
        try {
          this.peer.listen(PEER_PORT);
        } catch {
          /* already listening */
        }
        return;
      case 'peerConnect':
        try {
          this.peerConn = this.peer.connect(PEER_PORT, { addr: STACK_ADDR, port: STACK_PORT });
        } catch {
          /* exists */
        }
        return this.collectPeer();
      case 'peerWrite':
        return this.peerWrite(x.n, x.urgent ?? false);
      case 'peerClose':
        return this.peerCall((c) => this.peer.close(c));
      case 'peerAbort':
        return this.peerCall((c) => this.peer.abort(c));
      case 'peerPause':
        this.peerReading = false;
        return;
      case 'peerResume':
        this.peerReading = true;
        return this.peerReceive(undefined);
      case 'peerRead':
        return this.peerReceive(x.n);
      case 'net':
        return this.net(x.dir, x.op, x.i);
      case 'lose':
        (x.dir === 'toStack' ? this.toStack : this.toPeer).length = 0;
        return;
      case 'advance':
        await this.h.advance(x.ms, { jump: true }); // the clock jumps past whatever timers the stack set
        return;
      case 'inject':
        // Every injected segment is marked (the property's probe name, or "hostile") so a trace shows what was forged.
        return this.deliverToStack(this.hostile(x.h), x.probe ?? 'hostile');
      case 'settle':
        return this.settle(x.ms ?? this.opts.settleMs, x.lossy, x.idle);
      case 'icmp':
        return this.icmp(x.type, x.code, x.misdirect ?? false);
      case 'ce':
        this.ceNext[x.dir ?? 'toStack'] = true;
        return;
      case 'batch':
        return this.batchToStack();
      case 'peerRoute':
        this.peerRoute = x.hops.length ? routeOption(x.strict ? SSRR : LSRR, x.hops, x.hops.length + 1) : undefined;
        return;
    }
  }

  /** The oldest segment in flight to the peer never gets there: the peer's network answers it with an ICMP error. */
  private async icmp(type: number, code: number, misdirect: boolean): Promise<void> {
    const lost = this.toPeer.shift();
    if (!lost) return;
    const s = misdirect ? { ...lost, dstPort: lost.dstPort + 1 } : lost;
    const quoted = { src: s.src, dst: s.dst, srcPort: s.srcPort, dstPort: s.dstPort, seq: s.seq };
    const m = { src: PEER_ADDR, dst: s.src, type, code, quoted };
    await this.h.deliverIcmp(m, encodeIcmpError(PEER_ADDR, type, code, s), misdirect ? MISDIRECTED : undefined);
  }

  private peerWrite(n: number, urgent: boolean): void {
    const t = this.peerTcb();
    if (!t || this.peerConn === undefined) return;
    const start = seqAdd(t.sndBufSeq, t.sndBuf.length);
    try {
      this.peer.write(this.peerConn, bytesAt(start, n), urgent);
    } catch {
      return;
    }
    this.collectPeer();
  }

  private async net(dir: Dir, op: 'deliver' | 'drop' | 'dup', i: number): Promise<void> {
    const q = dir === 'toStack' ? this.toStack : this.toPeer;
    if (q.length === 0) return;
    const k = i % q.length;
    const s = q[k]!;
    if (op !== 'dup') q.splice(k, 1);
    if (op === 'drop') return;
    if (dir === 'toStack') await this.deliverToStack(s);
    else this.deliverToPeer(s);
  }
}

/** The wire check a malformed packet from the stack fails. */
const WIRE_CHECK_OF: Record<string, string> = {
  'bad-tcp-checksum': 'wire-checksum',
  'bad-option-length': 'option-length',
};

export async function execute(sc: Scenario, adapter: StackAdapter, opts: ExecOptions = {}): Promise<Execution> {
  const realTimeCapMs = opts.realTimeCapMs ?? 3000;
  const bound = opts.callTimeoutMs !== undefined ? { callTimeoutMs: opts.callTimeoutMs } : {};
  const h = await Harness.open(adapter, STACK_ADDR, { ...bound, realTimeCapMs });
  const w = new World(h, sc, { settleMs: opts.settleMs ?? 20_000, realTimeCapMs, quietMs: opts.quietMs ?? 50 });
  try {
    for (const x of sc.actions) await w.act(x);
  } catch (e) {
    // A crashing stack is a verdict on the stack: record it so the scenario shrinks like any other failure.
    if (!(e instanceof StackCrashed)) throw e;
    h.push({ dir: 'out', text: `stack crashed: ${e.message.split('\n')[0]}` });
    const message = `the stack crashed: ${e.message}`;
    const at = h.trace.length - 1;
    w.wire.push({ property: 'stack-crashed', check: 'stack-crashed', requirements: [], section: '§3.10', message, at });
  } finally {
    await h.close();
  }
  return { trace: h.trace, wire: w.wire, tally: w.tally };
}
