// The FIN retransmission check on golden traces: what is a timer retransmission and what is an answer.
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import { ladder } from './ladder.js';
import { Tally } from '../../src/oracle/types.js';

const profile = { ...GENERIC_PROFILE('p'), rtoMin: 200, rtoInitial: 1000 };
const PASSIVE = ['call listen', 'in S 300', 'out SA 100 ack=301', 'in A 301 ack=101', 'event accepted c1'];
const fin = ALL_PROPERTIES.find((p) => p.name === 'fin-retransmission')!;
const finFlags = (lines: string[]): string[] =>
  fin.check(ladder([...PASSIVE, ...lines]), profile).map((v) => v.message);

describe('FIN retransmission', () => {
  it('a FIN put again on the ACK of the peer FIN (4.4BSD) is an answer, not a retransmission below the RTO', () => {
    const crossing = ['call close c1', 'out FA 101 ack=301', 'time 5', 'in FA 301 ack=101', 'out FA 101 ack=302'];
    expect(finFlags([...crossing, 'in A 302 ack=102'])).toEqual([]);
  });
  it('the same FIN re-sent 5 ms later with nothing arriving is still flagged', () => {
    const early = ['call close c1', 'out FA 101 ack=301', 'time 5', 'out FA 101 ack=301', 'in A 301 ack=102'];
    expect(finFlags(early)).toEqual([
      expect.stringMatching(/FIN retransmitted after 5 ms, below the declared minimum RTO/),
    ]);
  });
  it('an answer does not stand in for the timer: an unacknowledged FIN must still be retransmitted', () => {
    const crossing = [
      'call close c1',
      'out FA 101 ack=301',
      'time 5',
      'in FA 301 ack=101',
      'out FA 101 ack=302',
      'time 5000',
    ];
    expect(finFlags(crossing)).toEqual([expect.stringMatching(/FIN not retransmitted/)]);
  });
});

/** A SYN sent at 0 and retransmitted with doubling intervals from 1 s, up to `until` ms. */
const synSeries = (until: number): string[] => {
  const out = ['call connect c1', 'out S 100'];
  let t = 0;
  for (let gap = 1000; t + gap <= until; gap = Math.min(gap * 2, 60_000)) {
    out.push(`time ${gap}`, 'out S 100');
    t += gap;
  }
  return out;
};
const syn = ALL_PROPERTIES.find((p) => p.name === 'syn-retransmission')!;
const synVerdict = (lines: string[]) => {
  const t = new Tally();
  const v = syn.check(ladder(lines), profile, t);
  return { checks: v.map((x) => `${x.check}: ${x.message}`), t };
};

describe('SYN give-up (R2, MUST-23): a connection that ends is judged, not skipped', () => {
  it('giving up after 75 s is a violation of MUST-23', () => {
    const { checks, t } = synVerdict([...synSeries(63_000), 'time 12000', 'event error c1 timeout']);
    expect(checks).toEqual([expect.stringMatching(/^syn-retransmission\/give-up: the stack gave up .* after 75\.0 s/)]);
    expect(t.hits.get('syn-retransmission/give-up')).toBe(1);
  });
  it('giving up after 3 minutes passes and counts', () => {
    const { checks, t } = synVerdict([...synSeries(185_000), 'time 5000', 'event error c1 timeout']);
    expect(checks).toEqual([]);
    expect(t.hits.get('syn-retransmission/give-up')).toBe(1);
  });
  it('a connection the peer reset is not a give-up: nothing judged', () => {
    const { checks, t } = synVerdict([...synSeries(7000), 'in R 0 ack=101', 'event reset c1']);
    expect(checks).toEqual([]);
    expect(t.hits.get('syn-retransmission/give-up')).toBeUndefined();
  });
  it('a trace too short to reach R2 exercises the RTO checks but not the give-up', () => {
    const { t } = synVerdict(synSeries(10_000));
    expect(t.hits.get('syn-retransmission/rto')).toBeGreaterThan(0);
    expect(t.hits.get('syn-retransmission/give-up')).toBeUndefined();
  });
});
