// Area: when the stack acknowledges (§3.8.6.3, §3.10.7.4 step 7): at least every second full-sized segment without
// waiting for the delayed-ACK timer (SHLD-19), segments beyond RCV.NXT kept until the gap fills (SHLD-31), and
// segments that arrive together all processed before one ACK answers them (MUST-59, MUST-58).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, probes, type Property, showSegs, violations, within } from '../src/oracle/property.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { ACK, FIN, PSH, RST, SYN, type Segment, describe, mssOf } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';

/** Longest the stack may take, left alone, to acknowledge a second full-sized segment (Linux delays ACKs 40 ms+). */
const QUICK = 30;

interface Owed {
  i: number;
  t: number;
  end: number;
}

/** The MSS each connection's stack announced on its SYN (536 without one): what a full-sized segment carries. */
function announced(trace: TraceEntry[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of trace) if (e.dir === 'out' && e.seg && e.seg.flags & SYN) m.set(keyOfOut(e.seg), mssOf(e.seg) ?? 536);
  return m;
}

/**
 * SHLD-19: once two full-sized segments have arrived in order unacknowledged, an ACK covering the second goes out
 * within QUICK ms, unless more input keeps arriving (then it may aggregate: MUST-58).
 */
function everySecond(trace: TraceEntry[], v: Checker): void {
  const full = announced(trace);
  const next = new Map<string, number>();
  const fulls = new Map<string, number[]>();
  const owed = new Map<string, Owed>();
  const lastFull = new Map<string, boolean>();
  scan(trace, (i, e, w) => {
    for (const [k, o] of owed)
      if (e.t > o.t + QUICK) {
        owed.delete(k);
        v.flag(
          o.i,
          `two full-sized segments arrived and were not acknowledged within ${QUICK} ms`,
          showSegs(within(trace, o.i, 500).filter((x) => keyOfOut(x.seg) === k)),
          `an ACK of ${o.end} at once: at least every second full-sized segment is acknowledged`,
        );
      } else if (e.dir === 'in') o.t = e.t;
    const s = e.seg;
    if (!s || s.flags & (SYN | RST)) return;
    if (e.dir === 'out' && s.flags & ACK) {
      const k = keyOfOut(s);
      fulls.set(
        k,
        (fulls.get(k) ?? []).filter((end) => seqDelta(end, s.ack) > 0),
      );
      const o = owed.get(k);
      if (o && seqDelta(s.ack, o.end) >= 0) owed.delete(k);
      if (!next.has(k)) next.set(k, s.ack);
      return;
    }
    if (e.dir !== 'in' || !s.payload.length) return;
    const k = keyOfIn(s);
    const c = w.conns.get(k);
    if (!c?.established || next.get(k) !== s.seq) return;
    const end = seqAdd(s.seq, s.payload.length);
    next.set(k, end);
    const isFull = s.payload.length >= (full.get(k) ?? Number.POSITIVE_INFINITY);
    // Two full-sized segments in a row: the rule applies (whether the first is already acknowledged or not).
    if (isFull && lastFull.get(k)) v.hit();
    lastFull.set(k, isFull);
    if (!isFull) return;
    const list = [...(fulls.get(k) ?? []), end];
    fulls.set(k, list);
    if (list.length >= 2 && !owed.has(k)) owed.set(k, { i, t: e.t, end: list[1]! });
  });
}

const everySecondAck: Property = {
  name: 'ack-every-second',
  area: 'ack',
  title:
    'at least every second full-sized segment is acknowledged without waiting for the delayed-ACK timer ' +
    '(one ACK for several that arrive together is allowed)',
  requirements: ['SHLD-19'],
  section: '§3.8.6.3',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(openingArb, fc.array(fc.integer({ min: 2, max: 6 }), { minLength: 1, maxLength: 3 }))
        .map(([kind, ks]): Action[] => [
          ...establish(kind),
          ...ks.flatMap((k): Action[] => [
            { a: 'peerWrite', n: k * 1460 },
            { a: 'advance', ms: 300 },
          ]),
          { a: 'settle', ms: 2000 },
        ]),
      { mss: fc.constant(1460) },
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    everySecond(trace, v);
    return v.out;
  },
};

/** A segment beyond RCV.NXT, then the one that fills the gap. */
const gapActions = fc
  .tuple(openingArb, fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }))
  .map(([kind, l1, l2]): Action[] => {
    const data = (probe: string, d: number, len: number): Action => ({
      a: 'inject',
      probe,
      h: { flags: PSH | ACK, seq: { ref: 'rcvNxt', d }, ack: { ref: 'sndNxt', d: 0 }, len, to: 'conn' },
    });
    return [
      ...establish(kind),
      data('beyond', l1, l2),
      { a: 'advance', ms: 10 },
      data('fill', 0, l1),
      ...Array.from({ length: 5 }, (): Action => ({ a: 'advance', ms: 100 })),
    ];
  });

const outOfOrderKept: Property = {
  name: 'out-of-order-kept',
  area: 'ack',
  title:
    'a segment beyond RCV.NXT inside the window is kept: once the gap is filled, the ACK covers it (it is not ' +
    'asked for again)',
  requirements: ['SHLD-31'],
  section: '§3.10.7.4 (segment text), §3.8.6.3',
  scenario: () => scenarioArb(gapActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const beyond = probes(trace, 'beyond');
    scan(trace, (i, e, w) => {
      if (e.dir !== 'in' || e.probe !== 'fill' || !e.seg) return;
      const b = trace[beyond.filter((j) => j < i).at(-1) ?? -1]?.seg;
      const c = w.conns.get(keyOfIn(e.seg));
      if (!b || !c || c.lastAck !== e.seg.seq || c.lastWin === undefined || c.scaled) return;
      const end = seqAdd(b.seq, b.payload.length);
      if (seqDelta(end, e.seg.seq) > c.lastWin || seqAdd(e.seg.seq, e.seg.payload.length) !== b.seq) return;
      v.hit();
      const r = within(trace, i, 500).filter((x) => keyOfOut(x.seg) === keyOfIn(e.seg!));
      if (!r.some((x) => x.seg.flags & ACK && seqDelta(x.seg.ack, end) >= 0))
        v.flag(
          i,
          'after the gap was filled the stack did not acknowledge the segment that had arrived beyond it',
          showSegs(r),
          `an ACK of ${end} within 500 ms (the segment beyond RCV.NXT kept for later)`,
        );
    });
    return v.out;
  },
};

/** The peer's data, one or two writes (full-sized segments, and a short one Nagle may hold), arriving as a batch. */
const batchActions = fc
  .tuple(openingArb, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1459 }), fc.boolean())
  .map(([kind, k, r, again]): Action[] => [
    ...establish(kind),
    { a: 'peerWrite', n: k * 1460 + r },
    { a: 'batch' },
    { a: 'settle', ms: 2000 },
    ...(again ? ([{ a: 'peerWrite', n: 3 * 1460 }, { a: 'batch' }, { a: 'settle', ms: 2000 }] as Action[]) : []),
  ]);

/** Entries of one batch of in-order data: contiguous from the stack's last ACK. Its end, or undefined. */
function inOrderEnd(segs: Segment[], rcvNxt: number | undefined): number | undefined {
  let next = rcvNxt;
  for (const s of segs) {
    if (next === undefined || s.flags & (SYN | FIN | RST) || !s.payload.length || s.seq !== next) return undefined;
    next = seqAdd(s.seq, s.payload.length);
  }
  return next;
}

/**
 * MUST-59: a batch of in-order data segments is all taken in before the stack acknowledges: no ACK it sends before
 * the next input acknowledges less than the batch. MUST-58: one pure ACK answers it, not one per segment or two.
 */
function judgeBatches(trace: TraceEntry[], v: Checker): void {
  scan(trace, (i, e, w) => {
    const b = e.batch;
    if (b === undefined || trace[i - 1]?.batch === b || !e.seg) return;
    let last = i;
    while (trace[last + 1]?.batch === b) last++;
    const segs = trace.slice(i, last + 1).map((x) => x.seg!);
    const key = keyOfIn(segs[0]!);
    const end = inOrderEnd(segs, w.conns.get(key)?.lastAck);
    if (end === undefined || segs.some((s) => keyOfIn(s) !== key)) return;
    const answer: Array<{ j: number; seg: Segment }> = [];
    for (let j = last + 1; j < trace.length && trace[j]!.t - e.t <= 500; j++) {
      const x = trace[j]!;
      if (x.dir === 'in' || x.dir === 'call') break;
      if (x.dir === 'out' && x.seg && keyOfOut(x.seg) === key && x.seg.flags & ACK) answer.push({ j, seg: x.seg });
    }
    if (!answer.length) return;
    v.hit();
    const short = answer.find((a) => seqDelta(a.seg.ack, end) < 0);
    if (short) {
      v.flag(
        short.j,
        `${segs.length} in-order segments arrived together, up to ${end}; ${describe(short.seg)} acknowledges part ` +
          'of them only',
        undefined,
        `ACK=${end}: all of the batch processed before any ACK`,
      );
      return;
    }
    const pure = answer.filter((a) => !a.seg.payload.length && !(a.seg.flags & (SYN | FIN | RST)));
    v.hit('aggregated');
    if (pure.length > 1)
      v.flag(
        pure[1]!.j,
        `${pure.length} pure ACKs answered ${segs.length} segments that arrived together`,
        undefined,
        'one ACK for the batch',
        'aggregated',
      );
  });
}

const batchedAcks: Property = {
  name: 'batched-acks',
  area: 'ack',
  title:
    'segments that arrive together (queued at the input) are all processed before the stack acknowledges, and one ' +
    'ACK answers them; runs where the profile declares batchInput',
  requirements: ['MUST-59'],
  checks: { aggregated: ['MUST-58'] },
  section: '§3.10.7.4',
  scenario: () => scenarioArb(batchActions, { window: fc.constant(65535), mss: fc.constant(1460) }),
  skip: (profile) =>
    profile.batchInput
      ? undefined
      : 'the stack takes no batches of arriving segments (profile batchInput not set): which segments it queued ' +
        'together is inside it',
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeBatches(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [everySecondAck, outOfOrderKept, batchedAcks];
