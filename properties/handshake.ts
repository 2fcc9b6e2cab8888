// Area: opening a connection — three-way handshake, simultaneous open, SYN-RECEIVED origin,
// SYN-SENT ACK checks, data on the SYN (§3.5, §3.10.7.2, §3.10.7.3).
import fc from 'fast-check';
import { establish, isnArb, mssArb, netArb, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import { PEER_PORT, type Action, type Hostile } from '../src/gen/scenario.js';
import { ACK, FIN, PSH, RST, SYN, type Segment } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import type { TraceEntry } from '../src/harness/trace.js';
import {
  isSynAckFor,
  probes,
  type Property,
  responses,
  RST_ACK_BIT,
  rstAnswer,
  showSegs,
  violations,
} from '../src/oracle/property.js';

const abs = (n: number) => ({ ref: 'abs' as const, d: n });

const handshake: Property = {
  name: 'three-way-handshake',
  area: 'handshake',
  title: 'passive and active opens complete, despite lost and duplicated segments',
  requirements: [],
  section: '§3.5',
  scenario: () =>
    scenarioArb(
      fc.tuple(openingArb, fc.array(netArb, { maxLength: 4 })).map(([kind, faults]) => {
        const [first, second] = establish(kind);
        return [first!, second!, ...faults, { a: 'settle', ms: 60_000 }] as Action[];
      }),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    v.hit();
    const opened = trace.some((e) => e.event && (e.event.type === 'accepted' || e.event.type === 'connected'));
    const reset = trace.some(
      (e) => (e.seg && e.seg.flags & RST) || (e.event && (e.event.type === 'reset' || e.event.type === 'error')),
    );
    if (!opened && !reset)
      v.flag(
        trace.length - 1,
        'the handshake never completed: no accepted/connected event after 60 s of retransmissions',
        undefined,
        'ESTABLISHED',
      );
    return v.out;
  },
};

const simultaneous: Property = {
  name: 'simultaneous-open',
  area: 'handshake',
  title: 'crossing SYNs lead both sides through SYN-RECEIVED to ESTABLISHED',
  requirements: ['MUST-10'],
  checks: { 'answers-syn': ['MUST-10'] },
  section: '§3.5 Figure 7',
  scenario: () =>
    scenarioArb(
      fc
        .array(netArb, { maxLength: 3 })
        .map((faults): Action[] => [
          { a: 'stackConnect' },
          { a: 'peerConnect' },
          { a: 'net', dir: 'toStack', op: 'deliver', i: 0 },
          { a: 'net', dir: 'toPeer', op: 'deliver', i: 0 },
          ...faults,
          { a: 'settle', ms: 60_000 },
        ]),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    v.hit();
    trace.forEach((e, i) => {
      if (e.dir === 'out' && e.seg && e.seg.flags & RST && e.seg.dstPort === PEER_PORT)
        v.flag(i, 'the stack reset a simultaneous open', e.text, 'SYN,ACK then ESTABLISHED');
    });
    if (!trace.some((e) => e.event?.type === 'connected') && v.out.length === 0)
      v.flag(trace.length - 1, 'simultaneous open never reached ESTABLISHED', undefined, 'a connected event');
    // §3.10.7.3 fourth: a bare SYN reaching SYN-SENT moves it to SYN-RECEIVED with a SYN,ACK of its own ISN.
    // Reaching ESTABLISHED through the peer's SYN,ACK alone is not enough: that hides a stack that ignores the SYN.
    const ourSyn = trace.find(
      (e) => e.dir === 'out' && e.seg && (e.seg.flags & (SYN | ACK)) === SYN && e.seg.dstPort === PEER_PORT,
    )?.seg;
    const crossing = trace.findIndex(
      (e) => e.dir === 'in' && e.seg && (e.seg.flags & (SYN | ACK | RST)) === SYN && e.seg.srcPort === PEER_PORT,
    );
    if (ourSyn && crossing >= 0 && v.out.length === 0) {
      const synAckFirst = trace
        .slice(0, crossing)
        .some((e) => e.dir === 'in' && e.seg && (e.seg.flags & (SYN | ACK)) === (SYN | ACK));
      const syn = trace[crossing]!.seg!;
      // The crossing happened: a bare SYN reached the stack in SYN-SENT.
      if (!synAckFirst) v.hit('answers-syn');
      const answered = trace
        .slice(crossing)
        .some((e) => e.dir === 'out' && e.seg && isSynAckFor(e.seg, syn) && e.seg.seq === ourSyn.seq);
      if (!synAckFirst && !answered)
        v.flag(
          crossing,
          "a SYN crossing the stack's own SYN was never answered with a SYN,ACK",
          trace[crossing]!.text,
          `SYN,ACK seq=${ourSyn.seq} ack=${seqAdd(syn.seq, 1)}`,
          'answers-syn',
        );
    }
    return v.out;
  },
};

/** ACK offsets from the stack's ISS that are unacceptable before the handshake completes (anything but +1). */
const BAD_ACK_DELTA = fc.oneof(
  fc.constantFrom(0, -1, 2, 3, 1000, -1000),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((d) => d !== 1),
);

/** §3.10.7.3: a RST without an acceptable ACK (none, or one outside ISS < ACK <= SND.NXT) is dropped in SYN-SENT. */
function synSentRst(x: number, rst: number | undefined | null): Action[] {
  if (rst === null) return [];
  const h: Hostile =
    rst === undefined
      ? { flags: RST, seq: abs(x), ack: abs(0), len: 0, to: 'conn' }
      : { flags: RST | ACK, seq: abs(x), ack: { ref: 'iss', d: rst }, len: 0, to: 'conn' };
  return [{ a: 'inject', probe: 'synsent-rst', h }];
}

function passiveBadAck(x: number, d: number, n: number): Action {
  const h: Hostile = { flags: ACK, seq: abs(seqAdd(x, 1)), ack: { ref: 'iss', d }, len: 0, to: 'fresh', n };
  return { a: 'inject', probe: 'passive-badack', h };
}

const origin: Property = {
  name: 'syn-received-origin',
  area: 'handshake',
  title:
    'a valid RST in SYN-RECEIVED returns a passive open to LISTEN silently and refuses an active one; an ' +
    'unacceptable ACK there draws <SEQ=SEG.ACK><CTL=RST>',
  requirements: ['MUST-11'],
  checks: { 'rst-ack-bit': [] },
  section: '§3.5, §3.10.7.4 steps 2 and 5',
  scenario: () =>
    scenarioArb(
      fc.oneof(
        fc
          .tuple(
            fc.integer({ min: 0, max: 0xffffffff }),
            fc.integer({ min: 1, max: 100_000 }),
            fc.integer({ min: 0, max: 50 }),
            fc.option(BAD_ACK_DELTA),
          )
          .map(([x, dx, n, bad]): Action[] => [
            { a: 'stackListen' },
            { a: 'inject', probe: 'passive-syn', h: { flags: SYN, seq: abs(x), ack: abs(0), len: 0, to: 'fresh', n } },
            // §3.10.7.4 fifth check in SYN-RECEIVED: an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST>, the TCB stays
            ...(bad === null ? [] : [passiveBadAck(x, bad, n)]),
            {
              a: 'inject',
              probe: 'passive-rst',
              h: { flags: RST, seq: abs(seqAdd(x, 1)), ack: abs(0), len: 0, to: 'fresh', n },
            },
            {
              a: 'inject',
              probe: 'passive-resyn',
              h: { flags: SYN, seq: abs(seqAdd(x, dx)), ack: abs(0), len: 0, to: 'fresh', n },
            },
          ]),
        isnArb.map((x): Action[] => [
          { a: 'stackConnect' },
          { a: 'inject', probe: 'active-syn', h: { flags: SYN, seq: abs(x), ack: abs(0), len: 0, to: 'conn' } },
          {
            a: 'inject',
            probe: 'active-rst',
            h: { flags: RST, seq: abs(seqAdd(x, 1)), ack: abs(0), len: 0, to: 'conn' },
          },
          {
            a: 'inject',
            probe: 'active-after',
            h: { flags: ACK, seq: abs(seqAdd(x, 1)), ack: { ref: 'iss', d: 1 }, len: 0, to: 'conn' },
          },
        ]),
      ),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    for (const i of probes(trace, 'passive-syn')) {
      const r = responses(trace, i);
      // not in SYN-RECEIVED: nothing to judge
      if (!r.segs.some((s) => (s.seg.flags & (SYN | ACK)) === (SYN | ACK))) return v.out;
    }
    for (const i of probes(trace, 'passive-badack')) {
      const r = responses(trace, i);
      const ack = trace[i]!.seg!.ack;
      v.hit();
      // Its SYN,ACK may go again next to the RST: the TCB stays in SYN-RECEIVED.
      const synAckAgain = (s: Segment): boolean => (s.flags & (SYN | ACK | RST)) === (SYN | ACK);
      const a = rstAnswer(r.segs, ack, synAckAgain);
      if (a === 'ack-bit')
        v.flag(
          i,
          `unacceptable ACK in SYN-RECEIVED: ${RST_ACK_BIT}`,
          showSegs(r.segs),
          `[R] seq=${ack}`,
          'rst-ack-bit',
        );
      else if (a === 'wrong')
        v.flag(
          i,
          'an unacceptable ACK in SYN-RECEIVED did not draw exactly <SEQ=SEG.ACK><CTL=RST>',
          showSegs(r.segs),
          `[R] seq=${ack}`,
        );
      for (const e of r.events)
        v.flag(i, `the application saw "${e.event!.type}" after an unacceptable ACK in SYN-RECEIVED`, e.text, 'none');
    }
    for (const i of probes(trace, 'passive-rst')) {
      const r = responses(trace, i);
      v.hit();
      for (const e of r.events)
        v.flag(
          i,
          `the application was told "${e.event!.type}" about a passive connection it never accepted`,
          e.text,
          'back to LISTEN silently',
        );
    }
    for (const i of probes(trace, 'passive-resyn')) {
      const r = responses(trace, i);
      const syn = trace[i]!.seg!;
      if (!r.segs.some((s) => isSynAckFor(s.seg, syn))) {
        v.flag(
          i,
          'after the RST the listener did not answer a new SYN with SYN,ACK (not back in LISTEN)',
          showSegs(r.segs),
          `SYN,ACK with ACK=${seqAdd(syn.seq, 1)}`,
        );
      }
    }
    const synAck = probes(trace, 'active-syn').some((i) =>
      responses(trace, i).segs.some((s) => (s.seg.flags & (SYN | ACK)) === (SYN | ACK)),
    );
    if (synAck) {
      for (const i of probes(trace, 'active-rst')) {
        const r = responses(trace, i);
        v.hit();
        if (!r.events.some((e) => e.event!.type === 'reset' || e.event!.type === 'error' || e.event!.type === 'closed'))
          v.flag(
            i,
            'a valid RST in SYN-RECEIVED (active open) did not refuse the connection',
            undefined,
            'connection refused -> CLOSED',
          );
      }
      for (const i of probes(trace, 'active-after')) {
        const r = responses(trace, i);
        const ack = trace[i]!.seg!.ack;
        if (!r.segs.some((s) => s.seg.flags & RST && s.seg.seq === ack))
          v.flag(
            i,
            'the refused connection still exists: an ACK to it did not draw <SEQ=SEG.ACK><CTL=RST>',
            showSegs(r.segs),
            `RST with SEQ=${ack}`,
          );
      }
    }
    return v.out;
  },
};

/** A SYN,ACK with a bad ACK (after a RST without an acceptable one), then a good one. */
const badAckActions = fc
  .tuple(
    isnArb,
    BAD_ACK_DELTA,
    fc.option(fc.oneof(fc.constant<number | undefined>(undefined), BAD_ACK_DELTA)),
    fc.option(fc.record({ flags: fc.constantFrom(0, PSH, FIN, FIN | PSH), len: fc.constantFrom(0, 1, 10) })),
  )
  .map(([x, d, rst, noAck]): Action[] => [
    { a: 'stackConnect' },
    { a: 'lose', dir: 'toPeer' },
    ...synSentRst(x, rst),
    {
      a: 'inject',
      probe: 'bad-synack',
      h: { flags: SYN | ACK, seq: abs(x), ack: { ref: 'iss', d }, len: 0, to: 'conn' },
    },
    {
      a: 'inject',
      probe: 'good-synack',
      h: { flags: SYN | ACK, seq: abs(x), ack: { ref: 'iss', d: 1 }, len: 0, to: 'conn' },
    },
    // §3.10.7.4 fifth check: once synchronized, a segment without the ACK bit is dropped (the tracker judges it)
    ...(noAck === null
      ? []
      : [
          {
            a: 'inject',
            probe: 'no-ack',
            h: { ...noAck, seq: abs(seqAdd(x, 1)), ack: abs(0), to: 'conn' },
          } as Action,
        ]),
  ]);

/** §3.10.7.3 second check: a RST whose ACK acknowledges the SYN refuses the connection (the tracker judges it). */
const refusedActions = isnArb.map((x): Action[] => [
  { a: 'stackConnect' },
  { a: 'lose', dir: 'toPeer' },
  {
    a: 'inject',
    probe: 'synsent-refused',
    h: { flags: RST | ACK, seq: abs(x), ack: { ref: 'iss', d: 1 }, len: 0, to: 'conn' },
  },
  { a: 'settle', ms: 5000 },
]);

const badAck: Property = {
  name: 'syn-sent-ack-check',
  area: 'handshake',
  title:
    'SYN-SENT answers a SYN,ACK with an unacceptable ACK by <SEQ=SEG.ACK><CTL=RST> and stays; a good one then ' +
    'completes',
  requirements: [],
  checks: { 'rst-ack-bit': [], refused: [] },
  section: '§3.10.7.3 first, second and fourth',
  scenario: () =>
    scenarioArb(fc.oneof({ weight: 4, arbitrary: badAckActions }, { weight: 1, arbitrary: refusedActions }), {
      mss: mssArb,
    }),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    for (const i of probes(trace, 'synsent-rst')) {
      v.hit();
      for (const e of responses(trace, i).events)
        v.flag(
          i,
          `the application saw "${e.event!.type}" after a RST without an acceptable ACK in SYN-SENT`,
          e.text,
          'the RST dropped, still SYN-SENT',
        );
    }
    for (const i of probes(trace, 'synsent-refused')) {
      v.hit('refused');
      const r = responses(trace, i);
      if (!r.events.some((e) => e.event!.type === 'reset' || e.event!.type === 'error'))
        v.flag(
          i,
          'a RST acknowledging the SYN did not refuse the opening connection',
          r.events.map((e) => e.text).join(' | ') || '(no event)',
          'the connection refused: the application told of a reset',
          'refused',
        );
    }
    for (const i of probes(trace, 'bad-synack')) {
      const seg = trace[i]!.seg!;
      const r = responses(trace, i);
      v.hit();
      // The stack stays in SYN-SENT, so sending its own SYN again is allowed next to the RST.
      const ourSyn = (s: Segment): boolean =>
        (s.flags & (SYN | ACK | RST)) === SYN &&
        trace.some((e, j) => j < i && e.dir === 'out' && e.seg && e.seg.flags & SYN && e.seg.seq === s.seq);
      const a = rstAnswer(r.segs, seg.ack, ourSyn);
      if (a === 'ack-bit')
        v.flag(
          i,
          `unacceptable ACK in SYN-SENT: ${RST_ACK_BIT}`,
          showSegs(r.segs),
          `[R] seq=${seg.ack}`,
          'rst-ack-bit',
        );
      else if (a === 'wrong')
        v.flag(
          i,
          'unacceptable ACK in SYN-SENT not answered by exactly <SEQ=SEG.ACK><CTL=RST>',
          showSegs(r.segs),
          `[R] seq=${seg.ack}`,
        );
      for (const e of r.events)
        v.flag(i, `the application saw "${e.event!.type}" after an unacceptable SYN,ACK`, e.text, 'stay in SYN-SENT');
    }
    for (const i of probes(trace, 'good-synack')) {
      const seg = trace[i]!.seg!;
      const r = responses(trace, i);
      if (!r.events.some((e) => e.event!.type === 'connected'))
        v.flag(i, 'an acceptable SYN,ACK after the bad one did not establish the connection', undefined, 'connected');
      if (!r.segs.some((s) => (s.seg.flags & (ACK | SYN | RST)) === ACK && s.seg.ack === seqAdd(seg.seq, 1)))
        v.flag(i, 'the acceptable SYN,ACK was not acknowledged', showSegs(r.segs), `ACK=${seqAdd(seg.seq, 1)}`);
    }
    return v.out;
  },
};

const synData: Property = {
  name: 'syn-with-data',
  area: 'handshake',
  title: 'data on a SYN is never delivered before the connection is established',
  requirements: [],
  section: '§3.10.7.2 third, §3.10.7.3 fourth',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 1, max: 500 }),
          fc.integer({ min: 0, max: 50 }),
        )
        .map(([x, len, n]): Action[] => {
          const h = (flags: number, seq: number, ackD: number, l: number): Hostile => ({
            flags,
            seq: abs(seq),
            ack: { ref: 'iss', d: ackD },
            len: l,
            to: 'fresh',
            n,
          });
          return [
            { a: 'stackListen' },
            { a: 'inject', h: h(SYN, x, 0, len) },
            { a: 'advance', ms: 50 },
            { a: 'inject', h: h(ACK, seqAdd(x, 1 + len), 1, 0) },
            { a: 'advance', ms: 600 },
          ];
        }),
    ),
  check: () => [],
};

/** Three incarnations of one 4-tuple, each ended by the peer's RST (no TIME-WAIT), 1 to 60 s apart. */
const incarnations = fc
  .tuple(fc.integer({ min: 1000, max: 60_000 }), fc.integer({ min: 1000, max: 60_000 }))
  .map(([d1, d2]): Action[] => {
    const again: Action[] = [{ a: 'peerConnect' }, { a: 'settle', ms: 2000 }, { a: 'peerAbort' }];
    return [{ a: 'stackListen' }, ...again, { a: 'advance', ms: d1 }, ...again, { a: 'advance', ms: d2 }, ...again];
  });

/** The stack's ISN of each incarnation on the peer's tuple, in order: the seq of its first SYN,ACK of each. */
function isnsOnTuple(trace: TraceEntry[]): Array<{ i: number; t: number; isn: number }> {
  const out: Array<{ i: number; t: number; isn: number }> = [];
  trace.forEach((e, i) => {
    const s = e.dir === 'out' ? e.seg : undefined;
    if (!s || (s.flags & (SYN | ACK | RST)) !== (SYN | ACK) || s.dstPort !== PEER_PORT) return;
    if (out.at(-1)?.isn !== s.seq) out.push({ i, t: e.t, isn: s.seq });
  });
  return out;
}

const isnClock: Property = {
  name: 'isn-clock',
  area: 'handshake',
  title:
    'the ISNs of successive connections on one 4-tuple move forward with the clock (§3.4.1: M + F(4-tuple), M a ' +
    "timer; the rate is the stack's)",
  requirements: ['MUST-8'],
  section: '§3.4.1',
  scenario: () => scenarioArb(incarnations),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const isns = isnsOnTuple(trace);
    for (let k = 1; k < isns.length; k++) {
      const [a, b] = [isns[k - 1]!, isns[k]!];
      v.hit();
      // 60 s of a 4 µs clock is 1.5e7 ticks, of Linux's 64 ns one 9.4e8: both well short of half the space.
      if (seqDelta(b.isn, a.isn) <= 0)
        v.flag(
          b.i,
          `the ISN ${b.t - a.t} ms later on the same 4-tuple is ${-seqDelta(b.isn, a.isn)} below the one before ` +
            `(${a.isn} then ${b.isn})`,
          undefined,
          `an ISN above ${a.isn}: ISNs follow a clock that only moves forward`,
        );
    }
    return v.out;
  },
};

export const properties: Property[] = [handshake, simultaneous, origin, badAck, synData, isnClock];
