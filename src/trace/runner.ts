// Replays a vector against a stack and names the first step that differs, with expected vs actual.
import { AdapterError, StackCrashed } from '../harness/bounded.js';
import { type Collected, Harness } from '../harness/harness.js';
import { Interrupted, checkpoint } from '../harness/interrupt.js';
import type { TraceEntry } from '../harness/trace.js';
import type { State } from '../model/types.js';
import { type ConnId, type StackAdapter, type StackEvent, controlText } from '../stacks/adapter.js';
import {
  ACK,
  CWR,
  ECE,
  ECN,
  FIN,
  PSH,
  RST,
  SYN,
  type Segment,
  URG,
  describe,
  flagString,
  mssOf,
} from '../wire/segment.js';
import { seqAdd } from '../wire/seq.js';
import { icmpPacket } from '../wire/icmp.js';
import { type Env, type Expr, evalExpr, matchExpr, showExpr } from './expr.js';
import { MAX_STEP_MS, type SegSpec, type Step, type Vector } from './vector.js';

export interface StepFailure {
  step: number;
  stepText: string;
  message: string;
  expected?: string;
  actual?: string;
}

export interface VectorResult {
  name: string;
  file?: string;
  status: 'pass' | 'fail' | 'skip' | 'error';
  failure?: StepFailure;
  skipReason?: string;
  trace: TraceEntry[];
  bindings: Record<string, number>;
  /** Virtual ms the vector covered. */
  duration: number;
}

export interface RunOptions {
  /** Bound on every adapter call (ms of wall time). */
  callTimeoutMs?: number;
  /** Time step when a virtual stack cannot say when its next timer fires. */
  tick?: number;
}

class StepFail extends Error {
  constructor(
    message: string,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
  }
}
class VectorBug extends Error {}
class StepSkip extends Error {}

const EXACT_FLAGS = SYN | FIN | RST | ACK;
const OPTIONAL_FLAGS = PSH | URG | ECE | CWR;

/** The payload a spec describes: explicit bytes, or `len` octets of a fixed pattern. */
function specPayload(s: SegSpec): Uint8Array {
  if (s.payload) return s.payload;
  if (s.len !== undefined) return Uint8Array.from({ length: s.len }, (_, i) => 97 + (i % 26));
  return new Uint8Array(0);
}

export function stepText(s: Step): string {
  const seg = (x: SegSpec): string => {
    const parts = [x.flagsText];
    if (x.seq) parts.push(`seq=${showExpr(x.seq)}`);
    if (x.ack) parts.push(`ack=${showExpr(x.ack)}`);
    if (x.win) parts.push(`win=${showExpr(x.win)}`);
    if (x.payload) parts.push(`len=${x.payload.length}`);
    if (x.len !== undefined) parts.push(`len=${x.len}`);
    if (x.mss) parts.push(`mss=${showExpr(x.mss)}`);
    if (x.badChecksum) parts.push('bad-checksum');
    return parts.join(' ');
  };
  switch (s.kind) {
    case 'call':
      if (s.control) return `call control ${controlText(s.control)}`;
      return `call ${s.call}${s.data ? ` (${s.data.length} octets)` : ''}`;
    case 'inject':
      return `inject ${seg(s.seg)}`;
    case 'icmp':
      return `ICMP type ${s.type} code ${s.code} quoting seq ${showExpr(s.seq)}`;
    case 'expect':
      return `expect ${seg(s.seg)}${
        s.after ? ` after ${showExpr(s.after.min)}..${showExpr(s.after.max)} ms` : ` within ${showExpr(s.within)} ms`
      }`;
    case 'expectNone':
      return `expect no segment for ${showExpr(s.ms)} ms`;
    case 'advance':
      return `advance ${showExpr(s.ms)} ms`;
    case 'assume':
      return `assume ${s.text}`;
    case 'event':
      return `event ${s.event}${s.data ? ` (${s.data.length} octets)` : ''}`;
    case 'state':
      return `state ${s.state}${s.after ? ` after ${showExpr(s.after.min)}..${showExpr(s.after.max)} ms` : ''}`;
  }
}

function profileMismatch(v: Vector, adapter: StackAdapter): string | undefined {
  for (const [k, want] of Object.entries(v.requires)) {
    const have = (adapter.profile as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      return `vector requires ${k}=${JSON.stringify(want)}, stack ${adapter.name} declares ${JSON.stringify(have)}`;
    }
  }
  return undefined;
}

/** Profile values vectors may use in times and expressions. */
function profileEnv(v: Vector, adapter: StackAdapter): Env {
  const env: Env = new Map(Object.entries(v.vars));
  const pr = adapter.profile;
  const vals = {
    msl: pr.msl,
    rto_initial: pr.rtoInitial,
    rto_min: pr.rtoMin,
    rto_max: pr.rtoMax,
    ack_delay_max: pr.ackDelayMax,
  };
  for (const [k, val] of Object.entries(vals)) if (!env.has(k)) env.set(k, val);
  return env;
}

/** One vector's steps translated into harness verbs, with what the stack emitted kept until a step takes it. */
class VectorRun {
  readonly pendingSegs: Array<{ seg: Segment; at: number }> = [];
  readonly pendingEvents: Array<{ ev: StackEvent; at: number }> = [];
  readonly conns = new Map<string, ConnId>();
  lastConn: ConnId | undefined;

  constructor(
    readonly v: Vector,
    readonly h: Harness,
    readonly env: Env,
    readonly tick: number,
  ) {
    h.observe((c) => this.onOutput(c));
  }

  private onOutput(c: Collected): void {
    for (const m of c.malformed) {
      const id = m.kind === 'bad-tcp-checksum' ? 'MUST-2: ' : '';
      const msg = `${id}the stack emitted a malformed packet: ${m.kind}: ${m.detail}`;
      throw new StepFail(msg, 'a well-formed IPv4/TCP packet', m.hex);
    }
    for (const s of c.segs) {
      this.pendingSegs.push(s);
      // The stack's ISN on each peer port is bound automatically as sisn_<port>.
      const key = `sisn_${s.seg.dstPort}`;
      if (s.seg.flags & SYN && !this.env.has(key)) this.env.set(key, s.seg.seq);
    }
    for (const e of c.events) {
      this.pendingEvents.push(e);
      if (e.ev.type === 'accepted' || e.ev.type === 'connected') this.lastConn = e.ev.conn;
    }
  }

  /** Let time pass (up to maxMs) until cond holds; jumps straight to the stack's next timer when it can. */
  async waitUntil(cond: () => boolean | Promise<boolean>, maxMs: number): Promise<boolean> {
    const h = this.h;
    await h.drain();
    if (await cond()) return true;
    const start = h.clock();
    while (h.clock() - start < maxMs) {
      checkpoint();
      const left = maxMs - (h.clock() - start);
      if (h.canRun) {
        // One call to the next thing the stack does (or to the deadline), however many timer ticks lie between.
        await h.runUntil(Math.ceil(left));
        if (await cond()) return true;
        continue;
      }
      let d: number;
      if (!h.real) {
        const nt = await h.nextTimer();
        d = Math.min(left, nt === undefined ? this.tick : Math.max(1, Math.ceil(nt)));
      } else d = Math.min(left, 2);
      await h.advance(d, { stepwise: true });
      if (await cond()) return true;
    }
    return false;
  }

  connFor(name: string | undefined): ConnId {
    if (name !== undefined) {
      const c = this.conns.get(name);
      if (c === undefined) throw new VectorBug(`no connection named ${JSON.stringify(name)} (name one with "as")`);
      return c;
    }
    if (this.lastConn === undefined)
      throw new VectorBug('no connection yet: connect, or wait for an accepted event first');
    return this.lastConn;
  }

  value(e: Expr | undefined, what: string, def: number): number {
    if (!e) return def;
    const r = evalExpr(e, this.env);
    if (typeof r === 'string') throw new VectorBug(`${what}: ${r}`);
    return r;
  }

  /** A time in ms (an expression may name profile values): within MAX_STEP_MS, or the vector is at fault. */
  time(e: Expr | undefined, what: string): number {
    const n = this.value(e, what, 0);
    if (n > MAX_STEP_MS) {
      throw new VectorBug(
        `${what}: ${n} ms is out of range (0 to ${MAX_STEP_MS}; a negative time wraps to a huge one)`,
      );
    }
    return n;
  }

  stateOf(port: number | undefined, peerPort: number | undefined): Promise<State | undefined> {
    const { v } = this;
    return this.h.state({
      localPort: port ?? v.stack.port,
      remote: { addr: v.peer.addr, port: peerPort ?? v.peer.port },
    });
  }

  checkSeg(spec: SegSpec, actual: Segment): void {
    const { v, env } = this;
    const problems: string[] = [];
    const aFlags = actual.flags & EXACT_FLAGS;
    if (aFlags !== (spec.flags & EXACT_FLAGS) || (spec.flags & OPTIONAL_FLAGS & ~actual.flags) !== 0) {
      problems.push(`flags: expected ${spec.flagsText}, got ${flagString(actual.flags)}`);
    }
    const wantPeerPort = spec.peerPort ?? v.peer.port;
    if (actual.dst !== v.peer.addr || actual.dstPort !== wantPeerPort) {
      problems.push(`destination: expected ${v.peer.addr}:${wantPeerPort}, got ${actual.dst}:${actual.dstPort}`);
    }
    const wantPort = spec.port ?? v.stack.port;
    if (actual.srcPort !== wantPort) problems.push(`source port: expected ${wantPort}, got ${actual.srcPort}`);
    const field = (name: string, e: Expr | undefined, got: number): void => {
      if (!e || problems.length) return;
      const m = matchExpr(e, got, env);
      if (!m.ok) problems.push(`${name}: expected ${m.expected}, got ${got}`);
    };
    field('seq', spec.seq, actual.seq);
    if (actual.flags & ACK) field('ack', spec.ack, actual.ack);
    field('win', spec.win, actual.window);
    if (spec.mss) {
      const m = mssOf(actual);
      if (m === undefined) problems.push('mss: expected an MSS option, got none');
      else field('mss', spec.mss, m);
    }
    const want = specPayload(spec);
    if (actual.payload.length !== want.length) {
      problems.push(`length: expected ${want.length} data octets, got ${actual.payload.length}`);
    } else if (spec.payload && !Buffer.from(actual.payload).equals(Buffer.from(want)))
      problems.push('data: contents differ');
    if (problems.length) throw new StepFail(problems.join('; '), this.describeSpec(spec), describe(actual));
  }

  describeSpec(spec: SegSpec): string {
    const parts = [`[${spec.flagsText}]`];
    const show = (n: string, e: Expr | undefined): void => {
      if (!e) return;
      const r = evalExpr(e, this.env);
      parts.push(`${n}=${typeof r === 'number' ? r : showExpr(e)}`);
    };
    show('seq', spec.seq);
    show('ack', spec.ack);
    show('win', spec.win);
    parts.push(`len=${specPayload(spec).length}`);
    show('mss', spec.mss);
    return parts.join(' ');
  }

  async step(s: Step): Promise<void> {
    const stepStart = this.h.clock();
    switch (s.kind) {
      case 'call':
        return this.call(s);
      case 'inject':
        return this.inject(s);
      case 'icmp':
        return this.icmp(s);
      case 'expect':
        return this.expect(s, stepStart);
      case 'expectNone':
        return this.expectNone(s);
      case 'advance':
        await this.h.advance(this.time(s.ms, 'advance'), { stepwise: true });
        return;
      case 'assume':
        return this.assume(s);
      case 'event':
        return this.event(s);
      case 'state':
        return this.state(s, stepStart);
    }
  }

  private async call(s: Extract<Step, { kind: 'call' }>): Promise<void> {
    const { v, h } = this;
    const text = stepText(s);
    const port = s.port ?? v.stack.port;
    if (s.call === 'listen') {
      await h.call({ name: 'listen', port }, text);
    } else if (s.call === 'connect') {
      const remote = { addr: v.peer.addr, port: s.peerPort ?? v.peer.port };
      const r = await h.call({ name: 'connect', port, remote }, text);
      this.conns.set(s.as ?? 'c', r.conn!);
      this.lastConn = r.conn;
    } else {
      const conn = this.connFor(s.conn);
      if (s.call === 'write') {
        const how = { ...(s.urgent ? { urgent: true } : {}), ...(s.push === false ? { push: false as const } : {}) };
        await h.call({ name: 'write', conn, data: s.data!, ...how }, text);
      } else if (s.call === 'control') await h.call({ name: 'control', conn, control: s.control! }, text);
      else await h.call({ name: s.call, conn }, text);
    }
  }

  /** A condition on values the stack chose: when it fails, what follows does not apply to this stack. */
  private assume(s: Extract<Step, { kind: 'assume' }>): void {
    const l = this.value(s.left, 'assume', 0);
    const r = this.value(s.right, 'assume', 0);
    const holds = { '>=': l >= r, '<=': l <= r, '>': l > r, '<': l < r, '==': l === r }[s.op];
    if (!holds) throw new StepSkip(`the stack's choices do not meet assume ${s.text} (${l} vs ${r}): not exercised`);
  }

  private async inject(s: Extract<Step, { kind: 'inject' }>): Promise<void> {
    const { v } = this;
    const sp = s.seg;
    const seg: Segment = {
      src: sp.from ?? v.peer.addr,
      dst: sp.to ?? v.stack.addr,
      ...(sp.ipOptions ? { ipOptions: sp.ipOptions } : {}),
      ...(sp.ecn ? { tos: ECN[sp.ecn] } : {}),
      srcPort: sp.peerPort ?? v.peer.port,
      dstPort: sp.port ?? v.stack.port,
      seq: this.value(sp.seq, 'seq', 0),
      ack: this.value(sp.ack, 'ack', 0),
      flags: sp.flags,
      window: this.value(sp.win, 'win', 65535),
      urgent: 0,
      options: sp.options ?? [],
      payload: specPayload(sp),
      ...(sp.badChecksum ? { badChecksum: true } : {}),
    };
    await this.h.deliver(seg, s.probe);
  }

  /** The peer's network answers a segment of the stack with an ICMP error quoting its header (§3.9.2.2). */
  private async icmp(s: Extract<Step, { kind: 'icmp' }>): Promise<void> {
    const { v } = this;
    const quoted = {
      src: v.stack.addr,
      dst: v.peer.addr,
      srcPort: s.port ?? v.stack.port,
      dstPort: s.peerPort ?? v.peer.port,
      seq: this.value(s.seq, 'seq', 0),
    };
    const m = { src: v.peer.addr, dst: v.stack.addr, type: s.type, code: s.code, quoted };
    await this.h.deliverIcmp(m, icmpPacket(m), s.probe);
  }

  private async expect(s: Extract<Step, { kind: 'expect' }>, stepStart: number): Promise<void> {
    const after = s.after && {
      min: this.time(s.after.min, 'after.min'),
      max: this.time(s.after.max, 'after.max'),
    };
    const limit = after ? after.max : this.time(s.within, 'within');
    const found = await this.waitUntil(() => this.pendingSegs.length > 0, limit);
    if (!found) throw new StepFail(`no segment within ${limit} ms`, this.describeSpec(s.seg), '(nothing)');
    const got = this.pendingSegs.shift()!;
    if (s.seg.split) await this.expectSplit(s.seg, got.seg, limit);
    else this.checkSeg(s.seg, got.seg);
    const took = got.at - stepStart;
    if (after && took < after.min) {
      const want = `${after.min}..${after.max} ms`;
      throw new StepFail(
        `segment came ${took} ms after the previous step, expected ${want}`,
        `at +${want}`,
        `at +${took} ms`,
      );
    }
  }

  /**
   * The expected data in one or more consecutive segments: each carries the next octets at the next sequence
   * number, with the spec's flags (a FIN only on the last), until all of it has come.
   */
  private async expectSplit(spec: SegSpec, first: Segment, limit: number): Promise<void> {
    const want = specPayload(spec);
    const literal = (n: number): Expr => ({ kind: 'value', terms: [{ sign: 1, n }] });
    let seg = first;
    let done = 0;
    let next = first.seq;
    for (let k = 0; ; k++) {
      const part = want.subarray(done, done + Math.max(1, seg.payload.length));
      const last = done + seg.payload.length >= want.length;
      const flags = last ? spec.flags : spec.flags & ~FIN;
      const { len: _len, split: _split, payload: _payload, ...rest } = spec;
      const body = spec.payload ? { payload: part } : { len: part.length };
      const one: SegSpec = { ...rest, flags, ...body, ...(k > 0 ? { seq: literal(seg.seq), mss: undefined } : {}) };
      if (k > 0 && next !== seg.seq) {
        throw new StepFail(`split data: segment ${k + 1} starts at ${seg.seq}, expected ${next}`, '', describe(seg));
      }
      this.checkSeg(one, seg);
      done += seg.payload.length;
      next = seqAdd(seg.seq, seg.payload.length);
      if (done >= want.length) return;
      if (!(await this.waitUntil(() => this.pendingSegs.length > 0, limit))) {
        throw new StepFail(
          `only ${done} of ${want.length} data octets within ${limit} ms`,
          this.describeSpec(spec),
          '(nothing)',
        );
      }
      seg = this.pendingSegs.shift()!.seg;
    }
  }

  private unexpected(ms: number): StepFail {
    return new StepFail(`unexpected segment within ${ms} ms`, '(nothing)', describe(this.pendingSegs[0]!.seg));
  }

  private async expectNone(s: Extract<Step, { kind: 'expectNone' }>): Promise<void> {
    const h = this.h;
    const ms = this.time(s.ms, 'expectNone');
    if (h.real && h.canTellTimers) {
      // Silence on a real clock: once the stack says nothing of its own is due within the window, it holds.
      const start = h.clock();
      for (;;) {
        await h.drain();
        if (this.pendingSegs.length > 0) throw this.unexpected(ms);
        const left = ms - (h.clock() - start);
        if (left <= 0) return;
        const nt = await h.nextTimer();
        if (nt === undefined || nt > left) {
          const text = `silence holds: nothing due from the stack in the remaining ${Math.round(left)} ms`;
          h.push({ dir: 'time', text, ms: 0 });
          return;
        }
        await h.wait(Math.max(1, Math.min(left, nt)));
      }
    }
    await this.waitUntil(() => this.pendingSegs.length > 0, ms);
    if (this.pendingSegs.length > 0) throw this.unexpected(ms);
  }

  private takeData(s: Extract<Step, { kind: 'event' }>, matches: (e: StackEvent) => boolean): StackEvent | undefined {
    const want = s.data ?? new Uint8Array(0);
    const idx = this.pendingEvents.map((p, i) => (matches(p.ev) ? i : -1)).filter((i) => i >= 0);
    let got = Buffer.alloc(0);
    const used: number[] = [];
    for (const i of idx) {
      if (got.length >= want.length) break;
      const e = this.pendingEvents[i]!.ev as Extract<StackEvent, { type: 'data' }>;
      got = Buffer.concat([got, Buffer.from(e.data)]);
      used.push(i);
    }
    if (got.length < want.length) return undefined;
    if (!got.equals(Buffer.from(want))) {
      throw new StepFail(
        'received data differs',
        JSON.stringify(Buffer.from(want).toString()),
        JSON.stringify(got.toString()),
      );
    }
    const taken = this.pendingEvents[used[0]!]!.ev;
    for (const i of used.reverse()) this.pendingEvents.splice(i, 1);
    return taken;
  }

  private async event(s: Extract<Step, { kind: 'event' }>): Promise<void> {
    const matches = (e: StackEvent): boolean =>
      e.type === s.event && (s.conn === undefined || e.conn === this.conns.get(s.conn));
    let taken: StackEvent | undefined;
    const tryTake = (): boolean => {
      if (s.event === 'data') taken = this.takeData(s, matches);
      else {
        const i = this.pendingEvents.findIndex((p) => matches(p.ev));
        if (i >= 0) taken = this.pendingEvents.splice(i, 1)[0]!.ev;
      }
      return taken !== undefined;
    };
    const within = this.time(s.within, 'within');
    if (!(await this.waitUntil(tryTake, within))) {
      const seen = this.pendingEvents.map((p) => p.ev.type).join(', ') || 'none';
      throw new StepFail(`no ${s.event} event within ${within} ms (pending events: ${seen})`, s.event, seen);
    }
    if (s.as && taken) this.conns.set(s.as, taken.conn);
    if (taken && (s.event === 'accepted' || s.event === 'connected')) this.lastConn = taken.conn;
  }

  private async state(s: Extract<Step, { kind: 'state' }>, stepStart: number): Promise<void> {
    const h = this.h;
    if (!h.canTellState) {
      h.push({ t: h.now, dir: 'state', text: `(not checked: stack has no state introspection) ${s.state}` });
      return;
    }
    if (!s.after) {
      const st = await this.stateOf(s.port, s.peerPort);
      h.push({ t: h.now, dir: 'state', text: `${st}`, ...(st ? { state: st } : {}) });
      if (st !== s.state) throw new StepFail(`state is ${st}`, s.state, `${st}`);
      return;
    }
    const after = { min: this.time(s.after.min, 'after.min'), max: this.time(s.after.max, 'after.max') };
    if (after.max < after.min) throw new VectorBug(`after: max ${after.max} is below min ${after.min}`);
    const since = (): number => h.clock() - stepStart;
    if (after.min > 0) {
      await this.waitUntil(() => false, after.min - 1);
      const early = await this.stateOf(s.port, s.peerPort);
      if (early === s.state) {
        const want = `${s.state} at +${after.min}..${after.max} ms`;
        throw new StepFail(
          `reached ${s.state} too early: already at +${since()} ms`,
          want,
          `${early} at +${since()} ms`,
        );
      }
    }
    let last: State | undefined;
    const reached = async (): Promise<boolean> => (last = await this.stateOf(s.port, s.peerPort)) === s.state;
    if (!(await this.waitUntil(reached, after.max - since()))) {
      throw new StepFail(`state did not become ${s.state} by +${after.max} ms`, s.state, `${last}`);
    }
    h.push({ t: h.now, dir: 'state', text: `${s.state} at +${since()} ms` });
  }
}

export async function runVector(v: Vector, adapter: StackAdapter, opts: RunOptions = {}): Promise<VectorResult> {
  const env = profileEnv(v, adapter);
  let h: Harness | undefined;
  const result = (status: VectorResult['status'], extra: Partial<VectorResult> = {}): VectorResult => ({
    name: v.name,
    ...(v.file ? { file: v.file } : {}),
    status,
    trace: h?.trace ?? [],
    bindings: Object.fromEntries(env),
    duration: h?.now ?? 0,
    ...extra,
  });
  const skip = profileMismatch(v, adapter);
  if (skip) return result('skip', { skipReason: skip });
  let stepIndex = -1;
  try {
    h = await Harness.open(adapter, v.stack.addr, opts.callTimeoutMs ? { callTimeoutMs: opts.callTimeoutMs } : {});
    const run = new VectorRun(v, h, env, opts.tick ?? 10);
    for (stepIndex = 0; stepIndex < v.steps.length; stepIndex++) await run.step(v.steps[stepIndex]!);
    await h.drain();
    if (run.pendingSegs.length > 0 && !v.allowExtra) {
      const extra = run.pendingSegs.map((p) => describe(p.seg)).join(' | ');
      throw new StepFail('unexpected segment after the last step', '(nothing)', extra);
    }
    return result('pass');
  } catch (e) {
    if (e instanceof Interrupted) throw e;
    const idx = Math.min(stepIndex, v.steps.length);
    const text = idx < v.steps.length && idx >= 0 ? stepText(v.steps[idx]!) : '(end of vector)';
    const failure = (message: string, expected?: string, actual?: string): StepFailure => ({
      step: idx,
      stepText: text,
      message,
      ...(expected !== undefined ? { expected } : {}),
      ...(actual !== undefined ? { actual } : {}),
    });
    if (e instanceof StepSkip) return result('skip', { skipReason: e.message });
    if (e instanceof StepFail) return result('fail', { failure: failure(e.message, e.expected, e.actual) });
    if (e instanceof StackCrashed) return result('fail', { failure: failure(`the stack crashed: ${e.message}`) });
    if (e instanceof AdapterError) return result('error', { failure: failure(`adapter error: ${e.message}`) });
    if (e instanceof VectorBug) return result('error', { failure: failure(`vector error: ${e.message}`) });
    const internal = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return result('error', { failure: failure(`internal error: ${internal}`) });
  } finally {
    await h?.close();
  }
}

/** Multi-line human report of a failed or errored result. */
export function formatFailure(r: VectorResult): string {
  const f = r.failure;
  if (!f) return `${r.name}: ${r.status}`;
  const lines = [
    `${r.name}${r.file ? ` (${r.file})` : ''}: ${r.status.toUpperCase()} at step ${f.step} — ${f.stepText}`,
    `  ${f.message}`,
  ];
  if (f.expected !== undefined) lines.push(`  expected: ${f.expected}`);
  if (f.actual !== undefined) lines.push(`  actual:   ${f.actual}`);
  if (r.trace.length) {
    lines.push('  trace:');
    for (const e of r.trace.slice(-20)) lines.push(`    ${String(e.t).padStart(8)} ms  ${e.dir.padEnd(5)} ${e.text}`);
  }
  return lines.join('\n');
}
