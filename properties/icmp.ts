// Area: ICMP — the peer's network answers a segment of the stack with an ICMP error instead of delivering it
// (§3.9.2.2): source quench and soft errors never end the connection (it retransmits what was lost), a hard error
// ends it and tells the application, and an error goes only to the connection it quotes.
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import { type Action, MISDIRECTED } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, type Property, violations } from '../src/oracle/property.js';
import { ICMP_PARAM_PROBLEM, ICMP_QUENCH, ICMP_TIME_EXCEEDED, ICMP_UNREACH, icmpClass } from '../src/wire/icmp.js';
import { RST, segLen } from '../src/wire/segment.js';
import { seqDelta } from '../src/wire/seq.js';

const softArb = fc.constantFrom<[number, number]>(
  [ICMP_UNREACH, 0],
  [ICMP_UNREACH, 1],
  [ICMP_UNREACH, 5],
  [ICMP_TIME_EXCEEDED, 0],
  [ICMP_TIME_EXCEEDED, 1],
  [ICMP_PARAM_PROBLEM, 0],
);
const quench = fc.constant<[number, number]>([ICMP_QUENCH, 0]);
// Code 4 (fragmentation needed) is left out: with path MTU discovery (RFC 1191, RFC 8201) it lowers the MTU instead.
const hardArb = fc.constantFrom<[number, number]>([ICMP_UNREACH, 2], [ICMP_UNREACH, 3]);

const icmpAction = ([type, code]: [number, number], misdirect: boolean): Action => ({
  a: 'icmp',
  type,
  code,
  ...(misdirect ? { misdirect } : {}),
});
const tail: Action[] = [{ a: 'settle', ms: 5000 }, { a: 'stackClose' }, { a: 'settle', ms: 5000 }];

/** The stack's SYN answered by an error: any class; hard ones also quoting another connection. */
const onSyn = fc
  .tuple(fc.oneof({ weight: 2, arbitrary: softArb }, quench, { weight: 2, arbitrary: hardArb }), fc.boolean())
  .map(([err, mis]): Action[] => [
    { a: 'peerListen' },
    { a: 'stackConnect' },
    icmpAction(err, mis && icmpClass(...err) === 'hard'),
    ...tail,
  ]);

/** Data of an established connection answered by an error of any class. */
const onData = fc
  .tuple(openingArb, writeSize, fc.oneof({ weight: 2, arbitrary: softArb }, quench, hardArb))
  .map(([kind, n, err]): Action[] => [...establish(kind), { a: 'stackWrite', n }, icmpAction(err, false), ...tail]);

interface After {
  /** The first reset or error the application was told of, before anything else could end the connection. */
  abort: number | undefined;
  /** The first segment the stack sent again over the quoted sequence number. */
  again: number | undefined;
}

/** What followed the ICMP error at entry i: an abort, the quoted segment sent again, or neither. */
function after(trace: TraceEntry[], i: number): After {
  const q = trace[i]!.icmp!.quoted;
  let abort: number | undefined;
  let again: number | undefined;
  let ended = false;
  for (let j = i + 1; j < trace.length && (abort === undefined || again === undefined); j++) {
    const e = trace[j]!;
    // After a RST from the peer or an abort by the application, an ended connection says nothing of the error.
    if ((e.dir === 'in' && e.seg && e.seg.flags & RST) || (e.dir === 'call' && e.call?.name === 'abort')) ended = true;
    const ev = e.event;
    if (!ended && abort === undefined && (ev?.type === 'reset' || (ev?.type === 'error' && !ev.busy))) abort = j;
    const s = e.dir === 'out' ? e.seg : undefined;
    // The port of the stack and the sequence number name the segment (a misdirected error quotes another peer port).
    if (!s || again !== undefined || s.flags & RST || s.srcPort !== q.srcPort) continue;
    const d = seqDelta(q.seq, s.seq);
    if (d >= 0 && d < Math.max(1, segLen(s))) again = j;
  }
  return { abort, again };
}

/**
 * MUST-54: an error quoting another connection (a peer port nobody uses) leaves this one going: no abort told before
 * the stack sends its segment again. What an error quoting this connection does is the tracker's to judge
 * (rules.ts: icmp-hard-aborts, icmp-soft-goes-on, icmp-quench-ignored).
 */
function demux(trace: TraceEntry[], i: number, v: Checker): void {
  const m = trace[i]!.icmp!;
  const { abort, again } = after(trace, i);
  if (abort !== undefined && (again === undefined || abort < again))
    v.flag(
      abort,
      'the application was told the connection ended after a hard ICMP error quoting another connection ' +
        `(type ${m.type} code ${m.code})`,
      trace[abort]!.text,
      'the connection stays open and the lost segment is sent again',
    );
  else if (again !== undefined) v.hit();
}

export const properties: Property[] = [
  {
    name: 'icmp',
    area: 'icmp',
    title:
      'ICMP errors go to the connection they quote: scenarios of every class on a SYN and on data, judged by the ' +
      "tracker's ICMP rules; an error quoting another connection leaves this one going",
    requirements: ['MUST-54'],
    section: '§3.9.2.2',
    scenario: () => scenarioArb(fc.oneof(onSyn, onData)),
    check(trace, _profile, tally) {
      const v = violations(this, tally);
      trace.forEach((e, i) => {
        if (e.icmp && e.probe === MISDIRECTED) demux(trace, i, v);
      });
      return v.out;
    },
  },
];
