// Area: Explicit Congestion Notification (RFC 3168, which RFC 9293 §3.8.2 asks stacks to implement, SHLD-8). The peer
// asks for ECN on its SYN (ECE and CWR) in most runs, agrees when the stack's SYN asks, and sends ECN-capable data;
// the network marks some of it Congestion Experienced. Judged: the stack agrees when asked (SHLD-8) and never when not
// asked (§6.1.1); ECT only on new data of a connection using ECN, never on SYNs, pure ACKs or retransmissions
// (§6.1.1, §6.1.4, §6.1.5); a CE mark is echoed with ECE on the ACK that covers it (§6.1.3); the peer's ECE is
// answered with CWR on the stack's next new data (§6.1.2).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Property, violations } from '../src/oracle/property.js';
import { keyOfIn, keyOfOut } from '../src/oracle/shadow.js';
import { ACK, CWR, ECE, ECN, RST, SYN, type Segment, describe, ecnOf } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';

type V = ReturnType<typeof violations>;

/** What one connection's SYN exchange said about ECN, and what the stack owes since. */
interface EcnConn {
  peerAsked: boolean;
  stackAsked: boolean;
  inUse: boolean;
  stackIss?: number;
  /** Highest sequence number the stack has sent (offset from its ISN). */
  sentMax: number;
  /** The end of the last CE-marked segment the stack must echo, until an ACK covers it or the peer's CWR. */
  ceEnd?: number;
  ceAt?: number;
  /** Where the peer's first ECE arrived, until the stack's new data shows CWR (once per connection). */
  eceAt?: number;
  cwrJudged?: boolean;
  /** The first new data the stack sent after that ECE without CWR. */
  noCwrAt?: number;
}

const asks = (s: Segment): boolean => (s.flags & ECE) !== 0 && (s.flags & CWR) !== 0;
const agrees = (s: Segment): boolean => (s.flags & ECE) !== 0 && (s.flags & CWR) === 0;

function fresh(): EcnConn {
  return { peerAsked: false, stackAsked: false, inUse: false, sentMax: 0 };
}

/** A segment from the peer: its SYN says whether it asks, its SYN,ACK whether it agrees; CE marks and CWR. */
function fromPeer(c: EcnConn, s: Segment, i: number, stackAck: number | undefined): void {
  if (s.flags & SYN && !(s.flags & ACK)) c.peerAsked = asks(s);
  if (s.flags & SYN && s.flags & ACK) c.inUse = c.stackAsked && agrees(s);
  if (!c.inUse || s.flags & (SYN | RST)) return;
  if (s.flags & CWR) c.ceEnd = undefined;
  if (s.flags & ECE && s.flags & ACK && c.eceAt === undefined && !c.cwrJudged) c.eceAt = i;
  // A CE mark on in-order new data the stack takes (what it acknowledged so far reaches into it).
  const end = seqAdd(s.seq, s.payload.length);
  const inOrder = stackAck !== undefined && seqDelta(s.seq, stackAck) <= 0 && seqDelta(end, stackAck) > 0;
  if (ecnOf(s) === ECN.ce && s.payload.length > 0 && inOrder) {
    c.ceEnd = end;
    c.ceAt = i;
  }
}

/** §6.1.1: a SYN,ACK of the stack agrees exactly when the peer's SYN asked (SHLD-8 says agree). */
function judgeSynAck(c: EcnConn, s: Segment, i: number, v: V): void {
  if (c.peerAsked) {
    v.hit('agrees');
    c.inUse = agrees(s);
    if (!agrees(s))
      v.flag(
        i,
        'the peer asked for ECN on its SYN and the stack did not agree',
        describe(s),
        'a SYN,ACK with ECE and ' + 'without CWR (an ECN-setup SYN,ACK)',
        'agrees',
      );
    return;
  }
  v.hit('unasked');
  if (agrees(s))
    v.flag(
      i,
      'an ECN-setup SYN,ACK (ECE without CWR) answers a SYN that did not ask for ECN',
      describe(s),
      'a SYN,ACK without ECE',
      'unasked',
    );
}

/** §6.1.1, §6.1.4, §6.1.5: ECT only on new data of a connection using ECN. */
function judgeEct(c: EcnConn, s: Segment, i: number, v: V): void {
  if (c.stackIss === undefined || s.flags & RST) return;
  const off = seqDelta(s.seq, c.stackIss);
  const resent = s.payload.length > 0 && off + s.payload.length <= c.sentMax;
  if (s.payload.length > 0 && !resent) judgeCwr(c, s, i);
  c.sentMax = Math.max(c.sentMax, off + s.payload.length + (s.flags & SYN ? 1 : 0));
  v.hit('ect');
  if (ecnOf(s) === 0) return;
  const why = !c.inUse
    ? 'on a connection that does not use ECN'
    : s.flags & SYN
      ? 'on a SYN'
      : s.payload.length === 0
        ? 'on a segment without data'
        : resent
          ? 'on a retransmission'
          : undefined;
  if (why)
    v.flag(
      i,
      `the stack marked a segment ECN-capable (ECT) ${why}`,
      describe(s),
      'ECT only on new data once both SYNs agreed on ECN',
      'ect',
    );
}

/**
 * §6.1.2: new data the stack sends after the peer's first ECE carries CWR: the first such segment should, and on a
 * real clock one sent before the ECE was taken in may come first, so any of them does; none by the end is the fault.
 */
function judgeCwr(c: EcnConn, s: Segment, i: number): void {
  if (c.eceAt === undefined || c.cwrJudged || !c.inUse) return;
  if (s.flags & CWR) c.cwrJudged = true;
  else c.noCwrAt ??= i;
}

function cwrAtEnd(trace: TraceEntry[], c: EcnConn, v: V): void {
  if (c.eceAt === undefined || (!c.cwrJudged && c.noCwrAt === undefined)) return;
  v.hit('cwr');
  if (!c.cwrJudged)
    v.flag(
      c.noCwrAt!,
      `the peer's ACK ${c.eceAt} carried ECE and no new data the stack sent after it has CWR`,
      describe(trace[c.noCwrAt!]!.seg!),
      'CWR on the first new data after an ECE',
      'cwr',
    );
}

/** §6.1.3: the first ACK that covers a CE-marked segment carries ECE. */
function judgeEcho(c: EcnConn, s: Segment, i: number, v: V): void {
  if (c.ceEnd === undefined || !(s.flags & ACK) || s.flags & (SYN | RST) || seqDelta(s.ack, c.ceEnd) < 0) return;
  v.hit('echo');
  if (!(s.flags & ECE))
    v.flag(
      i,
      `segment ${c.ceAt} arrived marked Congestion Experienced and the stack's ACK of it has no ECE`,
      describe(s),
      'ECE on every ACK from the CE mark until the peer sends CWR',
      'echo',
    );
  c.ceEnd = undefined;
}

export function ecnCheck(trace: TraceEntry[], v: V): void {
  const conns = new Map<string, EcnConn>();
  const stackAck = new Map<string, number>();
  trace.forEach((e, i) => {
    const s = e.seg;
    if (!s || (e.dir !== 'in' && e.dir !== 'out')) return;
    const k = e.dir === 'in' ? keyOfIn(s) : keyOfOut(s);
    const opens = s.flags & SYN && !(s.flags & ACK) && (e.dir === 'in' || !conns.get(k)?.stackAsked);
    if (opens) {
      const before = conns.get(k);
      if (before) cwrAtEnd(trace, before, v); // a new incarnation: judge what the old one owed
      conns.set(k, fresh());
    }
    const c = conns.get(k) ?? fresh();
    conns.set(k, c);
    if (e.dir === 'in') {
      fromPeer(c, s, i, stackAck.get(k));
      return;
    }
    if (s.flags & SYN) {
      c.stackIss = s.seq;
      if (!(s.flags & ACK)) c.stackAsked = asks(s);
      else judgeSynAck(c, s, i, v);
    }
    judgeEct(c, s, i, v);
    judgeEcho(c, s, i, v);
    if (s.flags & ACK && !(s.flags & RST)) stackAck.set(k, s.ack);
  });
  for (const c of conns.values()) cwrAtEnd(trace, c, v);
}

/** Data both ways, with CE marks on some of the data each way. */
const round = fc
  .tuple(fc.boolean(), fc.boolean(), writeSize, writeSize)
  .map(([toStack, toPeer, n, m]): Action[] => [
    ...(toPeer ? [{ a: 'ce', dir: 'toPeer' } as Action] : []),
    { a: 'stackWrite', n },
    ...(toStack ? [{ a: 'ce' } as Action] : []),
    { a: 'peerWrite', n: m },
    { a: 'settle', ms: 3000 },
  ]);

const actions = fc
  .tuple(openingArb, fc.array(round, { minLength: 1, maxLength: 4 }))
  .map(([kind, rounds]): Action[] => [...establish(kind), ...rounds.flat(), { a: 'settle', ms: 5000 }]);

const ecn: Property = {
  name: 'ecn',
  area: 'congestion',
  title:
    'ECN (RFC 3168): the stack agrees when the peer’s SYN asks and only then, marks only new data ECN-capable, ' +
    'echoes a Congestion Experienced mark with ECE, and answers an ECE with CWR',
  requirements: [],
  checks: { agrees: ['SHLD-8'], unasked: ['SHLD-8'], ect: ['SHLD-8'], echo: ['SHLD-8'], cwr: ['SHLD-8'] },
  section: '§3.8.2; RFC 3168 §6.1',
  scenario: () =>
    fc
      .tuple(scenarioArb(actions), fc.integer({ min: 0, max: 99 }))
      .map(([sc, p]) => (p < 85 ? { ...sc, peerEcn: true } : sc)),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    ecnCheck(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [ecn];
