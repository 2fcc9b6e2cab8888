import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/wire/codec.js';
import { LSRR, SSRR, finalHop, returnRoute, routeOption, sourceRouteOf } from '../../src/wire/route.js';
import { SYN, type Segment } from '../../src/wire/segment.js';

const seg: Segment = {
  src: '10.0.0.1',
  dst: '10.0.0.2',
  srcPort: 80,
  dstPort: 40000,
  seq: 1,
  ack: 0,
  flags: SYN,
  window: 1000,
  urgent: 0,
  options: [],
  payload: new Uint8Array(0),
};

describe('IPv4 source routes (RFC 791, RFC 1122 §3.3.5)', () => {
  it('reads the option among others, and tells a completed route from one on its way', () => {
    const done = routeOption(LSRR, ['10.0.0.7', '10.0.0.8'], 3);
    expect(sourceRouteOf(Uint8Array.from([1, 1, ...done]))).toEqual({
      type: LSRR,
      hops: ['10.0.0.7', '10.0.0.8'],
      completed: true,
    });
    const going = routeOption(SSRR, ['10.0.0.7', '10.0.0.8']);
    expect(sourceRouteOf(going)).toMatchObject({ type: SSRR, completed: false });
    expect(finalHop(sourceRouteOf(going))).toBe('10.0.0.8');
    expect(sourceRouteOf(Uint8Array.from([0, ...done]))).toBeUndefined(); // after the end of the option list
    expect(sourceRouteOf(Uint8Array.from([30, 9]))).toBeUndefined(); // a length that runs past the options
  });
  it('the return route: the last recorded hop first, the others reversed, the source last', () => {
    const r = sourceRouteOf(routeOption(LSRR, ['10.0.0.7', '10.0.0.8', '10.0.0.9'], 4))!;
    const back = returnRoute(r, '10.0.0.2')!;
    expect(back.firstHop).toBe('10.0.0.9');
    expect(sourceRouteOf(back.option)).toEqual({
      type: LSRR,
      hops: ['10.0.0.8', '10.0.0.7', '10.0.0.2'],
      completed: false,
    });
    expect(returnRoute({ ...r, completed: false }, '10.0.0.2')).toBeUndefined();
  });
  it('a datagram on its way decodes with its final destination, and its TCP checksum is over that address', () => {
    const option = routeOption(LSRR, ['10.0.0.8', '10.0.0.2']);
    const bytes = encode({ ...seg, ipOptions: option, ipDst: '10.0.0.9' });
    expect([...bytes.subarray(16, 20)]).toEqual([10, 0, 0, 9]); // the header names the next hop
    const r = decode(bytes);
    expect(r.ok && { dst: r.segment.dst, ipDst: r.segment.ipDst }).toEqual({ dst: '10.0.0.2', ipDst: '10.0.0.9' });
    // without the route the same octets name 10.0.0.9 as the end, and the checksum (over 10.0.0.2) fails
    const plain = encode({ ...seg, ipDst: '10.0.0.9' });
    expect(decode(plain)).toMatchObject({ ok: false, error: { kind: 'bad-tcp-checksum' } });
  });
});
