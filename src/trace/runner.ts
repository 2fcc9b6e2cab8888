// Replays a vector against a stack and names the first step that differs, with expected vs actual.
import { type DecodeError, decode, encode } from '../wire/codec.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, type Segment, describe, flagString, mssOf } from '../wire/segment.js';
import type { State } from '../model/types.js';
import type { ConnId, StackAdapter, StackEvent, StackInstance } from '../stacks/adapter.js';
import { type Env, type Expr, evalExpr, matchExpr, showExpr } from './expr.js';
import type { SegSpec, Step, Vector } from './vector.js';

export interface TraceEntry {
  /** Virtual (or elapsed wall-clock) ms since the vector started. */
  t: number;
  dir: 'in' | 'out' | 'call' | 'event' | 'time' | 'state';
  text: string;
  seg?: Segment;
  /** dir 'event': the application event. */
  event?: StackEvent;
  /** dir 'call': the user call, its connection and data. */
  call?: { name: string; conn?: ConnId; port?: number; remote?: { addr: string; port: number }; data?: Uint8Array; refused?: boolean };
  /** dir 'time': ms advanced. */
  ms?: number;
  /** dir 'state': the state observed for the vector's tuple. */
  state?: State;
  /** dir 'in': a probe label that property checks look for. */
  probe?: string;
}

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

/** A stack adapter that threw, hung, or answered nonsense. */
export class AdapterError extends Error {}

/** Record a time advance; consecutive advances with nothing in between read as one entry. */
export function pushTime(trace: TraceEntry[], t: number, ms: number): void {
  const last = trace[trace.length - 1];
  if (last?.dir === 'time' && last.t + (last.ms ?? 0) === t) {
    last.ms = (last.ms ?? 0) + ms;
    last.text = `+${last.ms} ms`;
  } else trace.push({ t, dir: 'time', text: `+${ms} ms`, ms });
}

/** The stack under test died (its process exited or was killed, e.g. an assertion) — a failure of the stack, not of the suite. */
export class StackCrashed extends AdapterError {}

class StepFail extends Error {
  constructor(message: string, readonly expected?: string, readonly actual?: string) {
    super(message);
  }
}
class VectorBug extends Error {}

/** Run one adapter call with a time bound; a throw (sync or async) or a hang becomes an AdapterError. */
export async function guard<T>(call: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(call),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AdapterError(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } catch (e) {
    if (e instanceof AdapterError) throw e;
    throw new AdapterError(`${what} threw: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Drained = { packets: Array<{ seg: Segment } | { error: DecodeError; hex: string }>; events: StackEvent[]; at?: { packets: number[]; events: number[] } };

/** drain() with its answer checked: garbage from the adapter is an AdapterError, a malformed packet is reported as such. */
export async function drainChecked(inst: StackInstance, callMs: number): Promise<Drained> {
  const out = await guard(() => inst.drain(), callMs, 'drain()');
  if (!out || !Array.isArray(out.packets) || !Array.isArray(out.events)) throw new AdapterError(`drain() returned ${JSON.stringify(out)}, expected { packets: [], events: [] }`);
  return {
    packets: out.packets.map((p) => {
      if (!(p instanceof Uint8Array)) throw new AdapterError(`drain() returned a packet that is not a Uint8Array: ${String(p)}`);
      const r = decode(p);
      return r.ok ? { seg: r.segment } : { error: r.error, hex: Buffer.from(p).toString('hex') };
    }),
    events: out.events,
    ...(out.at && out.at.packets?.length === out.packets.length && out.at.events?.length === out.events.length ? { at: out.at } : {}),
  };
}
const EXACT_FLAGS = SYN | FIN | RST | ACK;
const OPTIONAL_FLAGS = PSH | URG | ECE | CWR;

/** The payload a spec describes: explicit bytes, or `len` octets of a fixed pattern. */
export function specPayload(s: SegSpec): Uint8Array {
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
    case 'call': return `call ${s.call}${s.data ? ` (${s.data.length} octets)` : ''}`;
    case 'inject': return `inject ${seg(s.seg)}`;
    case 'expect': return `expect ${seg(s.seg)}${s.after ? ` after ${showExpr(s.after.min)}..${showExpr(s.after.max)} ms` : ` within ${showExpr(s.within)} ms`}`;
    case 'expectNone': return `expect no segment for ${showExpr(s.ms)} ms`;
    case 'advance': return `advance ${showExpr(s.ms)} ms`;
    case 'event': return `event ${s.event}${s.data ? ` (${s.data.length} octets)` : ''}`;
    case 'state': return `state ${s.state}${s.after ? ` after ${showExpr(s.after.min)}..${showExpr(s.after.max)} ms` : ''}`;
  }
}

function profileMismatch(v: Vector, adapter: StackAdapter): string | undefined {
  for (const [k, want] of Object.entries(v.requires)) {
    const have = (adapter.profile as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(have) !== JSON.stringify(want)) return `vector requires ${k}=${JSON.stringify(want)}, stack ${adapter.name} declares ${JSON.stringify(have)}`;
  }
  return undefined;
}

export async function runVector(v: Vector, adapter: StackAdapter, opts: RunOptions = {}): Promise<VectorResult> {
  const callMs = opts.callTimeoutMs ?? 5000;
  const tick = opts.tick ?? 10;
  const trace: TraceEntry[] = [];
  const env: Env = new Map(Object.entries(v.vars));
  // Profile values vectors may use in times and expressions.
  const pr = adapter.profile;
  for (const [k, val] of Object.entries({ msl: pr.msl, rto_initial: pr.rtoInitial, rto_min: pr.rtoMin, rto_max: pr.rtoMax, ack_delay_max: pr.ackDelayMax })) {
    if (!env.has(k)) env.set(k, val);
  }
  const result = (status: VectorResult['status'], extra: Partial<VectorResult> = {}): VectorResult => ({
    name: v.name, ...(v.file ? { file: v.file } : {}), status, trace, bindings: Object.fromEntries(env), duration: now, ...extra,
  });
  const skip = profileMismatch(v, adapter);
  let now = 0;
  if (skip) return result('skip', { skipReason: skip });

  let inst: StackInstance | undefined;
  const wallStart = performance.now();
  const pendingSegs: Array<{ seg: Segment; at: number }> = [];
  const pendingEvents: Array<{ ev: StackEvent; at: number }> = [];
  const conns = new Map<string, ConnId>();
  let lastConn: ConnId | undefined;
  let stepIndex = -1;

  const clockNow = (): number => (inst?.clock === 'real' ? Math.round((performance.now() - wallStart) * 10) / 10 : now);
  // A real-clock stack's output is stamped with the time it appeared, not the time it was drained.
  const stamp = (at: number | undefined): number => (inst?.clock === 'real' && at !== undefined ? Math.max(0, Math.round((at - wallStart) * 10) / 10) : now);
  const collect = async (): Promise<void> => {
    const out = await drainChecked(inst!, callMs);
    now = clockNow();
    for (const [k, p] of out.packets.entries()) {
      const at = stamp(out.at?.packets[k]);
      if ('error' in p) {
        trace.push({ t: at, dir: 'out', text: `malformed packet (${p.error.kind}): ${p.hex}` });
        const id = p.error.kind === 'bad-tcp-checksum' ? 'MUST-2: ' : '';
        throw new StepFail(`${id}the stack emitted a malformed packet: ${p.error.kind}: ${p.error.detail}`, 'a well-formed IPv4/TCP packet', p.hex);
      }
      pendingSegs.push({ seg: p.seg, at });
      trace.push({ t: at, dir: 'out', text: describe(p.seg), seg: p.seg });
      // The stack's ISN on each peer port is bound automatically as sisn_<port>.
      if (p.seg.flags & SYN && !env.has(`sisn_${p.seg.dstPort}`)) env.set(`sisn_${p.seg.dstPort}`, p.seg.seq);
    }
    for (const [k, ev] of out.events.entries()) {
      const at = stamp(out.at?.events[k]);
      pendingEvents.push({ ev, at });
      trace.push({ t: at, dir: 'event', text: `${ev.type}${ev.type === 'data' ? ` ${ev.data.length} octets` : ''} (conn ${ev.conn})`, event: ev });
      if (ev.type === 'accepted' || ev.type === 'connected') lastConn = ev.conn;
    }
  };
  const advance = async (ms: number): Promise<void> => {
    if (inst!.clock !== 'virtual') {
      if (ms > 0) trace.push({ t: now, dir: 'time', text: `+${ms} ms`, ms });
      await sleep(ms);
      await collect();
      return;
    }
    const adv = inst!.advance?.bind(inst);
    if (!adv) throw new AdapterError('a virtual-clock stack must implement advance()');
    const next = inst!.nextTimer?.bind(inst);
    // Step from timer to timer, so what the stack sends is stamped with the time it sent it.
    let left = ms;
    do {
      const nt = next ? await guard(() => next(), callMs, 'nextTimer()') : undefined;
      const d = nt === undefined || nt >= left ? left : Math.max(1, Math.ceil(nt));
      if (d > 0) pushTime(trace, now, d);
      await guard(() => adv(d), callMs, `advance(${d})`);
      now += d;
      left -= d;
      await collect();
    } while (left > 0);
  };
  /** Let time pass (up to maxMs) until cond holds; jumps straight to the stack's next timer when it can. */
  const waitUntil = async (cond: () => boolean | Promise<boolean>, maxMs: number): Promise<boolean> => {
    await collect();
    if (await cond()) return true;
    const start = clockNow();
    while (clockNow() - start < maxMs) {
      const left = maxMs - (clockNow() - start);
      let d: number;
      if (inst!.clock === 'virtual') {
        const next = inst!.nextTimer?.bind(inst);
        const nt = next ? await guard(() => next(), callMs, 'nextTimer()') : undefined;
        d = Math.min(left, nt === undefined ? tick : Math.max(1, Math.ceil(nt)));
      } else d = Math.min(left, 2);
      await advance(d);
      if (await cond()) return true;
    }
    return false;
  };
  const connFor = (name: string | undefined): ConnId => {
    if (name !== undefined) {
      const c = conns.get(name);
      if (c === undefined) throw new VectorBug(`no connection named ${JSON.stringify(name)} (name one with "as")`);
      return c;
    }
    if (lastConn === undefined) throw new VectorBug('no connection yet: connect, or wait for an accepted event first');
    return lastConn;
  };
  const value = (e: Expr | undefined, what: string, def: number): number => {
    if (!e) return def;
    const r = evalExpr(e, env);
    if (typeof r === 'string') throw new VectorBug(`${what}: ${r}`);
    return r;
  };
  const stateOf = async (port: number | undefined, peerPort: number | undefined): Promise<State | undefined> => {
    const st = inst!.state?.bind(inst);
    if (!st) return undefined;
    return guard(() => st({ localPort: port ?? v.stack.port, remote: { addr: v.peer.addr, port: peerPort ?? v.peer.port } }), callMs, 'state()');
  };

  const checkSeg = (spec: SegSpec, actual: Segment): void => {
    const problems: string[] = [];
    const aFlags = actual.flags & EXACT_FLAGS;
    if (aFlags !== (spec.flags & EXACT_FLAGS) || (spec.flags & OPTIONAL_FLAGS & ~actual.flags) !== 0) {
      problems.push(`flags: expected ${spec.flagsText}, got ${flagString(actual.flags)}`);
    }
    const wantPeerPort = spec.peerPort ?? v.peer.port;
    if (actual.dst !== v.peer.addr || actual.dstPort !== wantPeerPort) problems.push(`destination: expected ${v.peer.addr}:${wantPeerPort}, got ${actual.dst}:${actual.dstPort}`);
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
    if (actual.payload.length !== want.length) problems.push(`length: expected ${want.length} data octets, got ${actual.payload.length}`);
    else if (spec.payload && !Buffer.from(actual.payload).equals(Buffer.from(want))) problems.push('data: contents differ');
    if (problems.length) throw new StepFail(problems.join('; '), describeSpec(spec), describe(actual));
  };
  const describeSpec = (spec: SegSpec): string => {
    const parts = [`[${spec.flagsText}]`];
    const show = (n: string, e: Expr | undefined): void => {
      if (!e) return;
      const r = evalExpr(e, env);
      parts.push(`${n}=${typeof r === 'number' ? r : showExpr(e)}`);
    };
    show('seq', spec.seq);
    show('ack', spec.ack);
    show('win', spec.win);
    parts.push(`len=${specPayload(spec).length}`);
    show('mss', spec.mss);
    return parts.join(' ');
  };

  const runStep = async (s: Step): Promise<void> => {
    const stepStart = clockNow();
    switch (s.kind) {
      case 'call': {
        const what = `${s.call}()`;
        const entry: TraceEntry = { t: now, dir: 'call', text: stepText(s), call: { name: s.call } };
        trace.push(entry);
        if (s.call === 'listen') {
          entry.call!.port = s.port ?? v.stack.port;
          await guard(() => inst!.listen(s.port ?? v.stack.port), callMs, what);
        } else if (s.call === 'connect') {
          const remote = { addr: v.peer.addr, port: s.peerPort ?? v.peer.port };
          Object.assign(entry.call!, { port: s.port ?? v.stack.port, remote });
          const id = await guard(() => inst!.connect(s.port ?? v.stack.port, remote), callMs, what);
          if (typeof id !== 'string') throw new AdapterError(`connect() returned ${JSON.stringify(id)}, expected a connection id string`);
          entry.call!.conn = id;
          conns.set(s.as ?? 'c', id);
          lastConn = id;
        } else {
          const conn = connFor(s.conn);
          entry.call!.conn = conn;
          if (s.data) entry.call!.data = s.data;
          if (s.call === 'write') await guard(() => inst!.write(conn, s.data!), callMs, what);
          else {
            const call = s.call;
            await guard(() => inst![call](conn), callMs, what);
          }
        }
        const before = trace.length;
        await collect();
        if (s.call === 'write' && trace.slice(before).some((e) => e.event?.type === 'error' && e.event.conn === entry.call!.conn)) entry.call!.refused = true;
        return;
      }
      case 'inject': {
        const sp = s.seg;
        const seg: Segment = {
          src: sp.from ?? v.peer.addr, dst: v.stack.addr, srcPort: sp.peerPort ?? v.peer.port, dstPort: sp.port ?? v.stack.port,
          seq: value(sp.seq, 'seq', 0), ack: sp.flags & ACK ? value(sp.ack, 'ack', 0) : value(sp.ack, 'ack', 0),
          flags: sp.flags, window: value(sp.win, 'win', 65535), urgent: 0, options: sp.options ?? [], payload: specPayload(sp),
          ...(sp.badChecksum ? { badChecksum: true } : {}),
        };
        trace.push({ t: now, dir: 'in', text: describe(seg), seg, ...(s.probe ? { probe: s.probe } : {}) });
        await guard(() => inst!.deliver(encode(seg)), callMs, 'deliver()');
        await collect();
        return;
      }
      case 'expect': {
        const after = s.after && { min: value(s.after.min, 'after.min', 0), max: value(s.after.max, 'after.max', 0) };
        const limit = after ? after.max : value(s.within, 'within', 0);
        const found = await waitUntil(() => pendingSegs.length > 0, limit);
        if (!found) throw new StepFail(`no segment within ${limit} ms`, describeSpec(s.seg), '(nothing)');
        const got = pendingSegs.shift()!;
        checkSeg(s.seg, got.seg);
        if (after && got.at - stepStart < after.min) {
          throw new StepFail(`segment came ${got.at - stepStart} ms after the previous step, expected ${after.min}..${after.max} ms`, `at +${after.min}..${after.max} ms`, `at +${got.at - stepStart} ms`);
        }
        return;
      }
      case 'expectNone': {
        const ms = value(s.ms, 'expectNone', 0);
        const next = inst!.nextTimer?.bind(inst);
        if (inst!.clock === 'real' && next) {
          // Silence on a real clock: once the stack says nothing of its own is due within the window, it holds.
          const start = clockNow();
          for (;;) {
            await collect();
            if (pendingSegs.length > 0) throw new StepFail(`unexpected segment within ${ms} ms`, '(nothing)', describe(pendingSegs[0]!.seg));
            const left = ms - (clockNow() - start);
            if (left <= 0) return;
            const nt = await guard(() => next(), callMs, 'nextTimer()');
            if (nt === undefined || nt > left) {
              trace.push({ t: clockNow(), dir: 'time', text: `silence holds: nothing due from the stack in the remaining ${Math.round(left)} ms`, ms: 0 });
              return;
            }
            await sleep(Math.max(1, Math.min(left, nt)));
          }
        }
        await waitUntil(() => pendingSegs.length > 0, ms);
        if (pendingSegs.length > 0) throw new StepFail(`unexpected segment within ${ms} ms`, '(nothing)', describe(pendingSegs[0]!.seg));
        return;
      }
      case 'advance': {
        await advance(value(s.ms, 'advance', 0));
        return;
      }
      case 'event': {
        const matches = (e: StackEvent): boolean => e.type === s.event && (s.conn === undefined || e.conn === conns.get(s.conn));
        let taken: StackEvent | undefined;
        const tryTake = (): boolean => {
          if (s.event === 'data') {
            const want = s.data ?? new Uint8Array(0);
            const idx = pendingEvents.map((p, i) => (matches(p.ev) ? i : -1)).filter((i) => i >= 0);
            let got = Buffer.alloc(0);
            const used: number[] = [];
            for (const i of idx) {
              if (got.length >= want.length) break;
              const e = pendingEvents[i]!.ev as Extract<StackEvent, { type: 'data' }>;
              got = Buffer.concat([got, Buffer.from(e.data)]);
              used.push(i);
            }
            if (got.length < want.length) return false;
            if (!got.equals(Buffer.from(want))) throw new StepFail('received data differs', JSON.stringify(Buffer.from(want).toString()), JSON.stringify(got.toString()));
            taken = pendingEvents[used[0]!]!.ev;
            for (const i of used.reverse()) pendingEvents.splice(i, 1);
            return true;
          }
          const i = pendingEvents.findIndex((p) => matches(p.ev));
          if (i < 0) return false;
          taken = pendingEvents.splice(i, 1)[0]!.ev;
          return true;
        };
        const within = value(s.within, 'within', 0);
        if (!(await waitUntil(tryTake, within))) {
          const seen = pendingEvents.map((p) => p.ev.type).join(', ') || 'none';
          throw new StepFail(`no ${s.event} event within ${within} ms (pending events: ${seen})`, s.event, seen);
        }
        if (s.as && taken) conns.set(s.as, taken.conn);
        if (taken && (s.event === 'accepted' || s.event === 'connected')) lastConn = taken.conn;
        return;
      }
      case 'state': {
        if (!inst!.state) {
          trace.push({ t: now, dir: 'state', text: `(not checked: stack has no state introspection) ${s.state}` });
          return;
        }
        if (s.after) {
          const after = { min: value(s.after.min, 'after.min', 0), max: value(s.after.max, 'after.max', 0) };
          if (after.max < after.min) throw new VectorBug(`after: max ${after.max} is below min ${after.min}`);
          if (after.min > 0) {
            await waitUntil(() => false, after.min - 1);
            const early = await stateOf(s.port, s.peerPort);
            if (early === s.state) throw new StepFail(`reached ${s.state} too early: already at +${clockNow() - stepStart} ms`, `${s.state} at +${after.min}..${after.max} ms`, `${early} at +${clockNow() - stepStart} ms`);
          }
          let last: State | undefined;
          const ok = await waitUntil(async () => (last = await stateOf(s.port, s.peerPort)) === s.state, after.max - (clockNow() - stepStart));
          if (!ok) throw new StepFail(`state did not become ${s.state} by +${after.max} ms`, s.state, `${last}`);
          trace.push({ t: now, dir: 'state', text: `${s.state} at +${clockNow() - stepStart} ms` });
          return;
        }
        const st = await stateOf(s.port, s.peerPort);
        trace.push({ t: now, dir: 'state', text: `${st}`, ...(st ? { state: st } : {}) });
        if (st !== s.state) throw new StepFail(`state is ${st}`, s.state, `${st}`);
        return;
      }
    }
  };

  try {
    inst = await guard(() => adapter.create({ addr: v.stack.addr }), callMs, 'create()');
    for (stepIndex = 0; stepIndex < v.steps.length; stepIndex++) await runStep(v.steps[stepIndex]!);
    await collect();
    if (pendingSegs.length > 0 && !v.allowExtra) {
      throw new StepFail(`unexpected segment after the last step`, '(nothing)', pendingSegs.map((p) => describe(p.seg)).join(' | '));
    }
    return result('pass');
  } catch (e) {
    const idx = Math.min(stepIndex, v.steps.length);
    const text = idx < v.steps.length && idx >= 0 ? stepText(v.steps[idx]!) : '(end of vector)';
    const failure = (message: string, expected?: string, actual?: string): StepFailure => ({
      step: idx, stepText: text, message, ...(expected !== undefined ? { expected } : {}), ...(actual !== undefined ? { actual } : {}),
    });
    if (e instanceof StepFail) return result('fail', { failure: failure(e.message, e.expected, e.actual) });
    if (e instanceof StackCrashed) return result('fail', { failure: failure(`the stack crashed: ${e.message}`) });
    if (e instanceof AdapterError) return result('error', { failure: failure(`adapter error: ${e.message}`) });
    if (e instanceof VectorBug) return result('error', { failure: failure(`vector error: ${e.message}`) });
    return result('error', { failure: failure(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`) });
  } finally {
    const live = inst;
    if (live) await guard(() => live.destroy(), callMs, 'destroy()').catch(() => undefined);
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
