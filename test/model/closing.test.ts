import { DEFAULT_CONFIG } from '../../src/model/config.js';
import { describe, expect, it } from 'vitest';
import {
  IRS,
  ISS,
  cfg,
  closeWait,
  closing,
  data,
  established,
  finWait1,
  finWait2,
  lastAck,
  seg,
  timeWait,
} from './fixtures.js';

const A1 = ISS + 1;
const R1 = IRS + 1;

describe('FIN-WAIT-1', () => {
  it('the ACK of our FIN moves to FIN-WAIT-2', () => {
    const d = finWait1();
    d.in(seg('A', R1, A1 + 1));
    expect(d.state).toBe('FIN-WAIT-2');
    expect(d.tcb.timers.rexmt).toBeUndefined();
  });
  it('an ACK short of our FIN keeps FIN-WAIT-1', () => {
    const d = established();
    d.do({ type: 'send', data: data('ab') });
    d.do({ type: 'close' });
    d.in(seg('A', R1, A1 + 2));
    expect(d.state).toBe('FIN-WAIT-1');
  });
  it("the peer's FIN that also ACKs ours goes straight to TIME-WAIT (Figure 5 note 2)", () => {
    const d = finWait1();
    d.in(seg('FA', R1, A1 + 1));
    expect(d.state).toBe('TIME-WAIT');
    expect(d.out()).toEqual([`A ${A1 + 1}/${R1 + 1}`]);
    expect(d.tcb.timers).toEqual({ timeWait: 240_000 });
  });
  it("the peer's FIN without the ACK of ours moves to CLOSING (simultaneous close)", () => {
    const d = finWait1();
    d.in(seg('FA', R1, A1));
    expect(d.state).toBe('CLOSING');
    expect(d.out()).toEqual([`A ${A1 + 1}/${R1 + 1}`]);
  });
  it('data still arrives and is delivered (half-close)', () => {
    const d = finWait1();
    d.in(seg('PA', R1, A1 + 1, { payload: data('late') }));
    expect(d.events()).toEqual(['data']);
  });
  it('never a second FIN: CLOSE again is an error, SEND too', () => {
    const d = finWait1();
    d.do({ type: 'close' });
    expect(d.events()).toEqual(['error:connection-closing']);
    expect(d.out()).toEqual([]);
    d.do({ type: 'send', data: data('x') });
    expect(d.events()).toEqual(['error:connection-closing']);
  });
  it('the FIN is retransmitted on timeout with the same sequence number', () => {
    const d = finWait1();
    const re = d.wait(1000);
    expect(re.map((s) => `${s.flags}:${s.seq}`)).toEqual([`17:${A1}`]);
  });
  it('ABORT sends a RST', () => {
    const d = finWait1();
    d.do({ type: 'abort' });
    expect(d.out()).toEqual([`R ${A1 + 1}`]);
  });
});

describe('FIN-WAIT-2', () => {
  it("the peer's FIN moves to TIME-WAIT and is ACKed", () => {
    const d = finWait2();
    d.in(seg('FA', R1, A1 + 1));
    expect(d.state).toBe('TIME-WAIT');
    expect(d.out()).toEqual([`A ${A1 + 1}/${R1 + 1}`]);
  });
  it('data from the peer is still delivered', () => {
    const d = finWait2();
    d.in(seg('PA', R1, A1 + 1, { payload: data('more') }));
    expect(d.events()).toEqual(['data']);
    expect(d.state).toBe('FIN-WAIT-2');
  });
  it('RECEIVE works, CLOSE is an error, ABORT resets', () => {
    const d = finWait2(cfg({ autoReceive: false }));
    d.in(seg('PA', R1, A1 + 1, { payload: data('more') }));
    d.do({ type: 'receive' });
    expect(d.events()).toEqual(['data']);
    d.do({ type: 'close' });
    expect(d.events()).toEqual(['error:connection-closing']);
    d.do({ type: 'abort' });
    expect(d.out()).toEqual([`R ${A1 + 1}`]);
  });
  it('a valid RST resets', () => {
    const d = finWait2();
    d.in(seg('R', R1));
    expect(d.events()).toEqual(['reset', 'closed']);
  });
});

describe('CLOSE-WAIT', () => {
  it('SEND still works (half-close) and CLOSE sends the FIN -> LAST-ACK', () => {
    const d = closeWait();
    d.do({ type: 'send', data: data('reply') });
    expect(d.out()).toEqual([`PA ${A1}/${R1 + 1} +5`]);
    d.do({ type: 'close' });
    expect(d.out()).toEqual([`FA ${A1 + 5}/${R1 + 1}`]);
    expect(d.state).toBe('LAST-ACK');
  });
  it('text and a repeated FIN are ignored (the repeated FIN is re-ACKed by step 1)', () => {
    const d = closeWait();
    d.in(seg('FA', R1, A1));
    expect(d.out()).toEqual([`A ${A1}/${R1 + 1}`]);
    d.in(seg('PA', R1 + 1, A1, { payload: data('zzz') }));
    expect(d.events()).toEqual([]);
  });
  it('RECEIVE with nothing left reports closing', () => {
    const d = closeWait(cfg({ autoReceive: false }));
    d.do({ type: 'receive' });
    expect(d.events()).toEqual(['error:connection-closing']);
  });
  it('a valid RST resets', () => {
    const d = closeWait();
    d.in(seg('R', R1 + 1));
    expect(d.events()).toEqual(['reset', 'closed']);
  });
});

describe('CLOSING', () => {
  it("data queued before CLOSE is still sent, then the FIN, after the peer's FIN arrives (found by four-way-close)", () => {
    const d = established();
    d.in(seg('A', R1, A1, { window: 1 }));
    d.do({ type: 'send', data: data('abc') });
    d.wait(DEFAULT_CONFIG.swsOverride); // sender SWS avoidance: the 1-octet window is filled at the override
    d.do({ type: 'close' });
    expect(d.out()).toEqual([]);
    d.in(seg('FA', R1, A1, { window: 1 }));
    expect(d.state).toBe('CLOSING');
    d.in(seg('A', R1 + 1, A1 + 1, { window: 10 }));
    expect(d.out()).toEqual([`FPA ${A1 + 1}/${R1 + 1} +2`]);
    d.in(seg('A', R1 + 1, A1 + 4));
    expect(d.state).toBe('TIME-WAIT');
  });
  it('the ACK of our FIN moves to TIME-WAIT', () => {
    const d = closing();
    d.in(seg('A', R1 + 1, A1 + 1));
    expect(d.state).toBe('TIME-WAIT');
  });
  it('other segments are ignored', () => {
    const d = closing();
    d.in(seg('A', R1 + 1, A1));
    expect(d.state).toBe('CLOSING');
    expect(d.out()).toEqual([]);
  });
  it('a valid RST closes without a reset report', () => {
    const d = closing();
    d.in(seg('R', R1 + 1));
    expect(d.state).toBe('CLOSED');
    expect(d.events()).toEqual(['closed']);
  });
  it.each(['send', 'close', 'receive'] as const)('%s is an error', (type) => {
    const d = closing();
    d.do(type === 'send' ? { type, data: data('x') } : { type });
    expect(d.events()).toEqual(['error:connection-closing']);
  });
  it('ABORT deletes without a RST', () => {
    const d = closing();
    d.do({ type: 'abort' });
    expect(d.out()).toEqual([]);
    expect(d.state).toBe('CLOSED');
  });
});

describe('LAST-ACK', () => {
  it('the ACK of our FIN deletes the TCB', () => {
    const d = lastAck();
    d.in(seg('A', R1 + 1, A1 + 1));
    expect(d.state).toBe('CLOSED');
    expect(d.events()).toEqual(['closed']);
  });
  it('an ACK short of the FIN keeps LAST-ACK; the FIN is retransmitted', () => {
    const d = lastAck();
    d.in(seg('A', R1 + 1, A1));
    expect(d.state).toBe('LAST-ACK');
    expect(d.wait(1000).length).toBe(1);
  });
  it('ABORT deletes without a RST', () => {
    const d = lastAck();
    d.do({ type: 'abort' });
    expect(d.out()).toEqual([]);
  });
});

describe('TIME-WAIT (MUST-13)', () => {
  it('lasts exactly 2 MSL, then deletes the TCB', () => {
    const d = timeWait(cfg({ msl: 1000 }));
    d.wait(1999);
    expect(d.state).toBe('TIME-WAIT');
    d.wait(1);
    expect(d.state).toBe('CLOSED');
    expect(d.events()).toEqual(['closed']);
  });
  it('a retransmitted FIN is re-ACKed and restarts the timer', () => {
    const d = timeWait(cfg({ msl: 1000 }));
    d.wait(1500);
    d.in(seg('FA', R1, A1 + 1));
    expect(d.out()).toEqual([`A ${A1 + 1}/${R1 + 1}`]);
    expect(d.tcb.timers.timeWait).toBe(3500);
    d.wait(1999);
    expect(d.state).toBe('TIME-WAIT');
    d.wait(1);
    expect(d.state).toBe('CLOSED');
  });
  it('a SYN draws a challenge ACK (RFC 5961)', () => {
    const d = timeWait();
    d.in(seg('S', R1 + 1000));
    expect(d.out()).toEqual([`A ${A1 + 1}/${R1 + 1}`]);
    expect(d.state).toBe('TIME-WAIT');
  });
  it('a valid RST ends TIME-WAIT (no RFC 1337 exception in RFC 9293)', () => {
    const d = timeWait();
    d.in(seg('R', R1 + 1));
    expect(d.state).toBe('CLOSED');
  });
  it('an in-window ACK changes nothing', () => {
    const d = timeWait();
    d.in(seg('A', R1 + 1, A1 + 1));
    expect(d.out()).toEqual([]);
    expect(d.state).toBe('TIME-WAIT');
  });
  it.each(['send', 'close', 'receive'] as const)('%s is an error', (type) => {
    const d = timeWait();
    d.do(type === 'send' ? { type, data: data('x') } : { type });
    expect(d.events()).toEqual(['error:connection-closing']);
  });
  it('ABORT deletes silently', () => {
    const d = timeWait();
    d.do({ type: 'abort' });
    expect(d.state).toBe('CLOSED');
    expect(d.out()).toEqual([]);
  });
});
