// Area: the PUSH function (§3.9.1.2–3), for a stack whose interface has it. Sending: SEND takes a PUSH flag (MAY-15);
// the segment carrying a pushed write's last octet has PSH (the always-on invariant push-write) and pushed data goes
// out, though unpushed data written before it may have waited (MAY-16). Receiving: RECEIVE tells the application
// where the peer pushed (MAY-17): a delivery that ends at an octet that came with PSH says so, and none says so
// without one.
import fc from 'fast-check';
import { establish, netArb, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, type Property, violations } from '../src/oracle/property.js';
import { keyOfIn, scan } from '../src/oracle/shadow.js';
import { PSH, RST, SYN } from '../src/wire/segment.js';
import { seqDelta } from '../src/wire/seq.js';

const lenArb = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(535, 536, 537, 1460, 1461, 3000));

/** Writes, each pushed or not, some back to back (they queue behind a small window), some apart; the last pushed. */
const sendActions = fc
  .tuple(
    openingArb,
    fc.array(fc.tuple(lenArb, fc.boolean(), fc.constantFrom(0, 0, 50, 400)), { minLength: 2, maxLength: 6 }),
  )
  .map(([kind, ws]): Action[] => [
    ...establish(kind),
    ...ws.flatMap(([n, push, gap], i): Action[] => [
      i === ws.length - 1 || push ? { a: 'stackWrite', n } : { a: 'stackWrite', n, push: false },
      ...(gap ? [{ a: 'settle', ms: gap } as const] : []),
    ]),
    { a: 'settle', ms: 8000 },
  ]);

/** The peer's writes, some crossing in flight (reordered, duplicated or lost and sent again). */
const receiveActions = fc
  .tuple(openingArb, fc.array(lenArb, { minLength: 2, maxLength: 5 }), fc.array(netArb, { maxLength: 3 }))
  .map(([kind, ws, net]): Action[] => [
    ...establish(kind),
    ...ws.map((n): Action => ({ a: 'peerWrite', n })),
    ...net.filter((x) => x.a === 'net' && x.dir === 'toStack'),
    { a: 'settle', ms: 8000 },
  ]);

/**
 * Pushed data goes out (§3.9.1.2): by the end, with the connection open and the peer reading, the stack has sent
 * every octet up to the end of the last pushed write.
 */
function judgeSent(trace: TraceEntry[], v: Checker): void {
  const w = scan(trace, () => undefined);
  for (const c of w.conns.values()) {
    if (c.conn === undefined || c.mayHaveEnded || c.stackIss === undefined) continue;
    const pushed = [...c.writeEnds].filter(([, p]) => p).map(([e]) => e);
    const last = Math.max(0, ...pushed);
    if (last === 0) continue;
    v.hit('sent');
    if (c.stackMax >= last) continue;
    v.flag(
      trace.length - 1,
      `the application pushed its write ending at octet ${last - 1}, but by the end the stack had sent only ` +
        `${Math.max(0, c.stackMax)} octets`,
      undefined,
      'every octet up to the end of a pushed write sent (the peer reads and its window is open)',
      'sent',
    );
  }
}

/** Where the peer's pushed segments end, as data offsets on its connection, gathered as they reach the stack. */
function pushPoints(trace: TraceEntry[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  scan(trace, (_i, e, w) => {
    const s = e.dir === 'in' ? e.seg : undefined;
    if (!s || !(s.flags & PSH) || s.flags & (SYN | RST) || !s.payload.length) return;
    const c = w.conns.get(keyOfIn(s));
    if (c?.peerIss === undefined) return;
    const key = keyOfIn(s);
    const set = out.get(key) ?? new Set<number>();
    set.add(seqDelta(s.seq, c.peerIss) - 1 + s.payload.length);
    out.set(key, set);
  });
  return out;
}

/** MAY-17: each delivery says push exactly when it ends at a push point, or takes one in. */
function judgeTold(trace: TraceEntry[], v: Checker): void {
  const points = pushPoints(trace);
  scan(trace, (i, e, w) => {
    const ev = e.event;
    if (ev?.type !== 'data' || !ev.data.length) return;
    const c = w.forConn(ev.conn);
    const key = w.byConn.get(ev.conn);
    if (!c || !key) return;
    const from = c.delivered;
    const to = from + ev.data.length;
    const set = points.get(key) ?? new Set<number>();
    const inside = [...set].some((p) => p > from && p <= to);
    if (!inside && !ev.push) return;
    v.hit();
    if (set.has(to) && !ev.push)
      v.flag(i, `the application got octets ${from}..${to - 1}, the last of them pushed by the peer, without push`);
    else if (!inside && ev.push)
      v.flag(i, `the application got octets ${from}..${to - 1} marked push, but the peer pushed none of them`);
  });
}

const pushSend: Property = {
  name: 'push-send',
  area: 'push',
  title:
    'writes with and without the PUSH flag, some queued behind others: pushed data goes out, with PSH on the ' +
    'segment that carries its last octet (the invariant push-write)',
  requirements: [],
  checks: { sent: ['MAY-15'] },
  section: '§3.9.1.2',
  needs: ['push'],
  scenario: () => scenarioArb(sendActions, { window: fc.constantFrom(1000, 3000, 8192, 65535) }),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeSent(trace, v);
    return v.out;
  },
};

const pushReceived: Property = {
  name: 'push-received',
  area: 'push',
  title:
    "RECEIVE's PUSH flag: a delivery that ends at an octet the peer pushed says push, and none says it without one",
  requirements: ['MAY-17'],
  section: '§3.9.1.3',
  scenario: () => scenarioArb(receiveActions),
  skip: (profile) =>
    profile.pushEvents
      ? undefined
      : "the adapter does not pass RECEIVE's PUSH flag to the application (profile pushEvents not set)",
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeTold(trace, v);
    return v.out;
  },
};

export const properties: Property[] = [pushSend, pushReceived];
