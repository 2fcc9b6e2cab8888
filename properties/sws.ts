// Area: silly-window avoidance. Sender side (§3.8.6.2.1, MUST-38): when the peer's window opens by less than a full
// segment and less than half the largest window it ever offered, with more data queued than fits, the stack does not
// fill that sliver at once: it waits for more window, or for an override timeout (0.1 s at the least). Receiver side
// (§3.8.6.2.2, MUST-39): a window the stack shut because its application stopped reading does not reopen by a sliver
// when the application reads a little.
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

/**
 * The least min(Fr × RCV.BUFF, Eff.snd.MSS) the stack can have (§3.8.6.2.2, Fr = 1/2): RCV.BUFF is at least the
 * largest window it offered, and Eff.snd.MSS at least the largest segment it sent so far (MUST-16 holds it there).
 */
const reopenFloor = (maxWin: number, largestSent: number): number => Math.min(Math.floor(maxWin / 2), largestSent);

/**
 * MUST-39: each time the stack's window goes from zero to open, its right edge moves by at least reopenFloor (rounded
 * down to what its window shift can express). A smaller step is the silly window its application's small reads make.
 * Applies once the stack has sent data (what shows its Eff.snd.MSS).
 */
export function receiverSwsCheck(trace: TraceEntry[], v: Checker): void {
  const largest = new Map<string, number>();
  scan(trace, (i, e, w) => {
    const s = e.seg;
    if (e.dir !== 'out' || !s || (s.flags & (ACK | RST | SYN)) !== ACK) return;
    const k = keyOfOut(s);
    const sent = Math.max(largest.get(k) ?? 0, s.payload.length);
    largest.set(k, sent);
    const c = w.conns.get(k);
    if (c?.lastWin !== 0 || c.offeredEdge === undefined || sent === 0) return;
    const granule = 2 ** c.stackShift;
    const wnd = s.window * granule;
    if (wnd === 0) return;
    v.hit();
    const need = Math.floor(reopenFloor(c.maxWin, sent) / granule) * granule;
    const grew = seqDelta((s.ack + wnd) >>> 0, c.offeredEdge);
    if (grew < need)
      v.flag(
        i,
        `the stack's window was shut and reopened by ${grew} octets (its right edge moved from ` +
          `${c.offeredEdge} to ${(s.ack + wnd) >>> 0})`,
        describe(s),
        `a shut window reopens by at least ${need} octets (half the largest window it offered, ${c.maxWin}, or ` +
          `the largest segment it sent, ${sent})`,
      );
  });
}

/**
 * Established; the stack sends some data (its segment size shows its Eff.snd.MSS); its application stops reading; the
 * peer sends more than any window holds, so the stack's window shuts and the peer probes it; then the application
 * reads a little at a time, and at last, in most runs, everything.
 */
const smallReads = fc.array(fc.tuple(fc.integer({ min: 1, max: 700 }), fc.integer({ min: 100, max: 4000 })), {
  minLength: 1,
  maxLength: 8,
});
const receiverActions = fc
  .tuple(openingArb, fc.integer({ min: 3000, max: 12_000 }), fc.integer({ min: 2, max: 5 }), smallReads, fc.boolean())
  .map(([kind, n, chunks, reads, resume]): Action[] => [
    ...establish(kind),
    { a: 'stackWrite', n },
    { a: 'settle', ms: 2000 },
    { a: 'stackControl', control: { name: 'reading', paused: true } },
    ...Array.from({ length: chunks }, (): Action => ({ a: 'peerWrite', n: 65_535 })),
    { a: 'settle', ms: 3000 },
    ...reads.flatMap(([n, gap]): Action[] => [
      { a: 'stackControl', control: { name: 'read', octets: n } },
      { a: 'settle', ms: gap },
    ]),
    ...(resume ? [{ a: 'stackControl', control: { name: 'reading', paused: false } } as Action] : []),
    { a: 'settle', ms: 3000 },
  ]);

const receiverSws: Property = {
  name: 'receiver-sws',
  area: 'window',
  title:
    'a receive window shut because the application stopped reading does not reopen by a sliver when the ' +
    'application reads a little (receiver silly-window avoidance)',
  requirements: ['MUST-39'],
  section: '§3.8.6.2.2',
  needs: ['reading', 'read'],
  scenario: () => scenarioArb(receiverActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    receiverSwsCheck(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [senderSws, receiverSws];
