// The child-process adapter protocol, version 2 (docs/adapter-protocol.md; version 1 lacks the application
// controls): one frame per line, space-separated tokens, binary as hex. Pure parsing and formatting; the I/O is in
// process/adapter.ts.
import { type AppControl, CONTROL_NAMES, type ControlName, type StackEvent, controlText } from '../adapter.js';
import { STATES, type State } from '../../model/types.js';

const PROTOCOL_VERSION = 2;
/** Versions a driver may answer hello with: 1 has no application controls. */
const VERSIONS = [1, 2];
/** Longest frame accepted from a child (a 64 KiB packet in hex plus its keyword). */
export const MAX_FRAME = 140_000;

export interface Hello {
  version: number;
  name: string;
  clock: 'virtual' | 'real';
  state: boolean;
  ipv4: boolean;
  ipv6: boolean;
  /** 'log': stderr is the driver's log; 'fail' (default): unexpected stderr output is an adapter error. */
  stderr: 'log' | 'fail';
  /**
   * A real-clock driver that answers `next` (when the stack could next send on its own), so silence is judged without
   * waiting it out.
   */
  next: boolean;
  /** A virtual-clock driver that answers `run MS`: advance until the stack sends, raises an event or changes state. */
  run: boolean;
  /** Version 2: the application controls the driver implements (`controls=keepalive,reading`). */
  controls: ControlName[];
}

export type Frame =
  | { kind: 'ok'; args: string[] }
  | { kind: 'err'; message: string }
  /** The stack cannot take the call now (buffer or queue full): a socket's EAGAIN/ENOBUFS. */
  | { kind: 'busy'; message: string }
  | { kind: 'packet'; packet: Uint8Array }
  | { kind: 'event'; event: StackEvent }
  | { kind: 'log'; message: string };

export class FrameError extends Error {}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const CONN = /^[!-~]{1,64}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function hexToBytes(h: string, what: string): Uint8Array {
  if (!HEX.test(h)) throw new FrameError(`${what}: ${JSON.stringify(h.slice(0, 40))} is not an even-length hex string`);
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

const bytesToHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function port(tok: string | undefined, what: string): number {
  if (tok === undefined || !/^\d{1,5}$/.test(tok) || Number(tok) > 65535)
    throw new FrameError(`${what}: expected a port 0..65535, got ${JSON.stringify(tok)}`);
  return Number(tok);
}

function conn(tok: string | undefined, what: string): string {
  if (tok === undefined || !CONN.test(tok))
    throw new FrameError(`${what}: expected a connection id (1-64 printable characters), got ${JSON.stringify(tok)}`);
  return tok;
}

function addr(tok: string | undefined, what: string): string {
  const m = tok === undefined ? null : IPV4.exec(tok);
  if (!m || m.slice(1).some((x) => Number(x) > 255))
    throw new FrameError(`${what}: expected an IPv4 address, got ${JSON.stringify(tok)}`);
  return tok!;
}

/** Parse one line from the child. Throws FrameError naming what is wrong. */
export function parseFrame(line: string): Frame {
  if (line.length > MAX_FRAME)
    throw new FrameError(`frame of ${line.length} characters exceeds the limit of ${MAX_FRAME}`);
  const sp = line.indexOf(' ');
  const kw = sp < 0 ? line : line.slice(0, sp);
  const rest = sp < 0 ? '' : line.slice(sp + 1);
  const t = rest === '' ? [] : rest.split(' ');
  const arity = (n: number, m = n): void => {
    if (t.length < n || t.length > m)
      throw new FrameError(`"${kw}" takes ${n === m ? n : `${n}-${m}`} argument${m === 1 ? '' : 's'}, got ${t.length}`);
  };
  switch (kw) {
    case 'ok':
      return { kind: 'ok', args: t };
    case 'err':
      return { kind: 'err', message: rest || '(no message)' };
    case 'busy':
      return { kind: 'busy', message: rest || '(no message)' };
    case 'log':
      return { kind: 'log', message: rest };
    case 'packet':
      arity(1);
      return { kind: 'packet', packet: hexToBytes(t[0]!, 'packet') };
    case 'accepted':
      arity(4);
      return {
        kind: 'event',
        event: {
          type: 'accepted',
          conn: conn(t[0], 'accepted'),
          localPort: port(t[1], 'accepted local port'),
          remote: { addr: addr(t[2], 'accepted remote address'), port: port(t[3], 'accepted remote port') },
        },
      };
    case 'connected':
      arity(1);
      return { kind: 'event', event: { type: 'connected', conn: conn(t[0], kw) } };
    case 'data': {
      arity(2, 3);
      if (t[2] !== undefined && t[2] !== 'push')
        throw new FrameError(`data: third argument must be "push", got ${JSON.stringify(t[2].slice(0, 40))}`);
      const data = hexToBytes(t[1]!, 'data');
      return { kind: 'event', event: { type: 'data', conn: conn(t[0], kw), data, ...(t[2] ? { push: true } : {}) } };
    }
    case 'end':
    case 'urgent':
      arity(1);
      return { kind: 'event', event: { type: kw, conn: conn(t[0], kw) } };
    case 'urgent-pending': {
      arity(2);
      if (t[1] !== '0' && t[1] !== '1')
        throw new FrameError(
          `urgent-pending: second argument must be 0 or 1, got ${JSON.stringify(t[1]!.slice(0, 40))}`,
        );
      return { kind: 'event', event: { type: kw, conn: conn(t[0], kw), pending: t[1] === '1' } };
    }
    case 'closed':
      arity(1);
      return { kind: 'event', event: { type: 'closed', conn: conn(t[0], kw) } };
    case 'reset':
      arity(1, 2);
      if (t[1] !== undefined && t[1] !== 'refused')
        throw new FrameError(`reset: second argument must be "refused", got ${JSON.stringify(t[1])}`);
      return { kind: 'event', event: { type: 'reset', conn: conn(t[0], kw), ...(t[1] ? { refused: true } : {}) } };
    case 'error':
      if (t.length < 1) throw new FrameError('"error" needs a connection id and a message');
      return {
        kind: 'event',
        event: { type: 'error', conn: conn(t[0], kw), message: t.slice(1).join(' ') || '(no message)' },
      };
    default:
      throw new FrameError(`unknown frame keyword ${JSON.stringify(kw.slice(0, 40))}`);
  }
}

/**
 * The child's answer to `hello 1`: `ok hello 1 name=NAME clock=virtual|real [state=1] [ipv4=1] [ipv6=0] [stderr=log]`.
 */
export function parseHello(args: string[]): Hello {
  if (args[0] !== 'hello')
    throw new FrameError(`expected "ok hello VERSION ..." in answer to hello, got "ok ${args.join(' ')}"`);
  const version = Number(args[1]);
  if (!Number.isInteger(version))
    throw new FrameError(`hello: protocol version ${JSON.stringify(args[1])} is not an integer`);
  if (!VERSIONS.includes(version))
    throw new FrameError(
      `hello: the driver speaks protocol version ${version}, tcp-conform speaks ${VERSIONS.join(' and ')}`,
    );
  const kv = new Map<string, string>();
  for (const a of args.slice(2)) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new FrameError(`hello: capability ${JSON.stringify(a)} is not key=value`);
    kv.set(a.slice(0, eq), a.slice(eq + 1));
  }
  const known = [
    'name',
    'clock',
    'state',
    'ipv4',
    'ipv6',
    'stderr',
    'next',
    'run',
    ...(version >= 2 ? ['controls'] : []),
  ];
  const unknown = [...kv.keys()].filter((k) => !known.includes(k));
  if (unknown.length)
    throw new FrameError(
      `hello: unknown capabilit${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')} (known: ${known.join(', ')})`,
    );
  const clock = kv.get('clock');
  if (clock !== 'virtual' && clock !== 'real')
    throw new FrameError(`hello: clock must be virtual or real, got ${JSON.stringify(clock)}`);
  const bool = (k: string, def: boolean): boolean => {
    const v = kv.get(k);
    if (v === undefined) return def;
    if (v !== '0' && v !== '1') throw new FrameError(`hello: ${k} must be 0 or 1, got ${JSON.stringify(v)}`);
    return v === '1';
  };
  const stderr = kv.get('stderr') ?? 'fail';
  if (stderr !== 'log' && stderr !== 'fail')
    throw new FrameError(`hello: stderr must be log or fail, got ${JSON.stringify(stderr)}`);
  const h: Hello = {
    version,
    name: kv.get('name') ?? 'process',
    clock,
    state: bool('state', false),
    ipv4: bool('ipv4', true),
    ipv6: bool('ipv6', false),
    stderr,
    next: bool('next', clock === 'virtual'),
    run: bool('run', false),
    controls: parseControls(kv.get('controls')),
  };
  if (h.run && clock !== 'virtual') throw new FrameError('hello: run=1 needs clock=virtual (run advances the clock)');
  if (!h.ipv4) throw new FrameError('hello: the driver does not support IPv4, which every tcp-conform scenario uses');
  return h;
}

function parseControls(v: string | undefined): ControlName[] {
  if (v === undefined || v === '') return [];
  const names = v.split(',');
  const bad = names.filter((n) => !(CONTROL_NAMES as readonly string[]).includes(n));
  if (bad.length)
    throw new FrameError(
      `hello: unknown control ${JSON.stringify(bad[0])} in controls= (known: ${CONTROL_NAMES.join(', ')})`,
    );
  return [...new Set(names)] as ControlName[];
}

export function parseState(tok: string | undefined): State {
  if (tok === undefined || !(STATES as readonly string[]).includes(tok))
    throw new FrameError(`state: expected one of ${STATES.join(', ')}, got ${JSON.stringify(tok)}`);
  return tok as State;
}

/** Commands the suite sends. */
export type Command =
  | { c: 'hello' }
  | { c: 'reset'; addr: string; seed: number }
  | { c: 'listen'; port: number }
  | { c: 'connect'; localPort: number; addr: string; port: number }
  | { c: 'write'; conn: string; data: Uint8Array; urgent?: boolean; push?: false }
  | { c: 'shutdown' | 'close' | 'abort'; conn: string }
  | { c: 'control'; conn: string; control: AppControl }
  | { c: 'advance'; ms: number }
  | { c: 'next' }
  | { c: 'run'; ms: number }
  | { c: 'deliver'; packet: Uint8Array }
  | { c: 'deliver-batch'; packets: Uint8Array[] }
  | { c: 'sync' }
  | { c: 'state'; localPort: number; addr: string; port: number }
  | { c: 'quit' }
  /** A line sent as is (driver self-tests send nonsense on purpose). */
  | { c: 'raw'; text: string };

export function formatCommand(x: Command): string {
  switch (x.c) {
    case 'hello':
      return `hello ${PROTOCOL_VERSION}`;
    case 'reset':
      return `reset ${x.addr} ${x.seed >>> 0}`;
    case 'listen':
      return `listen ${x.port}`;
    case 'connect':
      return `connect ${x.localPort} ${x.addr} ${x.port}`;
    case 'write':
      return `write ${x.conn} ${bytesToHex(x.data)}${x.urgent ? ' urgent' : ''}${x.push === false ? ' more' : ''}`;
    case 'shutdown':
    case 'close':
    case 'abort':
      return `${x.c} ${x.conn}`;
    case 'control':
      return `control ${x.conn} ${controlText(x.control)}`;
    case 'advance':
      return `advance ${Math.round(x.ms)}`;
    case 'next':
      return 'next';
    case 'run':
      return `run ${Math.round(x.ms)}`;
    case 'deliver':
      return `deliver ${bytesToHex(x.packet)}`;
    case 'deliver-batch':
      return `deliver-batch ${x.packets.map((p) => bytesToHex(p)).join(' ')}`;
    case 'sync':
      return 'sync';
    case 'state':
      return `state ${x.localPort} ${x.addr} ${x.port}`;
    case 'quit':
      return 'quit';
    case 'raw':
      return x.text;
  }
}
