// The reference stack: many model TCBs on one virtual clock, keyed by 4-tuple, plus listeners.
// It decodes and checksums arriving packets (MUST-3), demultiplexes them, answers segments for
// closed ports with a RST (§3.10.7.1), bounds half-open connections per listener and can answer
// with SYN cookies when the backlog is full.
import { type IcmpError, decodeIcmpError, describeIcmp } from '../../wire/icmp.js';
import { DEFAULT_CONFIG, KEEPALIVE_DEFAULT, makeConfig, tupleHash } from '../../model/config.js';
import { rstReply } from '../../model/output.js';
import { nextDeadline, step as modelStep } from '../../model/step.js';
import { createTcb } from '../../model/tcb.js';
import type { AppEvent, KeepAliveConfig, ModelConfig, ModelEvent, State, StepResult, Tcb } from '../../model/types.js';
import { type DecodeError, decode, encode } from '../../wire/codec.js';
import { invalidSrc, notUnicastDst } from '../../wire/address.js';
import { returnRoute, routeOption, sourceRouteOf } from '../../wire/route.js';
import { RefusedCall } from '../../harness/bounded.js';
import { ACK, type Endpoint, FIN, RST, SYN, type Segment, mssOf } from '../../wire/segment.js';
import { seq, seqAdd, seqGt } from '../../wire/seq.js';
import type { AppControl, ConnId, StackEvent, TupleRef } from '../adapter.js';

export type StepFn = (tcb: Tcb, event: ModelEvent, now: number) => StepResult;

export interface HostOptions {
  addr?: string;
  model?: Partial<ModelConfig>;
  /** Most half-open (SYN-RECEIVED) connections per listener. */
  backlog?: number;
  /** Answer SYNs with a cookie instead of dropping them when the backlog is full. */
  synCookies?: boolean;
  /** Replace the model's step (mutants wrap it). */
  step?: StepFn;
  /** Hook that may rewrite or drop each outgoing segment before encoding (mutants, perturbation). */
  egress?: (seg: Segment) => Segment | Segment[] | undefined;
  /** Verify checksums of arriving segments (MUST-3); off only for mutants. */
  verifyChecksum?: boolean;
  /** Replace the reply to segments for closed ports (mutants). */
  closedReply?: (seg: Segment) => Segment | undefined;
  /** Mutant only: a packet with a malformed option stops the whole host from answering. */
  dieOnMalformedOption?: boolean;
  /** A fault: an ICMP error goes to the connection on the quoted local port, whatever remote port it quotes. */
  icmpByLocalPort?: boolean;
  /** Faults: take segments for any destination (broadcast, multicast), or from any source (0/8, 127/8, …). */
  anyDst?: boolean;
  anySrc?: boolean;
  /** A fault: the TCP header is read 20 octets into the datagram, whatever its IHL says (IP options break it). */
  fixedIpHeader?: boolean;
  /** Faults: LISTEN refused on a port a connection uses (MUST-42); LISTEN resets every connection (MUST-41). */
  listenNeedsFreePort?: boolean;
  listenResets?: boolean;
  /**
   * Keep-alive faults: the idle time and the interval the application asks for swapped (MUST-27), one unanswered
   * probe ends the connection (MUST-29), the keep-alive control does nothing (MUST-24), or turning them off does
   * nothing (MUST-24).
   */
  keepAliveFault?: 'swapped' | 'one-probe' | 'ignored' | 'sticky' | 'garbage-ignored';
  /** A fault: the urgent-pending query always answers no (MUST-33). */
  urgentPendingNever?: boolean;
  /**
   * Source-route faults (§3.9.2.1): a received return route is not used (MUST-53), used in the order it came
   * (not reversed, MUST-53), or kept though a later segment brings another (SHLD-24).
   */
  routeFault?: 'ignored' | 'not-reversed' | 'first-only';
  /** A fault: a batch of arriving segments is acknowledged segment by segment, not once (MUST-58, MUST-59). */
  batchAcksEach?: boolean;
  /** Faults: the no-delay control does nothing (MUST-17); the user-timeout control does nothing (MUST-21). */
  noDelayIgnored?: boolean;
  userTimeoutIgnored?: boolean;
  /**
   * Faults: the TTL control does nothing (MUST-49); the Diffserv control does nothing (MUST-48), or only its first
   * use on a connection counts (SHLD-21).
   */
  ttlIgnored?: boolean;
  dscpFault?: 'ignored' | 'first-only';
}

interface Conn {
  id: ConnId;
  tcb: Tcb;
  /** Listener port this connection was spawned from (passive), for backlog accounting. */
  listener: number | undefined;
}

const key = (localPort: number, remote: Endpoint): string => `${localPort}|${remote.addr}|${remote.port}`;
const MSS_TABLE = [536, 1220, 1440, 1460];

export class ReferenceHost {
  readonly addr: string;
  readonly cfg: ModelConfig;
  readonly backlog: number;
  readonly synCookies: boolean;
  now = 0;
  private readonly stepFn: StepFn;
  private readonly egress: HostOptions['egress'];
  private readonly verifyChecksum: boolean;
  private readonly closedReply: (seg: Segment) => Segment | undefined;
  private readonly conns = new Map<string, Conn>();
  private readonly byId = new Map<ConnId, Conn>();
  private readonly listeners = new Map<number, Tcb>();
  private nextId = 1;
  private dead = false;
  private readonly dieOnMalformedOption: boolean;
  private readonly icmpByLocalPort: boolean;
  private readonly faults: Record<'anyDst' | 'anySrc' | 'ip20' | 'listenNeedsFreePort' | 'listenResets', boolean>;
  private readonly keepAliveFault: HostOptions['keepAliveFault'];
  private readonly controlFaults: Pick<
    HostOptions,
    'noDelayIgnored' | 'userTimeoutIgnored' | 'ttlIgnored' | 'dscpFault' | 'urgentPendingNever'
  >;
  private readonly dscpSet = new Set<ConnId>();
  /** The return route of each 4-tuple whose peer's segments came along a completed source route (MUST-53). */
  private readonly routes = new Map<string, { firstHop: string; option: Uint8Array }>();
  private readonly routeFault: HostOptions['routeFault'];
  /** While a batch is processed: the pure ACK each connection owes, the latest replacing the earlier (MUST-58). */
  private held: Map<string, Segment> | undefined;
  private readonly batchAcksEach: boolean;
  private nextEphemeral = 49152;
  private outPackets: Uint8Array[] = [];
  private outEvents: StackEvent[] = [];
  /** Arriving packets that were dropped, with the reason (bad checksum, malformed, not for us). */
  readonly dropped: Array<{ at: number; reason: string }> = [];

  constructor(opts: HostOptions = {}) {
    this.addr = opts.addr ?? '10.0.0.1';
    this.cfg = makeConfig({ ...opts.model });
    this.backlog = opts.backlog ?? 128;
    this.synCookies = opts.synCookies ?? false;
    this.stepFn = opts.step ?? modelStep;
    this.egress = opts.egress;
    this.verifyChecksum = opts.verifyChecksum ?? true;
    this.closedReply = opts.closedReply ?? rstReply;
    this.dieOnMalformedOption = opts.dieOnMalformedOption ?? false;
    this.icmpByLocalPort = opts.icmpByLocalPort ?? false;
    this.keepAliveFault = opts.keepAliveFault;
    this.routeFault = opts.routeFault;
    this.batchAcksEach = opts.batchAcksEach ?? false;
    this.controlFaults = {
      noDelayIgnored: opts.noDelayIgnored,
      userTimeoutIgnored: opts.userTimeoutIgnored,
      ttlIgnored: opts.ttlIgnored,
      dscpFault: opts.dscpFault,
      urgentPendingNever: opts.urgentPendingNever,
    };
    this.faults = {
      anyDst: opts.anyDst ?? false,
      anySrc: opts.anySrc ?? false,
      ip20: opts.fixedIpHeader ?? false,
      listenNeedsFreePort: opts.listenNeedsFreePort ?? false,
      listenResets: opts.listenResets ?? false,
    };
  }

  // ---- network side ----

  deliver(packet: Uint8Array): void {
    if (this.dead) return;
    const r = decode(packet, { verifyChecksum: this.verifyChecksum });
    if (!r.ok && r.error.kind === 'not-tcp') {
      const m = decodeIcmpError(packet);
      if (m) {
        this.deliverIcmp(m);
        return;
      }
    }
    if (!r.ok) {
      if (this.dieOnMalformedOption && r.error.kind === 'bad-option-length') this.dead = true;
      this.drop(r.error);
      return;
    }
    // Read at offset 20, the header of a datagram with IP options is its options: the checksum cannot verify.
    if (this.faults.ip20 && r.segment.ipOptions?.length) {
      this.dropped.push({ at: this.now, reason: 'TCP header read at offset 20: bad checksum' });
      return;
    }
    this.deliverSegment(r.segment);
  }

  /**
   * §3.10.7.4 (MUST-58, MUST-59): segments that arrive together are all processed before any ACK goes out, and
   * each connection then sends one: the pure ACKs the steps produce are held, the latest replacing the earlier.
   */
  deliverBatch(packets: Uint8Array[]): void {
    if (!this.batchAcksEach) this.held = new Map();
    for (const p of packets) this.deliver(p);
    const held = this.held;
    this.held = undefined;
    for (const [k, s] of held ?? []) {
      // A later segment of the batch moved RCV.NXT without owing an ACK at once: the ACK goes now, of all of it.
      const conn = this.conns.get(k);
      if (conn && seqGt(conn.tcb.rcvNxt, s.ack)) this.run(conn, { type: 'timeout', timer: 'delack' });
      else this.emitRaw(s);
    }
  }

  deliverSegment(seg: Segment): void {
    // §3.9.2.3: nothing opened towards a broadcast or multicast address (MUST-57), or from an invalid source (MUST-63)
    if (!this.faults.anyDst && notUnicastDst(seg.dst)) {
      this.dropped.push({ at: this.now, reason: `addressed to ${seg.dst}, not a unicast address` });
      return;
    }
    if (!this.faults.anySrc && invalidSrc(seg.src)) {
      this.dropped.push({ at: this.now, reason: `from ${seg.src}, not a valid source address` });
      return;
    }
    if (seg.dst !== this.addr && !this.faults.anyDst) {
      this.dropped.push({ at: this.now, reason: `addressed to ${seg.dst}, not ${this.addr}` });
      return;
    }
    const remote = { addr: seg.src, port: seg.srcPort };
    const conn = this.conns.get(key(seg.dstPort, remote));
    this.noteRoute(seg, conn !== undefined);
    if (conn) {
      this.run(conn, { type: 'segment', seg });
      return;
    }
    const listener = this.listeners.get(seg.dstPort);
    if (!listener) {
      this.emitRaw(this.closedReply(seg)); // §3.10.7.1: no TCB
      return;
    }
    this.listenerArrives(seg.dstPort, listener, seg);
  }

  /**
   * §3.9.2.1: a segment that came along a completed source route gives the return route for every segment of its
   * connection (MUST-53); a later one that brings another replaces it (SHLD-24). A SYN for a listener starts afresh.
   */
  private noteRoute(seg: Segment, known: boolean): void {
    const k = key(seg.dstPort, { addr: seg.src, port: seg.srcPort });
    const r = sourceRouteOf(seg.ipOptions);
    const back = r && this.routeFault !== 'ignored' ? returnRoute(r, seg.src) : undefined;
    if (!back) {
      if (!known && seg.flags & SYN) this.routes.delete(k);
      return;
    }
    if (this.routeFault === 'first-only' && known && this.routes.has(k)) return;
    if (this.routeFault === 'not-reversed') {
      const hops = [...r!.hops.slice(1), seg.src];
      this.routes.set(k, { firstHop: r!.hops[0]!, option: routeOption(r!.type, hops) });
    } else this.routes.set(k, back);
  }

  /** §3.9.2.2: the error goes to the connection whose segment it quotes (MUST-54). */
  private deliverIcmp(m: IcmpError): void {
    const q = m.quoted;
    const byPort = this.icmpByLocalPort
      ? [...this.conns.values()].find((c) => c.tcb.local.port === q.srcPort)
      : undefined;
    const conn =
      q.src !== this.addr ? undefined : (byPort ?? this.conns.get(key(q.srcPort, { addr: q.dst, port: q.dstPort })));
    if (!conn) {
      this.dropped.push({ at: this.now, reason: `${describeIcmp(m)}: no such connection` });
      return;
    }
    this.run(conn, { type: 'icmp', icmpType: m.type, code: m.code });
  }

  private drop(e: DecodeError): void {
    this.dropped.push({ at: this.now, reason: `${e.kind}: ${e.detail}` });
  }

  private listenerArrives(port: number, listener: Tcb, seg: Segment): void {
    const isSyn = (seg.flags & (SYN | ACK | RST)) === SYN;
    if (isSyn && this.halfOpen(port) >= this.backlog) {
      if (this.synCookies) this.sendCookie(seg);
      else this.dropped.push({ at: this.now, reason: `backlog of port ${port} full (${this.backlog})` });
      return;
    }
    if (this.synCookies && (seg.flags & (SYN | ACK | RST)) === ACK && this.cookieOk(seg)) {
      this.acceptCookie(port, seg);
      return;
    }
    const r = this.stepFn(listener, { type: 'segment', seg }, this.now);
    this.emitSegments(r.segments);
    if (r.tcb.state === 'SYN-RECEIVED') {
      const remote = r.tcb.remote!;
      const c: Conn = { id: `c${this.nextId++}`, tcb: { ...r.tcb, listenRemote: undefined }, listener: port };
      this.conns.set(key(port, remote), c);
      this.byId.set(c.id, c);
      for (const e of r.appEvents) this.appEvent(c, 'LISTEN', e);
    }
  }

  private halfOpen(port: number): number {
    let n = 0;
    for (const c of this.conns.values()) if (c.listener === port && c.tcb.state === 'SYN-RECEIVED') n++;
    return n;
  }

  // SYN cookies: ISS = t(6 bits) | mss index(2 bits) | 24-bit hash of the 4-tuple, t and the peer's ISN.
  private cookieHash(local: Endpoint, remote: Endpoint, t: number, irs: number): number {
    return (tupleHash(local, remote, (t * 0x45d9f3b) ^ irs) & 0xffffff) >>> 0;
  }

  private sendCookie(syn: Segment): void {
    const local = { addr: this.addr, port: syn.dstPort };
    const remote = { addr: syn.src, port: syn.srcPort };
    const t = Math.floor(this.now / 64_000) & 0x3f;
    const peerMss = mssOf(syn) ?? 536;
    let idx = 0;
    for (let i = 0; i < MSS_TABLE.length; i++) if (MSS_TABLE[i]! <= peerMss) idx = i;
    const iss = seq(((t << 26) | (idx << 24) | this.cookieHash(local, remote, t, syn.seq)) >>> 0);
    this.emitRaw({
      src: this.addr,
      dst: syn.src,
      srcPort: syn.dstPort,
      dstPort: syn.srcPort,
      seq: iss,
      ack: seqAdd(syn.seq, 1),
      flags: SYN | ACK,
      window: Math.min(this.cfg.rcvBuf, 0xffff),
      urgent: 0,
      options: this.cfg.offerMss ? [{ kind: 'mss', value: this.cfg.mss }] : [],
      payload: new Uint8Array(0),
    });
  }

  private cookieOk(seg: Segment): boolean {
    const iss = seqAdd(seg.ack, -1);
    const t = iss >>> 26;
    const nowT = Math.floor(this.now / 64_000) & 0x3f;
    if (((nowT - t) & 0x3f) > 1) return false; // cookies live for at most two 64 s periods
    const local = { addr: this.addr, port: seg.dstPort };
    const remote = { addr: seg.src, port: seg.srcPort };
    return (iss & 0xffffff) === this.cookieHash(local, remote, t, seqAdd(seg.seq, -1));
  }

  private acceptCookie(port: number, seg: Segment): void {
    const iss = seqAdd(seg.ack, -1);
    const irs = seqAdd(seg.seq, -1);
    const remote = { addr: seg.src, port: seg.srcPort };
    const mss = MSS_TABLE[(iss >>> 24) & 3]!;
    const tcb: Tcb = {
      ...createTcb(this.cfg, { addr: this.addr, port }),
      state: 'SYN-RECEIVED',
      remote,
      origin: 'passive',
      iss,
      irs,
      sndUna: iss,
      sndNxt: seg.ack,
      sndBufSeq: seg.ack,
      rcvNxt: seg.seq,
      sndWnd: seg.window,
      maxSndWnd: seg.window,
      sndMss: Math.min(mss, this.cfg.sendMssCap),
    };
    const c: Conn = { id: `c${this.nextId++}`, tcb, listener: port };
    this.conns.set(key(port, remote), c);
    this.byId.set(c.id, c);
    this.run(c, { type: 'segment', seg });
  }

  // ---- application side ----

  listen(port: number): void {
    if (this.listeners.has(port)) throw new Error(`port ${port} is already listening`);
    if (this.faults.listenNeedsFreePort && [...this.conns.values()].some((c) => c.tcb.local.port === port))
      throw new RefusedCall('port in use', `listen ${port}: a connection uses the port`);
    // A fault: a passive OPEN starts from an empty connection table (RSTs every connection first).
    if (this.faults.listenResets) for (const c of [...this.conns.values()]) this.abort(c.id);
    const r = this.stepFn(createTcb(this.cfg, { addr: this.addr, port }), { type: 'open', passive: true }, this.now);
    this.listeners.set(port, r.tcb);
  }

  /** Stop listening (CLOSE on the LISTEN TCB); established children stay. */
  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  connect(localPort: number | undefined, remote: Endpoint): ConnId {
    const port = localPort ?? this.nextEphemeral++;
    if (this.conns.has(key(port, remote)))
      throw new Error(`connection ${port} -> ${remote.addr}:${remote.port} already exists`);
    const c: Conn = {
      id: `c${this.nextId++}`,
      tcb: createTcb(this.cfg, { addr: this.addr, port }),
      listener: undefined,
    };
    this.conns.set(key(port, remote), c);
    this.byId.set(c.id, c);
    this.run(c, { type: 'open', passive: false, remote });
    return c.id;
  }

  /**
   * A call on a connection the host has forgotten reports an error event, like a socket would (§3.10: "connection does
   * not exist").
   */
  private call(id: ConnId, ev: ModelEvent): void {
    const c = this.byId.get(id);
    if (!c) {
      this.outEvents.push({ type: 'error', conn: id, message: 'connection-not-open' });
      return;
    }
    this.run(c, ev);
  }

  write(id: ConnId, data: Uint8Array, urgent = false, push = true): void {
    this.call(id, { type: 'send', data, ...(urgent ? { urgent } : {}), ...(push ? {} : { push }) });
  }
  receive(id: ConnId, max?: number): void {
    this.call(id, max === undefined ? { type: 'receive' } : { type: 'receive', max });
  }
  shutdown(id: ConnId): void {
    this.call(id, { type: 'close' });
  }
  /** The model's CLOSE is already a half-close; a full close is the same call here. */
  close(id: ConnId): void {
    this.call(id, { type: 'close' });
  }
  abort(id: ConnId): void {
    this.call(id, { type: 'abort' });
  }
  private dscp(id: ConnId, value: number): void {
    const fault = this.controlFaults.dscpFault;
    if (fault === 'ignored' || (fault === 'first-only' && this.dscpSet.has(id))) return;
    this.dscpSet.add(id);
    this.call(id, { type: 'option', dscp: value });
  }

  /** An application control, as the model's per-connection option call. */
  control(id: ConnId, x: AppControl): void {
    if (x.name === 'reading') this.call(id, { type: 'option', autoReceive: !x.paused });
    else if (x.name === 'read') {
      // Takes what waits, up to octets; with nothing waiting there is nothing to do (no RECEIVE error).
      if (this.byId.get(id)?.tcb.rcvUnread.length) this.receive(id, x.octets);
    } else if (x.name === 'nodelay') {
      if (!this.controlFaults.noDelayIgnored) this.call(id, { type: 'option', noDelay: x.on });
    } else if (x.name === 'timeout') {
      if (!this.controlFaults.userTimeoutIgnored) this.call(id, { type: 'option', userTimeout: x.ms });
    } else if (x.name === 'ttl') {
      if (!this.controlFaults.ttlIgnored) this.call(id, { type: 'option', ttl: x.value });
    } else if (x.name === 'dscp') this.dscp(id, x.value);
    else if (x.name === 'urgent-pending') this.urgentPending(id);
    else if (x.on) this.call(id, { type: 'option', keepAlive: this.keepAliveAsked(x) });
    else if (this.keepAliveFault !== 'sticky') this.call(id, { type: 'option', keepAlive: null });
  }

  /** §3.8.5 (MUST-33): RCV.UP is past the octets the application has been handed. */
  private urgentPending(id: ConnId): void {
    const t = this.byId.get(id)?.tcb;
    if (!t) return void this.outEvents.push({ type: 'error', conn: id, message: 'connection-not-open' });
    const handed = seqAdd(t.rcvNxt, -(t.rcvUnread.length + (t.finReceived ? 1 : 0)));
    const pending = t.rcvUp !== undefined && seqGt(t.rcvUp, handed) && !this.controlFaults.urgentPendingNever;
    this.outEvents.push({ type: 'urgent-pending', conn: id, pending });
  }

  private keepAliveAsked(x: Extract<AppControl, { on: true }>): KeepAliveConfig | null {
    if (this.keepAliveFault === 'ignored') return null;
    const idle = x.idleMs ?? KEEPALIVE_DEFAULT.idle;
    const interval = x.intervalMs ?? KEEPALIVE_DEFAULT.interval;
    const swapped = this.keepAliveFault === 'swapped';
    const keepAlive = {
      idle: swapped ? interval : idle,
      interval: swapped ? idle : interval,
      probes: this.keepAliveFault === 'one-probe' ? 1 : (x.probes ?? KEEPALIVE_DEFAULT.probes),
      ...(x.garbage && this.keepAliveFault !== 'garbage-ignored' ? { garbage: true } : {}),
    };
    return keepAlive;
  }

  // ---- clock ----

  /** ms until the earliest timer of any connection. */
  nextTimer(): number | undefined {
    let best: number | undefined;
    for (const c of this.conns.values()) {
      const d = nextDeadline(c.tcb);
      if (d && (best === undefined || d.at < best)) best = d.at;
    }
    return best === undefined ? undefined : Math.max(0, best - this.now);
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`advance: bad duration ${ms}`);
    const target = this.now + ms;
    for (;;) {
      let due: { c: Conn; at: number; timer: import('../../model/types.js').TimerName } | undefined;
      for (const c of this.conns.values()) {
        const d = nextDeadline(c.tcb);
        if (d && d.at <= target && (due === undefined || d.at < due.at)) due = { c, at: d.at, timer: d.timer };
      }
      if (!due) break;
      this.now = Math.max(this.now, due.at);
      this.run(due.c, { type: 'timeout', timer: due.timer });
    }
    this.now = target;
  }

  // ---- introspection ----

  state(ref: TupleRef): State {
    const c = this.conns.get(key(ref.localPort, ref.remote));
    if (c) return c.tcb.state;
    return this.listeners.has(ref.localPort) ? 'LISTEN' : 'CLOSED';
  }

  tcb(ref: TupleRef): Tcb | undefined {
    return this.conns.get(key(ref.localPort, ref.remote))?.tcb;
  }

  tcbById(id: ConnId): Tcb | undefined {
    return this.byId.get(id)?.tcb;
  }

  connections(): Array<{ id: ConnId; state: State; localPort: number; remote: Endpoint | undefined }> {
    return [...this.byId.values()].map((c) => ({
      id: c.id,
      state: c.tcb.state,
      localPort: c.tcb.local.port,
      remote: c.tcb.remote,
    }));
  }

  drain(): { packets: Uint8Array[]; events: StackEvent[] } {
    const r = { packets: this.outPackets, events: this.outEvents };
    this.outPackets = [];
    this.outEvents = [];
    return r;
  }

  // ---- internals ----

  private run(c: Conn, ev: ModelEvent): void {
    const before = c.tcb.state;
    const r = this.stepFn(c.tcb, ev, this.now);
    c.tcb = r.tcb;
    this.emitSegments(r.segments);
    for (const e of r.appEvents) this.appEvent(c, before, e);
    if (c.tcb.state === 'CLOSED' || (c.tcb.state === 'LISTEN' && c.listener !== undefined)) this.forget(c);
  }

  private forget(c: Conn): void {
    if (c.tcb.remote) this.conns.delete(key(c.tcb.local.port, c.tcb.remote));
    else for (const [k, v] of this.conns) if (v === c) this.conns.delete(k);
    this.byId.delete(c.id);
  }

  private appEvent(c: Conn, before: State, e: AppEvent): void {
    const conn = c.id;
    switch (e.type) {
      case 'established':
        if (c.tcb.origin === 'passive')
          this.outEvents.push({ type: 'accepted', conn, localPort: c.tcb.local.port, remote: c.tcb.remote! });
        else this.outEvents.push({ type: 'connected', conn });
        break;
      case 'data':
        this.outEvents.push({ type: 'data', conn, data: e.data, ...(e.push ? { push: true } : {}) });
        break;
      case 'eof':
        this.outEvents.push({ type: 'end', conn });
        break;
      case 'urgent':
        this.outEvents.push({ type: 'urgent', conn });
        break;
      case 'reset':
        this.outEvents.push({ type: 'reset', conn });
        break;
      case 'refused':
        this.outEvents.push({ type: 'reset', conn, refused: true });
        break;
      case 'error':
        this.outEvents.push({ type: 'error', conn, message: e.code });
        break;
      case 'closed':
        // A half-open passive connection the application never saw disappears silently.
        if (!(before === 'SYN-RECEIVED' && c.tcb.origin === 'passive' && c.listener !== undefined))
          this.outEvents.push({ type: 'closed', conn });
        break;
    }
  }

  private emitSegments(segs: Segment[]): void {
    for (const s of segs) this.emitRaw(s);
  }

  private emitRaw(given: Segment | undefined): void {
    if (!given) return;
    const pure = (given.flags & (ACK | SYN | FIN | RST)) === ACK && given.payload.length === 0;
    if (this.held && pure)
      return void this.held.set(key(given.srcPort, { addr: given.dst, port: given.dstPort }), given);
    const route = this.routes.size
      ? this.routes.get(key(given.srcPort, { addr: given.dst, port: given.dstPort }))
      : undefined;
    const seg = route ? { ...given, ipOptions: route.option, ipDst: route.firstHop } : given;
    const out = this.egress ? this.egress(seg) : seg;
    for (const o of out === undefined ? [] : Array.isArray(out) ? out : [out]) this.outPackets.push(encode(o));
  }
}

export { DEFAULT_CONFIG };
