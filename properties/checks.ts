// Judgments shared by several property files.
import { ACK, FIN, RST, SYN, type Segment, describe, segLen } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import type { StackProfile } from '../src/stacks/adapter.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { keyOfIn, keyOfOut } from '../src/oracle/shadow.js';
import { type Checker, traceEnd } from '../src/oracle/property.js';
import { RFC } from '../src/oracle/limits.js';

/**
 * The first end of the connection between trace indexes a and b, and who caused it: the peer (a RST that reached
 * the stack), the application (abort), or the stack itself (its own RST, or an error, reset or closed event with
 * no cause on the wire — which is what giving up looks like).
 */
export function endOf(trace: TraceEntry[], a: number, b: number): { i: number; by: 'stack' | 'other' } | undefined {
  for (let j = a + 1; j < Math.min(b, trace.length); j++) {
    const e = trace[j]!;
    if (e.dir === 'in' && e.seg && e.seg.flags & RST) return { i: j, by: 'other' };
    if (e.call?.name === 'abort') return { i: j, by: 'other' };
    if (e.dir === 'out' && e.seg && e.seg.flags & RST) return { i: j, by: 'stack' };
    if (e.event && (e.event.type === 'reset' || e.event.type === 'closed' || e.event.type === 'error'))
      return { i: j, by: 'stack' };
  }
  return undefined;
}

/** Did the connection end (RST either way, reset/closed/error event, abort) between trace indexes a and b? */
export const endedBetween = (trace: TraceEntry[], a: number, b: number): boolean => endOf(trace, a, b) !== undefined;

/** Is the stack segment at index i a reply to the peer segment just before it (acknowledging its end)? */
function answersInput(trace: TraceEntry[], i: number): boolean {
  const seg = trace[i]!.seg!;
  for (let j = i - 1; j >= 0; j--) {
    const e = trace[j]!;
    if (e.dir === 'out' || e.dir === 'event' || e.dir === 'state') continue;
    if (e.dir !== 'in' || !e.seg || keyOfIn(e.seg) !== keyOfOut(seg)) return false;
    const len = segLen(e.seg);
    // Within the 500 ms an ACK may be delayed (§3.8.6.3).
    return len > 0 && !!(seg.flags & ACK) && seg.ack === seqAdd(e.seg.seq, len) && trace[i]!.t - e.t <= 500;
  }
  return false;
}

/**
 * Retransmission with backoff (§3.8.1, RFC 6298 §5.5): a SYN or FIN the peer has not acknowledged is
 * sent again within the RTO bounds, each interval at least 1.5× the previous until the RTO ceiling.
 */
export function retransmissionCheck(trace: TraceEntry[], profile: StackProfile, kind: 'SYN' | 'FIN', v: Checker): void {
  const flag = v.flag;
  const bit = kind === 'SYN' ? SYN : FIN;
  const sends: Array<{ i: number; t: number; seg: Segment }> = [];
  trace.forEach((e, i) => {
    if (e.dir === 'out' && e.seg && e.seg.flags & bit && !(e.seg.flags & RST)) sends.push({ i, t: e.t, seg: e.seg });
  });
  if (sends.length === 0) return;
  const first = sends[0]!;
  // acknowledged? any peer segment acking past it, or the connection ended
  const ackedAt = trace.findIndex(
    (e, i) =>
      i > first.i &&
      e.dir === 'in' &&
      e.seg &&
      (e.seg.flags & (ACK | RST)) === ACK &&
      seqDelta(e.seg.ack, first.seg.seq) > first.seg.payload.length,
  );
  const stop = ackedAt < 0 ? trace.length : ackedAt;
  // A re-send that answers an arriving segment (it acknowledges what just came in, as 4.4BSD-derived stacks
  // put their FIN again on the ACK of the peer's FIN) is not a timer retransmission: no RTO bound applies.
  const mine = sends.filter(
    (s) =>
      s.i < stop &&
      s.seg.seq === first.seg.seq &&
      keyOfOut(s.seg) === keyOfOut(first.seg) &&
      (s === first || !answersInput(trace, s.i)),
  );
  const tol = 50;
  const lastT = stop < trace.length ? trace[stop]!.t : traceEnd(trace);
  // first retransmission within [rtoMin, rtoInitial]
  const firstBound = profile.rtoInitial * 1.1 + tol;
  const ended = endOf(trace, first.i, stop);
  const endT = ended ? trace[ended.i]!.t : lastT;
  if (endT - first.t > firstBound) v.hit();
  giveUpCheck(trace, kind, v, first, ended, mine, lastT, profile.rtoMax);
  if (mine.length === 1) {
    if (!ended && lastT - first.t > firstBound) {
      flag(
        first.i,
        `${kind} not retransmitted: nothing for ${lastT - first.t} ms although unacknowledged (RTO at most ` +
          `${profile.rtoInitial} ms declared)`,
        describe(first.seg),
        `a retransmission by +${Math.round(firstBound)} ms`,
      );
    }
    return;
  }
  for (let k = 1; k < mine.length; k++) {
    const gap = Math.round(mine[k]!.t - mine[k - 1]!.t);
    v.hit('rto');
    if (k >= 2) v.hit('backoff');
    if (k === 1 && gap < profile.rtoMin * 0.9 - tol)
      flag(
        mine[k]!.i,
        `${kind} retransmitted after ${gap} ms, below the declared minimum RTO ${profile.rtoMin} ms`,
        describe(mine[k]!.seg),
        `>= ${profile.rtoMin} ms`,
        'rto',
      );
    if (k === 1 && kind === 'SYN' && gap > firstBound)
      flag(
        mine[k]!.i,
        `first ${kind} retransmission after ${gap} ms, above the declared initial RTO ${profile.rtoInitial} ms`,
        describe(mine[k]!.seg),
        `<= ${profile.rtoInitial} ms`,
        'rto',
      );
    if (k >= 2) {
      const prev = Math.round(mine[k - 1]!.t - mine[k - 2]!.t);
      // Doubling, but never past the ceiling: an interval capped at rtoMax is backed off.
      if (gap < Math.min(prev * 1.5, profile.rtoMax * 0.9) - tol)
        flag(
          mine[k]!.i,
          `no exponential backoff: interval ${gap} ms after ${prev} ms`,
          describe(mine[k]!.seg),
          `>= ${Math.round(Math.min(prev * 1.5, profile.rtoMax * 0.9))} ms (doubling up to the ${profile.rtoMax} ms ` +
            'ceiling)',
          'backoff',
        );
    }
    if (gap > profile.rtoMax * 1.1 + tol)
      flag(
        mine[k]!.i,
        `${gap} ms between retransmissions, above the RTO ceiling ${profile.rtoMax} ms`,
        describe(mine[k]!.seg),
        `<= ${profile.rtoMax} ms`,
        'rto',
      );
  }
}

/** R2 (§3.8.3): SYN retransmissions last at least 3 minutes (MUST-23), data and FIN at least 100 s (SHLD-11). */
const GIVE_UP_MS = { SYN: RFC.synR2, FIN: RFC.dataR2 } as const;

/**
 * Giving up is judged, not skipped: when the stack ends the connection itself, or falls silent while its SYN or FIN
 * is unacknowledged, the time since the first transmission must reach R2. Judged once the trace covers R2 or the
 * stack gave up.
 */
function giveUpCheck(
  trace: TraceEntry[],
  kind: 'SYN' | 'FIN',
  v: Checker,
  first: { i: number; t: number; seg: Segment },
  ended: { i: number; by: 'stack' | 'other' } | undefined,
  mine: Array<{ i: number; t: number; seg: Segment }>,
  lastT: number,
  rtoMax: number,
): void {
  const r2 = GIVE_UP_MS[kind];
  const last = mine.at(-1)!;
  if (ended?.by === 'other') return;
  if (ended) {
    const span = trace[ended.i]!.t - first.t;
    v.hit('give-up');
    if (span < r2)
      v.flag(
        ended.i,
        `the stack gave up its unacknowledged ${kind} after ${(span / 1000).toFixed(1)} s: ${trace[ended.i]!.text}`,
        trace[ended.i]!.text,
        `retransmit for at least ${r2 / 1000} s before giving up (R2, §3.8.3)`,
        'give-up',
      );
    return;
  }
  // Silent for longer than the RTO ceiling although the connection did not end: it stopped retransmitting.
  const silent = lastT - last.t > rtoMax * 1.1 + 50;
  const span = last.t - first.t;
  if (silent || lastT - first.t >= r2) v.hit('give-up');
  if (silent && span < r2 - rtoMax)
    v.flag(
      last.i,
      `${kind} retransmissions stopped after ${(span / 1000).toFixed(1)} s without the connection ending`,
      describe(last.seg),
      `retransmit for at least ${r2 / 1000} s (R2, §3.8.3)`,
      'give-up',
    );
}
