// ICMPv4 errors: the datagram the suite sends, read back; classes of §3.9.2.2.
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/wire/codec.js';
import { decodeIcmpError, encodeIcmpError, icmpClass, icmpPacket } from '../../src/wire/icmp.js';
import type { Segment } from '../../src/wire/segment.js';

const seg: Segment = {
  src: '10.0.0.1',
  dst: '10.0.0.2',
  srcPort: 80,
  dstPort: 40000,
  seq: 0xfffffff0,
  ack: 7,
  flags: 0x12,
  window: 1000,
  urgent: 0,
  options: [{ kind: 'mss', value: 1460 }],
  payload: new Uint8Array(3),
};

/** The ones-complement sum of 16-bit words, 0xffff when a checksum in the range verifies. */
function sum(b: Uint8Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('ICMP errors', () => {
  it('quote the IP header and the first 8 TCP octets, with both checksums right, and read back', () => {
    const b = encodeIcmpError('10.0.0.2', 3, 3, seg);
    expect(b.length).toBe(20 + 8 + 20 + 8);
    expect([b[9], b[20], b[21]]).toEqual([1, 3, 3]);
    expect(sum(b, 0, 20)).toBe(0xffff);
    expect(sum(b, 20, b.length)).toBe(0xffff);
    expect(decodeIcmpError(b)).toEqual({
      src: '10.0.0.2',
      dst: '10.0.0.1',
      type: 3,
      code: 3,
      quoted: { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 80, dstPort: 40000, seq: 0xfffffff0 },
    });
    // rebuilt from its fields alone, the datagram quotes the same header fields
    expect(decodeIcmpError(icmpPacket(decodeIcmpError(b)!))).toEqual(decodeIcmpError(b));
    // the TCP decoder says what it is not
    const r = decode(b);
    expect(r.ok ? 'ok' : r.error.kind).toBe('not-tcp');
  });

  it('refuse what is not an error about a TCP segment: bad checksum, echo, truncated, not ICMP', () => {
    const b = encodeIcmpError('10.0.0.2', 11, 0, seg);
    const bad = b.slice();
    bad[30]! ^= 1;
    expect(decodeIcmpError(bad)).toBeUndefined();
    const echo = encodeIcmpError('10.0.0.2', 8, 0, seg);
    expect(decodeIcmpError(echo)).toBeUndefined();
    expect(decodeIcmpError(b.subarray(0, 40))).toBeUndefined();
    const tcp = b.slice();
    tcp[9] = 6;
    expect(decodeIcmpError(tcp)).toBeUndefined();
  });

  it('classes as §3.9.2.2 gives them', () => {
    expect([0, 1, 5].map((c) => icmpClass(3, c))).toEqual(['soft', 'soft', 'soft']);
    expect([2, 3, 4].map((c) => icmpClass(3, c))).toEqual(['hard', 'hard', 'hard']);
    expect([icmpClass(11, 0), icmpClass(11, 1), icmpClass(12, 0), icmpClass(4, 0)]).toEqual([
      'soft',
      'soft',
      'soft',
      'quench',
    ]);
    expect([icmpClass(3, 6), icmpClass(0, 0), icmpClass(8, 0), icmpClass(11, 2)]).toEqual([
      'other',
      'other',
      'other',
      'other',
    ]);
  });
});
