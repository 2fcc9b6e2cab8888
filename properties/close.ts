// Area: closing — four-way close, half-close, simultaneous close through CLOSING, TIME-WAIT
// (§3.6, §3.10.4, §3.10.7.4 steps 5 and 8, §3.10.8).
import fc from 'fast-check';
import { establish, netArb, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import { ACK, FIN, RST, SYN } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import {
  ackThrottled,
  isSynAckFor,
  type Property,
  showSegs,
  traceEnd,
  violations,
  within,
  RIGHT_EDGE,
} from '../src/oracle/property.js';
import { RFC } from '../src/oracle/limits.js';
import { endedBetween, retransmissionCheck } from './checks.js';

const fourWay: Property = {
  name: 'four-way-close',
  area: 'close',
  title:
    "either side closes first (or the stack closes twice); the stack sends one FIN after its data, ACKs the peer's " +
    'FIN and tells its application',
  requirements: [],
  section: '§3.6 Figure 12, §3.10.4, §3.10.7.4 step 8',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          fc.array(
            fc.oneof(
              writeSize.map((n): Action => ({ a: 'stackWrite', n })),
              writeSize.map((n): Action => ({ a: 'peerWrite', n })),
            ),
            { maxLength: 3 },
          ),
          fc.constantFrom('stack', 'peer', 'both', 'twice'),
          fc.array(netArb, { maxLength: 3 }),
        )
        .map(([kind, writes, who, faults]): Action[] => [
          ...establish(kind),
          ...writes,
          ...(who === 'peer' ? [] : [{ a: 'stackClose' } as Action]),
          ...(who === 'twice' ? [{ a: 'stackClose' } as Action] : []),
          ...(who === 'stack' || who === 'twice' ? [{ a: 'settle', ms: 2000 } as Action] : []),
          ...(who === 'stack' || who === 'twice' ? [] : [{ a: 'peerClose' } as Action]),
          ...faults,
          { a: 'settle', ms: 60_000 },
          ...(who === 'peer'
            ? [{ a: 'stackClose' } as Action, { a: 'settle', ms: 60_000 } as Action]
            : [{ a: 'peerClose' } as Action, { a: 'settle', ms: 60_000 } as Action]),
        ]),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const w = scan(trace, () => undefined);
    for (const [key, c] of w.conns) {
      if (
        c.conn === undefined ||
        (c.mayHaveEnded && trace.some((e) => (e.seg && e.seg.flags & RST) || e.event?.type === 'reset'))
      )
        continue;
      const closed = trace.findIndex(
        (e) => e.call && (e.call.name === 'close' || e.call.name === 'shutdown') && e.call.conn === c.conn,
      );
      const fin = trace.findIndex(
        (e, i) => i > closed && e.dir === 'out' && e.seg && e.seg.flags & FIN && keyOfOut(e.seg) === key,
      );
      // The FIN is owed once everything written has been sent (a tiny peer window can hold it back past the trace's
      // end).
      const allSent = c.stackBytes.size >= c.written.length;
      const owed = closed >= 0 && allSent && !endedBetween(trace, closed, trace.length);
      if (owed) v.hit();
      if (owed && fin < 0)
        v.flag(
          closed,
          'the application closed and all its data went out, but the stack never sent a FIN',
          undefined,
          'a FIN after the queued data',
        );
      // The end of stream told to the application is the tracker's eof-told obligation (MUST-12).
    }
    return v.out;
  },
};

const halfClose: Property = {
  name: 'half-close',
  area: 'close',
  title: "after the peer's FIN the stack still sends what its application writes, then its own FIN",
  requirements: [],
  checks: { 'fin-order': [] },
  section: '§3.6, §3.10.2 (SEND in CLOSE-WAIT)',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(openingArb, writeSize, fc.array(netArb, { maxLength: 2 }))
        .map(([kind, n, faults]): Action[] => [
          ...establish(kind),
          { a: 'peerClose' },
          { a: 'settle', ms: 5000 },
          { a: 'stackWrite', n },
          ...faults,
          { a: 'settle', ms: 60_000 },
          { a: 'stackClose' },
          { a: 'settle', ms: 60_000 },
        ]),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const end = trace.findIndex((e) => e.event?.type === 'end');
    if (end < 0) return v.out;
    const write = trace.findIndex((e, i) => i > end && e.call?.name === 'write');
    if (write < 0) return v.out;
    const conn = trace[write]!.call!.conn;
    const w = scan(trace, () => undefined);
    const c = conn === undefined ? undefined : w.forConn(conn);
    if (!c || c.stackIss === undefined) return v.out;
    v.hit();
    // A stack out of buffer space may turn a write away (busy); turning it away because the peer has closed is the
    // violation.
    for (const e of trace.slice(write))
      if (e.event?.type === 'error' && e.event.conn === conn && !e.event.busy)
        v.flag(
          write,
          `writing after the peer's FIN failed: ${e.event.message}`,
          e.text,
          'SEND is allowed in CLOSE-WAIT',
        );
    const sent = c.stackBytes.size;
    // Liveness, judged as a stall: the RFC sets no rate, so a stack still trickling data out (e.g.
    // one octet per persist interval into a 1-octet window) is making progress; one that has sent
    // nothing new for STALL_MS while data waits is not.
    const traceStop = traceEnd(trace);
    let lastNew = trace[write]!.t;
    for (const e of trace.slice(write))
      if (e.dir === 'out' && e.seg && e.seg.payload.length > 0) lastNew = Math.max(lastNew, e.t);
    // §3.10.4: what was written before CLOSE goes out before the FIN.
    const key = conn === undefined ? undefined : w.byConn.get(conn);
    const fin = trace.find((e) => e.dir === 'out' && e.seg && e.seg.flags & FIN && keyOfOut(e.seg) === key);
    const finSeq = fin?.seg ? seqAdd(fin.seg.seq, fin.seg.payload.length) : undefined;
    const dataEnd = seqAdd(c.stackIss, 1 + c.written.length);
    if (fin) v.hit('fin-order');
    if (fin && finSeq !== undefined && seqDelta(finSeq, dataEnd) < 0)
      v.flag(
        trace.indexOf(fin),
        `the stack's FIN took sequence number ${finSeq} although ${c.written.length} written octets end at ${dataEnd}`,
        fin.text,
        `FIN at ${dataEnd}, after the written data`,
        'fin-order',
      );
    else if (sent < c.written.length && !endedBetween(trace, write, trace.length) && traceStop - lastNew >= STALL_MS) {
      v.flag(
        write,
        `the application wrote ${c.written.length} octets in total but only ${sent} were ever sent, nothing new for ` +
          `the last ${Math.round((traceStop - lastNew) / 1000)} s`,
        undefined,
        "everything written, even after the peer's FIN",
      );
    }
    return v.out;
  },
};

/** Silence that counts as a stalled sender (twice the longest persist/RTO interval a stack may use). */
const STALL_MS = 60_000;

const simultaneousClose: Property = {
  name: 'simultaneous-close',
  area: 'close',
  title: 'crossing FINs lead through CLOSING; a FIN whose ACK was lost is retransmitted',
  requirements: ['MUST-18'],
  checks: { rto: ['MUST-18'], backoff: ['MUST-19'], 'give-up': ['SHLD-11'] },
  section: '§3.6 Figure 13, §3.10.7.4 step 8',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(openingArb, fc.boolean())
        .map(([kind, loseAck]): Action[] => [
          ...establish(kind),
          { a: 'stackClose' },
          { a: 'peerClose' },
          { a: 'net', dir: 'toStack', op: 'deliver', i: 0 },
          { a: 'net', dir: 'toPeer', op: 'deliver', i: 0 },
          ...(loseAck ? [{ a: 'lose', dir: 'toStack' } as Action] : []),
          { a: 'settle', ms: 130_000, idle: true },
        ]),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    retransmissionCheck(trace, profile, 'FIN', v);
    return v.out;
  },
};

/** Open a connection, close on the stack's side first, then the peer's: the stack ends in TIME-WAIT. */
const intoTimeWait = (kind: Parameters<typeof establish>[0]): Action[] => [
  ...establish(kind),
  { a: 'stackClose' },
  { a: 'settle', ms: 3000 },
  { a: 'peerClose' },
  { a: 'settle', ms: 3000 },
];

/** A retransmission of the peer's FIN, aimed at the connection in TIME-WAIT. */
const FIN_AGAIN = {
  flags: FIN | ACK,
  seq: { ref: 'rcvNxt' as const, d: -1 },
  ack: { ref: 'sndNxt' as const, d: 0 },
  len: 0,
  to: 'conn' as const,
};

const timeWait: Property = {
  name: 'time-wait',
  area: 'close',
  title: 'TIME-WAIT lasts at least 2×MSL (MSL = 2 minutes) and ends; a retransmitted FIN is re-ACKed and restarts it',
  requirements: ['MUST-13'],
  checks: { 'shorter-msl': ['MUST-13'], ends: [] },
  section: '§3.4.2, §3.6.1, §3.10.7.4 (TIME-WAIT), §3.10.8',
  scenario: (profile) =>
    scenarioArb(
      fc
        .tuple(openingArb, fc.integer({ min: 1, max: 2 * profile.msl - 2 }), fc.integer({ min: 0, max: 1 << 20 }))
        .map(([kind, d1, r]): Action[] => {
          const twoMsl = 2 * profile.msl;
          const tol = Math.max(1000, Math.round(twoMsl / 100));
          // A stack declaring a shorter MSL is also probed where RFC 9293's 2×MSL says it is still in TIME-WAIT.
          const rfcGap = 2 * RFC.msl - tol - (twoMsl + tol);
          if (profile.msl < RFC.msl && rfcGap > 0 && r % 3 === 0)
            return [
              ...intoTimeWait(kind),
              { a: 'advance', ms: twoMsl + tol + (r % rfcGap) },
              { a: 'inject', probe: 'tw-rfc', h: FIN_AGAIN },
            ];
          return [
            ...intoTimeWait(kind),
            { a: 'advance', ms: d1 },
            { a: 'inject', probe: 'tw-fin', h: FIN_AGAIN },
            { a: 'advance', ms: twoMsl - 2 },
            { a: 'inject', probe: 'tw-fin', h: FIN_AGAIN },
            { a: 'advance', ms: twoMsl + tol },
            {
              a: 'inject',
              probe: 'tw-gone',
              h: { flags: ACK, seq: { ref: 'rcvNxt', d: 0 }, ack: { ref: 'sndNxt', d: 0 }, len: 0, to: 'conn' },
            },
          ];
        }),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    const twoMsl = 2 * profile.msl;
    const tol = Math.max(1000, Math.round(twoMsl / 100));
    let restart: number | undefined;
    scan(trace, (i, e, w) => {
      if (e.dir !== 'in' || !e.seg || !e.probe?.startsWith('tw-')) return;
      const c = w.conns.get(keyOfIn(e.seg));
      if (!c || c.timeWaitAt === undefined || c.stackIss === undefined || c.stackFinOff === undefined) return;
      // A RST that reached the stack in TIME-WAIT may have ended it (§3.10.7.4): nothing more to judge.
      if (c.rstInTimeWait) return;
      const since = e.t - (restart ?? c.timeWaitAt);
      const seg = e.seg;
      const resp = within(trace, i, 500).filter((r) => keyOfOut(r.seg) === keyOfIn(seg));
      const ackEnd = seqAdd(seg.seq, 1);
      const reAcked = resp.some(
        (r) =>
          (r.seg.flags & (ACK | RST)) === ACK &&
          r.seg.ack === ackEnd &&
          seqDelta(r.seg.seq, c.stackIss!) === c.stackFinOff! + 1,
      );
      const allowed = `ACK with SEQ=${(c.stackIss + c.stackFinOff + 1) >>> 0} ACK=${ackEnd}, timer restarted`;
      if (e.probe === 'tw-fin' && since < twoMsl) {
        v.hit();
        if (!reAcked)
          v.flag(
            i,
            `${since} ms into TIME-WAIT (2×MSL = ${twoMsl} ms) the retransmitted FIN was not re-ACKed`,
            showSegs(resp),
            allowed,
          );
        restart = e.t;
      } else if (e.probe === 'tw-rfc' && since < 2 * RFC.msl - tol) {
        v.hit('shorter-msl');
        if (!reAcked)
          v.flag(
            i,
            `${(since / 1000).toFixed(1)} s into TIME-WAIT the connection was gone: RFC 9293 keeps it for 2×MSL = ` +
              `${(2 * RFC.msl) / 1000} s (the profile declares an MSL of ${profile.msl / 1000} s)`,
            showSegs(resp),
            allowed,
            'shorter-msl',
          );
      } else if (e.probe === 'tw-gone' && since >= twoMsl + tol) {
        v.hit('ends');
        if (!resp.some((r) => r.seg.flags & RST))
          v.flag(
            i,
            `${since} ms after TIME-WAIT (re)started the connection still answers like TIME-WAIT: 2×MSL is ${twoMsl} ` +
              `ms`,
            showSegs(resp),
            'the connection deleted: a RST for the ACK',
            'ends',
          );
      }
    });
    return v.out;
  },
};

const synInTimeWait: Property = {
  name: 'syn-in-time-wait',
  area: 'close',
  title:
    'a SYN in TIME-WAIT reopens only above RCV.NXT; otherwise it gets a challenge ACK (RFC 5961) or, legacy, a RST ' +
    'when in the window',
  requirements: ['MAY-2'],
  checks: { 'challenge-ack': [] },
  section: '§3.6.1, §3.10.7.4 step 4; RFC 5961 §4',
  scenario: (profile) =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          // Within the first half: how long TIME-WAIT lasts is time-wait's question.
          fc.integer({ min: 1, max: profile.msl }),
          fc.oneof(
            fc.constantFrom(0, 1, -1, 65535, 65536, 1 << 20, -(1 << 20)),
            fc.integer({ min: -(1 << 30), max: 1 << 30 }),
          ),
        )
        .map(([kind, d1, d]): Action[] => [
          ...intoTimeWait(kind),
          { a: 'advance', ms: d1 },
          {
            a: 'inject',
            probe: 'tw-syn',
            h: { flags: SYN, seq: { ref: 'rcvNxt', d }, ack: { ref: 'abs', d: 0 }, len: 0, to: 'conn' },
          },
        ]),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    const mode = profile.timeWaitSyn ?? (profile.rfc5961 ? 'challenge-ack' : 'legacy');
    // A shorter TIME-WAIT declared (MUST-13) without the MSL it uses: when it ends is unknown.
    const shortTimeWait = profile.msl >= RFC.msl && profile.deviations.some((x) => x.requirement === 'MUST-13');
    scan(trace, (i, e, w) => {
      if (e.dir !== 'in' || !e.seg || e.probe !== 'tw-syn') return;
      const syn = e.seg;
      const c = w.conns.get(keyOfIn(syn));
      if (
        !c ||
        c.timeWaitAt === undefined ||
        c.stackIss === undefined ||
        c.stackFinOff === undefined ||
        c.lastAck === undefined ||
        c.rstInTimeWait
      )
        return;
      if (e.t - c.timeWaitAt >= 2 * Math.min(profile.msl, RFC.msl) - 1000) return; // TIME-WAIT may be over
      v.hit();
      const sndNxt = seqAdd(c.stackIss, c.stackFinOff + 1);
      const rcvNxt = c.lastAck;
      const d = seqDelta(syn.seq, rcvNxt);
      const resp = within(trace, i, 500).filter((r) => keyOfOut(r.seg) === keyOfIn(syn));
      const shown = showSegs(resp);
      if (resp.some((r) => isSynAckFor(r.seg, syn))) {
        // That stack may have left TIME-WAIT already: a new connection is then allowed.
        if (d <= 0 && shortTimeWait) return;
        if (d <= 0)
          v.flag(
            i,
            `TIME-WAIT reopened on a SYN at RCV.NXT${d ? d : '+0'}: a new incarnation must start above the old ` +
              `sequence numbers`,
            shown,
            `no SYN,ACK unless SEG.SEQ > ${rcvNxt}`,
          );
        return;
      }
      const ackOf = (r: { seg: { flags: number; seq: number; ack: number } }): boolean =>
        (r.seg.flags & (ACK | RST | SYN)) === ACK && r.seg.seq === sndNxt && r.seg.ack === rcvNxt;
      const wnd = c.lastWin ?? 0;
      const maxWnd = Math.max(c.winHi, wnd);
      const edge = d === maxWnd ? ` (${RIGHT_EDGE})` : '';
      // the window may have opened since: RST and ACK both possible
      if (mode === 'legacy' && d >= Math.max(wnd, 1) && d < Math.max(maxWnd, 1)) return;
      if (mode === 'challenge-ack' || d < 0 || d >= Math.max(maxWnd, 1)) {
        if (!resp.some(ackOf) && !ackThrottled(trace, i, profile))
          v.flag(
            i,
            `a SYN ${mode === 'challenge-ack' ? '' : 'outside the window '}in TIME-WAIT ` +
              `(RCV.NXT${d >= 0 ? '+' : ''}${d}) was not answered with ` +
              `${mode === 'challenge-ack' ? 'a challenge ACK' : 'an ACK'}${edge}`,
            shown,
            `<SEQ=${sndNxt}><ACK=${rcvNxt}><CTL=ACK>${mode === 'challenge-ack' ? ' (RFC 5961 §4)' : ''}`,
            mode === 'challenge-ack' ? 'challenge-ack' : undefined,
          );
      } else if (
        !resp.some(
          (r) => r.seg.flags & RST && ((r.seg.flags & ACK && r.seg.ack === seqAdd(syn.seq, 1)) || r.seg.seq === sndNxt),
        )
      ) {
        v.flag(
          i,
          `an in-window SYN in TIME-WAIT (RCV.NXT+${d}) was not answered with a RST (legacy rule declared by the ` +
            `profile)`,
          shown,
          `a RST (<SEQ=0><ACK=${seqAdd(syn.seq, 1)}><CTL=RST,ACK> or <SEQ=${sndNxt}><CTL=RST>)`,
        );
      }
    });
    return v.out;
  },
};

export const properties: Property[] = [fourWay, halfClose, simultaneousClose, timeWait, synInTimeWait];
