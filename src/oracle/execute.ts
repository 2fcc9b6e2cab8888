// Runs a scenario against a stack with a reference peer, recording the trace the oracle judges.
import { decode, encode } from '../wire/codec.js';
import { ACK, RST, SYN, type Segment, describe, segLen } from '../wire/segment.js';
import { seqAdd, seqDelta } from '../wire/seq.js';
import type { ConnId, StackAdapter, StackEvent, StackInstance } from '../stacks/adapter.js';
import { ReferenceHost } from '../stacks/reference/host.js';
import { AdapterError, StackCrashed, type TraceEntry, drainChecked, guard, pushTime } from '../trace/runner.js';
import { type Action, CLOSED_PORT, type Hostile, PEER_ADDR, PEER_PORT, SPOOF_NET, STACK_ADDR, STACK_PORT, type Scenario, bytesAt } from '../gen/scenario.js';
import type { Violation } from './types.js';

export interface ExecOptions {
  callTimeoutMs?: number;
  /** Default time budget of a settle action. */
  settleMs?: number;
  /** Real-clock stacks: the longest a single advance or settle waits (default 3000 ms; every check judges only the time the trace covers). */
  realTimeCapMs?: number;
  /** Real-clock stacks: a settle ends after this much silence once nothing is in flight and no peer timer is due (default 50 ms). */
  quietMs?: number;
}

export interface Execution {
  trace: TraceEntry[];
  /** Malformed packets from the stack (MUST-2 and friends). */
  wire: Violation[];
}

const peerTuple = { localPort: PEER_PORT, remote: { addr: STACK_ADDR, port: STACK_PORT } };

export async function execute(sc: Scenario, adapter: StackAdapter, opts: ExecOptions = {}): Promise<Execution> {
  const callMs = opts.callTimeoutMs ?? 5000;
  const settleDefault = opts.settleMs ?? 20_000;
  const trace: TraceEntry[] = [];
  const wire: Violation[] = [];
  const peer = new ReferenceHost({
    addr: PEER_ADDR,
    model: { isn: () => sc.peerIsn, rcvBuf: sc.peerWindow, mss: sc.peerMss ?? 536, offerMss: sc.peerMss !== undefined, delayedAck: false },
  });
  const toStack: Segment[] = [];
  const toPeer: Segment[] = [];
  let now = 0;
  let lastConn: ConnId | undefined;
  /** End of the stack's sequence space sent towards the peer and not yet acknowledged to it. */
  let stackOwed: number | undefined;
  let stackIss: number | undefined;
  const issByPort = new Map<number, number>();
  let peerConn: ConnId | undefined;
  const inst: StackInstance = await guard(() => adapter.create({ addr: STACK_ADDR }), callMs, 'create()');
  const real = inst.clock === 'real';
  const realCap = opts.realTimeCapMs ?? 3000;
  const quietMs = opts.quietMs ?? 50;
  const wallStart = performance.now();
  const clockNow = (): number => (real ? Math.round((performance.now() - wallStart) * 10) / 10 : now);
  // A real-clock stack's peer (a virtual reference host) is kept at the wall clock.
  let peerClock = 0;
  const syncPeer = (): void => {
    if (!real) return;
    const n = clockNow();
    if (n > peerClock) {
      peer.advance(n - peerClock);
      peerClock = n;
    }
  };
  const stamp = (at: number | undefined): number => (real && at !== undefined ? Math.max(0, Math.round((at - wallStart) * 10) / 10) : now);

  /** Drain the stack; returns how many packets and events it had. Real-clock output carries the time it appeared. */
  const collect = async (): Promise<number> => {
    const out = await drainChecked(inst, callMs);
    now = clockNow();
    syncPeer();
    for (const [k, p] of out.packets.entries()) {
      const t = stamp(out.at?.packets[k]);
      if ('error' in p) {
        trace.push({ t, dir: 'out', text: `malformed packet (${p.error.kind}): ${p.hex}` });
        wire.push({ property: 'wire-format', requirements: p.error.kind === 'bad-tcp-checksum' ? ['MUST-2'] : [], section: '§3.1', message: `the stack emitted a malformed packet: ${p.error.kind}: ${p.error.detail}`, at: trace.length - 1, offending: p.hex });
        continue;
      }
      const s = p.seg;
      trace.push({ t, dir: 'out', text: describe(s), seg: s });
      if (s.flags & SYN && s.dstPort === PEER_PORT && stackIss === undefined) stackIss = s.seq;
      if (s.flags & SYN) issByPort.set(s.dstPort, s.seq);
      if (s.dstPort === PEER_PORT) {
        // What the stack is waiting to see acknowledged (a real-clock settle waits for its retransmission).
        if (s.flags & RST) stackOwed = undefined;
        else if (segLen(s) > 0) {
          const end = seqAdd(s.seq, segLen(s));
          if (stackOwed === undefined || s.flags & SYN || seqDelta(end, stackOwed) > 0) stackOwed = end;
        }
      }
      // Only the peer host's connection is wired up; other destinations (fresh ports, spoofed sources) are a black hole.
      if (s.dst === PEER_ADDR && s.dstPort === PEER_PORT) toPeer.push(s);
    }
    for (const [k, ev] of (out.events as StackEvent[]).entries()) {
      trace.push({ t: stamp(out.at?.events[k]), dir: 'event', text: `${ev.type}${ev.type === 'data' ? ` ${ev.data.length} octets` : ''} (conn ${ev.conn})`, event: ev });
      if (ev.type === 'accepted' || ev.type === 'connected') lastConn = ev.conn;
    }
    collectPeer();
    return out.packets.length + out.events.length;
  };
  const collectPeer = (): void => {
    const out = peer.drain();
    for (const p of out.packets) {
      const r = decode(p);
      if (r.ok) toStack.push(r.segment);
    }
    for (const ev of out.events) if (ev.type === 'accepted' || ev.type === 'connected') peerConn = ev.conn;
    peerTcb();
  };
  const deliverToStack = async (s: Segment, probe?: string): Promise<void> => {
    if (stackOwed !== undefined && s.srcPort === PEER_PORT && (s.flags & RST || (s.flags & ACK && seqDelta(s.ack, stackOwed) >= 0))) stackOwed = undefined;
    now = clockNow();
    trace.push({ t: now, dir: 'in', text: describe(s), seg: s, ...(probe ? { probe } : {}) });
    await guard(() => inst.deliver(encode(s)), callMs, 'deliver()');
    await collect();
  };
  const deliverToPeer = (s: Segment): void => {
    peer.deliverSegment(s);
    collectPeer();
  };
  const advance = async (ms: number): Promise<void> => {
    if (ms <= 0) return;
    if (inst.clock === 'virtual') {
      pushTime(trace, now, ms); // a stack with many timers would otherwise flood the trace
      const adv = inst.advance?.bind(inst);
      if (!adv) throw new AdapterError('a virtual-clock stack must implement advance()');
      await guard(() => adv(ms), callMs, `advance(${ms})`);
      now += ms;
      peer.advance(ms);
    } else {
      // Real time: wait (capped), and record the time that really passed.
      const t0 = clockNow();
      await new Promise((r) => setTimeout(r, Math.min(ms, realCap)));
      trace.push({ t: t0, dir: 'time', text: `+${Math.round(clockNow() - t0)} ms`, ms: Math.round(clockNow() - t0) });
    }
    await collect();
  };
  const call = async (name: 'listen' | 'connect' | 'write' | 'shutdown' | 'close' | 'abort', data?: Uint8Array): Promise<void> => {
    now = clockNow();
    const entry: TraceEntry = { t: now, dir: 'call', text: `call ${name}${data ? ` (${data.length} octets)` : ''}`, call: { name } };
    if (name === 'listen') {
      entry.call!.port = STACK_PORT;
      trace.push(entry);
      await guard(() => inst.listen(STACK_PORT), callMs, 'listen()');
    } else if (name === 'connect') {
      const remote = { addr: PEER_ADDR, port: PEER_PORT };
      Object.assign(entry.call!, { port: STACK_PORT, remote });
      trace.push(entry);
      const id = await guard(() => inst.connect(STACK_PORT, remote), callMs, 'connect()');
      if (typeof id !== 'string') throw new AdapterError(`connect() returned ${JSON.stringify(id)}, expected a connection id string`);
      entry.call!.conn = id;
      lastConn = id;
    } else {
      if (lastConn === undefined) return; // nothing to act on yet: the action is a no-op
      const conn = lastConn;
      entry.call!.conn = conn;
      if (data) entry.call!.data = data;
      trace.push(entry);
      if (name === 'write') await guard(() => inst.write(conn, data!), callMs, 'write()');
      else await guard(() => inst[name](conn), callMs, `${name}()`);
    }
    const before = trace.length;
    await collect();
    // A write the stack refused on the spot (error event for that connection) put no data in flight.
    if (name === 'write' && trace.slice(before).some((e) => e.event?.type === 'error' && e.event.conn === entry.call!.conn)) entry.call!.refused = true;
  };
  const nextTimer = async (): Promise<number | undefined> => {
    let best = peer.nextTimer();
    if (inst.clock === 'virtual' && inst.nextTimer) {
      const next = inst.nextTimer.bind(inst);
      const s = await guard(() => next(), callMs, 'nextTimer()');
      if (s !== undefined && (best === undefined || s < best)) best = s;
    } else if (inst.clock === 'virtual') best = best === undefined ? 10 : Math.min(best, 10);
    else best = best === undefined ? 2 : Math.min(best, 2);
    return best;
  };
  // The peer's last view of the connection survives its deletion (e.g. after LAST-ACK).
  let lastPeerTcb: ReturnType<typeof peer.tcb>;
  const peerTcb = () => {
    const t = peer.tcb(peerTuple);
    if (t) lastPeerTcb = t;
    return t ?? lastPeerTcb;
  };

  const hostile = (h: Hostile): Segment => {
    const srcPort = h.to === 'fresh' || h.to === 'spoof' ? 41000 + (h.n ?? 0) : PEER_PORT;
    const t = srcPort === PEER_PORT ? peerTcb() : undefined;
    const rcvNxt = t && t.state !== 'SYN-SENT' ? t.sndNxt : sc.peerIsn;
    const base = (r: Hostile['ack']['ref'] | Hostile['seq']['ref']): number => {
      switch (r) {
        case 'rcvNxt': return rcvNxt;
        case 'peerIss': return sc.peerIsn;
        case 'sndNxt': return t && t.state !== 'LISTEN' && t.state !== 'SYN-SENT' ? t.rcvNxt : seqAdd(stackIss ?? 0, 1);
        case 'sndUna': return t && t.state !== 'LISTEN' && t.state !== 'SYN-SENT' ? seqAdd(t.rcvNxt, -(t.rcvUnread.length)) : seqAdd(stackIss ?? 0, 1);
        case 'iss': return issByPort.get(srcPort) ?? 0;
        default: return 0;
      }
    };
    const seq = seqAdd(base(h.seq.ref), h.seq.d);
    const ack = seqAdd(base(h.ack.ref), h.ack.d);
    const src = h.to === 'spoof' ? `${SPOOF_NET}${((h.n ?? 0) >> 8) & 0xff}.${(h.n ?? 0) & 0xff}` : PEER_ADDR;
    return {
      src, dst: STACK_ADDR, srcPort, dstPort: h.to === 'closed' ? CLOSED_PORT : STACK_PORT,
      seq, ack: h.flags & ACK ? ack : 0, flags: h.flags, window: h.window ?? 65535, urgent: 0,
      options: h.options ?? [], payload: bytesAt(seqAdd(seq, h.flags & SYN ? 1 : 0), h.len),
      ...(h.badChecksum ? { badChecksum: true } : {}),
    };
  };

  /** Deliver everything in flight both ways (dropping one direction when lossy); true if anything was in flight. */
  const flush = async (lossy?: 'toStack' | 'toPeer'): Promise<boolean> => {
    let moved = false;
    while (toStack.length) {
      const s = toStack.shift()!;
      moved = true;
      if (lossy !== 'toStack') await deliverToStack(s);
    }
    while (toPeer.length) {
      const s = toPeer.shift()!;
      moved = true;
      if (lossy !== 'toPeer') deliverToPeer(s);
    }
    return moved;
  };

  /**
   * Real clock: deliver what is in flight; end after quietMs of silence once nothing is in flight and no
   * peer timer is due. Losing one direction, or idle, waits the whole (capped) budget: the stack's own
   * timers are what the scenario wants to see.
   */
  const settleReal = async (budget: number, lossy?: 'toStack' | 'toPeer', idle = false): Promise<void> => {
    const start = clockNow();
    const limit = Math.min(budget, realCap);
    const whole = idle || lossy !== undefined;
    let lastMove = clockNow();
    for (let rounds = 0; rounds < 100_000; rounds++) {
      const moved = await flush(lossy);
      if (moved) {
        lastMove = clockNow();
        continue;
      }
      const elapsed = clockNow() - start;
      if (elapsed >= limit) return;
      const pt = peer.nextTimer();
      // Quiet, nothing due from the peer, and the stack waits for nothing (else its retransmission is coming).
      if (!whole && stackOwed === undefined && (pt === undefined || pt > limit - elapsed) && clockNow() - lastMove >= quietMs) return;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(5, pt ?? 5, limit - elapsed))));
      if ((await collect()) > 0) lastMove = clockNow();
    }
  };

  /** Deliver what is in flight and run timers up to budget ms; with idle, let the whole budget pass even when nothing is scheduled. */
  const settle = async (budget: number, lossy?: 'toStack' | 'toPeer', idle = false): Promise<void> => {
    if (real) return settleReal(budget, lossy, idle);
    const start = clockNow();
    for (let rounds = 0; rounds < 2000; rounds++) {
      const moved = await flush(lossy);
      if (moved) continue;
      const left = budget - (clockNow() - start);
      if (left <= 0) return;
      const nt = await nextTimer();
      if (nt === undefined || nt > left) {
        if (idle) await advance(left);
        return;
      }
      await advance(Math.max(1, Math.ceil(nt)));
    }
  };

  const act = async (x: Action): Promise<void> => {
    switch (x.a) {
      case 'stackListen': return call('listen');
      case 'stackConnect': return call('connect');
      case 'stackWrite': return call('write', Uint8Array.from({ length: x.n }, (_, i) => (i * 7 + x.n) & 0xff));
      case 'stackShutdown': return call('shutdown');
      case 'stackClose': return call('close');
      case 'stackAbort': return call('abort');
      case 'peerListen':
        try { peer.listen(PEER_PORT); } catch { /* already listening */ }
        return;
      case 'peerConnect':
        try { peerConn = peer.connect(PEER_PORT, { addr: STACK_ADDR, port: STACK_PORT }); } catch { /* exists */ }
        return collectPeer();
      case 'peerWrite': {
        const t = peerTcb();
        if (!t || peerConn === undefined) return;
        const start = seqAdd(t.sndBufSeq, t.sndBuf.length);
        try { peer.write(peerConn, bytesAt(start, x.n)); } catch { return; }
        return collectPeer();
      }
      case 'peerClose':
        if (peerConn !== undefined) try { peer.close(peerConn); } catch { /* gone */ }
        return collectPeer();
      case 'peerAbort':
        if (peerConn !== undefined) try { peer.abort(peerConn); } catch { /* gone */ }
        return collectPeer();
      case 'net': {
        const q = x.dir === 'toStack' ? toStack : toPeer;
        if (q.length === 0) return;
        const i = x.i % q.length;
        const s = q[i]!;
        if (x.op !== 'dup') q.splice(i, 1);
        if (x.op === 'drop') return;
        if (x.dir === 'toStack') await deliverToStack(s);
        else deliverToPeer(s);
        return;
      }
      case 'lose':
        (x.dir === 'toStack' ? toStack : toPeer).length = 0;
        return;
      case 'advance': return advance(x.ms);
      case 'inject': return deliverToStack(hostile(x.h), x.probe);
      case 'settle': return settle(x.ms ?? settleDefault, x.lossy, x.idle);
    }
  };

  try {
    for (const x of sc.actions) await act(x);
  } catch (e) {
    // A crashing stack is a verdict on the stack: record it so the scenario shrinks like any other failure.
    if (!(e instanceof StackCrashed)) throw e;
    trace.push({ t: clockNow(), dir: 'out', text: `stack crashed: ${e.message.split('\n')[0]}` });
    wire.push({ property: 'stack-crashed', requirements: [], section: '§3.10', message: `the stack crashed: ${e.message}`, at: trace.length - 1 });
  } finally {
    await guard(() => inst.destroy(), callMs, 'destroy()').catch(() => undefined);
  }
  return { trace, wire };
}
