// Area: invariants over random interleavings. Everything in src/oracle/invariants.ts is judged;
// the scenario throws user calls on both sides, network faults and hostile segments at the stack.
import fc from 'fast-check';
import { establish, hostileArb, netArb, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { Property } from '../src/oracle/property.js';

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: netArb },
  { weight: 2, arbitrary: writeSize.map((n): Action => ({ a: 'stackWrite', n })) },
  { weight: 2, arbitrary: writeSize.map((n): Action => ({ a: 'peerWrite', n })) },
  { weight: 1, arbitrary: fc.constantFrom<Action>({ a: 'stackClose' }, { a: 'stackShutdown' }, { a: 'peerClose' }) },
  { weight: 1, arbitrary: fc.constantFrom<Action>({ a: 'stackAbort' }, { a: 'peerAbort' }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 900, max: 4000 }))
      .map((ms): Action => ({ a: 'advance', ms })),
  },
  { weight: 2, arbitrary: hostileArb('conn').map((h): Action => ({ a: 'inject', h })) },
  { weight: 1, arbitrary: fc.constant<Action>({ a: 'settle', ms: 3000 }) },
);

/** The peer drops its connection and opens a new one on the same ports (a second incarnation of the 4-tuple). */
const reconnect = fc.constant<Action[]>([
  { a: 'peerAbort' },
  { a: 'settle', ms: 1000 },
  { a: 'peerConnect' },
  { a: 'settle', ms: 3000 },
]);

export const properties: Property[] = [
  {
    name: 'interleavings',
    area: 'invariants',
    title: 'random user calls, network faults and hostile segments never break the always-on invariants',
    requirements: [],
    section: '§3.4, §3.7.1, §3.8.6, §3.10',
    scenario: () =>
      scenarioArb(
        fc
          .tuple(
            fc.oneof(openingArb.map(establish), fc.constant<Action[]>([{ a: 'stackConnect' }, { a: 'peerConnect' }])),
            fc
              .array(
                fc.oneof({ weight: 12, arbitrary: actionArb.map((x) => [x]) }, { weight: 1, arbitrary: reconnect }),
                {
                  maxLength: 20,
                },
              )
              .map((xs) => xs.flat()),
          )
          .map(([open, rest]) => [...open, ...rest, { a: 'settle', ms: 30_000 }]),
      ),
    // Judged by the invariants alone (each counted under its own name).
    check: () => [],
  },
];
