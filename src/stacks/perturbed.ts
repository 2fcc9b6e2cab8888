// reference-perturbed: the reference stack with every choice RFC 9293 leaves open drawn at random
// inside the RFC's bounds. The suite must find nothing wrong with it — the standing proof that the
// oracle binds what the stack chose instead of predicting our own implementation.
import { tupleHash } from '../model/config.js';
import type { ModelConfig } from '../model/types.js';
import type { StackAdapter, StackProfile } from './adapter.js';
import { REFERENCE_CONTROLS, referenceInstance } from './reference/adapter.js';
import { UsageError } from './usage.js';
import { ReferenceHost } from './reference/host.js';

export interface Perturbation {
  isnKey: number;
  rcvBuf: number;
  mss: number;
  sendMssCap: number;
  offerMss: boolean;
  delayedAck: boolean;
  ackDelay: number;
  rtoInitial: number;
  rfc5961: boolean;
  /** §3.7.4: classic Nagle or Minshall's variant (absent in perturbations stored before it was drawn: classic). */
  nagle?: 'classic' | 'minshall';
  /** §3.8.6.2.1: the sender SWS override timeout, 0.1 to 1 s (absent in older recorded perturbations: 200 ms). */
  swsOverride?: number;
  /** Where the MSS option sits in the SYN (MUST-4): alone, after a NOP (zero padding follows), or ended by EOL. */
  synLayout?: 'plain' | 'odd' | 'eol';
  /** RFC 7323: the Window Scale shift offered (-1: none), and a receive buffer past 65535 used with it. */
  wscale?: number;
  bigBuf?: number;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function drawPerturbation(seed: number): Perturbation {
  const r = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const p = draw();
  // SHLD-5: a SYN goes without the MSS option only when the receive MSS is the default 536.
  return p.offerMss ? p : { ...p, mss: 536 };
  function draw(): Perturbation {
    return {
      isnKey: int(0, 0xffffffff),
      rcvBuf: r() < 0.5 ? pick([1, 2, 100, 536, 1460, 4096, 65535]) : int(1, 65535),
      mss: int(64, 1460),
      sendMssCap: int(64, 1460),
      offerMss: r() < 0.8,
      delayedAck: r() < 0.7,
      ackDelay: int(1, 499),
      rtoInitial: int(1000, 3000),
      rfc5961: true,
      nagle: r() < 0.5 ? 'classic' : 'minshall',
      swsOverride: int(100, 1000),
      synLayout: pick(['plain', 'odd', 'eol'] as const),
      wscale: r() < 0.5 ? -1 : int(0, 14),
      bigBuf: int(65_536, 1 << 22),
    };
  }
}

function perturbedModel(p: Perturbation): Partial<ModelConfig> {
  return {
    isn: ({ now, local, remote }) => (tupleHash(local, remote, p.isnKey) + now * 250) >>> 0,
    rcvBuf: p.rcvBuf,
    mss: p.mss,
    sendMssCap: p.sendMssCap,
    offerMss: p.offerMss,
    delayedAck: p.delayedAck,
    ackDelay: p.ackDelay,
    rtoInitial: p.rtoInitial,
    rfc5961: p.rfc5961,
    nagle: p.nagle ?? 'classic',
    swsOverride: p.swsOverride ?? 200,
    synLayout: p.synLayout ?? 'plain',
    ecn: true, // RFC 3168 (SHLD-8); asking on its SYN, agreeing on its SYN,ACK
    // RFC 7323: a shift offered, or none (-1); with one, half the time a buffer past 65535.
    ...(p.wscale !== undefined && p.wscale >= 0
      ? { wscale: p.wscale, rcvBuf: p.bigBuf && p.isnKey % 2 ? Math.min(p.bigBuf, 65535 * 2 ** p.wscale) : p.rcvBuf }
      : {}),
  };
}

const PERTURBED_PROFILE: StackProfile = {
  name: 'reference-perturbed',
  msl: 120_000,
  rtoInitial: 3000, // upper bound of the initial RTOs drawn
  rtoMin: 1000,
  rtoMax: 60_000,
  ackDelayMax: 499,
  rfc5961: true,
  ackRangeCheck: true,
  urgentEvents: true,
  pushEvents: true,
  batchInput: true,
  synCookies: false,
  options: { mss: true, wscale: true, sackPermitted: false, timestamps: false },
  controls: REFERENCE_CONTROLS,
  deviations: [
    {
      requirement: 'SHLD-5',
      check: 'mss-on-syn',
      reason: 'one perturbation in five has a receive MSS of 536 and leaves the MSS option out, as §3.7.1 allows',
    },
  ],
};

export interface PerturbedAdapter extends StackAdapter {
  /** The perturbation the next instance will use. */
  current(): Perturbation;
}

/** With `fixed`, every instance uses that perturbation (replays); otherwise it is drawn per scenario key. */
export function perturbedAdapter(baseSeed = 1, fixed?: Perturbation): PerturbedAdapter {
  let current = fixed ?? drawPerturbation(baseSeed);
  return {
    name: 'reference-perturbed',
    profile: PERTURBED_PROFILE,
    reseed(key: string) {
      if (!fixed)
        current = drawPerturbation(tupleHash({ addr: key, port: 0 }, { addr: '', port: baseSeed & 0xffff }, baseSeed));
    },
    current: () => current,
    create: ({ addr }) => referenceInstance(new ReferenceHost({ addr, model: perturbedModel(current) })),
  };
}

type Range = [number, number] | 'bool' | readonly string[];

const PERTURBATION_RANGES: Record<keyof Perturbation, Range> = {
  isnKey: [0, 0xffffffff],
  rcvBuf: [1, 65535],
  mss: [1, 65535],
  sendMssCap: [1, 65535],
  offerMss: 'bool',
  delayedAck: 'bool',
  ackDelay: [1, 499],
  rtoInitial: [1000, 3000],
  rfc5961: 'bool',
  nagle: ['classic', 'minshall'],
  swsOverride: [100, 1000],
  synLayout: ['plain', 'odd', 'eol'],
  wscale: [-1, 14],
  bigBuf: [65_536, 1 << 22],
};

/** Fields a counterexample recorded before they were drawn may lack. */
const OPTIONAL: ReadonlySet<string> = new Set(['nagle', 'swsOverride', 'synLayout', 'wscale', 'bigBuf']);

function inRange(v: unknown, range: Range): boolean {
  if (range === 'bool') return typeof v === 'boolean';
  if (typeof range[0] === 'string') return (range as readonly string[]).includes(v as string);
  const [lo, hi] = range as [number, number];
  return Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
}

function rangeText(range: Range): string {
  if (range === 'bool') return 'true or false';
  if (typeof range[0] === 'string') return `one of ${range.join(', ')}`;
  return `an integer from ${range[0]} to ${range[1]}`;
}

/** A perturbation recorded in a counterexample (origin.stackDetail), checked field by field. */
export function parsePerturbation(raw: unknown, where: string): Perturbation {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!(k in PERTURBATION_RANGES)) throw new UsageError(`${where}.${k}: not a perturbation field`);
  }
  for (const [k, range] of Object.entries(PERTURBATION_RANGES)) {
    const v = r[k];
    if (v === undefined && OPTIONAL.has(k)) continue;
    if (!inRange(v, range))
      throw new UsageError(`${where}.${k} must be ${rangeText(range)}, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  return r as unknown as Perturbation;
}
