// Area: timers — SYN and FIN retransmission with exponential backoff (RFC 6298), and the
// delayed-ACK bound (§3.8.1, §3.8.3, §3.8.6.3).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import { type Property, violations } from '../src/oracle/property.js';
import { ackDelayCheck, retransmissionCheck } from './checks.js';

const syn: Property = {
  name: 'syn-retransmission',
  area: 'retransmission',
  title: 'an unanswered SYN is retransmitted within the RTO bounds with exponential backoff',
  requirements: ['MUST-18', 'MUST-22'],
  checks: { rto: ['MUST-18'], backoff: ['MUST-19'], 'give-up': ['MUST-22', 'MUST-23'] },
  section: '§3.8.1, §3.8.3; RFC 6298 §5.5',
  scenario: () =>
    scenarioArb(
      fc
        .oneof(
          { weight: 3, arbitrary: fc.integer({ min: 5_000, max: 70_000 }) },
          // past R2 for a SYN (3 minutes, MUST-23): long enough to see the stack give up or keep going
          { weight: 1, arbitrary: fc.integer({ min: 185_000, max: 200_000 }) },
        )
        .map((ms): Action[] => [{ a: 'stackConnect' }, { a: 'settle', ms, lossy: 'toPeer', idle: true }]),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    retransmissionCheck(trace, profile, 'SYN', v);
    return v.out;
  },
};

const fin: Property = {
  name: 'fin-retransmission',
  area: 'retransmission',
  title: 'an unacknowledged FIN is retransmitted at the same sequence number with exponential backoff',
  requirements: ['MUST-18'],
  checks: { rto: ['MUST-18'], backoff: ['MUST-19'], 'give-up': ['SHLD-11'] },
  section: '§3.8.1, §3.10.4; RFC 6298 §5.5',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          fc.oneof(
            { weight: 3, arbitrary: fc.integer({ min: 5_000, max: 70_000 }) },
            // past R2 for data (100 s, SHLD-11)
            { weight: 1, arbitrary: fc.integer({ min: 105_000, max: 130_000 }) },
          ),
        )
        .map(([kind, ms]): Action[] => [
          ...establish(kind),
          { a: 'stackClose' },
          { a: 'settle', ms, lossy: 'toPeer', idle: true },
        ]),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    retransmissionCheck(trace, profile, 'FIN', v);
    return v.out;
  },
};

const delayedAck: Property = {
  name: 'delayed-ack',
  area: 'retransmission',
  title: 'data that arrives in order is acknowledged in under 0.5 s',
  requirements: ['MUST-40'],
  section: '§3.8.6.3',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          fc.array(fc.tuple(writeSize, fc.integer({ min: 0, max: 700 })), { minLength: 1, maxLength: 4 }),
        )
        .map(([kind, ws]): Action[] => [
          ...establish(kind),
          ...ws.flatMap(([n, gap]): Action[] => [
            { a: 'peerWrite', n },
            { a: 'settle', ms: gap },
          ]),
          { a: 'settle', ms: 2000 },
        ]),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    ackDelayCheck(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [syn, fin, delayedAck];
