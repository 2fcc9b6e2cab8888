// Area: passive OPEN beside other connections (§3.10.1) — a LISTEN never disturbs the connections that exist
// (MUST-41), and is allowed on a port whose connection is still opening, in SYN-SENT (MUST-42).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import { PEER_PORT, STACK_PORT, type Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, isSynAckFor, probes, type Property, responses, violations } from '../src/oracle/property.js';
import { ACK, RST, SYN } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';

const OTHER_PORT = STACK_PORT + 1;
const abs = (d: number) => ({ ref: 'abs' as const, d });
const freshSyn = (x: number): Action => ({
  a: 'inject',
  probe: 'to-new-listener',
  h: { flags: SYN, seq: abs(x), ack: abs(0), len: 0, to: 'fresh', n: 6 },
});

/** MUST-42: the stack's SYN is lost, LISTEN on its port, a SYN from another peer port, then the handshake ends. */
const besideOpening = fc
  .integer({ min: 0, max: 0xffffffff })
  .map((x): Action[] => [
    { a: 'peerListen' },
    { a: 'stackConnect' },
    { a: 'lose', dir: 'toPeer' },
    { a: 'stackListen' },
    freshSyn(x),
    { a: 'advance', ms: 600 },
    { a: 'settle', ms: 5000 },
  ]);

/** MUST-41: an established connection, a LISTEN (on its port when it was opened actively, else on another), data. */
const afterEstablished = fc
  .tuple(openingArb, fc.integer({ min: 0, max: 0xffffffff }))
  .map(([kind, x]): Action[] => [
    ...establish(kind),
    { a: 'stackListen', ...(kind === 'stack-passive' ? { port: OTHER_PORT } : {}) },
    ...(kind === 'stack-active' ? [freshSyn(x)] : []),
    { a: 'peerWrite', n: 100 },
    { a: 'stackWrite', n: 100 },
    { a: 'settle', ms: 3000 },
  ]);

/** The peer's own connection (peer port PEER_PORT): its segments either way. */
const onConn = (e: TraceEntry): boolean =>
  !!e.seg && (e.dir === 'out' ? e.seg.dstPort === PEER_PORT : e.dir === 'in' && e.seg.srcPort === PEER_PORT);

/** The first LISTEN after the connection was opened: by the stack (connect) or towards it (accepted). */
function listenAfterOpen(trace: TraceEntry[]): number {
  const open = trace.findIndex((e) => e.call?.name === 'connect' || e.event?.type === 'accepted');
  return open < 0 ? -1 : trace.findIndex((e, i) => i > open && e.call?.name === 'listen');
}

/** MUST-42: LISTEN while the connection is in SYN-SENT is taken, the new listener answers, the opening goes on. */
function besideSynSent(trace: TraceEntry[], l: number, v: Checker): void {
  const call = trace[l]!.call!;
  v.hit('beside-opening');
  if (call.refused) {
    v.flag(
      l,
      `LISTEN on port ${call.port} was refused while a connection on the port was in SYN-SENT: ${call.reason}`,
      trace[l]!.text,
      'a new LISTEN record beside the opening connection',
      'beside-opening',
    );
    return;
  }
  for (const i of probes(trace, 'to-new-listener').filter((i) => i > l))
    if (!responses(trace, i).segs.some((x) => isSynAckFor(x.seg, trace[i]!.seg!)))
      v.flag(i, 'the new listener did not answer a SYN', undefined, 'SYN,ACK', 'beside-opening');
  const goesOn = trace.some(
    (e, i) =>
      i > l &&
      (e.event?.type === 'connected' || (e.dir === 'out' && onConn(e) && (e.seg!.flags & (SYN | ACK)) === SYN)),
  );
  if (!goesOn)
    v.flag(
      l,
      'after the LISTEN the opening connection neither sent its SYN again nor completed',
      undefined,
      'the connection in SYN-SENT undisturbed',
      'beside-opening',
    );
}

/** MUST-41: after LISTEN (taken or refused) the established connection carries data both ways, unreset. */
function besideEstablished(trace: TraceEntry[], l: number, v: Checker): void {
  v.hit('undisturbed');
  const after = trace.slice(l + 1);
  const ended = after.find(
    (e) =>
      (e.dir === 'out' && onConn(e) && e.seg!.flags & RST) ||
      ['reset', 'error', 'closed'].includes(e.event?.type ?? ''),
  );
  const data = after.find((e) => e.dir === 'in' && onConn(e) && e.seg!.payload.length > 0);
  const end = data ? seqAdd(data.seg!.seq, data.seg!.payload.length) : undefined;
  const acked =
    end === undefined ||
    after.some((e) => e.dir === 'out' && onConn(e) && e.seg!.flags & ACK && seqDelta(e.seg!.ack, end) >= 0);
  const wrote = after.some((e) => e.call?.name === 'write' && !e.call.refused);
  const sent = !wrote || after.some((e) => e.dir === 'out' && onConn(e) && e.seg!.payload.length > 0);
  if (ended || !acked || !sent)
    v.flag(
      ended ? trace.indexOf(ended) : l,
      `after a LISTEN on port ${trace[l]!.call!.port} the established connection ` +
        (ended
          ? `ended: ${ended.text}`
          : !acked
            ? "left the peer's data unacknowledged"
            : 'sent none of the data written'),
      undefined,
      'the existing connection undisturbed',
      'undisturbed',
    );
}

const listenBeside: Property = {
  name: 'listen-beside-connections',
  area: 'listen',
  title: 'a passive OPEN leaves the existing connections alone, and is taken on a port whose connection is in SYN-SENT',
  requirements: [],
  checks: { 'beside-opening': ['MUST-42'], undisturbed: ['MUST-41'] },
  section: '§3.10.1',
  // a wide window: the data written goes out at once
  scenario: () => scenarioArb(fc.oneof(besideOpening, afterEstablished), { window: fc.constant(65535) }),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const l = listenAfterOpen(trace);
    if (l < 0) return v.out;
    const synced = trace
      .slice(0, l)
      .some((e) => e.dir === 'in' && onConn(e) && e.seg!.flags & (SYN | RST) && e.seg!.flags & ACK);
    const established = trace.slice(0, l).some((e) => e.event?.type === 'accepted' || e.event?.type === 'connected');
    if (established) besideEstablished(trace, l, v);
    else if (!synced) besideSynSent(trace, l, v);
    return v.out;
  },
};

export const properties: Property[] = [listenBeside];
