// Area: sender silly-window avoidance (§3.8.6.2.1, MUST-38). When the peer's window opens by less than a full
// segment and less than half the largest window it ever offered, with more data queued than fits, the stack does not
// fill that sliver at once: it waits for more window, or for an override timeout (0.1 s at the least, §3.8.6.2.1).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, type Property, responses, violations } from '../src/oracle/property.js';
import { type ConnShadow, keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { ACK, RST, SYN, type Segment, describe, mssOf } from '../src/wire/segment.js';
import { seqDelta } from '../src/wire/seq.js';
import { largestSent } from './sending.js';

/** §3.8.6.2.1: the override timeout is at least 0.1 s; a segment sooner after the window update is not one. */
const OVERRIDE_MS = 100;

/** A silly window: usable > 0 but below min(SMSS, half the largest window), with more queued than it holds. */
function sillyWindow(c: ConnShadow, s: Segment, smss: number, maxWnd: number) {
  if (c.stackIss === undefined || !c.established || c.closeCalled || c.stackFinOff !== undefined) return undefined;
  const edge = seqDelta(s.ack, c.stackIss) + s.window;
  const usable = edge - c.stackMax;
  const writtenEnd = 1 + c.written.length;
  const threshold = Math.min(smss, Math.floor(maxWnd / 2));
  if (usable <= 0 || usable >= threshold || writtenEnd - c.stackMax <= usable) return undefined;
  return { iss: c.stackIss, threshold, stackMax: c.stackMax, writtenEnd, usable };
}

/**
 * MUST-38: the stack's own answer to a silly window update (what it sends before time passes or anything else
 * arrives, and within the least override timeout) holds no short segment of new data that leaves data queued. A
 * segment a timer sends later is the override the RFC allows, or a probe.
 */
export function senderSwsCheck(trace: TraceEntry[], v: Checker): void {
  const largest = largestSent(trace);
  const maxWnd = new Map<string, number>();
  const synMss = new Map<string, number | undefined>();
  scan(trace, (i, e, w) => {
    const s = e.seg;
    if (e.dir === 'out' && s && s.flags & SYN) synMss.set(keyOfOut(s), mssOf(s));
    if (e.dir !== 'in' || !s || (s.flags & (ACK | RST | SYN)) !== ACK) return;
    const k = keyOfIn(s);
    const c = w.conns.get(k);
    maxWnd.set(k, Math.max(maxWnd.get(k) ?? 0, s.window));
    if (!c) return;
    const smss = Math.min(c.peerMss ?? 536, synMss.get(k) ?? Number.POSITIVE_INFINITY, largest.get(k) ?? 0);
    const j = sillyWindow(c, s, smss, maxWnd.get(k)!);
    if (!j) return;
    v.hit();
    const bad = responses(trace, i).segs.find(({ at, seg: x }) => {
      if (keyOfOut(x) !== k || x.flags & (SYN | RST) || !x.payload.length || trace[at]!.t - e.t >= OVERRIDE_MS)
        return false;
      const off = seqDelta(x.seq, j.iss);
      // New data, short of the threshold, leaving some of what was queued behind.
      return off >= j.stackMax && x.payload.length < j.threshold && off + x.payload.length < j.writtenEnd;
    });
    if (bad)
      v.flag(
        bad.at,
        `the peer's window opened by ${j.usable} octets (below ${j.threshold}: a full segment or half the largest ` +
          `window) with ${j.writtenEnd - j.stackMax} octets queued, and the stack sent ${bad.seg.payload.length} ` +
          'of them at once',
        describe(bad.seg),
        `no segment shorter than ${j.threshold} octets that leaves data queued, before more window or the ` +
          `override timeout (${OVERRIDE_MS} ms at the least)`,
      );
  });
}

const readsArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 20, max: 600 })), {
  minLength: 1,
  maxLength: 5,
});

/** The peer stops reading, the stack writes more than its window holds, then the peer reads a little at a time. */
const swsActions = fc
  .tuple(openingArb, fc.integer({ min: 3000, max: 20_000 }), readsArb)
  .map(([kind, n, reads]): Action[] => [
    ...establish(kind),
    { a: 'stackWrite', n },
    { a: 'settle', ms: 3000 },
    ...reads.flatMap(([r, gap]): Action[] => [
      { a: 'peerRead', n: r },
      { a: 'settle', ms: gap },
    ]),
    { a: 'peerResume' },
    { a: 'settle', ms: 5000 },
  ]);

const senderSws: Property = {
  name: 'sender-sws',
  area: 'window',
  title:
    "a window that opens by less than a full segment and less than half the peer's largest window, with more " +
    'data queued, is not filled at once (sender silly-window avoidance)',
  requirements: ['MUST-38'],
  section: '§3.8.6.2.1',
  scenario: () =>
    scenarioArb(swsActions, { window: fc.integer({ min: 1000, max: 8000 }) }).map((sc) => ({
      ...sc,
      peerReadsOnDemand: true,
    })),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    senderSwsCheck(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [senderSws];
