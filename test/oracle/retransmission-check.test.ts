// The FIN retransmission check on golden traces: what is a timer retransmission and what is an answer.
import { describe, expect, it } from 'vitest';
import { retransmissionCheck } from '../../properties/checks.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import { ladder } from './ladder.js';

const profile = { ...GENERIC_PROFILE('p'), rtoMin: 200, rtoInitial: 1000 };
const PASSIVE = ['call listen', 'in S 300', 'out SA 100 ack=301', 'in A 301 ack=101', 'event accepted c1'];
const finFlags = (lines: string[]): string[] => {
  const out: string[] = [];
  retransmissionCheck(ladder([...PASSIVE, ...lines]), profile, 'FIN', (_at, message) => out.push(message));
  return out;
};

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
