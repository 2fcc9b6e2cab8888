// Judgments shared by several property files.
import { ACK, FIN, RST, SYN, type Segment, describe, segLen } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import type { StackProfile } from '../src/stacks/adapter.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { traceEnd } from '../src/oracle/property.js';

type Flag = (at: number, message: string, offending?: string, allowed?: string, requirements?: string[]) => void;

/** Did the connection end (RST either way, reset/closed/error event) between trace indexes a and b? */
export function endedBetween(trace: TraceEntry[], a: number, b: number): boolean {
  for (let j = a + 1; j < Math.min(b, trace.length); j++) {
    const e = trace[j]!;
    if (e.seg && e.seg.flags & RST) return true;
    if (e.event && (e.event.type === 'reset' || e.event.type === 'closed' || e.event.type === 'error')) return true;
    if (e.call && e.call.name === 'abort') return true;
  }
  return false;
}

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
export function retransmissionCheck(trace: TraceEntry[], profile: StackProfile, kind: 'SYN' | 'FIN', flag: Flag): void {
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
  if (mine.length === 1) {
    if (!endedBetween(trace, first.i, stop) && lastT - first.t > firstBound) {
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
    if (k === 1 && gap < profile.rtoMin * 0.9 - tol)
      flag(
        mine[k]!.i,
        `${kind} retransmitted after ${gap} ms, below the declared minimum RTO ${profile.rtoMin} ms`,
        describe(mine[k]!.seg),
        `>= ${profile.rtoMin} ms`,
        ['MUST-18'],
      );
    if (k === 1 && kind === 'SYN' && gap > firstBound)
      flag(
        mine[k]!.i,
        `first ${kind} retransmission after ${gap} ms, above the declared initial RTO ${profile.rtoInitial} ms`,
        describe(mine[k]!.seg),
        `<= ${profile.rtoInitial} ms`,
        ['MUST-18'],
      );
    if (k >= 2) {
      const prev = Math.round(mine[k - 1]!.t - mine[k - 2]!.t);
      if (prev < profile.rtoMax * 0.9 && gap < prev * 1.5 - tol)
        flag(
          mine[k]!.i,
          `no exponential backoff: interval ${gap} ms after ${prev} ms`,
          describe(mine[k]!.seg),
          `>= ${Math.round(prev * 1.5)} ms (doubling up to the ${profile.rtoMax} ms ceiling)`,
          ['MUST-19'],
        );
    }
    if (gap > profile.rtoMax * 1.1 + tol)
      flag(
        mine[k]!.i,
        `${gap} ms between retransmissions, above the RTO ceiling ${profile.rtoMax} ms`,
        describe(mine[k]!.seg),
        `<= ${profile.rtoMax} ms`,
        ['MUST-18'],
      );
  }
  const last = mine.at(-1)!;
  if (!endedBetween(trace, last.i, stop) && lastT - last.t > profile.rtoMax * 1.1 + tol && trace.length > 0) {
    const span = last.t - first.t;
    const giveUp = kind === 'SYN' ? 180_000 : 100_000; // MUST-23, SHLD-11
    if (span < giveUp - profile.rtoMax)
      flag(
        last.i,
        `${kind} retransmissions stopped after ${span} ms without the connection ending`,
        describe(last.seg),
        `retransmit for at least ${giveUp / 1000} s`,
        kind === 'SYN' ? ['MUST-23'] : ['SHLD-11'],
      );
  }
}

/** MUST-40: data that reached the stack in order is acknowledged in under 0.5 s. */
export function ackDelayCheck(trace: TraceEntry[], flag: Flag): void {
  const pending: Array<{ i: number; t: number; key: string; end: number }> = [];
  scan(trace, (i, e, w) => {
    if (e.dir === 'in' && e.seg && !(e.seg.flags & RST) && (e.seg.payload.length > 0 || e.seg.flags & FIN)) {
      const c = w.conns.get(keyOfIn(e.seg));
      if (!c || c.peerIss === undefined || !c.synAcked) return;
      const before = c.covEnd();
      const from = seqDelta(e.seg.seq, c.peerIss);
      // Only what fits the stack's advertised window must be acknowledged.
      const edge =
        c.lastAck !== undefined && c.lastWin !== undefined ? seqDelta(c.lastAck, c.peerIss) + c.lastWin : Infinity;
      const end = Math.min(from + e.seg.payload.length + (e.seg.flags & FIN ? 1 : 0), edge);
      if (from <= before && end > before) pending.push({ i, t: e.t, key: keyOfIn(e.seg), end });
    }
  });
  const w2 = scan(trace, () => undefined);
  const lastT = traceEnd(trace);
  for (const p of pending) {
    const c = w2.conns.get(p.key);
    if (!c || c.peerIss === undefined) continue;
    let answered = false;
    for (let j = p.i + 1; j < trace.length; j++) {
      const e = trace[j]!;
      if (e.t - p.t >= 500) break;
      if (
        e.dir === 'out' &&
        e.seg &&
        keyOfOut(e.seg) === p.key &&
        (e.seg.flags & RST || (e.seg.flags & ACK && seqDelta(e.seg.ack, c.peerIss) >= p.end))
      ) {
        answered = true;
        break;
      }
      if (e.event && (e.event.type === 'reset' || e.event.type === 'closed')) {
        answered = true;
        break;
      }
      if (e.dir === 'in' && e.seg && e.seg.flags & RST && keyOfIn(e.seg) === p.key) {
        answered = true;
        break;
      }
    }
    if (!answered && lastT - p.t >= 500)
      flag(
        p.i,
        'data that arrived in order was not acknowledged within 500 ms',
        trace[p.i]!.text,
        'an ACK in under 0.5 s (MUST-40)',
        ['MUST-40'],
      );
  }
}
