// §3.8.4 keep-alives in the model: off by default; when on, probes <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK> after the
// idle time with nothing outstanding, an answer restarts the idle time, and only `probes` unanswered in a row end it.
import { describe, expect, it } from 'vitest';
import { IRS, ISS, cfg, established, seg, show } from './fixtures.js';

const KA = { idle: 7_200_000, interval: 75_000, probes: 3 };

describe('keep-alives (§3.8.4)', () => {
  it('are off by default: an idle connection sends nothing for hours (MUST-25)', () => {
    const d = established();
    expect(d.wait(10 * 3_600_000)).toEqual([]);
    expect(d.tcb.timers.keepalive).toBeUndefined();
  });
  it('when on, probe after the idle time with SND.NXT-1 and no data (SHLD-12)', () => {
    const d = established(cfg({ keepAlive: KA }));
    expect(d.wait(KA.idle - 1)).toEqual([]);
    expect(d.wait(1).map(show)).toEqual([`A ${ISS}/${IRS + 1}`]);
  });
  it('an answer restarts the idle time; one lost probe does not end the connection (MUST-29)', () => {
    const d = established(cfg({ keepAlive: KA }));
    d.wait(KA.idle + KA.interval); // two probes, both lost
    expect(d.state).toBe('ESTABLISHED');
    d.in(seg('A', IRS + 1, ISS + 1));
    expect(d.wait(KA.idle - 1)).toEqual([]);
    expect(d.wait(1)).toHaveLength(1);
  });
  it('after `probes` unanswered probes the connection ends with keep-alive-timeout', () => {
    const d = established(cfg({ keepAlive: KA }));
    const sent = d.wait(KA.idle + KA.probes * KA.interval);
    expect(sent).toHaveLength(KA.probes);
    expect(d.state).toBe('CLOSED');
    expect(d.app.map((e) => (e.type === 'error' ? e.code : e.type))).toContain('keep-alive-timeout');
  });
  it('no probe while data is outstanding (MUST-26)', () => {
    const d = established(cfg({ keepAlive: KA, dataRetries: 1_000_000, userTimeout: 1e12, rtoMax: 1e9 }));
    d.do({ type: 'send', data: new Uint8Array(10) });
    const sent = d.wait(KA.idle * 2);
    expect(sent.every((s) => s.payload.length > 0)).toBe(true);
  });
});

describe('the application turns keep-alives on and off, and stops reading (option call)', () => {
  it('on with its own idle time (MUST-24, MUST-27), then off: no more probes', () => {
    const d = established();
    d.do({ type: 'option', keepAlive: { idle: 30_000, interval: 5000, probes: 4 } });
    expect(d.wait(29_999)).toEqual([]);
    expect(d.wait(1).map(show)).toEqual([`A ${ISS}/${IRS + 1}`]);
    d.do({ type: 'option', keepAlive: null });
    expect(d.wait(3_600_000)).toEqual([]);
    expect(d.tcb.timers.keepalive).toBeUndefined();
  });
  it('reading held: data waits and the window closes; reading again hands it over and reopens it', () => {
    const d = established(cfg({ rcvBuf: 100 }));
    d.do({ type: 'option', autoReceive: false });
    d.in(seg('PA', IRS + 1, ISS + 1, { payload: new Uint8Array(100) }));
    expect(d.app.filter((e) => e.type === 'data')).toEqual([]);
    expect(d.tcb.rcvWnd).toBe(0);
    d.do({ type: 'option', autoReceive: true });
    expect(d.app.filter((e) => e.type === 'data')).toHaveLength(1);
    expect(d.tcb.rcvWnd).toBe(100);
  });
});
