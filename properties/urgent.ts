// Area: urgent data (§3.8.5). Sending: every segment that carries urgent octets has URG set and a pointer to the
// octet just after the urgent data (SEG.SEQ + SEG.UP, MUST-62), however many segments the urgent data spans
// (MUST-31); no URG once a segment starts past it. Receiving: urgent data is data — it reaches the application in
// line and in order, nothing taken out of the stream (MUST-30, MUST-31); the always-on in-order check judges the
// octets, this one that none are missing.
import fc from 'fast-check';
import { establish, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, type Property, violations } from '../src/oracle/property.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { ACK, RST, SYN, URG, describe } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';

/** Urgent data of one octet (the BSD habit), a little, and more than one segment. */
const urgentLen = fc.oneof(
  fc.constant(1),
  fc.integer({ min: 2, max: 100 }),
  fc.constantFrom(535, 536, 537, 1460, 1461, 3000, 5000),
);
const plainLen = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 }), fc.constantFrom(536, 1460, 2000));

const around = (before: number, urgent: Action, after: number, write: (n: number) => Action): Action[] => [
  ...(before ? [write(before)] : []),
  urgent,
  ...(after ? [write(after)] : []),
  { a: 'settle', ms: 5000 },
];

const sendActions = fc
  .tuple(openingArb, plainLen, urgentLen, plainLen)
  .map(([kind, a, u, b]): Action[] => [
    ...establish(kind),
    ...around(a, { a: 'stackWrite', n: u, urgent: true }, b, (n) => ({ a: 'stackWrite', n })),
  ]);

const receiveActions = fc
  .tuple(openingArb, plainLen, urgentLen, plainLen)
  .map(([kind, a, u, b]): Action[] => [
    ...establish(kind),
    ...around(a, { a: 'peerWrite', n: u, urgent: true }, b, (n) => ({ a: 'peerWrite', n })),
  ]);

/** As receiveActions, and where the stack offers it, its application sometimes not reading meanwhile. */
const eventActions = (reading: boolean) =>
  fc
    .tuple(receiveActions, fc.boolean())
    .map(([acts, hold]): Action[] =>
      reading && hold
        ? [...acts.slice(0, 3), { a: 'stackControl', control: { name: 'reading', paused: true } }, ...acts.slice(3)]
        : acts,
    );

/** The stack's urgent write: its connection's 4-tuple and the data offsets [from, to) of the urgent octets. */
interface UrgentWrite {
  i: number;
  key: string;
  iss: number;
  from: number;
  to: number;
}

function urgentWrite(trace: TraceEntry[]): UrgentWrite | undefined {
  let found: UrgentWrite | undefined;
  scan(trace, (i, e, w) => {
    const call = e.call;
    if (found || !call?.urgent || call.refused || !call.data?.length || call.conn === undefined) return;
    const c = w.forConn(call.conn);
    const key = w.byConn.get(call.conn);
    if (!c || !key || c.stackIss === undefined) return;
    found = { i, key, iss: c.stackIss, from: c.written.length, to: c.written.length + call.data.length };
  });
  return found;
}

/** MUST-62 on each segment carrying urgent octets; MUST-31 on those the urgent data goes on past. */
function judgeSend(trace: TraceEntry[], v: Checker): void {
  const u = urgentWrite(trace);
  if (!u) return;
  for (let i = u.i + 1; i < trace.length; i++) {
    const s = trace[i]!.dir === 'out' ? trace[i]!.seg : undefined;
    if (!s || keyOfOut(s) !== u.key || s.flags & (SYN | RST)) continue;
    const off = seqDelta(s.seq, u.iss) - 1; // data offset of the segment's first octet
    const up = u.to - off;
    if (up <= 0) {
      if (s.flags & URG) {
        v.flag(i, `${describe(s)} has URG set but starts after the urgent data`, undefined, 'no URG');
        return;
      }
      continue;
    }
    if (off + s.payload.length <= u.from || up > 0xffff) continue; // no urgent octets in it, or out of reach
    const sub = off + s.payload.length < u.to ? 'long' : undefined; // urgent data goes on past this segment
    if (!(s.flags & URG) || s.urgent !== up) {
      v.flag(
        i,
        `${describe(s)} carries urgent octets ${Math.max(off, u.from)}..${off + s.payload.length - 1} with ` +
          `${s.flags & URG ? `urgent pointer ${s.urgent}` : 'no URG'}`,
        undefined,
        `URG, urgent pointer ${up} (SEG.SEQ + ${up} = the octet after the urgent data, which ends at offset ${u.to})`,
        sub,
      );
      return;
    }
    v.hit(sub);
  }
}

/** The urgent octets reached the application with the rest: as many octets delivered as the stack acknowledged. */
function judgeReceive(trace: TraceEntry[], v: Checker): void {
  let urgentIn: number | undefined;
  const w = scan(trace, (i, e) => {
    if (urgentIn === undefined && e.dir === 'in' && e.seg && e.seg.flags & URG && e.seg.payload.length) urgentIn = i;
  });
  if (urgentIn === undefined) return;
  const c = w.conns.get(keyOfIn(trace[urgentIn]!.seg!));
  if (!c || c.peerIss === undefined || c.lastAck === undefined || c.conn === undefined) return;
  const s = trace[urgentIn]!.seg!;
  const urgentEnd = seqDelta(s.seq, c.peerIss) - 1 + s.urgent;
  const acked = seqDelta(c.lastAck, c.peerIss) - 1;
  if (acked < urgentEnd) return; // the urgent data was not all taken in
  if (c.delivered < acked) {
    v.flag(
      trace.length - 1,
      `the application received ${c.delivered} octets, but the stack acknowledged ${acked} (urgent data ending at ` +
        `offset ${urgentEnd} among them)`,
      undefined,
      `all ${acked} octets in line, in order`,
    );
    return;
  }
  v.hit();
}

const urgentSend: Property = {
  name: 'urgent-send',
  area: 'urgent',
  title:
    'urgent data the application writes goes out with URG and a pointer to the octet after it, on every ' +
    'segment that carries some of it, however long it is',
  requirements: ['MUST-30', 'MUST-62'],
  checks: { long: ['MUST-31'] },
  section: '§3.8.5, §3.9.1.2',
  needs: ['urgent'],
  scenario: () => scenarioArb(sendActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeSend(trace, v);
    return v.out;
  },
};

const urgentReceive: Property = {
  name: 'urgent-receive',
  area: 'urgent',
  title: 'urgent data from the peer, of any length, reaches the application in line and in order, none missing',
  requirements: ['MUST-30', 'MUST-31'],
  section: '§3.8.5, §3.10.7.4 (sixth)',
  scenario: () => scenarioArb(receiveActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeReceive(trace, v);
    return v.out;
  },
};

/**
 * MUST-32: once the stack has taken in urgent data that moved RCV.UP forward (its ACK covers the URG segment), its
 * application hears of it by the end of the scenario (one `urgent` event may cover several advances). Only for
 * stacks whose adapter reports urgent events (profile urgentEvents).
 */
function judgeEvent(trace: TraceEntry[], v: Checker): void {
  let rcvUp: number | undefined;
  let lastIn: number | undefined; // the last URG segment that moved the urgent pointer forward
  let acked = false;
  trace.forEach((e, i) => {
    const s = e.seg;
    if (!s || s.flags & (SYN | RST)) return;
    if (e.dir === 'in' && s.flags & URG && s.urgent > 0) {
      const up = seqAdd(s.seq, s.urgent);
      if (rcvUp !== undefined && seqDelta(up, rcvUp) <= 0) return; // a repeat: nothing new to tell
      rcvUp = up;
      lastIn = i;
      acked = false;
    }
    if (e.dir === 'out' && lastIn !== undefined && s.flags & ACK) {
      const u = trace[lastIn]!.seg!;
      if (seqDelta(s.ack, seqAdd(u.seq, Math.max(1, u.payload.length))) >= 0) acked = true;
    }
  });
  if (lastIn === undefined || !acked) return;
  v.hit('event');
  if (!trace.slice(lastIn).some((e) => e.event?.type === 'urgent'))
    v.flag(
      lastIn,
      'urgent data arrived and the stack acknowledged it, but its application was never told',
      trace[lastIn]!.text,
      'an urgent event to the application once urgent data arrives (§3.8.5)',
      'event',
    );
}

const urgentEvent: Property = {
  name: 'urgent-event',
  area: 'urgent',
  title: 'the application is told when urgent data arrives (an urgent event), even while it is not reading',
  requirements: [],
  checks: { event: ['MUST-32'] },
  section: '§3.8.5',
  scenario: (profile) => scenarioArb(eventActions((profile.controls ?? []).includes('reading'))),
  skip: (profile) =>
    profile.urgentEvents
      ? undefined
      : 'the adapter does not report urgent data to the application (profile urgentEvents not set)',
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeEvent(trace, v);
    return v.out;
  },
};

/** Urgent data arrives while the application holds its reading (where it can); it asks before and after reading. */
const pendingActions = (reading: boolean) =>
  fc.tuple(openingArb, plainLen, urgentLen, plainLen).map(([kind, a, u, b]): Action[] => {
    const ask: Action = { a: 'stackControl', control: { name: 'urgent-pending' } };
    const hold = (paused: boolean): Action[] =>
      reading ? [{ a: 'stackControl', control: { name: 'reading', paused } }] : [];
    return [
      ...establish(kind),
      ask,
      ...hold(true),
      ...around(a, { a: 'peerWrite', n: u, urgent: true }, b, (n) => ({ a: 'peerWrite', n })),
      ask,
      ...hold(false),
      { a: 'settle', ms: 2000 },
      ask,
    ];
  });

/** Per connection: the end (data offset) of the urgent data the stack acknowledged; an URG not yet acknowledged. */
interface UrgentSeen {
  taken: number | undefined;
  unacked: Array<{ end: number; ackTo: number }>;
}

/**
 * MUST-33: each answer to the query matches what the wire and the deliveries show. Pending when the stack took in
 * urgent data (its ACK covers the URG segment) past what the application was handed; not pending when none came or
 * all of it was handed over. While an URG segment is not yet acknowledged either answer stands.
 */
function judgePending(trace: TraceEntry[], v: Checker): void {
  const seen = new Map<string, UrgentSeen>();
  scan(trace, (i, e, w) => {
    const s = e.seg;
    if (s && !(s.flags & (SYN | RST))) {
      const key = e.dir === 'in' ? keyOfIn(s) : keyOfOut(s);
      const c = w.conns.get(key);
      const u = seen.get(key) ?? { taken: undefined, unacked: [] };
      seen.set(key, u);
      if (e.dir === 'in' && s.flags & URG && s.urgent > 0 && c?.peerIss !== undefined)
        u.unacked.push({ end: seqDelta(s.seq, c.peerIss) - 1 + s.urgent, ackTo: seqAdd(s.seq, s.payload.length) });
      if (e.dir === 'out' && s.flags & ACK) {
        for (const x of u.unacked.filter((x) => seqDelta(s.ack, x.ackTo) >= 0)) u.taken = Math.max(u.taken ?? 0, x.end);
        u.unacked = u.unacked.filter((x) => seqDelta(s.ack, x.ackTo) < 0);
      }
    }
    const ev = e.event;
    if (ev?.type !== 'urgent-pending') return;
    const c = w.forConn(ev.conn);
    const key = w.byConn.get(ev.conn);
    const u = key === undefined ? undefined : seen.get(key);
    if (!c || (u?.unacked.length ?? 0) > 0) return;
    const want = u?.taken !== undefined && u.taken > c.delivered;
    v.hit();
    if (ev.pending === want) return;
    const what =
      u?.taken === undefined
        ? 'no urgent data came'
        : `urgent data ended at octet ${u.taken} and the application had been handed ${c.delivered}`;
    v.flag(i, `the stack answered that urgent data is ${ev.pending ? '' : 'not '}pending, but ${what}`);
  });
}

const urgentPending: Property = {
  name: 'urgent-pending',
  area: 'urgent',
  title:
    'the application asks whether urgent data it has not read is pending (the urgent-pending query): yes once ' +
    'urgent data came that it was not handed yet, no before any came and once it has all been read',
  requirements: ['MUST-33'],
  section: '§3.8.5',
  needs: ['urgent-pending'],
  scenario: (profile) => scenarioArb(pendingActions((profile.controls ?? []).includes('reading'))),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgePending(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [urgentSend, urgentReceive, urgentEvent, urgentPending];
