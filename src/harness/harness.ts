// One place where a stack, a clock and a trace meet. Scenario actions (src/oracle/execute.ts) and vector
// steps (src/trace/runner.ts) are translations into these verbs: deliver, drain, advance, call, state.
import type { State } from '../model/types.js';
import {
  type AppControl,
  type ConnId,
  type ControlName,
  type StackAdapter,
  type StackEvent,
  type StackInstance,
  type TupleRef,
  controlText,
} from '../stacks/adapter.js';
import { encode } from '../wire/codec.js';
import { type IcmpError, describeIcmp } from '../wire/icmp.js';
import { type Endpoint, type Segment, describe } from '../wire/segment.js';
import { AdapterError, RefusedCall, guard } from './bounded.js';
import { type Drained, drainChecked } from './drain.js';
import { checkpoint, sleep, yieldToLoop } from './interrupt.js';
import { type CallRecord, type TraceEntry, eventText, pushTime } from './trace.js';

export interface HarnessOptions {
  /** Bound on every adapter call (ms of wall time). */
  callTimeoutMs?: number;
  /** Real clock: the longest one advance waits (default: no cap). */
  realTimeCapMs?: number;
  /** Bound on create() (default 20 s: a driver may be starting; its own, more telling timeouts come first). */
  createTimeoutMs?: number;
}

/** What one drain brought, stamped. */
export interface Collected {
  segs: Array<{ seg: Segment; at: number }>;
  malformed: Array<{ hex: string; kind: string; detail: string; at: number; index: number }>;
  events: Array<{ ev: StackEvent; at: number }>;
  /** Segments whose option area goes on after an EOL: how many octets, which are not zero (MUST-69). */
  padded: Array<{ index: number; octets: number; nonzero: number[]; hex: string }>;
}

export type UserCall =
  | { name: 'listen'; port: number }
  | { name: 'connect'; port: number; remote: Endpoint }
  | { name: 'write'; conn: ConnId; data: Uint8Array; urgent?: boolean; push?: false }
  | { name: 'shutdown' | 'close' | 'abort'; conn: ConnId }
  | { name: 'control'; conn: ConnId; control: AppControl };

/** How many run() calls in a row may advance 0 ms (each one stops at something the stack did at that instant). */
const MAX_STALLS = 1000;

export class Harness {
  readonly trace: TraceEntry[] = [];
  readonly real: boolean;
  readonly callMs: number;
  /** Virtual ms; on a real clock, the elapsed wall time at the last look. */
  now = 0;
  /** Batches delivered so far (the number of the last). */
  private batches = 0;
  private readonly wallStart = performance.now();
  private readonly cap: number;
  private readonly observers: Array<(c: Collected) => void> = [];

  private constructor(
    readonly inst: StackInstance,
    opts: HarnessOptions,
  ) {
    this.real = inst.clock === 'real';
    this.callMs = opts.callTimeoutMs ?? 5000;
    this.cap = opts.realTimeCapMs ?? Number.POSITIVE_INFINITY;
  }

  static async open(adapter: StackAdapter, addr: string, opts: HarnessOptions = {}): Promise<Harness> {
    await yieldToLoop();
    const createMs = opts.createTimeoutMs ?? opts.callTimeoutMs ?? 20_000;
    const inst = await guard(() => adapter.create({ addr }), createMs, 'create()');
    if (!inst || typeof inst !== 'object' || typeof inst.drain !== 'function' || typeof inst.deliver !== 'function') {
      throw new AdapterError(`create() returned ${String(inst)}, expected a stack instance with deliver() and drain()`);
    }
    if (inst.clock !== 'virtual' && inst.clock !== 'real') {
      throw new AdapterError(
        `create() returned an instance whose clock is ${JSON.stringify(inst.clock)}, expected virtual or real`,
      );
    }
    return new Harness(inst, opts);
  }

  /** Called after every drain with what it brought (the executor wires its peer and bookkeeping here). */
  observe(f: (c: Collected) => void): void {
    this.observers.push(f);
  }

  /** The time of an entry made now. */
  clock(): number {
    return this.real ? Math.round((performance.now() - this.wallStart) * 10) / 10 : this.now;
  }

  private stamp(at: number | undefined): number {
    return this.real && at !== undefined ? Math.max(0, Math.round((at - this.wallStart) * 10) / 10) : this.now;
  }

  push(e: Omit<TraceEntry, 't'> & { t?: number }): TraceEntry {
    const entry = { ...e, t: e.t ?? this.clock() } as TraceEntry;
    this.trace.push(entry);
    return entry;
  }

  /** Drain the stack into the trace; real-clock output carries the time it appeared. */
  async drain(): Promise<Collected> {
    await yieldToLoop();
    const out: Drained = await drainChecked(this.inst, this.callMs);
    this.now = this.clock();
    const c: Collected = { segs: [], malformed: [], events: [], padded: [] };
    for (const [k, p] of out.packets.entries()) {
      const at = this.stamp(out.at?.packets[k]);
      if ('error' in p) {
        this.trace.push({ t: at, dir: 'out', text: `malformed packet (${p.error.kind}): ${p.hex}` });
        c.malformed.push({ hex: p.hex, ...p.error, at, index: this.trace.length - 1 });
        continue;
      }
      this.trace.push({ t: at, dir: 'out', text: describe(p.seg), seg: p.seg });
      c.segs.push({ seg: p.seg, at });
      if (p.padding) c.padded.push({ index: this.trace.length - 1, ...p.padding, hex: p.hex });
    }
    for (const [k, ev] of out.events.entries()) {
      const at = this.stamp(out.at?.events[k]);
      this.trace.push({ t: at, dir: 'event', text: eventText(ev), event: ev });
      c.events.push({ ev, at });
    }
    for (const f of this.observers) f(c);
    return c;
  }

  /** A segment from the network to the stack; then whatever it answered. */
  async deliver(seg: Segment, probe?: string): Promise<Collected> {
    checkpoint();
    this.now = this.clock();
    this.push({ dir: 'in', text: describe(seg), seg, ...(probe ? { probe } : {}) });
    await guard(() => this.inst.deliver(encode(seg)), this.callMs, 'deliver()');
    return this.drain();
  }

  /**
   * Segments that reach the stack together, queued at its input before it processes any (deliverBatch, MUST-59);
   * then whatever it answered.
   */
  async deliverBatch(segs: Segment[]): Promise<Collected> {
    checkpoint();
    this.now = this.clock();
    const f = this.inst.deliverBatch?.bind(this.inst);
    if (!f)
      throw new AdapterError('the profile says the stack takes batches (batchInput), but it has no deliverBatch()');
    const batch = ++this.batches;
    for (const seg of segs) this.push({ dir: 'in', text: describe(seg), seg, batch });
    await guard(() => f(segs.map((s) => encode(s))), this.callMs, 'deliverBatch()');
    return this.drain();
  }

  /** An ICMP error (its datagram) from the network to the stack; then whatever it answered. */
  async deliverIcmp(m: IcmpError, packet: Uint8Array, probe?: string): Promise<Collected> {
    checkpoint();
    this.now = this.clock();
    this.push({ dir: 'in', text: describeIcmp(m), icmp: m, ...(probe ? { probe } : {}) });
    await guard(() => this.inst.deliver(packet), this.callMs, 'deliver()');
    return this.drain();
  }

  /** An application call; connect answers the connection id. Writes turned away on the spot are marked refused. */
  async call(c: UserCall, text?: string): Promise<{ entry: TraceEntry; conn?: ConnId; out: Collected }> {
    checkpoint();
    this.now = this.clock();
    const rec: CallRecord = { name: c.name };
    const entry = this.push({ dir: 'call', text: text ?? callText(c), call: rec });
    const inst = this.inst;
    const what = `${c.name}()`;
    let conn: ConnId | undefined;
    if (c.name === 'listen') {
      rec.port = c.port;
      try {
        await guard(() => inst.listen(c.port), this.callMs, what);
      } catch (e) {
        if (!(e instanceof RefusedCall)) throw e;
        rec.refused = true;
        rec.reason = e.reason;
        entry.text += ` (refused: ${e.reason})`;
      }
    } else if (c.name === 'connect') {
      Object.assign(rec, { port: c.port, remote: c.remote });
      const id = await guard(() => inst.connect(c.port, c.remote), this.callMs, what);
      if (typeof id !== 'string')
        throw new AdapterError(`connect() returned ${JSON.stringify(id)}, expected a connection id string`);
      rec.conn = conn = id;
    } else {
      rec.conn = c.conn;
      if (c.name === 'write') {
        rec.data = c.data;
        const o = { ...(c.urgent ? { urgent: true } : {}), ...(c.push === false ? { push: false as const } : {}) };
        Object.assign(rec, o);
        if (c.urgent && !this.offers('urgent'))
          throw new AdapterError('the profile says the stack can send urgent data, but the instance does not');
        if (c.push === false && !this.offers('push'))
          throw new AdapterError('the profile says SEND has a PUSH flag (push), but the instance does not offer it');
        const opts = c.urgent || c.push === false ? o : undefined;
        await guard(() => (opts ? inst.write(c.conn, c.data, opts) : inst.write(c.conn, c.data)), this.callMs, what);
      } else if (c.name === 'control') {
        rec.control = c.control;
        await this.control(c.conn, c.control);
      } else {
        const name = c.name;
        await guard(() => inst[name](c.conn), this.callMs, what);
      }
    }
    const out = await this.drain();
    if (c.name === 'write' && out.events.some(({ ev }) => ev.type === 'error' && ev.conn === c.conn))
      rec.refused = true;
    return { entry, ...(conn !== undefined ? { conn } : {}), out };
  }

  /** Whether the stack offers an application control (properties needing an absent one are not run). */
  offers(name: ControlName): boolean {
    return typeof this.inst.control === 'function' && (this.inst.controls ?? []).includes(name);
  }

  private async control(conn: ConnId, c: AppControl): Promise<void> {
    const f = this.inst.control?.bind(this.inst);
    if (c.name === 'keepalive' && c.on && c.garbage && !this.offers('keepalive-garbage'))
      throw new AdapterError(
        'the profile says the stack offers the keepalive-garbage control, but the instance does not',
      );
    if (!f || !this.offers(c.name)) {
      const has = this.inst.controls?.length ? this.inst.controls.join(', ') : 'none';
      throw new AdapterError(
        `the profile says the stack offers the ${c.name} control, but the instance does not (its controls: ${has})`,
      );
    }
    await guard(() => f(conn, c), this.callMs, 'control()');
  }

  /** The stack's next timer, when it can tell. */
  async nextTimer(): Promise<number | undefined> {
    const next = this.inst.nextTimer?.bind(this.inst);
    if (!next) return undefined;
    const t = await guard(() => next(), this.callMs, 'nextTimer()');
    if (t !== undefined && (typeof t !== 'number' || Number.isNaN(t))) {
      throw new AdapterError(`nextTimer() returned ${JSON.stringify(t)}, expected a number of ms or undefined`);
    }
    return t;
  }

  get canTellTimers(): boolean {
    return typeof this.inst.nextTimer === 'function';
  }

  /**
   * Let ms pass, then drain. Virtual clock: one advance, or (stepwise) from timer to timer so output is
   * stamped when it was sent; `jump` records that one advance may have passed timers the stack set, so what it sent
   * meanwhile is stamped late. Real clock: wait (capped), recording the time that really passed.
   */
  async advance(ms: number, opts: { stepwise?: boolean; jump?: boolean } = {}): Promise<Collected | undefined> {
    if (ms <= 0) return undefined;
    if (this.real) {
      const t0 = this.clock();
      await sleep(Math.min(ms, this.cap));
      const took = Math.round(this.clock() - t0);
      this.trace.push({ t: t0, dir: 'time', text: `+${took} ms`, ms: took });
      return this.drain();
    }
    const adv = this.inst.advance?.bind(this.inst);
    if (!adv) throw new AdapterError('a virtual-clock stack must implement advance()');
    if (!opts.stepwise) {
      pushTime(this.trace, this.now, ms, opts.jump);
      await guard(() => adv(ms), this.callMs, `advance(${ms})`);
      this.now += ms;
      return this.drain();
    }
    let left = ms;
    let last: Collected | undefined;
    if (this.canRun) {
      // Output is stamped where it happened all the same: run stops at it.
      for (let start = this.now; this.now - start < ms; ) last = await this.runUntil(ms - (this.now - start));
      return last;
    }
    do {
      checkpoint();
      const nt = await this.nextTimer();
      const d = nt === undefined || nt >= left ? left : Math.max(1, Math.ceil(nt));
      if (d > 0) pushTime(this.trace, this.now, d);
      await guard(() => adv(d), this.callMs, `advance(${d})`);
      this.now += d;
      left -= d;
      last = await this.drain();
    } while (left > 0);
    return last;
  }

  private stalls = 0;

  get canRun(): boolean {
    return !this.real && typeof this.inst.run === 'function';
  }

  /** Virtual clock with run(): let up to ms pass, stopping where the stack did something; the time is recorded. */
  async runUntil(ms: number): Promise<Collected | undefined> {
    const run = this.inst.run?.bind(this.inst);
    if (!run || this.real) return this.advance(ms, { stepwise: true });
    if (ms <= 0) return undefined;
    checkpoint();
    const took = await guard(() => run(ms), this.callMs, `run(${ms})`);
    if (typeof took !== 'number' || !(took >= 0 && took <= ms))
      throw new AdapterError(`run(${ms}) returned ${JSON.stringify(took)}, expected the ms advanced, 0 to ${ms}`);
    // A stack that stops at once, again and again, without anything to show would hold the scenario forever.
    this.stalls = took === 0 ? this.stalls + 1 : 0;
    if (this.stalls > MAX_STALLS)
      throw new AdapterError(`run() advanced 0 ms ${MAX_STALLS} times in a row: the stack's clock does not move`);
    if (took > 0) pushTime(this.trace, this.now, took);
    this.now += took;
    return this.drain();
  }

  /** Real clock: wait without recording a time entry (polling between drains). */
  wait(ms: number): Promise<void> {
    return sleep(ms);
  }

  async state(ref: TupleRef): Promise<State | undefined> {
    const st = this.inst.state?.bind(this.inst);
    if (!st) return undefined;
    return guard(() => st(ref), this.callMs, 'state()');
  }

  get canTellState(): boolean {
    return typeof this.inst.state === 'function';
  }

  async close(): Promise<void> {
    await guard(() => this.inst.destroy(), this.callMs, 'destroy()').catch(() => undefined);
  }
}

function callText(c: UserCall): string {
  if (c.name === 'control') return `call control ${controlText(c.control)}`;
  const how = c.name === 'write' ? `${c.urgent ? ', urgent' : ''}${c.push === false ? ', not pushed' : ''}` : '';
  return `call ${c.name}${c.name === 'write' ? ` (${c.data.length} octets${how})` : ''}`;
}
