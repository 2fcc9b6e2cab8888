// Small composable arbitraries for scenarios.
import fc from 'fast-check';
import { ACK, FIN, PSH, RST, SYN, type TcpOption } from '../wire/segment.js';
import type { Action, Hostile, Scenario } from './scenario.js';

/** ISNs biased to the 2^32 wrap so sequence numbers cross it. */
export const isnArb = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  { weight: 2, arbitrary: fc.integer({ min: 0xffffffff - 3000, max: 0xffffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x7fffffff - 3000, max: 0x7fffffff + 10 }) },
);
const windowArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(65535) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 100, 536, 1460) },
);
/** The MSS option first in most SYNs; after NOPs at an odd offset, or before an EOL, in some (MUST-4). */
const layoutArb = fc.constantFrom<'plain' | 'odd' | 'eol'>('plain', 'plain', 'odd', 'eol');
export const mssArb = fc.oneof(
  fc.constant<number | undefined>(undefined),
  fc.integer({ min: 64, max: 1460 }),
  fc.constant(1460),
);

/** Offsets biased to the edges: exact, off by one, window edges, 2^31, anywhere. */
export const edgeDelta = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 1, -1, 2, -2) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(65535, 65536, -65535, -65536, 131070, 131071, 2 ** 31, -(2 ** 31), 2 ** 31 - 1),
  },
  { weight: 2, arbitrary: fc.integer({ min: -70000, max: 70000 }) },
  // beyond the range a larger receive buffer may cover (shadow.winHi): surely outside the window
  { weight: 1, arbitrary: fc.integer({ min: 131071, max: 300000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
);
export const flagsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(SYN, ACK, RST, FIN | ACK, SYN | ACK, PSH | ACK, RST | ACK) },
  { weight: 1, arbitrary: fc.constantFrom(SYN | FIN, SYN | RST, SYN | FIN | RST, FIN, 0) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 63 }) },
);
export const lenArb = fc.oneof(
  fc.constant(0),
  fc.constantFrom(1, 535, 536, 537, 1459, 1460, 1461),
  fc.integer({ min: 0, max: 2000 }),
);

const hostileWindowArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(65535) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 2) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 65535 }) },
);
const hostileOptionsArb: fc.Arbitrary<TcpOption[]> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<TcpOption[]>([]) },
  { weight: 1, arbitrary: fc.constant<null>(null).chain(() => optionsArb) },
);

export function hostileArb(
  to: Hostile['to'],
  over: Partial<Record<keyof Hostile, fc.Arbitrary<unknown>>> = {},
): fc.Arbitrary<Hostile> {
  return fc.record({
    flags: (over.flags as fc.Arbitrary<number>) ?? flagsArb,
    seq:
      (over.seq as fc.Arbitrary<Hostile['seq']>) ??
      fc.record({
        ref: fc.constantFrom<'rcvNxt' | 'peerIss' | 'abs'>('rcvNxt', 'rcvNxt', 'peerIss', 'abs'),
        d: edgeDelta,
      }),
    ack:
      (over.ack as fc.Arbitrary<Hostile['ack']>) ??
      fc.record({
        ref: fc.constantFrom<'sndNxt' | 'sndUna' | 'iss' | 'abs'>('sndNxt', 'sndNxt', 'sndUna', 'iss', 'abs'),
        d: edgeDelta,
      }),
    len: (over.len as fc.Arbitrary<number>) ?? lenArb,
    to: fc.constant(to),
    n: (over.n as fc.Arbitrary<number>) ?? fc.integer({ min: 0, max: 200 }),
    // a window that closes or shrinks the stack's send window (zero-window and SWS situations)
    window: (over.window as fc.Arbitrary<number>) ?? hostileWindowArb,
    // options on any segment, SYN or not (MUST-5)
    options: (over.options as fc.Arbitrary<TcpOption[]>) ?? hostileOptionsArb,
  });
}

const optLen = (o: TcpOption): number =>
  o.kind === 'nop'
    ? 1
    : o.kind === 'sackPermitted'
      ? 2
      : o.kind === 'timestamps'
        ? 10
        : o.kind === 'unknown'
          ? 2 + o.data.length
          : 4;

/** Unknown and harmless options that fit, with one NOP added by the caller, in the 40-octet option space. */
export const optionsArb: fc.Arbitrary<TcpOption[]> = fc
  .array(
    fc.oneof(
      fc.constant<TcpOption>({ kind: 'nop' }),
      fc
        .integer({ min: 9, max: 255 })
        .chain((type) => fc.uint8Array({ maxLength: 6 }).map((data): TcpOption => ({ kind: 'unknown', type, data }))),
      fc.constant<TcpOption>({ kind: 'sackPermitted' }),
      fc.tuple(fc.nat(), fc.nat()).map(([tsval, tsecr]): TcpOption => ({ kind: 'timestamps', tsval, tsecr })),
    ),
    { maxLength: 4 },
  )
  .map((opts) => {
    const out: TcpOption[] = [];
    let len = 0;
    for (const o of opts) {
      if (len + optLen(o) > 39) continue;
      out.push(o);
      len += optLen(o);
    }
    return out;
  });

type Opening = 'stack-passive' | 'stack-active';
export const openingArb = fc.constantFrom<Opening>('stack-passive', 'stack-active');

export function establish(kind: Opening): Action[] {
  return kind === 'stack-passive'
    ? [{ a: 'stackListen' }, { a: 'peerConnect' }, { a: 'settle', ms: 5000 }]
    : [{ a: 'peerListen' }, { a: 'stackConnect' }, { a: 'settle', ms: 5000 }];
}

export const netArb: fc.Arbitrary<Action> = fc.record({
  a: fc.constant('net' as const),
  dir: fc.constantFrom<'toStack' | 'toPeer'>('toStack', 'toPeer'),
  op: fc.constantFrom<'deliver' | 'drop' | 'dup'>('deliver', 'deliver', 'drop', 'dup'),
  i: fc.nat({ max: 7 }),
});

export const writeSize = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(535, 536, 537, 1460, 1461, 3000));

/** Any scenario: peer parameters and a list of actions. */
export function scenarioArb(
  actions: fc.Arbitrary<Action[]>,
  peer: {
    window?: fc.Arbitrary<number>;
    mss?: fc.Arbitrary<number | undefined>;
    /** The peer's Window Scale offer (RFC 7323); left out, it offers none. */
    wscale?: fc.Arbitrary<number | undefined>;
  } = {},
): fc.Arbitrary<Scenario> {
  const base = fc.record({
    peerIsn: isnArb,
    peerWindow: peer.window ?? windowArb,
    peerMss: peer.mss ?? mssArb,
    peerSynLayout: layoutArb,
    actions,
  });
  const ws = peer.wscale;
  if (!ws) return base;
  return fc.tuple(base, ws).map(([sc, w]): Scenario => (w === undefined ? sc : { ...sc, peerWscale: w }));
}
