// Area: segment arrival — the acceptability test, and data transfer with loss, duplication and
// reordering: in-order exactly-once delivery, never ACK what did not arrive, the peer's window
// and MSS respected (§3.4, §3.7.1, §3.8.6, §3.10.7.4 steps 1 and 7).
import fc from 'fast-check';
import { edgeDelta, establish, lenArb, netArb, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import { ACK, FIN, PSH, RST, describe, segLen } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { ackThrottled, type Property, violations, RIGHT_EDGE } from '../src/oracle/property.js';
import { endedBetween } from './checks.js';
import { fullSized, largeWindow, sentEventually } from './sending.js';
import { acceptableSeq } from '../src/model/arrive.js';

const acceptability: Property = {
  name: 'acceptability',
  area: 'segments',
  title: 'an unacceptable segment is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and dropped',
  requirements: [],
  checks: { 'unacceptable-ack': [] },
  section: '§3.4 Table 5, §3.10.7.4 step 1',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          fc.array(
            fc.oneof(
              writeSize.map((n): Action => ({ a: 'peerWrite', n })),
              writeSize.map((n): Action => ({ a: 'stackWrite', n })),
            ),
            { maxLength: 3 },
          ),
          fc.array(
            fc.tuple(
              edgeDelta,
              lenArb,
              fc.constantFrom(ACK, PSH | ACK, FIN | ACK),
              // mostly SND.NXT; sometimes past it (an ACK of what was never sent, §3.10.7.4 fifth check), or older
              // than any unscaled window (RFC 5961 §5.2, MAY-12: judged by the tracker where the stack declares it)
              fc.oneof(
                { weight: 4, arbitrary: fc.constant(0) },
                { weight: 1, arbitrary: fc.integer({ min: 1, max: 70000 }) },
                { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31) + 1, max: -65537 }) },
              ),
            ),
            { minLength: 1, maxLength: 3 },
          ),
        )
        .map(([kind, writes, probesSpec]): Action[] => [
          ...establish(kind),
          ...writes,
          { a: 'settle', ms: 3000 },
          ...probesSpec.flatMap(([d, len, flags, ackD]): Action[] => [
            {
              a: 'inject',
              probe: 'unacceptable',
              h: {
                flags,
                seq: { ref: 'rcvNxt', d: ackD ? 0 : d },
                ack: { ref: 'sndNxt', d: ackD },
                len: Math.min(len, 1000),
                to: 'conn',
              },
            },
            { a: 'advance', ms: 500 },
          ]),
        ]),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    scan(trace, (i, e, w) => {
      if (e.dir !== 'in' || e.probe !== 'unacceptable' || !e.seg) return;
      const c = w.conns.get(keyOfIn(e.seg));
      if (
        !c ||
        c.lastAck === undefined ||
        c.lastWin === undefined ||
        !c.synAcked ||
        c.stackIss === undefined ||
        c.peerIss === undefined
      )
        return;
      if (seqDelta(c.lastAck, c.peerIss) !== c.covEnd()) return; // an ACK still pending: RCV.NXT is not known exactly
      if (acceptableSeq(e.seg.seq, segLen(e.seg), c.lastAck, c.lastWin)) return;
      // Acceptable under the largest window it has advertised: the stack may have opened its window since
      // (shadow.maxWin).
      if (acceptableSeq(e.seg.seq, segLen(e.seg), c.lastAck, Math.max(c.winHi, c.lastWin))) return;
      if (endedBetween(trace, i - 1, i + 1)) return;
      v.hit('unacceptable-ack');
      const rcvNxt = c.lastAck;
      const resp: string[] = [];
      let ok = false;
      for (let j = i + 1; j < trace.length; j++) {
        const x = trace[j]!;
        if (x.t - e.t > 500 || (x.dir === 'in' && j > i)) break;
        if (x.dir === 'out' && x.seg && keyOfOut(x.seg) === keyOfIn(e.seg)) {
          resp.push(describe(x.seg));
          if ((x.seg.flags & (ACK | RST)) === ACK && x.seg.ack === rcvNxt) ok = true;
        }
        if (x.event?.type === 'reset') ok = true; // a concurrent reset makes the question moot
      }
      const edge = e.seg.seq === seqAdd(rcvNxt, Math.max(c.winHi, c.lastWin)) ? ` (${RIGHT_EDGE})` : '';
      if (!ok && !ackThrottled(trace, i, profile))
        v.flag(
          i,
          `unacceptable segment (SEQ=${e.seg.seq} LEN=${segLen(e.seg)}, window ${rcvNxt}+${c.lastWin}) was not ` +
            `answered with an ACK of RCV.NXT${edge}`,
          resp.join(' | ') || '(nothing)',
          `<SEQ=SND.NXT><ACK=${rcvNxt}><CTL=ACK>`,
          'unacceptable-ack',
        );
    });
    return v.out;
  },
};

/** The connection opened, and sometimes (an active open) written to before the peer answers its SYN. */
function opening(kind: 'stack-passive' | 'stack-active', early: number[] | null): Action[] {
  if (!early || kind === 'stack-passive') return establish(kind);
  return [
    { a: 'peerListen' },
    { a: 'stackConnect' },
    { a: 'lose', dir: 'toPeer' },
    ...early.map((n): Action => ({ a: 'stackWrite', n })),
    { a: 'settle', ms: 5000 },
  ];
}

const transfer: Property = {
  name: 'data-transfer',
  area: 'segments',
  title:
    'data both ways over a lossy, duplicating, reordering network: everything that reached the stack in order is ' +
    "delivered once, and the stack's segments respect the peer's window and MSS",
  requirements: [],
  checks: {
    'large-window': ['MUST-1'],
    'full-sized': ['SHLD-28'],
    'psh-collapsed': ['SHLD-27', 'SHLD-28'],
    'sent-eventually': ['MUST-60'],
  },
  section: '§3.1, §3.7.1, §3.8.6, §3.10.7.4 step 7',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          fc.array(
            fc.oneof(
              { weight: 2, arbitrary: writeSize.map((n): Action => ({ a: 'peerWrite', n })) },
              { weight: 2, arbitrary: writeSize.map((n): Action => ({ a: 'stackWrite', n })) },
              { weight: 3, arbitrary: netArb },
              { weight: 1, arbitrary: fc.integer({ min: 1, max: 2500 }).map((ms): Action => ({ a: 'advance', ms })) },
            ),
            { minLength: 1, maxLength: 16 },
          ),
        )
        .chain(([kind, rest]) =>
          fc
            .option(fc.array(writeSize, { minLength: 2, maxLength: 3 }), { freq: 4 })
            .map((early): Action[] => [...opening(kind, early), ...rest, { a: 'settle', ms: 120_000 }]),
        ),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const w = scan(trace, (i, e, sw) => largeWindow(trace, i, e, sw, v));
    fullSized(trace, v);
    sentEventually(trace, w, v);
    for (const [, c] of w.conns) {
      if (c.conn === undefined || c.peerIss === undefined || !c.established) continue;
      if (trace.some((e) => (e.seg && e.seg.flags & RST) || e.event?.type === 'reset' || e.event?.type === 'error'))
        continue;
      v.hit();
      const end = c.covEnd();
      const finIn = c.peerFinEnd !== undefined && end >= c.peerFinEnd;
      const inOrderData = Math.max(0, end - 1 - (finIn ? 1 : 0));
      if (c.delivered < inOrderData)
        v.flag(
          trace.length - 1,
          `${inOrderData} octets reached the stack in order but only ${c.delivered} were delivered to the application`,
          undefined,
          'every octet received in order is delivered (exactly once)',
        );
    }
    return v.out;
  },
};

export const properties: Property[] = [acceptability, transfer];
