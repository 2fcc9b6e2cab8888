// What a stack under test implements. The suite plays the remote peer: it hands the stack IPv4
// packets (deliver) and reads back what the stack emits (drain), and drives the stack's
// application side through listen/connect/write/shutdown/close/abort.
import type { Endpoint } from '../wire/segment.js';
import type { State } from '../model/types.js';

export type MaybePromise<T> = T | Promise<T>;

/** Connection handle chosen by the stack (any string unique within one instance). */
export type ConnId = string;

export type StackEvent =
  | { type: 'accepted'; conn: ConnId; localPort: number; remote: Endpoint }
  | { type: 'connected'; conn: ConnId }
  /**
   * Data for the application. push (only from an adapter whose profile sets pushEvents): the data ends at, or takes in,
   * an octet that came with PSH — RECEIVE's PUSH flag (§3.9.1.3, MAY-17).
   */
  | { type: 'data'; conn: ConnId; data: Uint8Array; push?: boolean }
  /** The peer sent urgent data the application has not read yet (§3.8.5, MUST-32); the data comes in line. */
  | { type: 'urgent'; conn: ConnId }
  /** The answer to the urgent-pending query: urgent data the application has not read yet waits (§3.8.5, MUST-33). */
  | { type: 'urgent-pending'; conn: ConnId; pending: boolean }
  /** The peer's FIN: no more data will arrive (end of stream). */
  | { type: 'end'; conn: ConnId }
  /** Connection reset by the peer; refused = the reset arrived before the connection was established. */
  | { type: 'reset'; conn: ConnId; refused?: boolean }
  /**
   * An error reported to the application; busy: the stack could not take the call now (buffers full), not a refusal on
   * principle.
   */
  | { type: 'error'; conn: ConnId; message: string; busy?: boolean }
  /** The stack forgot the connection (TCB deleted). */
  | { type: 'closed'; conn: ConnId };

import type { StackProfile } from './profile.js';

/** Every kind of application event, once (the drain check and the vector schema take them from here). */
export const STACK_EVENT_TYPES: readonly StackEvent['type'][] = [
  'accepted',
  'connected',
  'data',
  'urgent',
  'urgent-pending',
  'end',
  'reset',
  'error',
  'closed',
];

/**
 * The application controls a stack may offer (StackInstance.control; `controls=` in a driver's hello). `urgent` and
 * `push` are not settings but kinds of write: the application can send urgent data (`write(conn, data, { urgent:
 * true })`), and SEND has a PUSH flag (§3.9.1.2, MAY-15): a write is pushed unless `write(conn, data, { push: false
 * })` says otherwise.
 */
export const CONTROL_NAMES = [
  'keepalive',
  'reading',
  'read',
  'nodelay',
  'timeout',
  'ttl',
  'dscp',
  'urgent',
  'push',
  'keepalive-garbage',
  'urgent-pending',
] as const;
export type ControlName = (typeof CONTROL_NAMES)[number];

/**
 * A setting the application changes on one connection. keepalive: probes on or off (§3.8.4, MUST-24), with the idle
 * time before the first probe (MUST-27; the stack's default when left out, MUST-28), the time between probes and how
 * many go unanswered before the connection is given up. reading: the application stops reading (received data stays
 * in the stack's buffer and its window closes) or reads again. read: with reading held, the application takes up to
 * that many octets of what waits (nothing happens when nothing waits; §3.8.6.2.2, MUST-39). nodelay: Nagle's
 * algorithm off (on: true) or back on (§3.7.4, MUST-17; TCP_NODELAY). timeout: the user timeout in ms, after which
 * unacknowledged data ends the connection (§3.9.1.1, MUST-21; TCP_USER_TIMEOUT). ttl: the IPv4 TTL of the
 * connection's segments (§3.9.2, MUST-49; IP_TTL). dscp: the Diffserv codepoint, 0..63, of its segments
 * (§3.9.1.9, MUST-48; IP_TOS = dscp << 2). keepalive garbage (only with 'keepalive-garbage' in `controls`): the
 * probes carry one garbage octet, the setting §3.8.4 allows for peers that ignore an empty probe (MAY-6).
 * urgent-pending: not a setting but a query: is urgent data the application has not read yet still waiting
 * (§3.8.5, MUST-33; SIOCATMARK's question)? The stack answers with an `urgent-pending` event before the call returns.
 */
export type AppControl =
  | { name: 'keepalive'; on: false }
  | { name: 'keepalive'; on: true; idleMs?: number; intervalMs?: number; probes?: number; garbage?: boolean }
  | { name: 'reading'; paused: boolean }
  | { name: 'read'; octets: number }
  | { name: 'nodelay'; on: boolean }
  | { name: 'timeout'; ms: number }
  | { name: 'ttl'; value: number }
  | { name: 'dscp'; value: number }
  | { name: 'urgent-pending' };

const IP_FIELD_RANGE = { ttl: [1, 255], dscp: [0, 63] } as const;

/** Read an AppControl from JSON (a vector step); the error names the field. */
export function parseControl(raw: unknown, at: string): AppControl | string {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return `${at} must be an object { name, … }`;
  const x = raw as Record<string, unknown>;
  const only = (keys: string[]): string | undefined => {
    const bad = Object.keys(x).find((k) => !keys.includes(k));
    return bad
      ? `${at}.${bad}: unknown field for the ${String(x.name)} control (known: ${keys.join(', ')})`
      : undefined;
  };
  if (x.name === 'reading') {
    if (typeof x.paused !== 'boolean') return `${at}.paused must be true or false`;
    return only(['name', 'paused']) ?? { name: 'reading', paused: x.paused };
  }
  if (x.name === 'read') {
    const n = x.octets;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return `${at}.octets must be a positive integer`;
    return only(['name', 'octets']) ?? { name: 'read', octets: n };
  }
  if (x.name === 'nodelay') {
    if (typeof x.on !== 'boolean') return `${at}.on must be true or false`;
    return only(['name', 'on']) ?? { name: 'nodelay', on: x.on };
  }
  if (x.name === 'timeout') {
    if (typeof x.ms !== 'number' || !Number.isInteger(x.ms) || x.ms < 1) return `${at}.ms must be a positive integer`;
    return only(['name', 'ms']) ?? { name: 'timeout', ms: x.ms };
  }
  if (x.name === 'urgent')
    return `${at}.name: urgent is not a setting but a kind of write (a write step with "urgent": true)`;
  if (x.name === 'urgent-pending') return only(['name']) ?? { name: 'urgent-pending' };
  if (x.name === 'push')
    return `${at}.name: push is not a setting but a kind of write (a write step with "push": false is not pushed)`;
  if (x.name === 'ttl' || x.name === 'dscp') {
    const [lo, hi] = IP_FIELD_RANGE[x.name];
    const v = x.value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
      return `${at}.value must be an integer from ${lo} to ${hi}`;
    return only(['name', 'value']) ?? { name: x.name, value: v };
  }
  if (x.name !== 'keepalive')
    return `${at}.name must be one of ${CONTROL_NAMES.join(', ')}, got ${JSON.stringify(x.name)}`;
  if (typeof x.on !== 'boolean') return `${at}.on must be true or false`;
  const bad = only(['name', 'on', 'idleMs', 'intervalMs', 'probes', 'garbage']);
  if (bad) return bad;
  if (!x.on) return { name: 'keepalive', on: false };
  const out: AppControl = { name: 'keepalive', on: true };
  if (x.garbage !== undefined && typeof x.garbage !== 'boolean') return `${at}.garbage must be true or false`;
  if (x.garbage) out.garbage = true;
  for (const k of ['idleMs', 'intervalMs', 'probes'] as const) {
    const v = x[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return `${at}.${k} must be a positive integer`;
    out[k] = v;
  }
  return out;
}

export function controlText(c: AppControl): string {
  if (c.name === 'reading') return `reading ${c.paused ? 'pause' : 'resume'}`;
  if (c.name === 'read') return `read ${c.octets}`;
  if (c.name === 'nodelay') return `nodelay ${c.on ? 'on' : 'off'}`;
  if (c.name === 'timeout') return `timeout ${c.ms}`;
  if (c.name === 'ttl' || c.name === 'dscp') return `${c.name} ${c.value}`;
  if (c.name === 'urgent-pending') return 'urgent-pending';
  if (!c.on) return 'keepalive off';
  const kv = [
    c.idleMs !== undefined ? `idle=${c.idleMs}` : '',
    c.intervalMs !== undefined ? `interval=${c.intervalMs}` : '',
    c.probes !== undefined ? `probes=${c.probes}` : '',
    c.garbage ? 'garbage=1' : '',
  ];
  return ['keepalive on', ...kv.filter(Boolean)].join(' ');
}

export type { Deviation, KnownFinding, StackProfile } from './profile.js';

export interface TupleRef {
  localPort: number;
  remote: Endpoint;
}

/**
 * What drain() returns. A real-clock stack may stamp each packet and event with the performance.now() at which it
 * appeared.
 */
export interface Drain {
  packets: Uint8Array[];
  events: StackEvent[];
  at?: { packets: number[]; events: number[] };
}

/** One fresh, isolated instance of the stack under test. */
export interface StackInstance {
  /** 'virtual': the suite advances time with advance(); 'real': the stack runs on wall-clock time. */
  readonly clock: 'virtual' | 'real';
  /** The IPv4 address the stack uses. */
  readonly addr: string;
  /** An IPv4 packet from the network (suite -> stack). */
  deliver(packet: Uint8Array): MaybePromise<void>;
  /**
   * Optional (profile batchInput): IPv4 packets that arrive together, queued at the stack's input before it
   * processes any of them; it processes them all before it acknowledges (§3.10.7.4, MUST-58, MUST-59).
   */
  deliverBatch?(packets: Uint8Array[]): MaybePromise<void>;
  /** Everything the stack emitted since the last drain: IPv4 packets and application events. */
  drain(): MaybePromise<Drain>;
  listen(port: number): MaybePromise<void>;
  connect(localPort: number, remote: Endpoint): MaybePromise<ConnId>;
  /**
   * Queue data to send. urgent (only with 'urgent' in `controls`): the data is urgent, SEND with the URGENT flag
   * (§3.9.1.2): the urgent pointer of what goes out points after its last octet (MUST-62). push (only with 'push' in
   * `controls`, and then only ever false): SEND without the PUSH flag; the stack may hold the data and owes no PSH
   * where it ends (MAY-15, MAY-16). Every other write of such a stack is pushed: the segment that carries its last
   * octet has PSH.
   */
  write(conn: ConnId, data: Uint8Array, opts?: { urgent?: boolean; push?: false }): MaybePromise<void>;
  /** Half-close: send a FIN, keep receiving (RFC 9293 CLOSE). */
  shutdown(conn: ConnId): MaybePromise<void>;
  /** Full close of the application's handle. */
  close(conn: ConnId): MaybePromise<void>;
  /** Reset the connection (RFC 9293 ABORT). */
  abort(conn: ConnId): MaybePromise<void>;
  /** The application controls this instance offers; properties that need another one are not run. */
  readonly controls?: readonly ControlName[];
  /** Change a setting of one connection (see AppControl); only for the names in `controls`. */
  control?(conn: ConnId, c: AppControl): MaybePromise<void>;
  /** Virtual clock only: advance the stack's clock by ms. */
  advance?(ms: number): MaybePromise<void>;
  /**
   * Virtual clock, optional: advance by at most ms, stopping as soon as the stack has sent a segment, raised an
   * application event or changed a connection's state; returns the ms advanced. Lets a long wait (TIME-WAIT, a
   * backoff) take one call instead of one per timer tick.
   */
  run?(ms: number): MaybePromise<number>;
  /**
   * ms from now until the stack's next timer, if it can tell (a real-clock stack: the next time it could send on its
   * own).
   */
  nextTimer?(): MaybePromise<number | undefined>;
  /** Optional introspection: the RFC state of a connection (CLOSED if unknown, LISTEN for a listener). */
  state?(ref: TupleRef): MaybePromise<State>;
  destroy(): MaybePromise<void>;
}

export interface StackAdapter {
  readonly name: string;
  readonly profile: StackProfile;
  create(opts: { addr: string }): MaybePromise<StackInstance>;
  /**
   * Optional, for randomized stacks: called before each scenario with a key stable for that scenario, so a re-run
   * reproduces it.
   */
  reseed?(key: string): void;
  /** Optional: what the next instance will be like, recorded in counterexamples (e.g. the perturbation drawn). */
  current?(): unknown;
  /** Optional: how many instances may run at once (scenarios of different properties run concurrently). Default 1. */
  readonly maxConcurrency?: number;
  /** Optional: release what the adapter holds (child processes, namespaces). Called once when a run ends. */
  dispose?(): MaybePromise<void>;
}
