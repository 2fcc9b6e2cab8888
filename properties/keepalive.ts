// Area: keep-alives (§3.8.4) — off unless the application turns them on (MUST-25): a connection left idle for
// more than two hours sends nothing of its own. Turning them on needs an application control the adapter API
// does not have yet, so the forms and intervals of probes (MUST-26..29, SHLD-12) are not judged here.
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Property, violations } from '../src/oracle/property.js';
import { FIN, RST, SYN, describe, segLen } from '../src/wire/segment.js';

const TWO_HOURS = 7_200_000;
/** Longer than any delayed ACK (MUST-40): a segment later than this after the last input answers nothing. */
const UNPROMPTED = 1000;

const idleActions = fc
  .tuple(openingArb, fc.option(writeSize), fc.integer({ min: TWO_HOURS + 100_000, max: TWO_HOURS + 1_800_000 }))
  .map(([kind, n, idle]): Action[] => [
    ...establish(kind),
    ...(n === null ? [] : [{ a: 'peerWrite', n } as Action, { a: 'stackWrite', n } as Action]),
    { a: 'settle', ms: 5000 },
    { a: 'settle', ms: idle, idle: true },
    { a: 'peerWrite', n: 10 },
    { a: 'settle', ms: 2000 },
  ]);

/** The longest stretch with no call and no input but pure ACKs, and the empty segments the stack sent unprompted. */
function idleSpans(trace: TraceEntry[]): { longest: number; unprompted: number[] } {
  let last = 0;
  let longest = 0;
  const unprompted: number[] = [];
  trace.forEach((e, i) => {
    // A pure ACK is no activity: it may be the peer's answer to a probe.
    if (e.dir === 'call' || (e.dir === 'in' && (!e.seg || segLen(e.seg) > 0 || e.seg.flags & RST))) {
      longest = Math.max(longest, e.t - last);
      last = e.t;
    }
    const s = e.dir === 'out' ? e.seg : undefined;
    if (s && !s.payload.length && !(s.flags & (SYN | FIN | RST)) && e.t - last > UNPROMPTED) unprompted.push(i);
  });
  const end = trace.at(-1);
  return { longest: Math.max(longest, end ? end.t - last : 0), unprompted };
}

const keepAliveOff: Property = {
  name: 'keep-alive-off-by-default',
  area: 'keepalive',
  title:
    'an established connection left idle for over two hours sends nothing unprompted: keep-alives are off ' +
    'unless the application turns them on',
  requirements: ['MUST-25'],
  section: '§3.8.4',
  scenario: () => scenarioArb(idleActions),
  skip: (profile) =>
    profile.realTime ? 'needs more than two hours of idle time on the stack clock (a real-clock stack)' : undefined,
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const { longest, unprompted } = idleSpans(trace);
    if (longest < TWO_HOURS) return v.out;
    v.hit();
    for (const i of unprompted)
      v.flag(
        i,
        `with no data arriving and no call for ${Math.round((trace[i]!.t - lastInput(trace, i)) / 1000)} s the ` +
          'stack sent a segment of its own (a keep-alive probe the application never asked for)',
        describe(trace[i]!.seg!),
        'nothing: keep-alives are off by default',
      );
    return v.out;
  },
};

function lastInput(trace: TraceEntry[], i: number): number {
  for (let j = i - 1; j >= 0; j--) {
    const e = trace[j]!;
    if (e.dir === 'call' || (e.dir === 'in' && (!e.seg || segLen(e.seg) > 0 || e.seg.flags & RST))) return e.t;
  }
  return 0;
}

export const properties: Property[] = [keepAliveOff];
