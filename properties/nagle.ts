// Area: Nagle's algorithm (§3.7.4). Left on (SHLD-7), a write made while a short segment of the stack's is still
// unacknowledged does not go out as another short segment: classic Nagle holds it until the ACK, Minshall's variant
// until the short one is acknowledged, and either passes. Turned off by the application (MUST-17, TCP_NODELAY), the
// write goes out at once although data is in flight.
import fc from 'fast-check';
import { establish, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import type { ConnId } from '../src/stacks/adapter.js';
import { type Checker, type Property, violations } from '../src/oracle/property.js';
import { type ConnShadow, keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { FIN, RST, SYN, type Segment, describe, mssOf, optionOctets } from '../src/wire/segment.js';
import { seqDelta } from '../src/wire/seq.js';
import { largestSent } from './sending.js';

/**
 * What a write's own segments are: those the stack sends within this long after it, before anything reaches it on
 * the connection. Later ones are timer-driven (a loss probe, RFC 8985), which Nagle does not govern.
 */
const RESPONSE_MS = 50;

const octets = (s: Segment): number => s.payload.length + s.options.reduce((n, o) => n + optionOctets(o), 0);

/**
 * Shorter than a full-sized segment: the peer's MSS (536 without its option, MUST-15), the stack's own MSS option,
 * and the largest segment the stack sent on the connection (its own send limit may be lower than either, §3.7.1),
 * options counted in.
 */
function short(s: Segment, peerMss: number | undefined, stackMss: number | undefined, largest: number): boolean {
  return octets(s) < Math.min(peerMss ?? 536, stackMss ?? Number.POSITIVE_INFINITY, largest);
}

interface ConnState {
  /** The application turned Nagle off. */
  noDelay: boolean;
  /** End offset (from the stack's ISN) of the last short segment of new data, and of every new-data segment. */
  smallEnd: number;
  ends: number[];
  /** The MSS option of the stack's SYN (per 4-tuple: a passive one's SYN,ACK comes before the connection has an id). */
  stackMss: number | undefined;
  /** The largest segment it sent on the connection. */
  full: number;
  /** The stack retransmitted data: its congestion window may hold a second segment back (RFC 5681 §3.1). */
  retransmitted: boolean;
  closed: boolean;
}

/** Entries after the write at i that are its response: within RESPONSE_MS, until something reaches the connection. */
function responseOf(
  trace: TraceEntry[],
  i: number,
  key: string,
): { segs: Array<{ j: number; seg: Segment }>; cut: boolean } {
  const segs: Array<{ j: number; seg: Segment }> = [];
  for (let j = i + 1; j < trace.length; j++) {
    const e = trace[j]!;
    if (e.t - trace[i]!.t > RESPONSE_MS) return { segs, cut: false };
    if (e.dir === 'in' && e.seg && keyOfIn(e.seg) === key) return { segs, cut: true };
    if (e.dir === 'call' && e.call?.name !== 'write') return { segs, cut: true };
    if (e.dir === 'out' && e.seg && keyOfOut(e.seg) === key) segs.push({ j, seg: e.seg });
  }
  return { segs, cut: true };
}

const fresh = (): ConnState => ({
  noDelay: false,
  smallEnd: 0,
  ends: [],
  stackMss: undefined,
  full: 0,
  retransmitted: false,
  closed: false,
});

/** Walk the trace: per connection of the application, what Nagle needs; judge each write as it is made. */
export function nagleCheck(trace: TraceEntry[], v: Checker): void {
  const st = new Map<ConnId, ConnState>();
  const of = (id: ConnId): ConnState => st.get(id) ?? st.set(id, fresh()).get(id)!;
  const synMss = new Map<string, number | undefined>();
  const largest = largestSent(trace, octets);
  scan(trace, (i, e, w) => {
    const call = e.dir === 'call' ? e.call : undefined;
    const k = call?.conn !== undefined ? w.byConn.get(call.conn) : undefined;
    if (call && k !== undefined && !call.refused) {
      const s = of(call.conn!);
      if (call.name === 'control' && call.control?.name === 'nodelay') s.noDelay = call.control.on;
      if (call.name === 'close' || call.name === 'shutdown' || call.name === 'abort') s.closed = true;
      s.stackMss = synMss.get(k);
      s.full = largest.get(k) ?? 0;
      if (call.name === 'write' && call.data?.length) judgeWrite(trace, i, k, w.conns.get(k), s, v);
    }
    const seg = e.dir === 'out' ? e.seg : undefined;
    if (seg && seg.flags & SYN) synMss.set(keyOfOut(seg), mssOf(seg));
    const c = seg && w.conns.get(keyOfOut(seg));
    if (!seg || c?.conn === undefined) return;
    const s = of(c.conn);
    if (c.stackIss === undefined || seg.flags & (SYN | RST) || !seg.payload.length) return;
    const off = seqDelta(seg.seq, c.stackIss);
    if (off < c.stackMax) {
      s.retransmitted = true;
      return;
    }
    const end = off + seg.payload.length;
    s.ends.push(end);
    if (short(seg, c.peerMss, synMss.get(keyOfOut(seg)), largest.get(keyOfOut(seg))!)) s.smallEnd = end;
  });
}

function judgeWrite(
  trace: TraceEntry[],
  i: number,
  k: string,
  c: ConnShadow | undefined,
  s: ConnState,
  v: Checker,
): void {
  if (!c?.established || c.stackIss === undefined || s.closed || c.stackFinOff !== undefined) return;
  if (trace.some((x) => x.seg && x.seg.flags & RST)) return;
  if (s.noDelay) {
    judgeNoDelay(trace, i, k, c, s, v);
    return;
  }
  if (s.smallEnd <= c.peerAckMax) return; // no short segment outstanding: nothing for Nagle to hold
  const { segs } = responseOf(trace, i, k);
  v.hit();
  const bad = segs.find(
    ({ seg: x }) =>
      seqDelta(x.seq, c.stackIss!) >= c.stackMax &&
      x.payload.length > 0 &&
      !(x.flags & FIN) &&
      short(x, c.peerMss, s.stackMss, s.full),
  );
  if (bad)
    v.flag(
      bad.j,
      `a write of ${trace[i]!.call!.data!.length} octets went out as a short segment while the short segment ending ` +
        `at offset ${s.smallEnd} was still unacknowledged (Nagle on: the application did not turn it off)`,
      describe(bad.seg),
      'the write held until the outstanding data is acknowledged or a full-sized segment can go (§3.7.4)',
    );
}

/**
 * MUST-17: with Nagle off, a write made while exactly one segment is in flight (any congestion window of RFC 5681
 * holds two), with room in the peer's window and no retransmission so far, is sent before the ACK comes back.
 */
function judgeNoDelay(trace: TraceEntry[], i: number, k: string, c: ConnShadow, s: ConnState, v: Checker): void {
  const len = trace[i]!.call!.data!.length;
  const first = 1 + c.written.length;
  const unsent = first - c.stackMax;
  const inFlight = s.ends.filter((end) => end > c.peerAckMax).length;
  if (inFlight !== 1 || s.retransmitted || unsent !== 0 || c.peerEdge === undefined) return;
  if (c.peerEdge - c.stackMax < len) return;
  const { segs, cut } = responseOf(trace, i, k);
  const sent = segs.some(({ seg: x }) => {
    const off = seqDelta(x.seq, c.stackIss!);
    return off <= first && first < off + x.payload.length;
  });
  if (!sent && cut) return; // the ACK came back too soon to tell
  v.hit('nodelay');
  if (!sent)
    v.flag(
      i,
      `with Nagle turned off, a write of ${len} octets was not sent within ${RESPONSE_MS} ms while one segment ` +
        `(${c.stackMax - c.peerAckMax} octets) was unacknowledged and the peer's window had room`,
      undefined,
      'the write sent at once: the application turned Nagle off (§3.7.4)',
      'nodelay',
    );
}

const smallWrite = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 101, max: 400 }));
const writesArb = fc.array(fc.tuple(smallWrite, fc.integer({ min: 2, max: 40 })), { minLength: 2, maxLength: 4 });

/** Small writes a few ms apart, nothing delivered in between, then everything delivered. */
const round = (ws: Array<[number, number]>): Action[] => [
  ...ws.flatMap(([n, gap]): Action[] => [
    { a: 'stackWrite', n },
    { a: 'advance', ms: gap },
  ]),
  { a: 'advance', ms: 100 },
  { a: 'settle', ms: 2000 },
];

/** Nagle left on, or (a stack offering the control) turned off, and a second round switched the other way. */
const nagleActions = (control: boolean) =>
  fc
    .tuple(openingArb, control ? fc.boolean() : fc.constant(false), writesArb, fc.option(writesArb), fc.boolean())
    .map(([kind, noDelay, first, second, close]): Action[] => {
      const set = (on: boolean): Action => ({ a: 'stackControl', control: { name: 'nodelay', on } });
      return [
        ...establish(kind),
        ...(noDelay ? [set(true)] : []),
        ...round(first),
        // Switched the other way for a second round: off again means Nagle again.
        ...(second ? [...(control ? [set(!noDelay)] : []), ...round(second)] : []),
        ...(close ? [{ a: 'stackClose' } as Action, { a: 'settle', ms: 3000 } as Action] : []),
      ];
    });

const nagle: Property = {
  name: 'nagle',
  area: 'nagle',
  title:
    'a write made while a short segment is unacknowledged is not sent as another short segment (Nagle), unless ' +
    'the application turned Nagle off: then it goes out at once',
  requirements: ['SHLD-7'],
  checks: { nodelay: ['MUST-17'] },
  section: '§3.7.4',
  // Without the nodelay control only Nagle itself (SHLD-7) is judged.
  scenario: (profile) =>
    scenarioArb(nagleActions((profile.controls ?? []).includes('nodelay')), {
      window: fc.integer({ min: 4096, max: 65535 }),
    }),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    nagleCheck(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [nagle];
