import { describe, expect, it } from 'vitest';
import { makeConfig, clockIsn, DEFAULT_CONFIG } from '../../src/model/config.js';
import { nextDeadline, step } from '../../src/model/step.js';
import { IRS, ISS, cfg, data, established, seg, synReceivedPassive, synSent } from './fixtures.js';

const A1 = ISS + 1;
const R1 = IRS + 1;

describe('retransmission (§3.8.1, RFC 6298)', () => {
  it('SYN: RTO 1 s doubling each time, same ISN', () => {
    const d = synSent();
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = d.now;
      const re = d.wait(d.tcb.timers.rexmt! - before);
      expect(re.map((s) => s.seq)).toEqual([ISS]);
      times.push(d.now);
    }
    expect(times).toEqual([1000, 3000, 7000, 15000]);
  });
  it('SYN: gives up after synRetries with an error (R2 >= 3 minutes, MUST-23)', () => {
    const d = synSent();
    d.wait(400_000);
    expect(d.state).toBe('CLOSED');
    expect(d.app.map((e) => (e.type === 'error' ? e.code : e.type))).toEqual(['retransmission-timeout', 'closed']);
    const sent = d.segs.filter((s) => s.seq === ISS).length;
    expect(sent).toBe(1 + DEFAULT_CONFIG.synRetries);
  });
  it('SYN-ACK: a passive half-open connection is reclaimed silently (back to LISTEN)', () => {
    const d = synReceivedPassive();
    d.wait(400_000);
    expect(d.state).toBe('LISTEN');
    expect(d.app).toEqual([]);
    expect(d.segs.length).toBe(1 + DEFAULT_CONFIG.synAckRetries);
  });
  it('data: backoff is capped at rtoMax and the oldest segment is resent', () => {
    const d = established(cfg({ rtoMax: 4000 }));
    d.do({ type: 'send', data: data('abc') });
    const re = d.wait(20_000);
    expect(re.map((s) => s.seq)).toEqual([A1, A1, A1, A1, A1, A1]);
    expect(d.tcb.rto).toBe(4000);
  });
  it('RTT samples set the RTO by RFC 6298 §2.3 and Karn skips retransmitted segments', () => {
    // The fixture's handshake already sampled 0 ms: SRTT 0, RTTVAR 0.
    const d = established(cfg({ rtoMin: 10 }));
    d.do({ type: 'send', data: data('a') });
    d.now += 40;
    d.in(seg('A', R1, A1 + 1));
    expect(d.tcb.rttvar).toBe(10); // 3/4*0 + 1/4*|0-40|
    expect(d.tcb.srtt).toBe(5); // 7/8*0 + 1/8*40
    expect(d.tcb.rto).toBe(45); // SRTT + 4*RTTVAR
    d.do({ type: 'send', data: data('b') });
    d.now += 60;
    d.in(seg('A', R1, A1 + 2));
    expect(d.tcb.srtt).toBeCloseTo(11.875);
    expect(d.tcb.rto).toBeCloseTo(96.875);
    d.do({ type: 'send', data: data('c') });
    d.wait(100); // retransmitted once: its ACK gives no sample
    expect(d.tcb.rto).toBeCloseTo(193.75);
    const srtt = d.tcb.srtt;
    d.in(seg('A', R1, A1 + 3));
    expect(d.tcb.srtt).toBe(srtt);
  });
  it('the RTO never drops below rtoMin', () => {
    const d = established();
    d.do({ type: 'send', data: data('a') });
    d.now += 3;
    d.in(seg('A', R1, A1 + 1));
    expect(d.tcb.rto).toBe(1000);
  });
  it('the FIN rides on the retransmission of the last data', () => {
    const d = established();
    d.do({ type: 'send', data: data('abc') });
    d.do({ type: 'close' });
    const re = d.wait(1000);
    expect(re.length).toBe(1);
    expect(re[0]!.flags & 1).toBe(1);
    expect(re[0]!.payload.length).toBe(3);
  });
  it('a retransmission timer with nothing outstanding does nothing', () => {
    const d = established();
    const r = step({ ...d.tcb, timers: { rexmt: 0 } }, { type: 'timeout', timer: 'rexmt' }, 10);
    expect(r.segments).toEqual([]);
  });
  it('a timeout that is not due, or not armed, is ignored', () => {
    const d = established();
    d.do({ type: 'send', data: data('x') });
    const r = step(d.tcb, { type: 'timeout', timer: 'rexmt' }, 5);
    expect(r.segments).toEqual([]);
    expect(r.timers).toEqual([]);
    const q = step(d.tcb, { type: 'timeout', timer: 'timeWait' }, 5);
    expect(q.segments).toEqual([]);
  });
});

describe('user timeout (§3.9.1.1)', () => {
  it('unacknowledged data for longer than the user timeout aborts the connection', () => {
    const d = established(cfg({ userTimeout: 5000, dataRetries: 100 }));
    d.do({ type: 'send', data: data('x') });
    d.wait(5000);
    expect(d.state).toBe('CLOSED');
    expect(d.app.slice(-2).map((e) => (e.type === 'error' ? e.code : e.type))).toEqual(['user-timeout', 'closed']);
  });
  it('a passive half-open connection hitting the user timeout returns to LISTEN', () => {
    const d = synReceivedPassive(cfg({ userTimeout: 500, synAckRetries: 100 }));
    d.wait(500);
    expect(d.state).toBe('LISTEN');
  });
});

describe('zero-window probing (MUST-35/36, SHLD-29)', () => {
  it('probes a zero window with one new octet after an RTO, with backoff', () => {
    const d = established();
    d.in(seg('A', R1, A1, { window: 0 }));
    d.do({ type: 'send', data: data('abc') });
    expect(d.out()).toEqual([]);
    expect(d.tcb.timers.persist).toBe(1000);
    const probes = d.wait(1000);
    expect(probes.map((s) => [s.seq, s.payload.length])).toEqual([[A1, 1]]);
    const more = d.wait(2000);
    expect(more.map((s) => s.seq)).toEqual([A1]);
    d.in(seg('A', R1, A1 + 1, { window: 100 }));
    expect(d.out()).toEqual([`PA ${A1 + 1}/${R1} +2`]);
  });
});

describe('step() is pure', () => {
  it('does not change the TCB it is given', () => {
    const d = established();
    const before = JSON.stringify(d.tcb, (_k, v) => (v instanceof Uint8Array ? [...v] : v));
    step(d.tcb, { type: 'send', data: data('x') }, 0);
    step(d.tcb, { type: 'segment', seg: seg('FA', R1, A1) }, 0);
    expect(JSON.stringify(d.tcb, (_k, v) => (v instanceof Uint8Array ? [...v] : v))).toBe(before);
  });
  it('reports timer changes and the next deadline', () => {
    const d = established();
    const r = step(d.tcb, { type: 'send', data: data('x') }, 100);
    expect(r.timers).toEqual(
      expect.arrayContaining([
        { timer: 'rexmt', at: 1100 },
        { timer: 'user', at: 300_100 },
      ]),
    );
    expect(nextDeadline(r.tcb)).toEqual({ timer: 'rexmt', at: 1100 });
    expect(nextDeadline(d.tcb)).toBeUndefined();
  });
});

describe('config', () => {
  it('rejects nonsense with every problem named', () => {
    expect(() =>
      makeConfig({ msl: -1, rcvBuf: 70000, rtoMin: 5, rtoMax: 1, synRetries: 1.5, mss: 0, sendMssCap: 0 }),
    ).toThrow(/msl must be a positive number.*rtoMin 5 exceeds rtoMax 1.*rcvBuf.*mss must be.*sendMssCap.*synRetries/);
  });
  it('the default ISN follows a 4 µs clock plus a per-tuple offset (§3.4.1)', () => {
    const l = { addr: '10.0.0.1', port: 80 };
    const r = { addr: '10.0.0.2', port: 1 };
    expect(
      (clockIsn({ now: 1, local: l, remote: r }) - clockIsn({ now: 0, local: l, remote: r }) + 2 ** 32) % 2 ** 32,
    ).toBe(250);
    expect(clockIsn({ now: 0, local: l, remote: r })).not.toBe(
      clockIsn({ now: 0, local: l, remote: { ...r, port: 2 } }),
    );
  });
});
