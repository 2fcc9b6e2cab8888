// Area: ICMP — the peer's network answers a segment of the stack with an ICMP error instead of delivering it
// (§3.9.2.2): source quench and soft errors never end the connection (it retransmits what was lost), a hard error
// ends it and tells the application, and an error goes only to the connection it quotes.
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import { type Action, MISDIRECTED } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, type Property, violations } from '../src/oracle/property.js';
import { ICMP_PARAM_PROBLEM, ICMP_QUENCH, ICMP_TIME_EXCEEDED, ICMP_UNREACH, icmpClass } from '../src/wire/icmp.js';
import { RST, SYN, describe, segLen } from '../src/wire/segment.js';
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

const NAMES: Record<string, string> = { quench: 'source quench', soft: 'soft ICMP error', hard: 'hard ICMP error' };

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

/** Was the quoted segment the stack's SYN (the connection still opening)? */
function quotesSyn(trace: TraceEntry[], i: number): boolean {
  const q = trace[i]!.icmp!.quoted;
  for (let j = i - 1; j >= 0; j--) {
    const s = trace[j]!.dir === 'out' ? trace[j]!.seg : undefined;
    if (s && s.srcPort === q.srcPort && s.seq === q.seq) return (s.flags & SYN) !== 0;
  }
  return false;
}

/** Source quench and soft errors (and any error quoting another connection): the connection goes on. */
function goesOn(trace: TraceEntry[], i: number, v: Checker, sub: 'soft-no-abort' | 'quench-ignored' | 'demux'): void {
  const m = trace[i]!.icmp!;
  const { abort, again } = after(trace, i);
  if (abort !== undefined && (again === undefined || abort < again)) {
    const what =
      sub === 'demux' ? 'a hard ICMP error quoting another connection' : `a ${NAMES[icmpClass(m.type, m.code)]}`;
    v.flag(
      abort,
      `the application was told the connection ended after ${what} (type ${m.type} code ${m.code})`,
      trace[abort]!.text,
      sub === 'quench-ignored'
        ? 'no reaction at all: a source quench is discarded silently'
        : 'the connection stays open and the lost segment is sent again',
      sub,
    );
    if (quotesSyn(trace, i) && sub !== 'demux') v.out[v.out.length - 1]!.state = 'SYN-SENT';
  } else if (again !== undefined) v.hit(sub);
}

/** A hard error: the connection ends and the application is told, before the quoted segment is sent again. */
function aborts(trace: TraceEntry[], i: number, v: Checker): void {
  const m = trace[i]!.icmp!;
  const { abort, again } = after(trace, i);
  if (abort !== undefined && (again === undefined || abort < again)) v.hit();
  else if (again !== undefined) {
    const syn = quotesSyn(trace, i);
    v.flag(
      again,
      `after a hard ICMP error (destination unreachable code ${m.code}) quoting its ${syn ? 'SYN' : 'segment'}, the ` +
        'stack sent it again instead of aborting the connection',
      describe(trace[again]!.seg!),
      'the connection aborted and the application told, nothing sent again',
    );
    v.out[v.out.length - 1]!.state = syn ? 'SYN-SENT' : 'ESTABLISHED';
  }
}

export const properties: Property[] = [
  {
    name: 'icmp',
    area: 'icmp',
    title:
      'ICMP errors go to the connection they quote: a hard one aborts it, soft ones and source quench never end it',
    requirements: ['MUST-54', 'SHLD-26'],
    checks: { 'soft-no-abort': ['MUST-56'], 'quench-ignored': ['MUST-55'], demux: ['MUST-54'] },
    section: '§3.9.2.2',
    scenario: () => scenarioArb(fc.oneof(onSyn, onData)),
    check(trace, _profile, tally) {
      const v = violations(this, tally);
      trace.forEach((e, i) => {
        const m = e.icmp;
        if (!m) return;
        const cls = icmpClass(m.type, m.code);
        if (e.probe === MISDIRECTED) goesOn(trace, i, v, 'demux');
        else if (cls === 'quench') goesOn(trace, i, v, 'quench-ignored');
        else if (cls === 'soft') goesOn(trace, i, v, 'soft-no-abort');
        else if (cls === 'hard') aborts(trace, i, v);
      });
      return v.out;
    },
  },
];
