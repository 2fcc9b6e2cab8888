// The vector format: a concrete trace replayed against a stack. Documented in vectors/README.md.
// parseVector validates everything and names the file and the bad field on error.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type AppControl, STACK_EVENT_TYPES, type StackEvent, parseControl } from '../stacks/adapter.js';
import { PROFILE_FIELDS } from '../stacks/profile.js';
import { ECN, type EcnName, optionOctets, parseFlags, type TcpOption } from '../wire/segment.js';
import { STATES, type State } from '../model/types.js';
import { type Expr, parseExpr } from './expr.js';

export interface SegSpec {
  flags: number;
  flagsText: string;
  seq?: Expr;
  ack?: Expr;
  win?: Expr;
  payload?: Uint8Array;
  len?: number;
  options?: TcpOption[];
  mss?: Expr;
  badChecksum?: boolean;
  peerPort?: number;
  port?: number;
  /** Injected only: a source address other than the peer's (spoofed segments). */
  from?: string;
  /** Injected only: a destination address other than the stack's (broadcast, multicast). */
  to?: string;
  /** Injected only: IPv4 options of the datagram (IHL > 5), padded with zeros to a multiple of 4 octets. */
  ipOptions?: Uint8Array;
  /** Injected only: the ECN codepoint of the datagram (RFC 3168 §5): ECT(0), ECT(1) or Congestion Experienced. */
  ecn?: EcnName;
  /** Expected only: the data may come in several consecutive segments (boundaries are the stack's choice, §3.7). */
  split?: boolean;
}

/** A time window in ms; bounds are expressions so they can use profile names such as msl. */
interface Timing {
  min: Expr;
  max: Expr;
}

type CallName = 'listen' | 'connect' | 'write' | 'shutdown' | 'close' | 'abort' | 'control';
const CALLS: readonly CallName[] = ['listen', 'connect', 'write', 'shutdown', 'close', 'abort', 'control'];
type EventName = StackEvent['type'];
const EVENTS: readonly EventName[] = STACK_EVENT_TYPES;

export type Step =
  | {
      kind: 'call';
      call: CallName;
      data?: Uint8Array;
      /** write: the data is urgent (needs the 'urgent' capability). */
      urgent?: true;
      /** write: SEND without the PUSH flag (needs the 'push' capability). */
      push?: false;
      /** call control: the setting the application changes. */
      control?: AppControl;
      port?: number;
      peerPort?: number;
      conn?: string;
      as?: string;
      note?: string;
    }
  | { kind: 'inject'; seg: SegSpec; probe?: string; note?: string }
  /** An ICMP error from the peer's network quoting a segment the stack sent (its sequence number and ports). */
  | {
      kind: 'icmp';
      type: number;
      code: number;
      seq: Expr;
      peerPort?: number;
      port?: number;
      probe?: string;
      note?: string;
    }
  | { kind: 'expect'; seg: SegSpec; within: Expr; after?: Timing; note?: string }
  | { kind: 'expectNone'; ms: Expr; note?: string }
  | { kind: 'advance'; ms: Expr; note?: string }
  /** What the rest of the vector needs of values the stack chose ("w>=2"); when it does not hold, the vector skips. */
  | { kind: 'assume'; left: Expr; op: '>=' | '<=' | '>' | '<' | '=='; right: Expr; text: string; note?: string }
  | { kind: 'event'; event: EventName; data?: Uint8Array; conn?: string; as?: string; within: Expr; note?: string }
  | { kind: 'state'; state: State; peerPort?: number; port?: number; after?: Timing; note?: string };

export interface Vector {
  name: string;
  title: string;
  source?: string;
  requirements: string[];
  stack: { addr: string; port: number };
  peer: { addr: string; port: number };
  /** Profile values the vector assumes; a stack whose profile differs skips it. */
  requires: Record<string, unknown>;
  /** Takes minutes on a real clock (e.g. waits out TIME-WAIT): skipped on real-clock stacks unless --slow. */
  slow: boolean;
  vars: Record<string, number>;
  allowExtra: boolean;
  steps: Step[];
  /** Properties whose oracle judges the replayed trace (counterexamples and regressions). */
  check: string[];
  /** Present on counterexample files: how the trace was found. */
  origin?: Record<string, unknown>;
  file?: string;
}

export class VectorError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    msg: string,
  ) {
    super(`${file}: ${path}: ${msg}`);
  }
}

type J = Record<string, unknown>;

const isIpv4 = (a: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(a) && a.split('.').every((x) => Number(x) <= 255);

const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Does the vector wait long (advances adding up to more than 10 s, or any advance by a profile
 * expression such as msl)? On a real clock such a vector takes that long for real.
 */
export function isSlow(v: Vector): boolean {
  if (v.slow) return true;
  let total = 0;
  for (const s of v.steps) {
    if (s.kind !== 'advance') continue;
    const n = literalValue(s.ms);
    if (n === undefined) return true;
    total += n;
  }
  return total > 10_000;
}

/** The value of an expression made of literals only (no names, no binder), unreduced; otherwise undefined. */
function literalValue(e: Expr): number | undefined {
  if (e.kind !== 'value' || e.terms.some((t) => t.name !== undefined)) return undefined;
  return e.terms.reduce((a, t) => a + t.sign * (t.n ?? 0), 0);
}

/** Longest time one step may wait or advance (ms), and the largest vector file read. */
export const MAX_STEP_MS = 86_400_000;
const MAX_VECTOR_BYTES = 16 * 1024 * 1024;
/** Most data octets one segment or write may carry. */
const MAX_DATA = 65_495;

/** Read a regular file of at most MAX_VECTOR_BYTES (a device such as /dev/zero is refused, not read forever). */
function readBounded(file: string): string {
  const fd = openSync(file, 'r');
  try {
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file');
    const buf = Buffer.alloc(MAX_VECTOR_BYTES + 1);
    let n = 0;
    for (let r = 1; r > 0 && n <= MAX_VECTOR_BYTES; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_VECTOR_BYTES) throw new Error(`larger than ${MAX_VECTOR_BYTES / 1024 / 1024} MiB`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function loadVector(file: string): Vector {
  let text: string;
  try {
    text = readBounded(file);
  } catch (e) {
    throw new VectorError(file, '(file)', `cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new VectorError(file, '(json)', `not valid JSON: ${(e as Error).message}`);
  }
  return { ...parseVector(json, file), file };
}

export function parseVector(json: unknown, file = '<vector>'): Vector {
  const err = (path: string, msg: string): never => {
    throw new VectorError(file, path, msg);
  };
  if (!isObj(json)) return err('(root)', 'expected a JSON object');
  const known = new Set([
    'name',
    'title',
    'source',
    'requirements',
    'stack',
    'peer',
    'requires',
    'slow',
    'vars',
    'allowExtra',
    'steps',
    'check',
    'origin',
    '$comment',
    'description',
  ]);
  for (const k of Object.keys(json))
    if (!known.has(k)) err(k, `unknown field (expected one of ${[...known].join(', ')})`);
  const str = (v: unknown, path: string): string =>
    typeof v === 'string' && v.length > 0 ? v : err(path, `expected a non-empty string, got ${JSON.stringify(v)}`);
  const int = (v: unknown, path: string, lo = 0, hi = Number.MAX_SAFE_INTEGER): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi
      ? v
      : err(path, `expected an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`);
  const endpoint = (v: unknown, path: string, def: { addr: string; port: number }): { addr: string; port: number } => {
    if (v === undefined) return def;
    if (!isObj(v)) return err(path, 'expected {"addr": "a.b.c.d", "port": n}');
    const addr = v.addr === undefined ? def.addr : str(v.addr, `${path}.addr`);
    if (!isIpv4(addr)) err(`${path}.addr`, `not an IPv4 address: ${addr.slice(0, 40)}`);
    return { addr, port: v.port === undefined ? def.port : int(v.port, `${path}.port`, 1, 65535) };
  };
  const expr = (v: unknown, path: string): Expr => {
    const e = parseExpr(v);
    return typeof e === 'string' ? err(path, e) : e;
  };
  const bytes = (o: J, path: string): Uint8Array | undefined => {
    if (o.data !== undefined && o.hex !== undefined) err(path, 'give either data or hex, not both');
    if (typeof o.data === 'string') {
      const b = new TextEncoder().encode(o.data);
      if (b.length > MAX_DATA) err(`${path}.data`, `${b.length} octets, more than ${MAX_DATA}`);
      return b;
    }
    if (o.data !== undefined) err(`${path}.data`, `expected a string, got ${JSON.stringify(o.data)}`);
    if (o.hex !== undefined) {
      const h =
        typeof o.hex === 'string' ? o.hex : err(`${path}.hex`, `expected a hex string, got ${JSON.stringify(o.hex)}`);
      if (!/^([0-9a-fA-F]{2})*$/.test(h)) err(`${path}.hex`, 'expected an even number of hex digits');
      if (h.length / 2 > MAX_DATA) err(`${path}.hex`, `${h.length / 2} octets, more than ${MAX_DATA}`);
      return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
    }
    return undefined;
  };
  /** A time in ms: literal-only expressions are checked here, named ones (msl, …) when run. */
  const ms = (v: unknown, path: string): Expr => {
    if (v === undefined) return { kind: 'value', terms: [{ sign: 1, n: 0 }] };
    const e = expr(v, path);
    if (e.kind === 'bind') return err(path, 'a time cannot be a binder');
    const total = literalValue(e);
    if (total !== undefined && (total < 0 || total > MAX_STEP_MS)) {
      err(path, `${total} ms is out of range (0 to ${MAX_STEP_MS}, one day)`);
    }
    return e;
  };
  const timing = (v: unknown, path: string): Timing | undefined => {
    if (v === undefined) return undefined;
    if (!isObj(v)) return err(path, 'expected {"min": ms, "max": ms}');
    if (v.min === undefined || v.max === undefined) err(path, 'needs both min and max');
    return { min: ms(v.min, `${path}.min`), max: ms(v.max, `${path}.max`) };
  };
  const options = (v: unknown, path: string): TcpOption[] => {
    if (!Array.isArray(v)) return err(path, 'expected an array of options');
    return v.map((o, i): TcpOption => {
      const p = `${path}[${i}]`;
      if (!isObj(o) || Object.keys(o).length !== 1)
        return err(
          p,
          'expected an object with one key: mss, wscale, sackPermitted, sack, timestamps, nop, eol, unknown, raw',
        );
      const [k, val] = Object.entries(o)[0]!;
      switch (k) {
        case 'mss':
          return { kind: 'mss', value: int(val, `${p}.mss`, 0, 65535) };
        case 'wscale':
          return { kind: 'wscale', shift: int(val, `${p}.wscale`, 0, 255) };
        case 'sackPermitted':
          return { kind: 'sackPermitted' };
        case 'nop':
          return { kind: 'nop' };
        case 'eol':
          return { kind: 'eol' };
        case 'timestamps': {
          if (!Array.isArray(val) || val.length !== 2) return err(`${p}.timestamps`, 'expected [tsval, tsecr]');
          return {
            kind: 'timestamps',
            tsval: int(val[0], `${p}.timestamps[0]`, 0, 0xffffffff),
            tsecr: int(val[1], `${p}.timestamps[1]`, 0, 0xffffffff),
          };
        }
        case 'sack': {
          if (!Array.isArray(val)) return err(`${p}.sack`, 'expected [[left, right], ...]');
          return {
            kind: 'sack',
            blocks: val.map((b, j) =>
              Array.isArray(b) && b.length === 2
                ? ([int(b[0], `${p}.sack[${j}][0]`, 0, 0xffffffff), int(b[1], `${p}.sack[${j}][1]`, 0, 0xffffffff)] as [
                    number,
                    number,
                  ])
                : err(`${p}.sack[${j}]`, 'expected [left, right]'),
            ),
          };
        }
        case 'unknown': {
          if (!isObj(val)) return err(`${p}.unknown`, 'expected {"type": n, "hex": "..."}');
          return {
            kind: 'unknown',
            type: int(val.type, `${p}.unknown.type`, 2, 255),
            data: bytes(val, `${p}.unknown`) ?? new Uint8Array(0),
          };
        }
        case 'raw':
          return { kind: 'raw', bytes: bytes({ hex: val }, `${p}.raw`)! };
        default:
          return err(p, `unknown option ${JSON.stringify(k)}`);
      }
    });
  };
  const segSpec = (v: unknown, path: string, forInject: boolean): SegSpec => {
    if (!isObj(v)) return err(path, 'expected a segment object');
    const allowed = new Set([
      'flags',
      'seq',
      'ack',
      'win',
      'data',
      'hex',
      'len',
      'options',
      'mss',
      'badChecksum',
      'peerPort',
      'port',
      'from',
      'to',
      'ipOptions',
      'ecn',
      'split',
    ]);
    for (const k of Object.keys(v))
      if (!allowed.has(k)) err(`${path}.${k}`, `unknown segment field (expected one of ${[...allowed].join(', ')})`);
    const flagsText = str(v.flags, `${path}.flags`);
    const flags = parseFlags(flagsText);
    if (flags === undefined)
      err(`${path}.flags`, `bad flags ${JSON.stringify(flagsText)}: use letters S F R P A U E C`);
    const s: SegSpec = { flags: flags!, flagsText };
    if (v.seq !== undefined) s.seq = expr(v.seq, `${path}.seq`);
    else if (forInject) err(`${path}.seq`, 'an injected segment needs a seq');
    if (v.ack !== undefined) s.ack = expr(v.ack, `${path}.ack`);
    else if (forInject && flags! & 0x10) err(`${path}.ack`, 'an injected segment with the A flag needs an ack');
    if (v.win !== undefined) {
      s.win = expr(v.win, `${path}.win`);
      const total = literalValue(s.win);
      if (total !== undefined && (total < 0 || total > 65535)) {
        err(`${path}.win`, `${total} does not fit the 16-bit window field (0 to 65535)`);
      }
    }
    const p = bytes(v, path);
    if (p) s.payload = p;
    if (v.len !== undefined) {
      if (p) err(`${path}.len`, 'give len or data/hex, not both');
      s.len = int(v.len, `${path}.len`, 0, 65495);
    }
    if (v.options !== undefined) {
      s.options = options(v.options, `${path}.options`);
      const room = s.options.reduce((a, o) => a + optionOctets(o), 0);
      if (room > 40) err(`${path}.options`, `${room} octets of options, more than the 40 a TCP header holds`);
    }
    if (v.mss !== undefined) s.mss = expr(v.mss, `${path}.mss`);
    if (v.badChecksum !== undefined) {
      if (typeof v.badChecksum !== 'boolean') err(`${path}.badChecksum`, 'expected true or false');
      s.badChecksum = v.badChecksum as boolean;
    }
    if (v.split !== undefined) {
      if (forInject) err(`${path}.split`, 'only an expected segment may be split');
      if (typeof v.split !== 'boolean') err(`${path}.split`, 'expected true or false');
      if (!p && v.len === undefined)
        err(`${path}.split`, 'split needs the data (data, hex or len) it spreads over segments');
      s.split = v.split as boolean;
    }
    if (v.peerPort !== undefined) s.peerPort = int(v.peerPort, `${path}.peerPort`, 1, 65535);
    if (v.port !== undefined) s.port = int(v.port, `${path}.port`, 1, 65535);
    if (v.from !== undefined) {
      const f = str(v.from, `${path}.from`);
      if (!isIpv4(f)) err(`${path}.from`, `not an IPv4 address: ${f.slice(0, 40)}`);
      s.from = f;
    }
    if (v.to !== undefined) {
      const t = str(v.to, `${path}.to`);
      if (!isIpv4(t)) err(`${path}.to`, `not an IPv4 address: ${t.slice(0, 40)}`);
      s.to = t;
    }
    if (v.ipOptions !== undefined) {
      const h = str(v.ipOptions, `${path}.ipOptions`);
      if (!/^([0-9a-fA-F]{2}){1,40}$/.test(h)) err(`${path}.ipOptions`, 'expected 1 to 40 octets as hex');
      s.ipOptions = Uint8Array.from(Buffer.from(h, 'hex'));
    }
    if (v.ecn !== undefined) {
      const e = str(v.ecn, `${path}.ecn`);
      if (!(e in ECN)) err(`${path}.ecn`, `expected one of ect0, ect1, ce (got ${JSON.stringify(e)})`);
      s.ecn = e as EcnName;
    }
    if (!forInject && (s.from || s.to || s.ipOptions || s.ecn))
      err(path, 'from, to, ipOptions and ecn are for injected segments only');
    return s;
  };

  const name = str(json.name, 'name');
  const steps = Array.isArray(json.steps) ? json.steps : err('steps', 'expected an array of steps');
  if (steps.length === 0) err('steps', 'a vector needs at least one step');
  const vars: Record<string, number> = {};
  if (json.vars !== undefined) {
    if (!isObj(json.vars)) err('vars', 'expected an object of name -> integer');
    for (const [k, v] of Object.entries(json.vars as J)) vars[k] = int(v, `vars.${k}`, 0, 0xffffffff);
  }
  const reqs =
    json.requirements === undefined
      ? []
      : Array.isArray(json.requirements)
        ? json.requirements.map((r, i) => str(r, `requirements[${i}]`))
        : err('requirements', 'expected an array of requirement ids');
  for (const [i, r] of reqs.entries())
    if (!/^(MUST|SHLD|MAY|REC)-\d+$/.test(r)) err(`requirements[${i}]`, `not a requirement id: ${r}`);
  const stepKinds = ['call', 'inject', 'icmp', 'expect', 'expectNone', 'advance', 'assume', 'event', 'state'];
  const parsed = steps.map((raw, i): Step => {
    const p = `steps[${i}]`;
    if (!isObj(raw)) return err(p, 'expected an object');
    const kinds = Object.keys(raw).filter((k) => stepKinds.includes(k));
    if (kinds.length !== 1)
      return err(
        p,
        `expected exactly one of ${stepKinds.join(', ')}; found ${kinds.length ? kinds.join(', ') : 'none'}`,
      );
    const note = raw.note === undefined ? undefined : str(raw.note, `${p}.note`);
    const extra = (ok: string[]): void => {
      for (const k of Object.keys(raw))
        if (![...ok, 'note'].includes(k)) err(`${p}.${k}`, `unknown field for a ${kinds[0]} step`);
    };
    const base = note === undefined ? {} : { note };
    switch (kinds[0]) {
      case 'call': {
        extra(['call', 'data', 'hex', 'port', 'peerPort', 'conn', 'as', 'control', 'urgent', 'push']);
        const call = str(raw.call, `${p}.call`) as CallName;
        if (!CALLS.includes(call))
          err(`${p}.call`, `unknown call ${JSON.stringify(call)} (expected ${CALLS.join(', ')})`);
        const data = bytes(raw, p);
        if (call === 'write' && !data) err(`${p}.data`, 'write needs data or hex');
        const control = call === 'control' ? parseControl(raw.control, 'control') : undefined;
        if (typeof control === 'string') err(`${p}.control`, control);
        if (call !== 'control' && raw.control !== undefined) err(`${p}.control`, 'only a control call takes a control');
        if (raw.urgent !== undefined && (call !== 'write' || raw.urgent !== true))
          err(`${p}.urgent`, 'only a write takes urgent, and only as true');
        if (raw.push !== undefined && (call !== 'write' || raw.push !== false))
          err(`${p}.push`, 'only a write takes push, and only as false (a write is pushed unless it says so)');
        return {
          kind: 'call',
          call,
          ...base,
          ...(data ? { data } : {}),
          ...(raw.urgent === true ? { urgent: true } : {}),
          ...(raw.push === false ? { push: false } : {}),
          ...(control && typeof control !== 'string' ? { control } : {}),
          ...(raw.port !== undefined ? { port: int(raw.port, `${p}.port`, 1, 65535) } : {}),
          ...(raw.peerPort !== undefined ? { peerPort: int(raw.peerPort, `${p}.peerPort`, 1, 65535) } : {}),
          ...(raw.conn !== undefined ? { conn: str(raw.conn, `${p}.conn`) } : {}),
          ...(raw.as !== undefined ? { as: str(raw.as, `${p}.as`) } : {}),
        };
      }
      case 'inject':
        extra(['inject', 'probe']);
        return {
          kind: 'inject',
          seg: segSpec(raw.inject, `${p}.inject`, true),
          ...base,
          ...(raw.probe !== undefined ? { probe: str(raw.probe, `${p}.probe`) } : {}),
        };
      case 'icmp': {
        extra(['icmp', 'probe']);
        const m = raw.icmp;
        if (!isObj(m)) return err(`${p}.icmp`, 'expected { type, code, seq, peerPort?, port? }');
        for (const k of Object.keys(m))
          if (!['type', 'code', 'seq', 'peerPort', 'port'].includes(k)) err(`${p}.icmp.${k}`, 'unknown ICMP field');
        if (m.seq === undefined) err(`${p}.icmp.seq`, 'an ICMP error quotes a sequence number: give seq');
        return {
          kind: 'icmp',
          type: int(m.type, `${p}.icmp.type`, 0, 255),
          code: int(m.code, `${p}.icmp.code`, 0, 255),
          seq: expr(m.seq, `${p}.icmp.seq`),
          ...(m.peerPort !== undefined ? { peerPort: int(m.peerPort, `${p}.icmp.peerPort`, 1, 65535) } : {}),
          ...(m.port !== undefined ? { port: int(m.port, `${p}.icmp.port`, 1, 65535) } : {}),
          ...(raw.probe !== undefined ? { probe: str(raw.probe, `${p}.probe`) } : {}),
          ...base,
        };
      }
      case 'expect': {
        extra(['expect', 'within', 'after']);
        const after = timing(raw.after, `${p}.after`);
        if (after && raw.within !== undefined) err(`${p}.within`, 'give within or after, not both');
        return {
          kind: 'expect',
          seg: segSpec(raw.expect, `${p}.expect`, false),
          within: ms(raw.within, `${p}.within`),
          ...(after ? { after } : {}),
          ...base,
        };
      }
      case 'expectNone':
        extra(['expectNone']);
        return { kind: 'expectNone', ms: ms(raw.expectNone, `${p}.expectNone`), ...base };
      case 'advance':
        extra(['advance']);
        return { kind: 'advance', ms: ms(raw.advance, `${p}.advance`), ...base };
      case 'assume': {
        extra(['assume']);
        const text = str(raw.assume, `${p}.assume`);
        const m = /^([^<>=]+)(>=|<=|==|>|<)([^<>=]+)$/.exec(text.replace(/\s+/g, ''));
        if (!m) return err(`${p}.assume`, 'expected a comparison such as "w>=2" (>=, <=, ==, >, <)');
        const side = (x: string): Expr => {
          const e = expr(x, `${p}.assume`);
          return e.kind === 'bind' ? err(`${p}.assume`, 'a comparison cannot bind') : e;
        };
        const op = m[2] as '>=' | '<=' | '>' | '<' | '==';
        return { kind: 'assume', left: side(m[1]!), op, right: side(m[3]!), text, ...base };
      }
      case 'event': {
        extra(['event', 'within']);
        const ev = raw.event;
        if (!isObj(ev)) return err(`${p}.event`, 'expected {"type": ...}');
        for (const k of Object.keys(ev))
          if (!['type', 'data', 'hex', 'conn', 'as'].includes(k)) err(`${p}.event.${k}`, 'unknown event field');
        const type = str(ev.type, `${p}.event.type`) as EventName;
        if (!EVENTS.includes(type))
          err(`${p}.event.type`, `unknown event ${JSON.stringify(type)} (expected ${EVENTS.join(', ')})`);
        const data = bytes(ev, `${p}.event`);
        return {
          kind: 'event',
          event: type,
          within: ms(raw.within, `${p}.within`),
          ...base,
          ...(data ? { data } : {}),
          ...(ev.conn !== undefined ? { conn: str(ev.conn, `${p}.event.conn`) } : {}),
          ...(ev.as !== undefined ? { as: str(ev.as, `${p}.event.as`) } : {}),
        };
      }
      default: {
        extra(['state', 'peerPort', 'port', 'after']);
        const st = str(raw.state, `${p}.state`) as State;
        if (!STATES.includes(st))
          err(`${p}.state`, `unknown state ${JSON.stringify(st)} (expected ${STATES.join(', ')})`);
        const after = timing(raw.after, `${p}.after`);
        return {
          kind: 'state',
          state: st,
          ...base,
          ...(after ? { after } : {}),
          ...(raw.peerPort !== undefined ? { peerPort: int(raw.peerPort, `${p}.peerPort`, 1, 65535) } : {}),
          ...(raw.port !== undefined ? { port: int(raw.port, `${p}.port`, 1, 65535) } : {}),
        };
      }
    }
  });
  if (json.requires !== undefined && !isObj(json.requires))
    err('requires', 'expected an object of profile field -> value');
  for (const k of Object.keys((json.requires as J | undefined) ?? {})) {
    if (!(k in PROFILE_FIELDS))
      err(`requires.${k}`, `not a profile field (one of ${Object.keys(PROFILE_FIELDS).join(', ')})`);
  }
  if (json.slow !== undefined && typeof json.slow !== 'boolean') err('slow', 'expected true or false');
  if (json.allowExtra !== undefined && typeof json.allowExtra !== 'boolean')
    err('allowExtra', 'expected true or false');
  if (json.origin !== undefined && !isObj(json.origin)) err('origin', 'expected an object');
  return {
    name,
    title: json.title === undefined ? name : str(json.title, 'title'),
    ...(json.source !== undefined ? { source: str(json.source, 'source') } : {}),
    requirements: reqs,
    stack: endpoint(json.stack, 'stack', { addr: '10.0.0.1', port: 80 }),
    peer: endpoint(json.peer, 'peer', { addr: '10.0.0.2', port: 40000 }),
    requires: (json.requires as J | undefined) ?? {},
    slow: json.slow === true,
    vars,
    allowExtra: (json.allowExtra as boolean | undefined) ?? false,
    steps: parsed,
    check:
      json.check === undefined
        ? []
        : Array.isArray(json.check)
          ? json.check.map((c, i) => str(c, `check[${i}]`))
          : err('check', 'expected an array of property names'),
    ...(json.origin !== undefined ? { origin: json.origin as J } : {}),
  };
}
