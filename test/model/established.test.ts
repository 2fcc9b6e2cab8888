import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/model/config.js';
import { URG } from '../../src/wire/segment.js';
import { IRS, ISS, cfg, data, established, seg, show } from './fixtures.js';

const A1 = ISS + 1;
const R1 = IRS + 1;

describe('ESTABLISHED (§3.10.7.4)', () => {
  describe('step 1: sequence check', () => {
    it('an unacceptable segment draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped', () => {
      const d = established();
      d.in(seg('PA', R1 + 70000, A1, { payload: data('x') }));
      expect(d.out()).toEqual([`A ${A1}/${R1}`]);
      expect(d.events()).toEqual([]);
    });
    it('an unacceptable RST is dropped silently', () => {
      const d = established();
      d.in(seg('R', R1 + 70000));
      expect(d.out()).toEqual([]);
      expect(d.state).toBe('ESTABLISHED');
    });
    it('old duplicate data is trimmed; only the new part is delivered', () => {
      const d = established();
      d.in(seg('PA', R1, A1, { payload: data('abc') }));
      d.in(seg('PA', R1 + 1, A1, { payload: data('bcdef') }));
      expect(d.last.appEvents).toEqual([{ type: 'data', data: data('def'), push: true }]);
      expect(d.tcb.rcvNxt).toBe(R1 + 6);
    });
    it('data beyond the window is cut at the right edge and its FIN dropped', () => {
      const d = established(cfg({ rcvBuf: 4 }));
      d.in(seg('FPA', R1, A1, { payload: data('abcdef') }));
      expect(d.last.appEvents).toEqual([{ type: 'data', data: data('abcd') }]);
      expect(d.state).toBe('ESTABLISHED');
    });
  });
  describe('step 2: RST', () => {
    it('RFC 5961: an exact RST resets', () => {
      const d = established();
      d.in(seg('R', R1));
      expect(d.state).toBe('CLOSED');
      expect(d.events()).toEqual(['reset', 'closed']);
    });
    it('RFC 5961: an in-window inexact RST draws a challenge ACK', () => {
      const d = established();
      d.in(seg('R', R1 + 10));
      expect(d.out()).toEqual([`A ${A1}/${R1}`]);
      expect(d.state).toBe('ESTABLISHED');
    });
    it('legacy: any in-window RST resets', () => {
      const d = established(cfg({ rfc5961: false }));
      d.in(seg('R', R1 + 10));
      expect(d.state).toBe('CLOSED');
    });
    it('a RST carrying data is accepted (SHLD-2)', () => {
      const d = established();
      d.in(seg('R', R1, 0, { payload: data('diagnostic') }));
      expect(d.state).toBe('CLOSED');
    });
  });
  describe('step 4: SYN', () => {
    it('RFC 5961: a SYN draws a challenge ACK whatever its sequence number', () => {
      for (const s of [R1, R1 + 100, IRS]) {
        const d = established();
        d.in(seg('S', s));
        expect(d.out()).toEqual([`A ${A1}/${R1}`]);
        expect(d.state).toBe('ESTABLISHED');
      }
    });
    it('RFC 5961: a SYN whose SYN octet lies just below RCV.NXT still draws the challenge ACK (found by syn-synchronized)', () => {
      const d = established();
      d.in(seg('S', IRS, 0, { payload: data('x') }));
      expect(d.out()).toEqual([`A ${A1}/${R1}`]);
      expect(d.events()).toEqual([]);
      expect(d.tcb.rcvNxt).toBe(R1);
    });
    it('legacy: an in-window SYN resets the connection', () => {
      const d = established(cfg({ rfc5961: false }));
      d.in(seg('S', R1 + 100));
      expect(d.out()).toEqual([`R ${A1}`]);
      expect(d.events()).toEqual(['reset', 'closed']);
    });
    it('legacy: a SYN below the window is answered by the step-1 ACK', () => {
      const d = established(cfg({ rfc5961: false }));
      d.in(seg('S', IRS));
      expect(d.out()).toEqual([`A ${A1}/${R1}`]);
      expect(d.state).toBe('ESTABLISHED');
    });
  });
  describe('step 5: ACK', () => {
    it('a segment without ACK is dropped', () => {
      const d = established();
      d.in(seg('P', R1, 0, { payload: data('x') }));
      expect(d.events()).toEqual([]);
      expect(d.tcb.rcvNxt).toBe(R1);
    });
    it('an ACK of unsent data draws an ACK and the segment is dropped', () => {
      const d = established();
      d.in(seg('PA', R1, A1 + 50, { payload: data('x') }));
      expect(d.out()).toEqual([`A ${A1}/${R1}`]);
      expect(d.events()).toEqual([]);
    });
    it('MAY-12: an ACK far below SND.UNA draws an ACK (RFC 5961 on)', () => {
      const d = established();
      d.in(seg('A', R1, A1 - 100000));
      expect(d.out()).toEqual([`A ${A1}/${R1}`]);
    });
    it('a new ACK advances SND.UNA, purges data and stops the retransmission timer', () => {
      const d = established();
      d.do({ type: 'send', data: data('hello') });
      expect(d.out()).toEqual([`PA ${A1}/${R1} +5`]);
      expect(d.tcb.timers.rexmt).toBeDefined();
      d.in(seg('A', R1, A1 + 3));
      expect(d.tcb.sndUna).toBe(A1 + 3);
      expect(d.tcb.sndBuf.length).toBe(2);
      expect(d.tcb.timers.rexmt).toBeDefined();
      d.in(seg('A', R1, A1 + 5));
      expect(d.tcb.timers.rexmt).toBeUndefined();
      expect(d.tcb.sndBuf.length).toBe(0);
    });
    it('window updates follow WL1/WL2 and never go backwards in time', () => {
      const d = established();
      d.in(seg('A', R1, A1, { window: 100 }));
      expect(d.tcb.sndWnd).toBe(100);
      d.in(seg('A', R1, A1, { window: 200 }));
      expect(d.tcb.sndWnd).toBe(200);
      d.in(seg('PA', R1, A1, { window: 300, payload: data('x') }));
      expect(d.tcb.sndWnd).toBe(300);
      d.in(seg('A', R1, A1, { window: 5 })); // older SEG.SEQ than WL1: no update
      expect(d.tcb.sndWnd).toBe(300);
    });
    it("the peer's window and MSS bound what is sent (MUST-16)", () => {
      // Nagle and sender SWS avoidance off: they would hold the short tail (§3.7.4, §3.8.6.2.1; tests below).
      const d = established(cfg({ noDelay: true, noSenderSws: true }));
      d.in(seg('A', R1, A1, { window: 1000 }));
      d.do({ type: 'send', data: new Uint8Array(2500) });
      // PSH waits for the segment that empties the queue (MUST-61)
      expect(d.out()).toEqual([`A ${A1}/${R1} +536`, `A ${A1 + 536}/${R1} +464`]);
      d.in(seg('A', R1, A1 + 1000, { window: 3000 }));
      expect(d.out()).toEqual([`A ${A1 + 1000}/${R1} +536`, `A ${A1 + 1536}/${R1} +536`, `PA ${A1 + 2072}/${R1} +428`]);
    });
  });
  describe('urgent data (§3.8.5)', () => {
    it('an urgent write: URG and a pointer to the octet after it on every segment before that octet (MUST-62)', () => {
      const d = established(cfg({ noDelay: true }));
      d.in(seg('A', R1, A1, { window: 10_000 }));
      d.do({ type: 'send', data: new Uint8Array(10) });
      d.do({ type: 'send', data: new Uint8Array(600), urgent: true });
      const urg = d.last.segments.map((s) => [s.flags & URG ? 'U' : '-', s.urgent]);
      // the 10 octets went out with the first write; the 600 urgent ones follow in 536 + 64
      expect(urg).toEqual([
        ['U', 600],
        ['U', 64],
      ]);
      d.in(seg('A', R1, A1 + 610, { window: 10_000 }));
      d.do({ type: 'send', data: new Uint8Array(5) });
      expect(d.last.segments.map((s) => s.flags & URG)).toEqual([0]);
    });
    it('received: RCV.UP moves, the application is told once, and the octets come in line (MUST-30, MUST-31)', () => {
      const d = established();
      d.in(seg('PAU', R1, A1, { payload: data('abcd'), urgent: 4 }));
      expect(d.events()).toEqual(['urgent', 'data']);
      expect(d.tcb.rcvUp).toBe(R1 + 4);
      d.in(seg('PAU', R1 + 4, A1, { payload: data('ef'), urgent: 0 }));
      expect(d.events()).toEqual(['data']);
    });
  });
  describe('PUSH (§3.9.1.2, §3.9.1.3)', () => {
    it('PSH goes where a pushed write ends, even with more data behind it; not where an unpushed one ends (MAY-15)', () => {
      const d = established(cfg({ noDelay: true }));
      d.in(seg('A', R1, A1, { window: 0 })); // the peer's window shuts: the writes queue
      d.do({ type: 'send', data: new Uint8Array(600) });
      d.do({ type: 'send', data: new Uint8Array(10), push: false });
      d.in(seg('A', R1, A1, { window: 10_000 }));
      // 536 + 64: the second segment carries the pushed write's last octet and the unpushed write behind it
      expect(d.out()).toEqual([`A ${A1}/${R1} +536`, `PA ${A1 + 536}/${R1} +74`]);
      d.in(seg('A', R1, A1 + 610, { window: 10_000 }));
      d.do({ type: 'send', data: new Uint8Array(5), push: false });
      expect(d.out()).toEqual([`A ${A1 + 610}/${R1} +5`]); // unpushed: no PSH, though the queue empties
    });
    it("RECEIVE passes the peer's PSH on with the data that ends at it (MAY-17)", () => {
      const d = established();
      d.in(seg('PA', R1, A1, { payload: data('ab') }));
      d.in(seg('A', R1 + 2, A1, { payload: data('cd') }));
      expect(d.last.appEvents).toEqual([{ type: 'data', data: data('cd') }]);
      d.in(seg('PA', R1 + 6, A1, { payload: data('gh') })); // out of order: held
      d.in(seg('A', R1 + 4, A1, { payload: data('ef') }));
      expect(d.last.appEvents).toEqual([
        { type: 'data', data: data('ef') },
        { type: 'data', data: data('gh'), push: true },
      ]);
    });
  });
  describe('IP fields the application sets (§3.9.2, §3.9.1.9)', () => {
    it('the TTL and the Diffserv codepoint go on every later segment, and a new codepoint replaces the old', () => {
      const d = established();
      d.in(seg('A', R1, A1, { window: 10_000 }));
      d.do({ type: 'send', data: new Uint8Array(10) });
      expect(d.last.segments.map((s) => [s.ttl, s.tos])).toEqual([[64, 0]]);
      d.do({ type: 'option', ttl: 7, dscp: 46 });
      d.in(seg('A', R1, A1 + 10, { window: 10_000 }));
      d.do({ type: 'send', data: new Uint8Array(10) });
      expect(d.last.segments.map((s) => [s.ttl, s.tos])).toEqual([[7, 46 << 2]]);
      d.do({ type: 'option', dscp: 10 });
      d.in(seg('PA', R1, A1 + 20, { window: 10_000, payload: new Uint8Array(3) }));
      expect(d.wait(DEFAULT_CONFIG.ackDelay).map((s) => [s.ttl, s.tos])).toEqual([[7, 10 << 2]]);
    });
  });
  describe('Nagle (§3.7.4)', () => {
    const nagle = (over: Parameters<typeof cfg>[0]) => {
      const d = established(cfg(over));
      d.in(seg('A', R1, A1, { window: 10_000 }));
      d.do({ type: 'send', data: new Uint8Array(600) });
      const first = d.out();
      d.do({ type: 'send', data: new Uint8Array(10) });
      return { d, first, second: d.out() };
    };
    it('classic: with data outstanding a short segment waits for the ACK (SHLD-7)', () => {
      const { d, first, second } = nagle({});
      expect(first).toEqual([`A ${A1}/${R1} +536`]);
      expect(second).toEqual([]);
      d.in(seg('A', R1, A1 + 536, { window: 10_000 }));
      expect(d.out()).toEqual([`PA ${A1 + 536}/${R1} +74`]);
    });
    it("Minshall's variant: a short segment waits only while another short one is unacknowledged", () => {
      const { d, first, second } = nagle({ nagle: 'minshall' });
      expect(first).toEqual([`A ${A1}/${R1} +536`, `PA ${A1 + 536}/${R1} +64`]);
      expect(second).toEqual([]);
      d.in(seg('A', R1, A1 + 600, { window: 10_000 }));
      expect(d.out()).toEqual([`PA ${A1 + 600}/${R1} +10`]);
    });
    it('turned off by the application, short segments go at once (MUST-17)', () => {
      const d = established();
      d.do({ type: 'option', noDelay: true });
      d.in(seg('A', R1, A1, { window: 10_000 }));
      d.do({ type: 'send', data: new Uint8Array(600) });
      expect(d.out()).toEqual([`A ${A1}/${R1} +536`, `PA ${A1 + 536}/${R1} +64`]);
      d.do({ type: 'send', data: new Uint8Array(10) });
      expect(d.out()).toEqual([`PA ${A1 + 600}/${R1} +10`]);
    });
    it('a FIN goes with the held data once the application closes', () => {
      const { d } = nagle({});
      d.do({ type: 'close' });
      expect(d.out()).toEqual([`FPA ${A1 + 536}/${R1} +74`]);
    });
  });
  describe('sender SWS avoidance (§3.8.6.2.1, MUST-38)', () => {
    /** Two full segments fill a 1072-octet window and are acknowledged with the window shut; `n` octets written. */
    const shut = (n: number, over: Parameters<typeof cfg>[0] = {}) => {
      const d = established(cfg({ noDelay: true, ...over }));
      d.in(seg('A', R1, A1, { window: 1072 }));
      d.do({ type: 'send', data: new Uint8Array(n) });
      expect(d.out()).toEqual([`A ${A1}/${R1} +536`, `A ${A1 + 536}/${R1} +536`]);
      d.in(seg('A', R1, A1 + 1072, { window: 0 }));
      return d;
    };
    it('a sliver of window (below a full segment and half the largest) waits for more', () => {
      const d = shut(3000);
      d.in(seg('A', R1, A1 + 1072, { window: 100 }));
      expect(d.out()).toEqual([]);
      d.in(seg('A', R1, A1 + 1072, { window: 600 }));
      expect(d.out()).toEqual([`A ${A1 + 1072}/${R1} +536`]);
    });
    it('the override timeout sends what fits', () => {
      const d = shut(3000, { swsOverride: 300 });
      d.in(seg('A', R1, A1 + 1072, { window: 100 }));
      expect(d.wait(299)).toEqual([]);
      expect(d.wait(1).map(show)).toEqual([`A ${A1 + 1072}/${R1} +100`]);
    });
    it('a sliver that takes the rest of the queue goes at once', () => {
      const d = shut(1172);
      d.in(seg('A', R1, A1 + 1072, { window: 100 }));
      expect(d.out()).toEqual([`PA ${A1 + 1072}/${R1} +100`]);
    });
    it('without it (the mutant sender-sws-off) the sliver is filled at once', () => {
      const d = shut(3000, { noSenderSws: true });
      d.in(seg('A', R1, A1 + 1072, { window: 100 }));
      expect(d.out()).toEqual([`A ${A1 + 1072}/${R1} +100`]);
    });
  });
  describe('step 7: text', () => {
    it('in-order data is delivered and ACKed within the delayed-ACK bound (MUST-40)', () => {
      const d = established();
      d.in(seg('PA', R1, A1, { payload: data('hello') }));
      expect(d.events()).toEqual(['data']);
      expect(d.out()).toEqual([]);
      expect(d.tcb.timers.delack).toBe(200);
      const acks = d.wait(200);
      expect(acks.map((s) => `${s.seq}/${s.ack}`)).toEqual([`${A1}/${R1 + 5}`]);
    });
    it('every second full-sized segment is ACKed at once (SHLD-19)', () => {
      const d = established();
      d.in(seg('A', R1, A1, { payload: new Uint8Array(1460) }));
      expect(d.out()).toEqual([]);
      d.in(seg('A', R1 + 1460, A1, { payload: new Uint8Array(1460) }));
      expect(d.out()).toEqual([`A ${A1}/${R1 + 2920}`]);
    });
    it('without delayed ACKs every segment is ACKed at once', () => {
      const d = established(cfg({ delayedAck: false }));
      d.in(seg('PA', R1, A1, { payload: data('x') }));
      expect(d.out()).toEqual([`A ${A1}/${R1 + 1}`]);
    });
    it('out-of-order data is held (SHLD-31), duplicate-ACKed at once, and delivered when the gap fills', () => {
      const d = established();
      d.in(seg('PA', R1 + 3, A1, { payload: data('def') }));
      expect(d.events()).toEqual([]);
      expect(d.out()).toEqual([`A ${A1}/${R1}`]);
      d.in(seg('PA', R1, A1, { payload: data('abc') }));
      expect(d.last.appEvents).toEqual([
        { type: 'data', data: data('abc'), push: true },
        { type: 'data', data: data('def'), push: true },
      ]);
      expect(d.tcb.rcvNxt).toBe(R1 + 6);
    });
    it('a held FIN takes effect once the data before it arrives', () => {
      const d = established();
      d.in(seg('FA', R1 + 3, A1));
      expect(d.state).toBe('ESTABLISHED');
      d.in(seg('PA', R1, A1, { payload: data('abc') }));
      expect(d.state).toBe('CLOSE-WAIT');
      expect(d.events()).toEqual(['data', 'eof']);
      expect(d.out()).toEqual([`A ${A1}/${R1 + 4}`]);
    });
    it('with autoReceive off data waits for RECEIVE, the window shrinks, then reopens with an update', () => {
      const d = established(cfg({ autoReceive: false, rcvBuf: 2000 }));
      d.in(seg('PA', R1, A1, { payload: new Uint8Array(1500) }));
      expect(d.events()).toEqual([]);
      expect(d.tcb.rcvWnd).toBe(500);
      d.do({ type: 'receive', max: 100 });
      expect(d.last.appEvents.map((e) => (e.type === 'data' ? e.data.length : -1))).toEqual([100]);
      d.do({ type: 'receive' });
      expect(d.tcb.rcvWnd).toBe(2000);
      expect(d.out()).toEqual([`A ${A1}/${R1 + 1500}`]);
      expect(d.last.segments[0]!.window).toBe(2000);
      d.do({ type: 'receive' });
      expect(d.events()).toEqual([]);
    });
    it('MUST-39: a shut window reopens only once min(RCV.BUFF/2, Eff.snd.MSS) is free, never by a sliver', () => {
      const d = established(cfg({ autoReceive: false, rcvBuf: 4000 }));
      d.in(seg('PA', R1, A1, { payload: new Uint8Array(4000) }));
      expect(d.tcb.rcvWnd).toBe(0);
      d.do({ type: 'receive', max: 300 });
      expect(d.tcb.rcvWnd).toBe(0); // 300 < min(2000, 536): the edge stays, no update
      expect(d.out()).toEqual([]);
      d.do({ type: 'receive', max: 300 });
      expect(d.tcb.rcvWnd).toBe(600); // 600 free now: the edge moves by all of it
      expect(d.last.segments[0]!.window).toBe(600);
      const silly = established(cfg({ autoReceive: false, rcvBuf: 4000, noReceiverSws: true }));
      silly.in(seg('PA', R1, A1, { payload: new Uint8Array(4000) }));
      silly.do({ type: 'receive', max: 1 });
      expect(silly.last.segments[0]!.window).toBe(1); // the fault: a one-octet window
    });
    it('MUST-39: with data read at once, small segments leave the right edge where it was until it can move enough', () => {
      const d = established(cfg({ rcvBuf: 4000 }));
      d.in(seg('PA', R1, A1, { payload: new Uint8Array(100) }));
      expect(d.tcb.rcvWnd).toBe(3900);
      for (let i = 1; i < 6; i++) d.in(seg('PA', R1 + 100 * i, A1, { payload: new Uint8Array(100) }));
      expect(d.tcb.rcvWnd).toBe(4000); // 600 octets behind: the edge caught up
    });
    it('MUST-66: with a zero window the ACK of a data segment is still processed', () => {
      const d = established(cfg({ autoReceive: false, rcvBuf: 3 }));
      d.do({ type: 'send', data: data('ping') });
      d.in(seg('PA', R1, A1, { payload: data('abc') }));
      expect(d.tcb.rcvWnd).toBe(0);
      d.in(seg('PA', R1 + 3, A1 + 4, { payload: data('zzz') }));
      expect(d.tcb.sndUna).toBe(A1 + 4);
      expect(d.tcb.rcvNxt).toBe(R1 + 3);
      expect(d.out()).toEqual([`A ${A1 + 4}/${R1 + 3}`]);
      expect(d.last.segments[0]!.window).toBe(0);
    });
  });
  describe('step 8: FIN', () => {
    it('moves to CLOSE-WAIT, tells the user and ACKs at once', () => {
      const d = established();
      d.in(seg('FA', R1, A1));
      expect(d.state).toBe('CLOSE-WAIT');
      expect(d.events()).toEqual(['eof']);
      expect(d.out()).toEqual([`A ${A1}/${R1 + 1}`]);
    });
  });
  describe('user calls', () => {
    it('OPEN is an error; RECEIVE with nothing buffered returns nothing', () => {
      const d = established();
      d.do({ type: 'open', passive: false, remote: { addr: '1.2.3.4', port: 1 } });
      expect(d.events()).toEqual(['error:connection-exists']);
    });
    it('CLOSE sends the FIN after the queued data (§3.10.4)', () => {
      const d = established();
      d.in(seg('A', R1, A1, { window: 3 }));
      d.do({ type: 'send', data: data('abcdef') });
      d.wait(DEFAULT_CONFIG.swsOverride); // sender SWS avoidance: the 3-octet window is filled at the override
      d.do({ type: 'close' });
      expect(d.out()).toEqual([]);
      expect(d.state).toBe('FIN-WAIT-1');
      d.in(seg('A', R1, A1 + 3, { window: 10 }));
      expect(d.out()).toEqual([`FPA ${A1 + 3}/${R1} +3`]);
      expect(d.tcb.finSeq).toBe(A1 + 6);
    });
    it('ABORT sends <SEQ=SND.NXT><CTL=RST> and reports reset', () => {
      const d = established();
      d.do({ type: 'abort' });
      expect(d.out()).toEqual([`R ${A1}`]);
      expect(d.events()).toEqual(['reset', 'closed']);
    });
  });
});
