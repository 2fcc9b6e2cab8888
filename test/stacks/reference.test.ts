import { describe, expect, it } from 'vitest';
import { ReferenceHost } from '../../src/stacks/reference/host.js';
import { referenceAdapter } from '../../src/stacks/reference/adapter.js';
import { decode, encode } from '../../src/wire/codec.js';
import { ACK, RST, SYN, type Segment, flagString } from '../../src/wire/segment.js';
import { seqAdd } from '../../src/wire/seq.js';

const HOST = '10.0.0.1';
const peer = (port: number, addr = '10.0.0.2') => ({ addr, port });

function segFrom(
  p: { addr: string; port: number },
  dstPort: number,
  flags: number,
  seq: number,
  ack = 0,
  extra: Partial<Segment> = {},
): Segment {
  return {
    src: p.addr,
    dst: HOST,
    srcPort: p.port,
    dstPort,
    seq,
    ack,
    flags,
    window: 65535,
    urgent: 0,
    options: [],
    payload: new Uint8Array(0),
    ...extra,
  };
}

function out(h: ReferenceHost): Segment[] {
  return h.drain().packets.map((p) => {
    const r = decode(p);
    if (!r.ok) throw new Error(r.error.detail);
    return r.segment;
  });
}

describe('reference host: demultiplexing', () => {
  it('answers a segment for a closed port with a RST and keeps no state', () => {
    const h = new ReferenceHost();
    h.deliver(encode(segFrom(peer(1), 81, SYN, 10)));
    const o = out(h);
    expect(o.map((s) => [flagString(s.flags), s.seq, s.ack, s.dstPort, s.dst])).toEqual([['RA', 0, 11, 1, '10.0.0.2']]);
    expect(h.connections()).toEqual([]);
  });
  it('keeps connections from different peers apart on one listener', () => {
    const h = new ReferenceHost({ model: { isn: () => 777 } });
    h.listen(80);
    h.deliver(encode(segFrom(peer(1000), 80, SYN, 100)));
    h.deliver(encode(segFrom(peer(1000, '10.0.0.3'), 80, SYN, 200)));
    const o = out(h);
    expect(o.map((s) => [s.dst, s.ack])).toEqual([
      ['10.0.0.2', 101],
      ['10.0.0.3', 201],
    ]);
    h.deliver(encode(segFrom(peer(1000), 80, ACK, 101, 778)));
    expect(h.state({ localPort: 80, remote: peer(1000) })).toBe('ESTABLISHED');
    expect(h.state({ localPort: 80, remote: peer(1000, '10.0.0.3') })).toBe('SYN-RECEIVED');
    expect(h.state({ localPort: 80, remote: peer(9) })).toBe('LISTEN');
    expect(h.state({ localPort: 81, remote: peer(9) })).toBe('CLOSED');
    expect(h.drain().events.map((e) => e.type)).toEqual(['accepted']);
  });
  it('reports accepted, data, end and closed events with the connection id', () => {
    const h = new ReferenceHost({ model: { isn: () => 777 } });
    h.listen(80);
    h.deliver(encode(segFrom(peer(5), 80, SYN, 100)));
    h.deliver(encode(segFrom(peer(5), 80, ACK, 101, 778)));
    h.deliver(encode(segFrom(peer(5), 80, ACK | 0x08, 101, 778, { payload: Uint8Array.of(1, 2) })));
    h.deliver(encode(segFrom(peer(5), 80, ACK | 1, 103, 778)));
    const { events } = h.drain();
    expect(events.map((e) => e.type)).toEqual(['accepted', 'data', 'end']);
    const id = events[0]!.conn;
    h.close(id);
    const fin = out(h).at(-1)!;
    h.deliver(encode(segFrom(peer(5), 80, ACK, 104, seqAdd(fin.seq, 1))));
    expect(h.drain().events).toEqual([{ type: 'closed', conn: id }]);
    h.write(id, new Uint8Array(1));
    expect(h.drain().events).toEqual([{ type: 'error', conn: id, message: 'connection-not-open' }]);
  });
  it('drops packets with a bad checksum (MUST-3), malformed ones, and ones for another address, saying why', () => {
    const h = new ReferenceHost();
    h.listen(80);
    h.deliver(encode({ ...segFrom(peer(1), 80, SYN, 1), badChecksum: true }));
    h.deliver(Uint8Array.of(0x45, 0, 0));
    h.deliverSegment({ ...segFrom(peer(1), 80, SYN, 1), dst: '10.9.9.9' });
    expect(out(h)).toEqual([]);
    expect(h.dropped.map((d) => d.reason.split(':')[0])).toEqual([
      'bad-tcp-checksum',
      'truncated',
      'addressed to 10.9.9.9, not 10.0.0.1',
    ]);
  });
  it('active connect gets an ephemeral port; a duplicate 4-tuple is refused', () => {
    const h = new ReferenceHost();
    const c = h.connect(undefined, peer(80));
    expect(h.connections()[0]).toMatchObject({ id: c, state: 'SYN-SENT', localPort: 49152 });
    expect(() => h.connect(49152, peer(80))).toThrow(/already exists/);
    expect(() => h.listen(1)).not.toThrow();
    expect(() => h.listen(1)).toThrow(/already listening/);
    h.unlisten(1);
    expect(h.state({ localPort: 1, remote: peer(2) })).toBe('CLOSED');
  });
  it('runs timers across connections in deadline order on advance()', () => {
    const h = new ReferenceHost({ model: { isn: () => 1 } });
    h.connect(1000, peer(80));
    h.advance(500);
    h.connect(1001, peer(80));
    out(h);
    expect(h.nextTimer()).toBe(500);
    h.advance(1000);
    expect(out(h).map((s) => s.srcPort)).toEqual([1000, 1001]);
    expect(() => h.advance(-1)).toThrow(/bad duration/);
  });
});

describe('reference host: listen backlog and SYN cookies', () => {
  const flood = (h: ReferenceHost, n: number): void => {
    for (let i = 0; i < n; i++) h.deliver(encode(segFrom(peer(2000 + i, '10.66.0.1'), 80, SYN, i * 1000)));
  };
  it('bounds half-open connections; extra SYNs are dropped', () => {
    const h = new ReferenceHost({ backlog: 4 });
    h.listen(80);
    flood(h, 10);
    expect(out(h).length).toBe(4);
    expect(h.connections().length).toBe(4);
    expect(h.dropped.filter((d) => d.reason.includes('backlog')).length).toBe(6);
  });
  it('reclaims half-open connections after the SYN-ACK retries run out', () => {
    const h = new ReferenceHost({ backlog: 4 });
    h.listen(80);
    flood(h, 4);
    h.advance(200_000);
    expect(h.connections()).toEqual([]);
    expect(h.drain().events).toEqual([]); // the application never saw them
    flood(h, 1);
    expect(h.connections().length).toBe(1);
  });
  it('with SYN cookies a genuine client completes its handshake while the backlog is full', () => {
    const h = new ReferenceHost({ backlog: 2, synCookies: true });
    h.listen(80);
    flood(h, 5);
    out(h);
    const client = peer(4444, '10.0.0.2');
    h.deliver(encode(segFrom(client, 80, SYN, 5000, 0, { options: [{ kind: 'mss', value: 1460 }] })));
    const [sa] = out(h);
    expect(flagString(sa!.flags)).toBe('SA');
    expect(sa!.ack).toBe(5001);
    expect(h.connections().length).toBe(2); // no state kept for the cookie
    h.deliver(encode(segFrom(client, 80, ACK | 0x08, 5001, seqAdd(sa!.seq, 1), { payload: Uint8Array.of(7) })));
    expect(h.state({ localPort: 80, remote: client })).toBe('ESTABLISHED');
    const ev = h.drain().events;
    expect(ev.map((e) => e.type)).toEqual(['accepted', 'data']);
    expect(h.tcb({ localPort: 80, remote: client })!.sndMss).toBe(1460);
  });
  it('a forged or stale cookie ACK gets the LISTEN answer (a RST)', () => {
    const h = new ReferenceHost({ backlog: 0, synCookies: true });
    h.listen(80);
    const client = peer(4444);
    h.deliver(encode(segFrom(client, 80, SYN, 5000)));
    const [sa] = out(h);
    h.deliver(encode(segFrom(client, 80, ACK, 5001, seqAdd(sa!.seq, 2))));
    expect(out(h).map((s) => flagString(s.flags))).toEqual(['R']);
    h.advance(200_000);
    h.deliver(encode(segFrom(client, 80, ACK, 5001, seqAdd(sa!.seq, 1))));
    expect(out(h).map((s) => flagString(s.flags))).toEqual(['R']);
    expect(h.state({ localPort: 80, remote: client })).toBe('LISTEN');
  });
});

describe('reference adapter', () => {
  it('declares its profile from the model config', () => {
    const a = referenceAdapter('reference', { model: { msl: 1000 }, synCookies: true });
    expect(a.profile).toMatchObject({ msl: 1000, rfc5961: true, synCookies: true, rtoInitial: 1000, deviations: [] });
  });
  it('an egress hook can rewrite or drop outgoing segments', () => {
    const h = new ReferenceHost({ egress: (s) => (s.flags & RST ? undefined : { ...s, window: 7 }) });
    h.deliver(encode(segFrom(peer(1), 80, SYN, 1)));
    expect(out(h)).toEqual([]);
    h.connect(5, peer(6));
    expect(out(h)[0]!.window).toBe(7);
  });
});
