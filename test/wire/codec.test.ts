import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, decodeTcp, encode, encodeTcp, optionPadding, tcpChecksum } from '../../src/wire/codec.js';
import {
  ACK,
  SYN,
  type Segment,
  describe as describeSeg,
  flagString,
  parseFlags,
  segLen,
} from '../../src/wire/segment.js';
import { segmentArb } from '../../src/gen/segment.js';

const base: Segment = {
  src: '10.0.0.2',
  dst: '10.0.0.1',
  srcPort: 40000,
  dstPort: 80,
  seq: 100,
  ack: 0,
  flags: SYN,
  window: 65535,
  urgent: 0,
  options: [{ kind: 'mss', value: 1460 }],
  payload: new Uint8Array(0),
  ipId: 0,
  ttl: 64,
  tos: 0,
};

function corrupt(b: Uint8Array, f: (x: Uint8Array) => void): Uint8Array {
  const c = b.slice();
  f(c);
  return c;
}

/** Recompute the TCP checksum after editing header bytes. */
function fixTcpChecksum(b: Uint8Array): Uint8Array {
  const tcp = b.subarray(20);
  tcp[16] = 0;
  tcp[17] = 0;
  const ck = tcpChecksum('10.0.0.2', '10.0.0.1', tcp);
  tcp[16] = ck >> 8;
  tcp[17] = ck & 0xff;
  return b;
}

describe('codec round trip', () => {
  it('decode(encode(s)) = s for any segment (MUST-2 checksums verify)', () => {
    fc.assert(
      fc.property(segmentArb, (s) => {
        const r = decode(encode(s));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.segment).toEqual(s);
      }),
      { numRuns: 500 },
    );
  });
  it('encode(decode(b)) = b for encoder output', () => {
    fc.assert(
      fc.property(segmentArb, (s) => {
        const b = encode(s);
        const r = decode(b);
        if (!r.ok) throw new Error(r.error.detail);
        expect(Buffer.from(encode(r.segment)).equals(Buffer.from(b))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
  it('options at any alignment parse (MUST-64) and pad with zeros (MUST-69)', () => {
    const s: Segment = { ...base, options: [{ kind: 'nop' }, { kind: 'wscale', shift: 7 }, { kind: 'sackPermitted' }] };
    const b = encode(s);
    expect(b[20 + 12]! >> 4).toBe(7); // 20 + 6 option octets padded to 8
    expect([...b.subarray(40 + 6, 40 + 8)]).toEqual([0, 0]);
    const r = decode(b);
    expect(r.ok && r.segment.options).toEqual(s.options);
  });
  it('an explicit EOL ends the option list', () => {
    const b = encode({ ...base, options: [{ kind: 'mss', value: 1000 }, { kind: 'eol' }, { kind: 'nop' }] });
    const r = decode(b);
    expect(r.ok && r.segment.options).toEqual([{ kind: 'mss', value: 1000 }]);
  });
  it('window is unsigned (MUST-1)', () => {
    const r = decode(encode({ ...base, window: 0xffff }));
    expect(r.ok && r.segment.window).toBe(65535);
  });
});

describe('malformed input gives a typed error, never a throw', () => {
  const good = encode({ ...base, payload: Uint8Array.of(1, 2, 3) });
  const cases: Array<[string, Uint8Array, string]> = [
    ['empty', new Uint8Array(0), 'truncated'],
    [
      'IPv6 version nibble',
      corrupt(good, (b) => {
        b[0] = 0x65;
      }),
      'not-ipv4',
    ],
    ['short IPv4 header', good.subarray(0, 12), 'truncated'],
    [
      'IHL below 5',
      corrupt(good, (b) => {
        b[0] = 0x44;
      }),
      'bad-ip-header-length',
    ],
    [
      'IHL past the end',
      corrupt(good.subarray(0, 22), (b) => {
        b[0] = 0x46;
      }),
      'truncated',
    ],
    [
      'total length beyond the buffer',
      corrupt(good, (b) => {
        b[2] = 0xff;
      }),
      'bad-total-length',
    ],
    [
      'IP header checksum',
      corrupt(good, (b) => {
        b[8] = 1;
      }),
      'bad-ip-checksum',
    ],
    [
      'not TCP',
      corrupt(good, (b) => {
        b[9] = 17;
        b[10] = 0;
        b[11] = 0;
        const ck = ipck(b);
        b[10] = ck >> 8;
        b[11] = ck & 0xff;
      }),
      'not-tcp',
    ],
    [
      'fragment',
      corrupt(good, (b) => {
        b[6] = 0x20;
        b[10] = 0;
        b[11] = 0;
        const ck = ipck(b);
        b[10] = ck >> 8;
        b[11] = ck & 0xff;
      }),
      'fragment',
    ],
    ['bad TCP checksum', encode({ ...base, badChecksum: true }), 'bad-tcp-checksum'],
    [
      'data offset below 5',
      fixTcpChecksum(
        corrupt(good, (b) => {
          b[32] = 0x40;
        }),
      ),
      'bad-data-offset',
    ],
    [
      'data offset past the end',
      fixTcpChecksum(
        corrupt(good, (b) => {
          b[32] = 0xf0;
        }),
      ),
      'bad-data-offset',
    ],
    [
      'option length 0',
      fixTcpChecksum(
        corrupt(encode({ ...base, options: [{ kind: 'raw', bytes: Uint8Array.of(99, 0, 0, 0) }] }), () => undefined),
      ),
      'bad-option-length',
    ],
    [
      'option length past the header',
      encode({ ...base, options: [{ kind: 'raw', bytes: Uint8Array.of(1, 1, 99, 9) }] }),
      'bad-option-length',
    ],
    [
      'option without length octet',
      encode({ ...base, options: [{ kind: 'raw', bytes: Uint8Array.of(1, 1, 1, 99) }] }),
      'bad-option-length',
    ],
    [
      'MSS with length 3',
      encode({ ...base, options: [{ kind: 'raw', bytes: Uint8Array.of(2, 3, 5, 1) }] }),
      'bad-option-length',
    ],
    [
      'short TCP header',
      corrupt(good.subarray(0, 30), (b) => {
        b[2] = 0;
        b[3] = 30;
        b[10] = 0;
        b[11] = 0;
        const ck = ipck(b);
        b[10] = ck >> 8;
        b[11] = ck & 0xff;
      }),
      'truncated',
    ],
  ];
  it.each(cases)('%s', (_name, bytes, kind) => {
    const r = decode(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe(kind);
      expect(r.error.detail.length).toBeGreaterThan(5);
    }
  });
  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        const r = decode(b);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
  it('random corruption of a valid packet never throws', () => {
    fc.assert(
      fc.property(
        segmentArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (s, edits) => {
          const b = encode(s);
          for (const [i, v] of edits) b[i % b.length] = v;
          decode(b);
          decode(b, { verifyChecksum: false });
        },
      ),
      { numRuns: 1000 },
    );
  });
  it('decodeTcp alone checks the pseudo-header checksum', () => {
    const tcp = encodeTcp(base);
    expect(decodeTcp(tcp, '10.0.0.2', '10.0.0.1').ok).toBe(true);
    expect(decodeTcp(tcp, '10.0.0.3', '10.0.0.1').ok).toBe(false);
    expect(decodeTcp(tcp, '10.0.0.3', '10.0.0.1', { verifyChecksum: false }).ok).toBe(true);
  });
  it('rejects option lists that do not fit and bad addresses when encoding', () => {
    expect(() =>
      encode({ ...base, options: Array.from({ length: 11 }, () => ({ kind: 'mss' as const, value: 1 })) }),
    ).toThrow(/options too long/);
    expect(() => encode({ ...base, src: '10.0.0' })).toThrow(/not an IPv4 address/);
  });
});

function ipck(b: Uint8Array): number {
  let acc = 0;
  for (let i = 0; i < 20; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

describe('segment helpers', () => {
  it('SEG.LEN counts SYN and FIN (§3.4)', () => {
    expect(segLen({ flags: SYN | 1, payload: new Uint8Array(10) })).toBe(12);
    expect(segLen({ flags: ACK, payload: new Uint8Array(0) })).toBe(0);
  });
  it('flag letters round-trip', () => {
    for (let f = 0; f < 256; f++) expect(parseFlags(flagString(f))).toBe(f);
    expect(parseFlags('SX')).toBeUndefined();
  });
  it('describes a segment in one line', () => {
    const d = describeSeg({
      ...base,
      flags: SYN | ACK,
      ack: 5,
      options: [
        { kind: 'mss', value: 1460 },
        { kind: 'timestamps', tsval: 1, tsecr: 2 },
        { kind: 'sack', blocks: [[1, 2]] },
        { kind: 'wscale', shift: 2 },
        { kind: 'sackPermitted' },
        { kind: 'unknown', type: 99, data: new Uint8Array(2) },
      ],
      badChecksum: true,
    });
    expect(d).toContain('[SA]');
    expect(d).toContain('mss 1460');
    expect(d).toContain('bad checksum');
  });
});

describe('optionPadding: what follows an EOL (MUST-69)', () => {
  it('none after a plain MSS, zeros after MSS + EOL, the octets that are not zero named', () => {
    expect(optionPadding(encode(base))).toBeUndefined();
    expect(optionPadding(encode({ ...base, options: [{ kind: 'nop' }, { kind: 'mss', value: 1460 }] }))).toEqual({
      octets: 2,
      nonzero: [],
    });
    const dirty = { kind: 'raw' as const, bytes: Uint8Array.of(0, 0xaa, 0, 0xbb) };
    expect(optionPadding(encode({ ...base, options: [{ kind: 'mss', value: 1460 }, dirty] }))).toEqual({
      octets: 3,
      nonzero: [5, 7],
    });
  });
});
