import { describe, expect, it } from 'vitest';
import { acceptableSeq, rstReply } from '../../src/model/index.js';
import { ACK, RST } from '../../src/wire/segment.js';
import { Drive, IRS, ISS, cfg, listen, seg } from './fixtures.js';

describe('CLOSED (§3.10.7.1)', () => {
  describe('RST generation', () => {
    it('a segment without ACK draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
      const d = new Drive();
      d.in(seg('S', 12345));
      expect(d.out()).toEqual(['RA 0/12346']);
      d.in(seg('SF', 777, 0, { payload: new Uint8Array(10) }));
      expect(d.out()).toEqual(['RA 0/789']);
    });
    it('a segment with ACK draws <SEQ=SEG.ACK><CTL=RST>', () => {
      const d = new Drive();
      d.in(seg('A', 300, 100, { payload: new Uint8Array(10) }));
      expect(d.out()).toEqual(['R 100']);
      expect(d.last.segments[0]!.flags & ACK).toBe(0);
    });
    it('a RST is never answered', () => {
      expect(rstReply(seg('R', 1))).toBeUndefined();
      expect(rstReply(seg('RA', 1, 2))).toBeUndefined();
      const d = new Drive();
      d.in(seg('R', 1));
      expect(d.out()).toEqual([]);
    });
    it('replies go back to the sender', () => {
      const r = rstReply(seg('S', 1))!;
      expect([r.src, r.srcPort, r.dst, r.dstPort]).toEqual(['10.0.0.1', 80, '10.0.0.2', 40000]);
      expect(r.flags & RST).toBe(RST);
    });
  });
  describe('user calls', () => {
    it.each(['send', 'receive', 'close', 'abort'] as const)('%s reports connection-not-open', (type) => {
      const d = new Drive();
      d.do(type === 'send' ? { type, data: new Uint8Array(1) } : { type });
      expect(d.events()).toEqual(['error:connection-not-open']);
      expect(d.state).toBe('CLOSED');
    });
    it('active OPEN sends <SEQ=ISS><CTL=SYN> with MSS and enters SYN-SENT', () => {
      const d = new Drive();
      d.do({ type: 'open', passive: false, remote: { addr: '10.0.0.2', port: 40000 } });
      expect(d.out()).toEqual([`S ${ISS}`]);
      expect(d.last.segments[0]!.options).toEqual([{ kind: 'mss', value: 1460 }]);
      expect(d.tcb.sndNxt).toBe(ISS + 1);
      expect(d.last.timers.map((t) => t.timer).sort()).toEqual(['rexmt', 'user']);
    });
    it('offers no MSS option when configured not to', () => {
      const d = new Drive(cfg({ offerMss: false }));
      d.do({ type: 'open', passive: false, remote: { addr: '10.0.0.2', port: 40000 } });
      expect(d.last.segments[0]!.options).toEqual([]);
    });
  });
});

describe('LISTEN (§3.10.7.2)', () => {
  it('ignores a RST', () => {
    const d = listen();
    d.in(seg('R', 5));
    expect(d.out()).toEqual([]);
    expect(d.state).toBe('LISTEN');
  });
  it('answers any ACK-bearing segment with <SEQ=SEG.ACK><CTL=RST>', () => {
    const d = listen();
    d.in(seg('A', 5, 777));
    expect(d.out()).toEqual(['R 777']);
    d.in(seg('SA', 5, 900));
    expect(d.out()).toEqual(['R 900']);
    expect(d.state).toBe('LISTEN');
  });
  it('drops a segment with neither SYN, ACK nor RST', () => {
    const d = listen();
    d.in(seg('PF', 5, 0, { payload: new Uint8Array(3) }));
    expect(d.out()).toEqual([]);
    expect(d.state).toBe('LISTEN');
  });
  it('a SYN moves to SYN-RECEIVED with <SEQ=ISS><ACK=SEG.SEQ+1><CTL=SYN,ACK>', () => {
    const d = listen();
    d.in(seg('S', IRS, 0, { options: [{ kind: 'mss', value: 1000 }] }));
    expect(d.out()).toEqual([`SA ${ISS}/${IRS + 1}`]);
    expect(d.state).toBe('SYN-RECEIVED');
    expect(d.tcb.origin).toBe('passive');
    expect(d.tcb.sndMss).toBe(1000);
    expect(d.tcb.remote).toEqual({ addr: '10.0.0.2', port: 40000 });
  });
  it('assumes MSS 536 when the SYN carries none (MUST-15)', () => {
    const d = listen();
    d.in(seg('S', IRS));
    expect(d.tcb.sndMss).toBe(536);
  });
  it('SYN data is held until ESTABLISHED and the SYN,ACK acknowledges only the SYN', () => {
    const d = listen();
    d.in(seg('S', IRS, 0, { payload: new TextEncoder().encode('early') }));
    expect(d.out()).toEqual([`SA ${ISS}/${IRS + 1}`]);
    expect(d.app).toEqual([]);
    d.in(seg('A', IRS + 6, ISS + 1));
    expect(d.app.map((e) => e.type)).toEqual(['established', 'data']);
    expect(d.tcb.rcvNxt).toBe(IRS + 6);
  });
  it('SYN+FIN: the FIN is processed once established (CLOSE-WAIT)', () => {
    const d = listen();
    d.in(seg('SF', IRS));
    d.in(seg('A', IRS + 2, ISS + 1));
    expect(d.state).toBe('CLOSE-WAIT');
    expect(d.app.map((e) => e.type)).toEqual(['established', 'eof']);
  });
  describe('user calls', () => {
    it('a second passive OPEN is an error', () => {
      const d = listen();
      d.do({ type: 'open', passive: true });
      expect(d.events()).toEqual(['error:connection-exists']);
    });
    it('active OPEN turns the listener active (SYN-SENT)', () => {
      const d = listen();
      d.do({ type: 'open', passive: false, remote: { addr: '10.0.0.9', port: 9 } });
      expect(d.state).toBe('SYN-SENT');
      expect(d.out()).toEqual([`S ${ISS}`]);
    });
    it('SEND without a foreign socket is an error; with one it opens actively', () => {
      const d = listen();
      d.do({ type: 'send', data: new Uint8Array(3) });
      expect(d.events()).toEqual(['error:foreign-socket-unspecified']);
      const e = new Drive();
      e.do({ type: 'open', passive: true, remote: { addr: '10.0.0.2', port: 40000 } });
      e.do({ type: 'send', data: new Uint8Array(3) });
      expect(e.state).toBe('SYN-SENT');
      expect(e.tcb.sndBuf.length).toBe(3);
    });
    it('RECEIVE waits; CLOSE and ABORT delete the TCB silently', () => {
      const d = listen();
      d.do({ type: 'receive' });
      expect(d.events()).toEqual([]);
      d.do({ type: 'close' });
      expect(d.state).toBe('CLOSED');
      expect(d.out()).toEqual([]);
      const e = listen();
      e.do({ type: 'abort' });
      expect(e.state).toBe('CLOSED');
      expect(e.out()).toEqual([]);
    });
  });
});

describe('acceptability test (§3.4 Table 5)', () => {
  it.each([
    [0, 0, 100, 0, 100, true],
    [0, 0, 101, 0, 100, false],
    [0, 10, 105, 0, 100, true],
    [0, 10, 110, 0, 100, false],
    [0, 10, 99, 0, 100, false],
    [5, 0, 100, 0, 100, false],
    [5, 10, 96, 0, 100, true], // last octet in window
    [5, 10, 95, 0, 100, false],
    [5, 10, 109, 0, 100, true], // first octet in window
    [5, 10, 110, 0, 100, false],
  ])('len %i wnd %i seq %i (rcvNxt %i+%i) -> %s', (len, wnd, s, _z, nxt, ok) => {
    expect(acceptableSeq(s, len, nxt, wnd)).toBe(ok);
  });
  it('works across the 2^32 wrap', () => {
    expect(acceptableSeq(2, 1, 0xfffffffe, 10)).toBe(true);
    expect(acceptableSeq(0xfffffffd, 1, 0xfffffffe, 10)).toBe(false);
  });
});
