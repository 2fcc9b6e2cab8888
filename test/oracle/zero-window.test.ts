// The zero-window checks on golden ladders: what a probe is, when one is owed, backoff, staying open, reopening.
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { zeroWindowEpisodes } from '../../properties/window.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import { Tally } from '../../src/oracle/types.js';
import { ladder } from './ladder.js';

const profile = { ...GENERIC_PROFILE('p'), rtoMin: 200, rtoInitial: 1000, rtoMax: 60_000 };
const zw = ALL_PROPERTIES.find((p) => p.name === 'zero-window')!;
// The stack writes 5 octets into a 2-octet window; the peer takes 2 and closes its window.
const OPEN = [
  'call listen',
  'in S 300 win=2',
  'out SA 100 ack=301',
  'in A 301 ack=101 win=2',
  'event accepted c1',
  'call write c1 hello',
  'out PA 101 ack=301 data=he',
  'in A 301 ack=103 win=0',
];
/** Probes (one new octet, refused by the shut window) after each gap. */
const probes = (gaps: number[], form = 'out A 103 ack=301 data=l'): string[] =>
  gaps.flatMap((g) => [`time ${g}`, form, 'in A 301 ack=103 win=0']);
const verdict = (lines: string[]) => {
  const t = new Tally();
  const v = zw.check(ladder([...OPEN, ...lines]), profile, t);
  return { checks: v.map((x) => `${x.check}: ${x.message}`), t };
};

describe('zero-window episodes', () => {
  it('start at the ACK that shuts the window with data waiting and end when it reopens', () => {
    const eps = zeroWindowEpisodes(ladder([...OPEN, ...probes([1000, 2000]), 'in A 301 ack=103 win=10']));
    expect(eps).toHaveLength(1);
    expect(eps[0]).toMatchObject({ i: 7, end: 'reopen' });
    expect(eps[0]!.probes.map((p) => p.answered)).toEqual([true, true]);
  });
  it('the keep-alive form SEQ=SND.UNA-1 without data counts as a probe (Linux probes so)', () => {
    const eps = zeroWindowEpisodes(ladder([...OPEN, ...probes([300, 600], 'out A 102 ack=301')]));
    expect(eps[0]!.probes).toHaveLength(2);
  });
});

describe('zero-window checks', () => {
  it('probes after one RTO with doubling intervals pass, each judgment counted', () => {
    const { checks, t } = verdict([
      ...probes([1000, 2000, 4000, 8000]),
      'in A 301 ack=103 win=10',
      'out PA 103 ack=301 data=llo',
    ]);
    expect(checks).toEqual([]);
    expect(t.hits.get('zero-window')).toBe(4);
    expect(t.hits.get('zero-window/backoff')).toBe(2);
    expect(t.hits.get('zero-window/reopen')).toBe(1);
  });
  it('a window left unprobed past the RTO ceiling fails MUST-35/36, and the late first probe SHLD-29', () => {
    const { checks } = verdict(['time 70000']);
    expect(checks).toEqual([
      expect.stringMatching(/^zero-window\/first-probe: the first zero-window probe had not come/),
      expect.stringMatching(/^zero-window: no zero-window probe for 70000 ms/),
    ]);
  });
  it('probes at a constant interval fail SHLD-30', () => {
    const { checks } = verdict(probes([1000, 1000, 1000]));
    expect(checks).toEqual([expect.stringMatching(/^zero-window\/backoff: zero-window probes without backoff/)]);
  });
  it('an interval capped at the RTO ceiling is backed off', () => {
    expect(verdict(probes([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])).checks).toEqual([]);
  });
  it('ending the connection while the peer answers the probes fails MUST-37', () => {
    const { checks, t } = verdict([...probes([1000, 2000, 4000]), 'time 1000', 'out R 103', 'event error c1 timeout']);
    expect(checks).toEqual([expect.stringMatching(/^zero-window\/stays-open: the stack ended the connection/)]);
    expect(t.hits.get('zero-window/stays-open')).toBe(1);
  });
  it('a peer RST ending the episode is not the stack giving up', () => {
    expect(verdict([...probes([1000, 2000]), 'in R 301']).checks).toEqual([]);
  });
  it('a reopened window with no data sent by the bound fails', () => {
    const { checks } = verdict([...probes([1000]), 'in A 301 ack=103 win=10', 'time 70000']);
    expect(checks).toEqual([expect.stringMatching(/^zero-window\/reopen: the peer's window reopened but no data/)]);
  });
  it('a short episode ended by a window update before any probe was owed is judged by nothing', () => {
    const { checks, t } = verdict(['time 100', 'in A 301 ack=103 win=10', 'out PA 103 ack=301 data=llo']);
    expect(checks).toEqual([]);
    expect(t.hits.get('zero-window') ?? 0).toBe(0);
    expect(t.hits.get('zero-window/first-probe') ?? 0).toBe(0);
  });
});
