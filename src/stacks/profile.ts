// The stack profile: one descriptor from which the TypeScript type, the JSON loader and its validation,
// the table in docs/adapter-protocol.md and the report card's profile line all come.
import { STATES } from '../model/types.js';
import { REQUIREMENTS } from '../oracle/requirements.js';
import { UsageError } from './usage.js';
import { CONTROL_NAMES, type ControlName } from './adapter.js';

/** A declared difference from RFC 9293 (a choice the stack made), reported as such rather than as a violation. */
export interface Deviation {
  /** A requirement id (e.g. "MUST-13") or a check's or property's name. */
  requirement: string;
  reason: string;
  /**
   * Narrow it to one cause: a check id ("syn-retransmission/backoff"), or the last part of one ("shorter-msl" matches
   * every check ending in "/shorter-msl").
   */
  check?: string;
}

/**
 * A violation already investigated and recorded in docs/findings.md: reported as a known finding (not a
 * pass, not a failure), so a CI gate stays green on it and red on anything new. `--strict` fails them.
 */
export interface KnownFinding {
  id: string;
  summary: string;
  /**
   * Which violations it explains, by cause (all given must hold): the check that found it (an id, or the last part of
   * one), a requirement id, and for a crash (check "stack-crashed") a pattern of the stack's own crash message.
   */
  check?: string;
  requirement?: string;
  crash?: string;
  /** The stack's state when it happened (only checks that know it, such as the tracker, report one). */
  state?: string;
  /** Vectors it makes fail. */
  vectors?: string[];
}

export interface OptionSet {
  mss: boolean;
  wscale: boolean;
  sackPermitted: boolean;
  timestamps: boolean;
}

type Kind =
  | { kind: 'string' }
  | { kind: 'ms'; max: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'options' }
  | { kind: 'deviations' }
  | { kind: 'findings' }
  | { kind: 'controls' };

type Field = Kind & { required: boolean; doc: string; default: string };

const DAY = 86_400_000;

/** Every profile field: its kind, whether a profile must have it, what it means, and RFC 9293's value. */
export const PROFILE_FIELDS = {
  name: { kind: 'string', required: true, doc: "the stack's name in reports", default: 'the stack name' },
  msl: {
    kind: 'ms',
    max: DAY,
    required: true,
    doc: 'Maximum Segment Lifetime; TIME-WAIT is 2×MSL (§3.4.2, MUST-13)',
    default: '120000',
  },
  rtoInitial: {
    kind: 'ms',
    max: DAY,
    required: true,
    doc: 'initial retransmission timeout (RFC 6298 §2.1)',
    default: '1000',
  },
  rtoMin: { kind: 'ms', max: DAY, required: true, doc: 'lower bound of the RTO (RFC 6298 §2.4)', default: '1000' },
  rtoMax: {
    kind: 'ms',
    max: DAY,
    required: true,
    doc: 'upper bound of the RTO, backoff ceiling (RFC 6298 §2.5)',
    default: '60000',
  },
  ackDelayMax: {
    kind: 'ms',
    max: 500,
    required: true,
    doc: 'longest delay of an ACK (§3.8.6.3, SHLD-18: < 500 ms)',
    default: '200',
  },
  rfc5961: {
    kind: 'bool',
    required: true,
    doc: 'RFC 5961 checks: challenge ACKs for in-window RST and SYN (§3.10.7.4)',
    default: 'true',
  },
  ackRangeCheck: {
    kind: 'bool',
    required: false,
    doc:
      'RFC 5961 §5 ACK range check (MAY-12): a segment whose ACK is older than SND.UNA minus the largest window ' +
      'the peer offered draws an ACK and is dropped; judged only when declared',
    default: 'false',
  },
  urgentEvents: {
    kind: 'bool',
    required: false,
    doc:
      'the adapter tells the application when urgent data arrives (an `urgent` event, MUST-32); the urgent-event ' +
      'property runs only when declared',
    default: 'false',
  },
  batchInput: {
    kind: 'bool',
    required: false,
    doc:
      'the stack takes packets that arrive together (deliverBatch; protocol `deliver-batch`) and processes them ' +
      'all before it acknowledges (MUST-58, MUST-59); the batched-acks property runs only when declared',
    default: 'false',
  },
  pushEvents: {
    kind: 'bool',
    required: false,
    doc:
      'the adapter says which data events end at, or take in, an octet that came with PSH (`push` on a data event, ' +
      "RECEIVE's PUSH flag, MAY-17); the push-received property runs only when declared",
    default: 'false',
  },
  synCookies: {
    kind: 'bool',
    required: true,
    doc: 'the listener may answer with SYN cookies (no TCB in SYN-RECEIVED)',
    default: 'false',
  },
  timeWaitSyn: {
    kind: 'enum',
    values: ['challenge-ack', 'legacy'],
    required: false,
    doc: 'a SYN in TIME-WAIT that does not reopen: challenge ACK (RFC 5961 §4) or RST/ACK as in RFC 793',
    default: 'challenge-ack when rfc5961, else legacy',
  },
  ackRateLimitMs: {
    kind: 'ms',
    max: DAY,
    required: false,
    doc: 'RFC 5961 §7 ACK throttling: within this many ms of its last ACK the stack may leave one out',
    default: 'none',
  },
  realTime: {
    kind: 'bool',
    required: false,
    doc: 'the stack runs on the wall clock (waits capped, TIME-WAIT measured once)',
    default: 'false',
  },
  options: {
    kind: 'options',
    required: true,
    doc: 'SYN options the stack implements (mss, wscale, sackPermitted, timestamps); shown in reports, never judged',
    default: 'all true',
  },
  deviations: {
    kind: 'deviations',
    required: true,
    doc: 'declared deviations: { requirement, reason, check? }',
    default: '[]',
  },
  controls: {
    kind: 'controls',
    required: false,
    doc:
      `application controls the stack offers (${CONTROL_NAMES.join(', ')}); properties that need another one are ` +
      'not run',
    default: '[]',
  },
  findings: {
    kind: 'findings',
    required: false,
    doc: 'known findings: { id, summary, check?, requirement?, crash?, state?, vectors? }',
    default: '[]',
  },
} as const satisfies Record<string, Field>;

type Fields = typeof PROFILE_FIELDS;
type TypeOf<F> = F extends { kind: 'string' }
  ? string
  : F extends { kind: 'ms' }
    ? number
    : F extends { kind: 'bool' }
      ? boolean
      : F extends { kind: 'enum'; values: readonly (infer V)[] }
        ? V
        : F extends { kind: 'options' }
          ? OptionSet
          : F extends { kind: 'deviations' }
            ? Deviation[]
            : F extends { kind: 'controls' }
              ? readonly ControlName[]
              : KnownFinding[];
type RequiredKeys = { [K in keyof Fields]: Fields[K]['required'] extends true ? K : never }[keyof Fields];
type OptionalKeys = Exclude<keyof Fields, RequiredKeys>;

/** Parameters a stack declares so the oracle binds its choices to them. Times in ms. */
export type StackProfile = { -readonly [K in RequiredKeys]: TypeOf<Fields[K]> } & {
  -readonly [K in OptionalKeys]?: TypeOf<Fields[K]>;
};

const OPTION_KEYS = ['mss', 'wscale', 'sackPermitted', 'timestamps'] as const;
const ID = /^(MUST|SHLD|MAY|REC)-\d+$/;
const KNOWN_IDS = new Set(REQUIREMENTS.map((r) => r.id));

const show = (x: unknown): string => (JSON.stringify(x) ?? String(x)).slice(0, 80);
const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);

function nearest(k: string, known: string[]): string {
  const hit = known.find(
    (x) => x.toLowerCase() === k.toLowerCase() || x.toLowerCase().startsWith(k.toLowerCase().slice(0, 4)),
  );
  return hit ? `; did you mean ${JSON.stringify(hit)}?` : '';
}

function checkRequirement(v: unknown, at: string): string {
  if (typeof v !== 'string' || !v.trim())
    throw new UsageError(`${at} must be a requirement id (e.g. "MUST-13") or a check name`);
  if (ID.test(v) && !KNOWN_IDS.has(v))
    throw new UsageError(`${at}: ${v} is not one of RFC 9293's numbered requirements`);
  return v;
}

function checkRegex(v: unknown, at: string): string {
  if (typeof v !== 'string') throw new UsageError(`${at} must be a regular expression string`);
  try {
    new RegExp(v);
  } catch (e) {
    throw new UsageError(`${at}: ${(e as Error).message}`);
  }
  return v;
}

function optionalStrings(x: Record<string, unknown>, at: string, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (x[k] === undefined) continue;
    if (k === 'crash') out[k] = checkRegex(x[k], `${at}.${k}`);
    else if (k === 'requirement') out[k] = checkRequirement(x[k], `${at}.${k}`);
    else if (typeof x[k] !== 'string') throw new UsageError(`${at}.${k} must be a string, got ${show(x[k])}`);
    else out[k] = x[k] as string;
  }
  return out;
}

function onlyKeys(x: Record<string, unknown>, at: string, keys: readonly string[]): void {
  for (const k of Object.keys(x)) {
    if (!keys.includes(k))
      throw new UsageError(
        `${at}: unknown field ${JSON.stringify(k)} (known: ${keys.join(', ')})${nearest(k, [...keys])}`,
      );
  }
}

/** Matching by message text is gone: a finding or deviation names its cause. */
function noMessageMatch(x: Record<string, unknown>, at: string): void {
  if (x.match !== undefined || x.property !== undefined)
    throw new UsageError(
      `${at}: "match" and "property" are no longer accepted: name the cause with "check" (a check id such as ` +
        `"syn-retransmission/backoff", as printed with each violation)`,
    );
}

function deviation(d: unknown, at: string): Deviation {
  if (!isObj(d)) throw new UsageError(`${at} must be an object { requirement, reason }`);
  noMessageMatch(d, at);
  onlyKeys(d, at, ['requirement', 'reason', 'check']);
  if (typeof d.reason !== 'string' || !d.reason.trim()) throw new UsageError(`${at}.reason must be a non-empty string`);
  const requirement = checkRequirement(d.requirement, `${at}.requirement`);
  return { requirement, reason: d.reason, ...optionalStrings(d, at, ['check']) };
}

function finding(f: unknown, at: string): KnownFinding {
  if (!isObj(f)) throw new UsageError(`${at} must be an object { id, summary, … }`);
  noMessageMatch(f, at);
  onlyKeys(f, at, ['id', 'summary', 'check', 'requirement', 'crash', 'state', 'vectors']);
  for (const k of ['id', 'summary'] as const) {
    if (typeof f[k] !== 'string' || !(f[k] as string).trim())
      throw new UsageError(`${at}.${k} must be a non-empty string`);
  }
  const rest = optionalStrings(f, at, ['check', 'requirement', 'crash', 'state']);
  if (rest.state !== undefined && !(STATES as readonly string[]).includes(rest.state))
    throw new UsageError(`${at}.state must be one of ${STATES.join(', ')}, got ${JSON.stringify(rest.state)}`);
  if (!rest.requirement && !rest.check && !f.vectors) {
    throw new UsageError(`${at} must say what it explains: check, requirement or vectors`);
  }
  if (rest.crash && rest.check !== 'stack-crashed')
    throw new UsageError(`${at}.crash needs check "stack-crashed" (it matches the stack's own crash message)`);
  if (f.vectors !== undefined && !(Array.isArray(f.vectors) && f.vectors.every((v) => typeof v === 'string'))) {
    throw new UsageError(`${at}.vectors must be an array of vector names`);
  }
  return {
    id: f.id as string,
    summary: f.summary as string,
    ...rest,
    ...(f.vectors ? { vectors: f.vectors as string[] } : {}),
  };
}

function value(k: string, f: Field, v: unknown, at: string): unknown {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string' || !v) throw new UsageError(`${at} must be a non-empty string, got ${show(v)}`);
      return v;
    case 'ms':
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > f.max) {
        throw new UsageError(`${at} must be a number of ms from 0 to ${f.max}, got ${show(v)}`);
      }
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new UsageError(`${at} must be true or false, got ${show(v)}`);
      return v;
    case 'enum':
      if (!f.values.includes(v as string))
        throw new UsageError(`${at} must be one of ${f.values.join(', ')}, got ${show(v)}`);
      return v;
    case 'options': {
      if (!isObj(v)) throw new UsageError(`${at} must be an object of ${OPTION_KEYS.join(', ')} with boolean values`);
      onlyKeys(v, at, OPTION_KEYS);
      for (const o of Object.keys(v))
        if (typeof v[o] !== 'boolean') throw new UsageError(`${at}.${o} must be true or false`);
      return v;
    }
    case 'deviations':
      if (!Array.isArray(v)) throw new UsageError(`${at} must be an array of { requirement, reason }`);
      return v.map((d, i) => deviation(d, `${at}[${i}]`));
    case 'controls':
      if (!Array.isArray(v) || !v.every((x) => (CONTROL_NAMES as readonly unknown[]).includes(x)))
        throw new UsageError(`${at} must be an array of control names (${CONTROL_NAMES.join(', ')}), got ${show(v)}`);
      return [...new Set(v)];
    case 'findings':
      if (!Array.isArray(v)) throw new UsageError(`${at} must be an array of { id, summary, … }`);
      return v.map((x, i) => finding(x, `${at}[${i}]`));
  }
  throw new UsageError(`${at}: unknown field kind for ${k}`);
}

/** Consistency between fields: the RTO bounds must enclose the initial RTO. */
function consistent(p: StackProfile, where: string): StackProfile {
  if (!(p.rtoMin <= p.rtoInitial && p.rtoInitial <= p.rtoMax)) {
    throw new UsageError(
      `${where}: rtoMin ≤ rtoInitial ≤ rtoMax must hold, got rtoMin ${p.rtoMin}, rtoInitial ${p.rtoInitial}, rtoMax ` +
        `${p.rtoMax}`,
    );
  }
  if (p.msl <= 0) throw new UsageError(`${where}.msl must be above 0 (TIME-WAIT is 2×MSL)`);
  return p;
}

/**
 * Read a profile from JSON (a config file, a driver): every field is checked, unknown ones are refused,
 * fields left out come from base (RFC 9293's defaults).
 */
export function parseProfile(raw: unknown, where: string, base: StackProfile): StackProfile {
  if (raw === undefined) return base;
  if (!isObj(raw)) throw new UsageError(`${where} must be an object, got ${show(raw)}`);
  const keys = Object.keys(PROFILE_FIELDS);
  onlyKeys(raw, where, keys);
  const out: Record<string, unknown> = { ...base, options: { ...base.options } };
  for (const [k, f] of Object.entries(PROFILE_FIELDS) as Array<[string, Field]>) {
    if (raw[k] === undefined) continue;
    const v = value(k, f, raw[k], `${where}.${k}`);
    out[k] = k === 'options' ? { ...base.options, ...(v as object) } : v;
  }
  return consistent(out as StackProfile, where);
}

/** Check a profile handed over in code (a TypeScript adapter): every required field present and valid. */
export function validateProfile(p: unknown, where: string): StackProfile {
  if (!isObj(p)) throw new UsageError(`${where} must be an object, got ${show(p)}`);
  for (const [k, f] of Object.entries(PROFILE_FIELDS) as Array<[string, Field]>) {
    if (p[k] === undefined) {
      if (f.required) throw new UsageError(`${where}.${k} is missing (${f.doc})`);
      continue;
    }
    value(k, f, p[k], `${where}.${k}`);
  }
  for (const k of OPTION_KEYS) {
    if (typeof (p.options as Record<string, unknown>)[k] !== 'boolean')
      throw new UsageError(`${where}.options.${k} must be true or false`);
  }
  return consistent(p as StackProfile, where);
}

/** The profile table of docs/adapter-protocol.md, generated from the descriptor. */
export function profileTableMarkdown(): string {
  const kind = (f: Field): string =>
    f.kind === 'ms' ? `ms (0–${f.max})` : f.kind === 'enum' ? f.values.map((v) => `\`${v}\``).join(' \\| ') : f.kind;
  const rows = (Object.entries(PROFILE_FIELDS) as Array<[string, Field]>).map(
    ([k, f]) => `| \`${k}\` | ${kind(f)} | ${f.required ? 'yes' : 'no'} | ${f.default} | ${f.doc} |`,
  );
  return ['| field | type | always set | RFC 9293 default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** One line for a report header. */
const OPTION_NAMES = ['mss', 'wscale', 'sackPermitted', 'timestamps'] as const;

export function profileLine(p: StackProfile): string {
  const parts = [
    `MSL ${p.msl / 1000} s`,
    `RTO ${p.rtoInitial} ms initial, ${p.rtoMin}–${p.rtoMax} ms`,
    `ACK delay ≤ ${p.ackDelayMax} ms`,
    `RFC 5961 ${p.rfc5961 ? 'yes' : 'no'}`,
    `SYN cookies ${p.synCookies ? 'yes' : 'no'}`,
    ...(p.timeWaitSyn ? [`SYN in TIME-WAIT: ${p.timeWaitSyn}`] : []),
    ...(p.ackRateLimitMs !== undefined ? [`ACK rate limit ${p.ackRateLimitMs} ms`] : []),
    ...(p.realTime ? ['real time'] : []),
    `SYN options ${OPTION_NAMES.filter((k) => p.options[k]).join(', ') || 'none'}`,
  ];
  return parts.join(' · ');
}
