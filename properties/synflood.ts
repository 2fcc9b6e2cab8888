// Area: SYN floods — spoofed SYNs fill the backlog; half-open connections are reclaimed after the
// SYN,ACK retries run out, and with SYN cookies a genuine client gets through meanwhile
// (§3.10.7.2; RFC 4987 guidance).
import fc from 'fast-check';
import { scenarioArb } from '../src/gen/arbitraries.js';
import { PEER_PORT, type Action } from '../src/gen/scenario.js';
import { SYN } from '../src/wire/segment.js';
import { type Property, violations } from '../src/oracle/property.js';

export const properties: Property[] = [
  {
    name: 'syn-flood',
    area: 'synflood',
    title:
      'after a flood of spoofed SYNs a genuine client still completes its handshake (at once with SYN cookies, after ' +
      'reclaiming otherwise)',
    requirements: [],
    section: '§3.10.7.2',
    scenario: (profile) =>
      scenarioArb(
        fc
          .tuple(fc.integer({ min: 150, max: 300 }), fc.integer({ min: 0, max: 0xffffff00 }))
          .map(([k, x]): Action[] => [
            { a: 'stackListen' },
            ...Array.from(
              { length: k },
              (_, n): Action => ({
                a: 'inject',
                h: { flags: SYN, seq: { ref: 'abs', d: x + n }, ack: { ref: 'abs', d: 0 }, len: 0, to: 'spoof', n },
              }),
            ),
            ...(profile.synCookies ? [] : [{ a: 'advance', ms: 200_000 } as Action]),
            { a: 'peerConnect' },
            { a: 'settle', ms: 20_000 },
          ]),
        { window: fc.constant(65535) },
      ),
    check(trace, _profile, tally) {
      const v = violations(this, tally);
      v.hit();
      const ok = trace.some((e) => e.event?.type === 'accepted' && e.event.remote.port === PEER_PORT);
      if (!ok)
        v.flag(trace.length - 1, 'the genuine client never got through after the SYN flood', undefined, 'accepted');
      return v.out;
    },
  },
];
