// fast-check arbitraries for wire-level values: addresses, options, whole segments.
import fc from 'fast-check';
import type { Segment, TcpOption } from '../wire/segment.js';

export const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

/** Sequence numbers biased to the 2^32 wrap and the 2^31 boundary. */
const seqArb = fc.oneof(
  { weight: 3, arbitrary: u32 },
  { weight: 1, arbitrary: fc.integer({ min: 0xffffffff - 64, max: 0xffffffff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x7fffffff - 32, max: 0x80000000 + 32 }) },
);

const addrArb = fc.tuple(u8(), u8(), u8(), u8()).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`);
function u8(): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 255 });
}

/** Options that decode back to themselves (EOL ends the list and padding is implicit). */
const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  u16.map((value): TcpOption => ({ kind: 'mss', value })),
  fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackPermitted' }),
  fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 3 }).map((blocks): TcpOption => ({ kind: 'sack', blocks })),
  fc.tuple(u32, u32).map(([tsval, tsecr]): TcpOption => ({ kind: 'timestamps', tsval, tsecr })),
  fc
    .tuple(fc.integer({ min: 9, max: 255 }), fc.uint8Array({ maxLength: 6 }))
    .map(([type, data]): TcpOption => ({ kind: 'unknown', type, data })),
);

const optLen = (o: TcpOption): number =>
  o.kind === 'nop'
    ? 1
    : o.kind === 'mss'
      ? 4
      : o.kind === 'wscale'
        ? 3
        : o.kind === 'sackPermitted'
          ? 2
          : o.kind === 'sack'
            ? 2 + 8 * o.blocks.length
            : o.kind === 'timestamps'
              ? 10
              : o.kind === 'unknown'
                ? 2 + o.data.length
                : 0;

/** Option lists that fit in the 40-octet option space. */
export const optionsArb = fc.array(optionArb, { maxLength: 8 }).map((opts) => {
  const out: TcpOption[] = [];
  let len = 0;
  for (const o of opts) {
    if (len + optLen(o) > 40) break;
    out.push(o);
    len += optLen(o);
  }
  return out;
});

export const segmentArb: fc.Arbitrary<Segment> = fc.record({
  src: addrArb,
  dst: addrArb,
  srcPort: u16,
  dstPort: u16,
  seq: seqArb,
  ack: seqArb,
  flags: fc.integer({ min: 0, max: 255 }),
  window: u16,
  urgent: u16,
  options: optionsArb,
  payload: fc.uint8Array({ maxLength: 64 }),
  ipId: u16,
  ttl: fc.integer({ min: 1, max: 255 }),
  tos: fc.integer({ min: 0, max: 255 }),
});
