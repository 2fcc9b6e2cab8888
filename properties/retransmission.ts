// Area: timers — SYN and FIN retransmission with exponential backoff (RFC 6298), the delayed-ACK bound, and the
// user timeout the application sets (§3.8.1, §3.8.3, §3.8.6.3, §3.9.1.1).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { RFC } from '../src/oracle/limits.js';
import { type Checker, type Property, traceEnd, violations } from '../src/oracle/property.js';
import { keyOfOut, scan } from '../src/oracle/shadow.js';
import { RST, SYN, describe } from '../src/wire/segment.js';
import { seqDelta } from '../src/wire/seq.js';
import { endOf, retransmissionCheck } from './checks.js';

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
  title:
    'data that arrives in order is acknowledged in under 0.5 s: scenarios of peer writes with gaps around the ' +
    "delayed-ACK timer, judged by the tracker's ack-in-order obligation on every trace",
  requirements: [],
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
  // MUST-40 is an obligation of the model (rules.ts DUE_RULES 'ack-in-order'), judged on every trace.
  check: () => [],
};

/** The user timeout the application sets: virtual clocks 2–40 s, real clocks 2–4 s (waits there are split). */
const timeoutArb = (real: boolean) =>
  real ? fc.integer({ min: 2000, max: 4000 }) : fc.integer({ min: 2000, max: 40_000 });

const userTimeoutActions = (real: boolean) =>
  fc.tuple(openingArb, timeoutArb(real), writeSize).map(([kind, ms, n]): Action[] => {
    // Long enough to see the stack give up: past the timeout by the RTO ceiling on a virtual clock.
    const wait = real ? ms + 2500 : ms + RFC.rtoMax + 5000;
    const parts = real ? Math.ceil(wait / 2500) : 1;
    return [
      ...establish(kind),
      { a: 'stackControl', control: { name: 'timeout', ms } },
      { a: 'stackWrite', n },
      ...Array.from(
        { length: parts },
        (): Action => ({ a: 'settle', ms: Math.round(wait / parts), lossy: 'toPeer', idle: true }),
      ),
    ];
  });

/**
 * MUST-21: the application set the user timeout to T, then wrote data that is never acknowledged. The stack gives up
 * (tells the application, or resets) no sooner than T after the data first went out, sends it no more after T,
 * and has given up by T plus the RTO ceiling (a stack that checks only when its retransmission timer fires).
 */
export function userTimeoutCheck(trace: TraceEntry[], v: Checker): void {
  const ci = trace.findIndex(
    (e) => e.call?.name === 'control' && e.call.control?.name === 'timeout' && !e.call.refused,
  );
  const control = trace[ci]?.call?.control;
  if (control?.name !== 'timeout') return;
  const T = control.ms;
  const tol = Math.max(500, T / 10);
  let first: { i: number; t: number } | undefined;
  let late: number | undefined;
  scan(trace, (i, e, w) => {
    const s = e.dir === 'out' ? e.seg : undefined;
    const c = s && w.conns.get(keyOfOut(s));
    if (i < ci || !s || !c || c.stackIss === undefined || s.flags & (SYN | RST) || !s.payload.length) return;
    if (seqDelta(s.seq, c.stackIss) >= c.stackMax) first ??= { i, t: e.t };
    else if (first && e.t > first.t + T + tol) late ??= i;
  });
  if (!first) return;
  const ended = endOf(trace, first.i, trace.length);
  if (ended?.by === 'other') return; // the peer or the application ended it
  const endT = ended ? trace[ended.i]!.t : traceEnd(trace);
  const since = (t: number): number => Math.round(t - first!.t);
  if (!ended && endT < first.t + T + tol) return; // not due yet when the trace ends
  v.hit();
  if (ended && endT < first.t + T - tol)
    v.flag(
      ended.i,
      `the connection was given up ${since(endT)} ms after its data first went out, before the user timeout of ` +
        `${T} ms the application set`,
      undefined,
      `no giving up before ${T} ms`,
    );
  else if (late !== undefined)
    v.flag(
      late,
      `data retransmitted ${since(trace[late]!.t)} ms after it first went out, past the user timeout of ${T} ms ` +
        'the application set',
      describe(trace[late]!.seg!),
      `the connection given up at the user timeout (${T} ms)`,
    );
  else if (endT >= first.t + T + RFC.rtoMax + tol)
    v.flag(
      ended?.i ?? trace.length - 1,
      `the connection was ${ended ? 'given up only' : 'not given up'} ${since(endT)} ms after its data first went ` +
        `out, with the user timeout at ${T} ms`,
      undefined,
      `given up by ${T + RFC.rtoMax} ms (the user timeout, at the latest when the retransmission timer next fires)`,
    );
}

const userTimeout: Property = {
  name: 'user-timeout',
  area: 'retransmission',
  title:
    'the user timeout the application sets replaces R2: unacknowledged data ends the connection once it has ' +
    'waited that long, not sooner, and is not sent again after',
  requirements: ['MUST-21'],
  section: '§3.8.3, §3.9.1.1',
  needs: ['timeout'],
  scenario: (profile) => scenarioArb(userTimeoutActions(profile.realTime ?? false)),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    userTimeoutCheck(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [syn, fin, delayedAck, userTimeout];
