// Area: flow control — a peer whose application stops reading: zero-window probing, its backoff, a connection that
// stays open while probes are answered, and data that flows again once the window reopens (§3.8.6, §3.8.6.1).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import { type Action, PEER_ADDR, PEER_PORT } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { RFC } from '../src/oracle/limits.js';
import { type Property, probes, traceEnd, violations } from '../src/oracle/property.js';
import type { StackProfile } from '../src/stacks/adapter.js';
import { ACK, PSH, RST, SYN, type Segment, describe } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';

export interface Probe {
  i: number;
  t: number;
  /** The peer answered it (a segment from the peer followed it). */
  answered: boolean;
}

export interface Episode {
  /** The peer segment that closed the window while data waited. */
  i: number;
  t: number;
  endI: number;
  endT: number;
  /** reopen: a window above zero arrived; acked: nothing waits any more; stack/other: the connection ended. */
  end: 'reopen' | 'acked' | 'stack' | 'other' | 'trace';
  probes: Probe[];
}

/** A reset, closed or error event (not a write turned away for want of buffer space, which ends nothing). */
const ends = (ev: TraceEntry['event']): boolean =>
  !!ev && (ev.type === 'reset' || ev.type === 'closed' || (ev.type === 'error' && !ev.busy));
const fromPeer = (e: TraceEntry): boolean =>
  e.dir === 'in' && !!e.seg && e.seg.src === PEER_ADDR && e.seg.srcPort === PEER_PORT;
const toPeer = (e: TraceEntry): boolean =>
  e.dir === 'out' && !!e.seg && e.seg.dst === PEER_ADDR && e.seg.dstPort === PEER_PORT;

/** The main connection as the trace shows it, in offsets from ISS+1: written, acknowledged, sent, windows offered. */
class SendView {
  iss: number | undefined;
  written = 0;
  /** Octets of data the peer acknowledged (-1: not even the SYN). */
  acked = -1;
  /** The end of the highest data the stack sent. */
  sentEnd = 0;
  /** The peer's last window, and the furthest right edge it offered. */
  wnd = 0;
  edge = 0;
  get waiting(): number {
    return this.written - Math.max(0, this.acked);
  }
  /** A data octet, or the old octet SND.UNA-1 that elicits an ACK (the form Linux uses): a probe of the window. */
  isProbe(e: TraceEntry): boolean {
    const s = e.seg!;
    if (s.flags & (RST | SYN) || this.iss === undefined) return false;
    return s.payload.length > 0 || s.seq === seqAdd(this.iss, this.acked);
  }
  /** Take one entry (a write, a stack segment, a peer segment); true when a peer ACK moved the window view. */
  see(e: TraceEntry): boolean {
    if (e.call?.name === 'write' && !e.call.refused) this.written += e.call.data?.length ?? 0;
    const s = e.seg;
    if (!s || s.flags & RST) return false;
    if (toPeer(e) && s.flags & SYN) this.iss = s.seq;
    else if (toPeer(e) && this.iss !== undefined)
      this.sentEnd = Math.max(this.sentEnd, seqDelta(s.seq, seqAdd(this.iss, 1)) + s.payload.length);
    return fromPeer(e) && this.take(s);
  }
  /** A peer ACK counts when it is the highest so far (§3.8.6). */
  private take(s: Segment): boolean {
    if (!(s.flags & ACK) || this.iss === undefined) return false;
    const a = seqDelta(s.ack, seqAdd(this.iss, 1));
    if (a < this.acked || a > this.written + 1) return false;
    this.acked = Math.min(a, this.written);
    this.wnd = s.window;
    this.edge = Math.max(this.edge, a + s.window);
    return true;
  }
}

/** Every stretch of the trace in which the peer's window stayed zero while the stack had data to send. */
export function zeroWindowEpisodes(trace: TraceEntry[]): Episode[] {
  const v = new SendView();
  const out: Episode[] = [];
  let ep: Episode | undefined;
  const finish = (i: number, t: number, end: Episode['end']): void => {
    if (!ep) return;
    out.push({ ...ep, endI: i, endT: t, end });
    ep = undefined;
  };
  trace.forEach((e, i) => {
    const moved = v.see(e);
    if (e.call?.name === 'abort') finish(i, e.t, 'other');
    if (ends(e.event)) finish(i, e.t, 'stack');
    if (toPeer(e)) {
      if (e.seg!.flags & RST) finish(i, e.t, 'stack');
      else if (ep && v.isProbe(e)) ep.probes.push({ i, t: e.t, answered: false });
    }
    if (!fromPeer(e)) return;
    if (e.seg!.flags & RST) {
      finish(i, e.t, 'other');
      return;
    }
    const last = ep?.probes.at(-1);
    if (last) last.answered = true;
    if (!moved) return;
    if (ep && v.waiting === 0) finish(i, e.t, 'acked');
    else if (ep && v.wnd > 0) finish(i, e.t, 'reopen');
    else if (!ep && v.acked >= 0 && v.wnd === 0 && v.waiting > 0)
      ep = { i, t: e.t, endI: i, endT: e.t, end: 'trace', probes: [] };
  });
  finish(trace.length - 1, traceEnd(trace), 'trace');
  return out;
}

/** How long a stack may leave a zero window unprobed: its RTO ceiling (RFC 6298 §2.5: at least 60 s). */
const probeGap = (p: StackProfile): number => Math.max(p.rtoMax, 60_000) * 1.1 + 50;
/** SHLD-29: the first probe once the window has been zero for one RTO (3 s when no RTT was measured, RFC 6298). */
const firstGap = (p: StackProfile): number => Math.max(p.rtoInitial, 3000) * 1.1 + 50;

const holdArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 3_000, max: 40_000 }) },
  // past R2 for data (100 s): a stack that counts answered probes as retransmissions gives up here
  { weight: 1, arbitrary: fc.integer({ min: 110_000, max: 200_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 400_000, max: 600_000 }) },
);

/** After the hold: stay shut, resume, resume with the window update lost, or read a little at a time. */
const afterArb: fc.Arbitrary<Action[]> = fc.oneof(
  fc.constant<Action[]>([]),
  fc.constant<Action[]>([{ a: 'peerResume' }, { a: 'settle', ms: 10_000 }]),
  // only a probe can find the window open: its answer carries the update
  fc.constant<Action[]>([{ a: 'peerResume' }, { a: 'lose', dir: 'toStack' }, { a: 'settle', ms: 150_000 }]),
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 0, max: 3000 })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((reads) =>
      reads.flatMap(([n, ms]): Action[] => [
        { a: 'peerRead', n },
        { a: 'settle', ms },
      ]),
    ),
);

const zeroWindow: Property = {
  name: 'zero-window',
  area: 'window',
  title: "a peer's zero window is probed, with backoff, for as long as the peer answers; data flows once it reopens",
  requirements: ['MUST-35', 'MUST-36'],
  checks: { 'first-probe': ['SHLD-29'], backoff: ['SHLD-30'], 'stays-open': ['MUST-37'], reopen: ['MUST-36'] },
  section: '§3.8.6, §3.8.6.1',
  scenario: () =>
    fc
      .tuple(
        openingArb,
        fc.oneof(fc.constantFrom(1, 2, 100, 536, 1460), fc.integer({ min: 1, max: 4000 })),
        fc.integer({ min: 1, max: 3000 }),
        holdArb,
        afterArb,
      )
      .chain(([kind, win, extra, hold, after]) =>
        scenarioArb(
          fc.constant<Action[]>([
            ...establish(kind),
            { a: 'stackWrite', n: win + extra },
            { a: 'settle', ms: hold, idle: true },
            ...after,
          ]),
          { window: fc.constant(win) },
        ).map((sc) => ({ ...sc, peerReadsOnDemand: true })),
      ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    const episodes = zeroWindowEpisodes(trace);
    for (const ep of episodes) {
      probing(trace, profile, ep, v);
      backoff(trace, profile, ep, v);
      staysOpen(trace, ep, v);
    }
    reopen(trace, profile, episodes, v);
    return v.out;
  },
};

type V = ReturnType<typeof violations>;

/** MUST-35/36 and SHLD-29: a first probe within the bound, then one per RTO ceiling while the window stays shut. */
function probing(trace: TraceEntry[], profile: StackProfile, ep: Episode, v: V): void {
  const limit = probeGap(profile);
  const first = ep.probes[0];
  const firstLimit = firstGap(profile);
  if (first || ep.endT - ep.t >= firstLimit) v.hit('first-probe');
  if ((first ? first.t : ep.endT) - ep.t > firstLimit && (first || ep.end === 'trace' || ep.end === 'stack'))
    v.flag(
      first?.i ?? ep.endI,
      `the first zero-window probe ${first ? `came ${first.t - ep.t} ms` : 'had not come'} after the window closed`,
      trace[ep.i]!.text,
      `a probe once the window has been zero for one RTO (by +${Math.round(firstLimit)} ms)`,
      'first-probe',
    );
  const times = [ep.t, ...ep.probes.map((p) => p.t)];
  const open = ep.end === 'trace' || ep.end === 'stack';
  if (open) times.push(ep.endT);
  for (let k = 1; k < times.length; k++) {
    const gap = times[k]! - times[k - 1]!;
    const isProbe = k <= ep.probes.length;
    if (isProbe || gap > limit) v.hit();
    if (gap > limit)
      v.flag(
        isProbe ? ep.probes[k - 1]!.i : ep.endI,
        `no zero-window probe for ${gap} ms while the peer's window stayed zero with data waiting`,
        trace[ep.i]!.text,
        `a probe (one octet of new data or a retransmission) at least every ${Math.round(limit)} ms`,
      );
  }
}

/** SHLD-30: successive probe intervals grow exponentially up to the RTO ceiling. */
function backoff(trace: TraceEntry[], profile: StackProfile, ep: Episode, v: V): void {
  const p = ep.probes;
  for (let k = 2; k < p.length; k++) {
    const prev = p[k - 1]!.t - p[k - 2]!.t;
    const gap = p[k]!.t - p[k - 1]!.t;
    // Doubling, read with a timer tick of slack either side: each interval at least a quarter longer.
    const want = Math.min(prev * 1.25, profile.rtoMax * 0.9);
    v.hit('backoff');
    if (gap < want - 50)
      v.flag(
        p[k]!.i,
        `zero-window probes without backoff: ${gap} ms after an interval of ${prev} ms`,
        describe(trace[p[k]!.i]!.seg!),
        `>= ${Math.round(want)} ms (growing intervals up to the ${profile.rtoMax} ms RTO ceiling)`,
        'backoff',
      );
  }
}

/** MUST-37: while the peer answers the probes, the stack keeps the connection (judged past R2 or when it ends it). */
function staysOpen(trace: TraceEntry[], ep: Episode, v: V): void {
  const answered = ep.probes.some((p) => p.answered);
  if (ep.end === 'stack' || ep.endT - ep.t >= RFC.dataR2) v.hit('stays-open');
  if (ep.end === 'stack' && answered)
    v.flag(
      ep.endI,
      `the stack ended the connection after ${((ep.endT - ep.t) / 1000).toFixed(1)} s of zero window although the ` +
        'peer answered its probes',
      trace[ep.endI]!.text,
      'the connection stays open while the peer acknowledges the probes (§3.8.6.1)',
      'stays-open',
    );
}

/** Once the window reopens with data waiting, data goes out (after the sender's SWS override timeout at most). */
function reopen(trace: TraceEntry[], profile: StackProfile, episodes: Episode[], v: V): void {
  const limit = probeGap(profile) + 1000;
  const end = traceEnd(trace);
  for (const ep of episodes) {
    if (ep.end !== 'reopen') continue;
    let sent: number | undefined;
    let ended = false;
    for (let j = ep.endI + 1; j < trace.length && sent === undefined && !ended; j++) {
      const e = trace[j]!;
      if (toPeer(e) && e.seg!.payload.length > 0) sent = j;
      if ((fromPeer(e) || toPeer(e)) && e.seg!.flags & RST) ended = true;
      if (e.call?.name === 'abort' || ends(e.event)) ended = true;
    }
    if (ended && sent === undefined) continue;
    if (sent !== undefined || end - ep.endT >= limit) v.hit('reopen');
    const waited = Math.round((sent !== undefined ? trace[sent]!.t : end) - ep.endT);
    if (waited > limit)
      v.flag(
        sent ?? ep.endI,
        `the peer's window reopened but no data went out for ${waited} ms`,
        trace[ep.endI]!.text,
        `data within ${Math.round(limit)} ms of the window opening`,
        'reopen',
      );
  }
}

type Flow = SendView & { iss: number };

/** The main connection as of entry `upto` (exclusive), once the stack has sent its SYN. */
function flowAt(trace: TraceEntry[], upto: number): Flow | undefined {
  const f = new SendView();
  for (let i = 0; i < upto; i++) f.see(trace[i]!);
  return f.iss === undefined ? undefined : (f as Flow);
}

const SHRINK = 'window-shrink';

/** A window the peer shrinks (its right edge moves left) while data is in flight and more waits (§3.8.6). */
const windowShrink: Property = {
  name: SHRINK,
  area: 'window',
  title: 'a peer that shrinks its window: no new data past the new edge, in-window data retransmitted, no give-up',
  requirements: ['MUST-34'],
  checks: { 'no-new-data': ['SHLD-15'], retransmit: ['SHLD-16'], 'no-give-up': ['SHLD-17'] },
  section: '§3.8.6',
  scenario: () =>
    fc
      .tuple(
        openingArb,
        fc.integer({ min: 3000, max: 20_000 }),
        fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 3000 })),
        fc.boolean(),
        fc.integer({ min: 1, max: 5000 }),
      )
      .chain(([kind, n, win, lose, more]) =>
        scenarioArb(
          fc.constant<Action[]>([
            ...establish(kind),
            { a: 'stackWrite', n },
            // The peer takes the first segment; its ACK is replaced by one with a smaller window. That ACK advances
            // SND.UNA, so a stack that takes window updates only from new ACKs (the BSD rule) takes it too.
            { a: 'net', dir: 'toPeer', op: 'deliver', i: 0 },
            { a: 'lose', dir: 'toStack' },
            {
              a: 'inject',
              probe: SHRINK,
              h: {
                flags: ACK,
                seq: { ref: 'rcvNxt', d: 0 },
                ack: { ref: 'sndUna', d: 0 },
                len: 0,
                to: 'conn',
                window: win,
              },
            },
            ...(lose ? [{ a: 'lose', dir: 'toPeer' } as Action] : []),
            { a: 'stackWrite', n: more },
            // long enough to judge: past the RTO ceiling, however long the stack waits
            { a: 'settle', ms: 80_000, idle: true },
          ]),
          { window: fc.integer({ min: 4000, max: 65535 }) },
        ),
      ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    const at = trace.findIndex((e) => e.probe === SHRINK);
    const f = at < 0 ? undefined : flowAt(trace, at);
    const s = trace[at]?.seg;
    if (!f || !s || f.acked < 0) return v.out;
    const edge = seqDelta(s.ack, seqAdd(f.iss, 1)) + s.window;
    // Applies when the edge moved left and data lies or waits beyond the new edge.
    if (edge >= f.edge || Math.max(f.sentEnd, f.written) <= edge) return v.out;
    noNewData(trace, at, f, edge, s.window, v);
    shrinkRetransmit(trace, profile, at, flowAt(trace, at + 1)!, v);
    survives(trace, profile, at, v);
    return v.out;
  },
};

/** SHLD-15: until the edge moves right again, no octet never sent before goes out past the shrunk edge. */
function noNewData(trace: TraceEntry[], at: number, f: Flow, edge: number, win: number, v: V): void {
  const limit = Math.max(f.sentEnd, edge + (win === 0 ? 1 : 0));
  for (let j = at + 1; j < trace.length; j++) {
    const e = trace[j]!;
    if (fromPeer(e) && e.seg!.flags & ACK && seqDelta(e.seg!.ack, seqAdd(f.iss, 1)) + e.seg!.window > edge) return;
    if (!toPeer(e) || e.seg!.payload.length === 0) continue;
    const end = seqDelta(e.seg!.seq, seqAdd(f.iss, 1)) + e.seg!.payload.length;
    v.hit('no-new-data');
    if (end > limit) {
      v.flag(
        j,
        `new data up to offset ${end} after the peer shrank its right edge to offset ${edge}`,
        describe(e.seg!),
        `nothing new beyond SND.UNA+SND.WND (offset ${limit}) until the window opens again`,
        'no-new-data',
      );
      return;
    }
  }
}

/** SHLD-16: with nothing acknowledged since the shrink, the data at SND.UNA is retransmitted as usual. */
function shrinkRetransmit(trace: TraceEntry[], profile: StackProfile, at: number, f: Flow, v: V): void {
  if (f.sentEnd <= f.acked) return;
  const una = seqAdd(f.iss, 1 + f.acked);
  const t0 = trace[at]!.t;
  const limit = probeGap(profile);
  for (let j = at + 1; j < trace.length; j++) {
    const e = trace[j]!;
    if (e.t - t0 > limit) break;
    if (fromPeer(e) && (e.seg!.flags & RST || seqDelta(e.seg!.ack, una) > 0)) return;
    if (e.call?.name === 'abort') return;
    if (toPeer(e) && e.seg!.seq === una && e.seg!.payload.length > 0) {
      v.hit('retransmit');
      return;
    }
  }
  if (traceEnd(trace) - t0 <= limit) return;
  v.hit('retransmit');
  v.flag(
    at,
    `after the window shrank, the unacknowledged data at SND.UNA was not retransmitted within ${Math.round(limit)} ms`,
    trace[at]!.text,
    'a retransmission from SND.UNA on the usual timer',
    'retransmit',
  );
}

/**
 * MUST-34 and SHLD-17: the connection survives the shrink. The stack does not end it, and while written data is still
 * unacknowledged at the end it has not fallen silent for longer than its RTO ceiling (recovery may be slow, not stop).
 */
function survives(trace: TraceEntry[], profile: StackProfile, at: number, v: V): void {
  let lastData = trace[at]!.t;
  for (let j = at + 1; j < trace.length; j++) {
    const e = trace[j]!;
    if ((fromPeer(e) && e.seg!.flags & RST) || e.call?.name === 'abort') return;
    if (toPeer(e) && e.seg!.payload.length > 0) lastData = e.t;
    const gaveUp = (toPeer(e) && e.seg!.flags & RST) || ends(e.event);
    if (!gaveUp) continue;
    v.hit();
    v.hit('no-give-up');
    v.flag(
      j,
      `the stack ended the connection after the peer shrank its window: ${e.text}`,
      e.text,
      'a connection that goes on once the window opens again',
      'no-give-up',
    );
    return;
  }
  const end = flowAt(trace, trace.length)!;
  const silent = traceEnd(trace) - lastData;
  if (end.acked >= end.written || silent > probeGap(profile)) {
    v.hit();
    v.hit('no-give-up');
  }
  if (end.acked < end.written && silent > probeGap(profile))
    v.flag(
      trace.length - 1,
      `${end.written - end.acked} octets written are unacknowledged and the stack has sent no data for ${silent} ms`,
      undefined,
      `progress: data at least every ${Math.round(probeGap(profile))} ms until all is acknowledged`,
    );
}

// ---- the stack's own window shut (its application stopped reading) ----

const ZW_RST = 'zw-rst';
const ZW_AFTER = 'zw-after';

/**
 * Established; the stack's application stops reading; the peer sends more than any window holds; a RST at the
 * sequence number the stack last acknowledged; then data, which a stack that took the RST answers with a RST.
 */
const shutWindowActions = fc
  .tuple(openingArb, fc.integer({ min: 2, max: 5 }), fc.boolean())
  .map(([kind, chunks, withAck]): Action[] => [
    ...establish(kind),
    { a: 'stackControl', control: { name: 'reading', paused: true } },
    ...Array.from({ length: chunks }, (): Action => ({ a: 'peerWrite', n: 65_535 })),
    { a: 'settle', ms: 3000 },
    { a: 'settle', ms: 3000 },
    {
      a: 'inject',
      probe: ZW_RST,
      h: {
        flags: RST | (withAck ? ACK : 0),
        seq: { ref: 'peerUna', d: 0 },
        ack: { ref: 'sndNxt', d: 0 },
        len: 0,
        to: 'conn',
      },
    },
    { a: 'settle', ms: 500 },
    {
      a: 'inject',
      probe: ZW_AFTER,
      h: { flags: PSH | ACK, seq: { ref: 'peerUna', d: 0 }, ack: { ref: 'sndNxt', d: 0 }, len: 1, to: 'conn' },
    },
    { a: 'settle', ms: 1000 },
  ]);

const rstInShutWindow: Property = {
  name: 'rst-in-zero-window',
  area: 'window',
  title:
    'with its receive window shut (the application stopped reading), the stack still takes a RST at RCV.NXT: ' +
    'the connection is gone',
  requirements: ['MUST-66'],
  section: '§3.4, §3.10.7.4',
  needs: ['reading'],
  scenario: () => scenarioArb(shutWindowActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const [r] = probes(trace, ZW_RST);
    const [after] = probes(trace, ZW_AFTER);
    if (r === undefined || after === undefined) return v.out;
    const last = lastOut(trace, r);
    const rst = trace[r]!.seg!;
    // Applies when the stack's last word shut its window and the RST sits at what it acknowledged.
    if (last?.window !== 0 || last.flags & RST || !(last.flags & ACK) || rst.seq !== last.ack) return v.out;
    v.hit();
    const went = trace.slice(r + 1).findIndex((e) => e.dir === 'out' && e.seg && !(e.seg.flags & RST));
    if (went >= 0)
      v.flag(
        r + 1 + went,
        'the stack offered a zero window and a RST at RCV.NXT arrived; the connection went on as if it had not',
        describe(trace[r + 1 + went]!.seg!),
        'nothing but RSTs: the RST is acted on even with the window shut',
      );
    return v.out;
  },
};

/** The last segment the stack sent before entry i. */
function lastOut(trace: TraceEntry[], i: number): Segment | undefined {
  for (let j = i - 1; j >= 0; j--) if (trace[j]!.dir === 'out' && trace[j]!.seg) return trace[j]!.seg;
  return undefined;
}

export const properties: Property[] = [zeroWindow, windowShrink, rstInShutWindow];
