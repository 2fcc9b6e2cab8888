import { describe, expect, it } from 'vitest';
import { ACK, CWR, ECE, ECN, SYN, ecnOf } from '../../src/wire/segment.js';
import {
  IRS,
  ISS,
  REMOTE,
  cfg,
  data,
  listen,
  seg,
  synReceivedActive,
  synReceivedPassive,
  synSent,
} from './fixtures.js';

describe('SYN-SENT (§3.10.7.3)', () => {
  describe('ACK check', () => {
    it.each([ISS, ISS - 5, ISS + 2])('an unacceptable ACK %i draws <SEQ=SEG.ACK><CTL=RST>', (ack) => {
      const d = synSent();
      d.in(seg('SA', IRS, ack));
      expect(d.out()).toEqual([`R ${ack}`]);
      expect(d.state).toBe('SYN-SENT');
    });
    it('an unacceptable ACK on a RST is dropped silently', () => {
      const d = synSent();
      d.in(seg('RA', IRS, ISS + 7));
      expect(d.out()).toEqual([]);
      expect(d.state).toBe('SYN-SENT');
    });
  });
  describe('RST', () => {
    it('with an acceptable ACK the connection is refused', () => {
      const d = synSent();
      d.in(seg('RA', 0, ISS + 1));
      expect(d.state).toBe('CLOSED');
      expect(d.events()).toEqual(['refused', 'closed']);
    });
    it('without ACK it is dropped', () => {
      const d = synSent();
      d.in(seg('R', 0));
      expect(d.state).toBe('SYN-SENT');
    });
  });
  describe('SYN', () => {
    it('SYN,ACK completes the handshake with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>', () => {
      const d = synSent();
      d.in(seg('SA', IRS, ISS + 1, { window: 1000, options: [{ kind: 'mss', value: 600 }] }));
      expect(d.state).toBe('ESTABLISHED');
      expect(d.out()).toEqual([`A ${ISS + 1}/${IRS + 1}`]);
      expect(d.events()).toEqual(['established']);
      expect(d.tcb.sndWnd).toBe(1000);
      expect(d.tcb.sndMss).toBe(600);
      expect(d.tcb.timers.rexmt).toBeUndefined();
    });
    it('queued data goes out with the handshake ACK', () => {
      const d = synSent();
      d.do({ type: 'send', data: data('queued') });
      expect(d.out()).toEqual([]);
      d.in(seg('SA', IRS, ISS + 1));
      expect(d.out()).toEqual([`PA ${ISS + 1}/${IRS + 1} +6`]);
    });
    it('data and FIN on the SYN,ACK are processed (CLOSE-WAIT)', () => {
      const d = synSent();
      d.in(seg('SAF', IRS, ISS + 1, { payload: data('hi') }));
      expect(d.state).toBe('CLOSE-WAIT');
      expect(d.events()).toEqual(['established', 'data', 'eof']);
      expect(d.out()).toEqual([`A ${ISS + 1}/${IRS + 4}`]);
    });
    it('a bare SYN is a simultaneous open: SYN-RECEIVED with <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (MUST-10)', () => {
      const d = synSent();
      d.in(seg('S', IRS));
      expect(d.state).toBe('SYN-RECEIVED');
      expect(d.out()).toEqual([`SA ${ISS}/${IRS + 1}`]);
      expect(d.tcb.origin).toBe('active');
    });
    it('a segment with neither SYN nor RST is dropped', () => {
      const d = synSent();
      d.in(seg('A', IRS, ISS + 1));
      expect(d.out()).toEqual([]);
      expect(d.state).toBe('SYN-SENT');
    });
  });
  describe('user calls', () => {
    it('SEND queues; CLOSE and ABORT delete silently; OPEN is an error', () => {
      const d = synSent();
      d.do({ type: 'open', passive: true });
      expect(d.events()).toEqual(['error:connection-exists']);
      d.do({ type: 'close' });
      expect(d.state).toBe('CLOSED');
      expect(d.out()).toEqual([]);
      const e = synSent();
      e.do({ type: 'abort' });
      expect(e.state).toBe('CLOSED');
      expect(e.out()).toEqual([]);
    });
  });
});

describe('SYN-RECEIVED (§3.10.7.4)', () => {
  describe('passive and active origin (MUST-11)', () => {
    it('passive: a valid RST returns to LISTEN without telling the user', () => {
      const d = synReceivedPassive();
      d.in(seg('R', IRS + 1));
      expect(d.state).toBe('LISTEN');
      expect(d.events()).toEqual([]);
      expect(d.tcb.remote).toBeUndefined();
    });
    it('active: a valid RST refuses the connection', () => {
      const d = synReceivedActive();
      d.in(seg('R', IRS + 1));
      expect(d.state).toBe('CLOSED');
      expect(d.events()).toEqual(['refused', 'closed']);
    });
    it('passive: an in-window SYN returns to LISTEN', () => {
      const d = synReceivedPassive();
      d.in(seg('S', IRS + 10));
      expect(d.state).toBe('LISTEN');
    });
    it('active: an in-window SYN draws a challenge ACK (RFC 5961)', () => {
      const d = synReceivedActive();
      d.in(seg('S', IRS + 10));
      expect(d.out()).toEqual([`A ${ISS + 1}/${IRS + 1}`]);
      expect(d.state).toBe('SYN-RECEIVED');
    });
  });
  describe('ACK', () => {
    it('an acceptable ACK establishes and takes the window', () => {
      const d = synReceivedPassive();
      d.in(seg('A', IRS + 1, ISS + 1, { window: 4321 }));
      expect(d.state).toBe('ESTABLISHED');
      expect(d.events()).toEqual(['established']);
      expect(d.tcb.sndWnd).toBe(4321);
      expect(d.out()).toEqual([]);
    });
    it('an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST> and stays', () => {
      const d = synReceivedPassive();
      d.in(seg('A', IRS + 1, ISS + 5));
      expect(d.out()).toEqual([`R ${ISS + 5}`]);
      expect(d.last.segments[0]!.flags & ACK).toBe(0);
      expect(d.state).toBe('SYN-RECEIVED');
    });
    it('a segment without ACK is dropped', () => {
      const d = synReceivedPassive();
      d.in(seg('P', IRS + 1, 0, { payload: data('x') }));
      expect(d.state).toBe('SYN-RECEIVED');
      expect(d.out()).toEqual([]);
    });
    it('an unacceptable sequence number draws an ACK', () => {
      const d = synReceivedPassive();
      d.in(seg('A', IRS + 100000, ISS + 1));
      expect(d.out()).toEqual([`A ${ISS + 1}/${IRS + 1}`]);
    });
  });
  describe('retransmitted SYNs', () => {
    it("the peer's SYN again: the SYN,ACK is sent again", () => {
      const d = synReceivedPassive();
      d.in(seg('S', IRS));
      expect(d.out()).toEqual([`SA ${ISS}/${IRS + 1}`]);
      expect(d.state).toBe('SYN-RECEIVED');
    });
    it("simultaneous open: the peer's SYN,ACK establishes (Figure 7 line 6)", () => {
      const d = synReceivedActive();
      d.in(seg('SA', IRS, ISS + 1));
      expect(d.state).toBe('ESTABLISHED');
      expect(d.out()).toEqual([]);
    });
  });
  describe('user calls', () => {
    it('CLOSE in active SYN-RECEIVED, then the SYN,ACK: the application learns the connection was established (found by interleavings)', () => {
      const d = synReceivedActive();
      d.do({ type: 'close' });
      expect(d.state).toBe('FIN-WAIT-1');
      d.in(seg('SA', IRS, ISS + 1));
      expect(d.events()).toEqual(['established']);
      d.in(seg('PA', IRS + 1, ISS + 2, { payload: data('x') }));
      expect(d.events()).toEqual(['data']);
      expect(d.state).toBe('FIN-WAIT-2');
    });
    it('CLOSE with nothing queued sends a FIN and enters FIN-WAIT-1', () => {
      const d = synReceivedPassive();
      d.do({ type: 'close' });
      expect(d.state).toBe('FIN-WAIT-1');
      expect(d.out()).toEqual([`FA ${ISS + 1}/${IRS + 1}`]);
      d.in(seg('A', IRS + 1, ISS + 2));
      expect(d.state).toBe('FIN-WAIT-2');
    });
    it('CLOSE with queued data waits for ESTABLISHED, then sends data and FIN', () => {
      const d = synReceivedPassive();
      d.do({ type: 'send', data: data('abc') });
      d.do({ type: 'close' });
      expect(d.state).toBe('SYN-RECEIVED');
      expect(d.out()).toEqual([]);
      d.do({ type: 'send', data: data('more') });
      expect(d.events()).toEqual(['error:connection-closing']);
      d.in(seg('A', IRS + 1, ISS + 1));
      expect(d.state).toBe('FIN-WAIT-1');
      expect(d.out()).toEqual([`FPA ${ISS + 1}/${IRS + 1} +3`]);
    });
    it('ABORT sends <SEQ=SND.NXT><CTL=RST>', () => {
      const d = synReceivedPassive();
      d.do({ type: 'abort' });
      expect(d.out()).toEqual([`R ${ISS + 1}`]);
      expect(d.state).toBe('CLOSED');
    });
    it('a FIN with the ACK moves to CLOSE-WAIT', () => {
      const d = synReceivedPassive();
      d.in(seg('FA', IRS + 1, ISS + 1));
      expect(d.state).toBe('CLOSE-WAIT');
      expect(d.out()).toEqual([`A ${ISS + 1}/${IRS + 2}`]);
    });
  });
  it('RECEIVE is queued before ESTABLISHED', () => {
    const d = synReceivedPassive();
    d.do({ type: 'receive' });
    expect(d.events()).toEqual([]);
  });
  it('learns the remote from the SYN', () => {
    const d = synReceivedPassive();
    expect(d.tcb.remote).toEqual(REMOTE);
  });
  it('legacy RFC 793 (rfc5961 off): an in-window SYN on active SYN-RECEIVED resets', () => {
    const d = synReceivedActive(cfg({ rfc5961: false }));
    d.in(seg('S', IRS + 10));
    expect(d.out()).toEqual([`R ${ISS + 1}`]);
    expect(d.state).toBe('CLOSED');
  });
});

describe('window scaling (RFC 7323 §2)', () => {
  const scaled = cfg({ wscale: 3, rcvBuf: 200_000 });
  it('offered on a SYN; on a SYN,ACK only when the peer offered; the window field shifted once in effect', () => {
    const a = synSent(scaled);
    expect(a.segs[0]!.options).toContainEqual({ kind: 'wscale', shift: 3 });
    expect(a.segs[0]!.window).toBe(65535); // a SYN's window is never scaled
    const p = listen(scaled);
    p.in(seg('S', IRS));
    expect(p.last.segments[0]!.options.some((o) => o.kind === 'wscale')).toBe(false);
    const q = listen(scaled);
    q.in(seg('S', IRS, 0, { options: [{ kind: 'wscale', shift: 20 }] }));
    expect(q.last.segments[0]!.options).toContainEqual({ kind: 'wscale', shift: 3 });
    q.in(seg('A', IRS + 1, ISS + 1, { window: 100 }));
    expect(q.tcb.sndWnd).toBe(100 * 2 ** 14); // the peer's shift counts as at most 14
    q.do({ type: 'send', data: new Uint8Array(10) });
    expect(q.last.segments[0]!.window).toBe(Math.floor(200_000 / 8));
  });
  it('without the peer’s offer the window is what an unscaled field can carry', () => {
    const d = listen(scaled);
    d.in(seg('S', IRS));
    d.in(seg('A', IRS + 1, ISS + 1));
    expect(d.tcb.rcvWnd).toBe(65535);
  });
});

describe('ECN (RFC 3168 §6.1, SHLD-8)', () => {
  const ecnOn = () => cfg({ ecn: true });
  it('asks on its SYN and agrees on a SYN,ACK only when the SYN asked', () => {
    const active = synSent(ecnOn());
    expect(active.last.segments[0]!.flags & (ECE | CWR)).toBe(ECE | CWR);
    const asked = listen(ecnOn());
    asked.in(seg('S', IRS, 0, { flags: SYN | ECE | CWR }));
    expect(asked.last.segments[0]!.flags & (ECE | CWR)).toBe(ECE);
    const plain = listen(ecnOn());
    plain.in(seg('S', IRS));
    expect(plain.last.segments[0]!.flags & (ECE | CWR)).toBe(0);
  });
  it('in use: new data ECT(0), a CE mark echoed with ECE until CWR, an ECE answered with CWR', () => {
    const d = listen(ecnOn());
    d.in(seg('S', IRS, 0, { flags: SYN | ECE | CWR }));
    d.in(seg('A', IRS + 1, ISS + 1));
    expect(d.state).toBe('ESTABLISHED');
    d.do({ type: 'send', data: data('abc') });
    expect(ecnOf(d.last.segments[0]!)).toBe(ECN.ect0);
    d.in(seg('PA', IRS + 1, ISS + 4, { payload: data('x'), tos: 3 }));
    d.wait(500);
    const echo = d.segs.at(-1)!;
    expect([echo.ack, echo.flags & ECE, echo.tos! & 3]).toEqual([IRS + 2, ECE, 0]); // a pure ACK is never ECT
    d.in(seg('A', IRS + 2, ISS + 4, { flags: ACK | ECE | CWR }));
    d.do({ type: 'send', data: data('de') });
    expect(d.last.segments[0]!.flags & (ECE | CWR)).toBe(CWR);
  });
});
