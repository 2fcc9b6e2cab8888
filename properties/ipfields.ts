// Area: the IP fields the application sets for its connection. The TTL is configurable (§3.9.2, MUST-49); the
// Diffserv codepoint the application chooses goes on every segment it sends, unchanged (§3.9.1.9, MUST-48,
// SHLD-22), and a new choice made mid-connection takes over (SHLD-21). The two ECN bits of the octet are the
// stack's own (RFC 3168) and are not judged; RSTs are left out (a stack may send them from a connectionless path).
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import { type Action, PEER_PORT } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import type { AppControl } from '../src/stacks/adapter.js';
import { type Checker, type Property, violations } from '../src/oracle/property.js';
import { RST, describe } from '../src/wire/segment.js';

/** Values no stack uses by default (32, 64, 128, 255 are common defaults), so an ignored setting shows. */
const ttlArb = fc.integer({ min: 1, max: 254 }).filter((x) => ![32, 64, 128].includes(x));
const dscpArb = fc.integer({ min: 1, max: 63 });

/** Write, let the peer answer with data of its own (the stack's ACKs count too), and let it all settle. */
const exchange = (n: number, m: number): Action[] => [
  { a: 'stackWrite', n },
  { a: 'peerWrite', n: m },
  { a: 'settle', ms: 3000 },
];

const ttlActions = fc
  .tuple(openingArb, ttlArb, writeSize, writeSize)
  .map(([kind, value, n, m]): Action[] => [
    ...establish(kind),
    { a: 'stackControl', control: { name: 'ttl', value } },
    ...exchange(n, m),
  ]);

const dscpActions = fc
  .tuple(openingArb, dscpArb, fc.option(dscpArb, { nil: undefined }), writeSize, writeSize)
  .map(([kind, first, second, n, m]): Action[] => [
    ...establish(kind),
    { a: 'stackControl', control: { name: 'dscp', value: first } },
    ...exchange(n, m),
    ...(second === undefined || second === first
      ? []
      : [{ a: 'stackControl', control: { name: 'dscp', value: second } } as Action, ...exchange(m, n)]),
  ]);

/**
 * The settings the application made, each with the stretch of the trace it governs: from the first write after it
 * to the next setting of the same name (or the end).
 */
function spans(trace: TraceEntry[], name: 'ttl' | 'dscp'): Array<{ value: number; from: number; to: number }> {
  const out: Array<{ value: number; from: number; to: number }> = [];
  let value: number | undefined;
  for (let i = 0; i < trace.length; i++) {
    const call = trace[i]!.call;
    const c: AppControl | undefined = call?.control;
    if (c?.name === name && !call?.refused) {
      const last = out.at(-1);
      if (last && last.to === trace.length) last.to = i;
      value = c.value;
    } else if (call?.name === 'write' && value !== undefined) {
      out.push({ value, from: i, to: trace.length });
      value = undefined;
    }
  }
  return out;
}

/** Judge each stack segment to the peer (RSTs aside) in each span: `field` of it must be the value set. */
function judgeSpans(
  trace: TraceEntry[],
  v: Checker,
  name: 'ttl' | 'dscp',
  field: (ttl: number, tos: number) => number,
  sub?: (k: number) => string | undefined,
): void {
  spans(trace, name).forEach((span, k) => {
    let seen = 0;
    for (let i = span.from + 1; i < span.to; i++) {
      const s = trace[i]!.dir === 'out' ? trace[i]!.seg : undefined;
      if (!s || s.dstPort !== PEER_PORT || s.flags & RST || s.ttl === undefined) continue;
      seen++;
      const got = field(s.ttl, s.tos ?? 0);
      if (got !== span.value) {
        v.flag(i, `${describe(s)} carries ${name} ${got}`, undefined, `${name} ${span.value}, as set`, sub?.(k));
        return;
      }
    }
    if (seen) v.hit(sub?.(k));
  });
}

const ttl: Property = {
  name: 'ttl',
  area: 'ip',
  title: 'the TTL the application sets for its connection is the TTL of every segment the connection sends next',
  requirements: ['MUST-49'],
  section: '§3.9.2',
  needs: ['ttl'],
  scenario: () => scenarioArb(ttlActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeSpans(trace, v, 'ttl', (t) => t);
    return v.out;
  },
};

const dscp: Property = {
  name: 'dscp',
  area: 'ip',
  title:
    'the Diffserv codepoint the application sets is carried unchanged by every segment the connection sends next; ' +
    'set again mid-connection, the new one takes over',
  requirements: ['MUST-48', 'SHLD-22'],
  checks: { change: ['SHLD-21'] },
  section: '§3.9.1.9',
  needs: ['dscp'],
  scenario: () => scenarioArb(dscpActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    judgeSpans(
      trace,
      v,
      'dscp',
      (_, tos) => tos >> 2,
      (k) => (k ? 'change' : undefined),
    );
    return v.out;
  },
};

export const properties: Property[] = [ttl, dscp];
