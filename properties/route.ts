// Area: source routes (§3.9.2.1). A passive connection whose peer's segments arrive along a completed IP source route
// keeps the return route and sends every segment along it (MUST-53): the option lists the recorded hops in reverse
// and the peer last, and the datagram goes first to the last hop recorded. A segment that brings another route
// replaces it (SHLD-24).
import fc from 'fast-check';
import { scenarioArb } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Checker, type Property, violations } from '../src/oracle/property.js';
import { keyOfIn, keyOfOut } from '../src/oracle/shadow.js';
import { SSRR, type SourceRoute, returnRoute, sourceRouteOf } from '../src/wire/route.js';
import { ACK, SYN, type Segment, describe } from '../src/wire/segment.js';

/** Hops on the stack's own network (a real stack must be able to reach the first one), one to four of them. */
const hopsArb = fc
  .uniqueArray(fc.integer({ min: 10, max: 250 }), { minLength: 1, maxLength: 4 })
  .map((xs) => xs.map((x) => `10.0.0.${x}`));

const routeActions = fc
  .tuple(hopsArb, fc.boolean(), fc.option(hopsArb), fc.integer({ min: 1, max: 600 }))
  .map(([hops, strict, later, n]): Action[] => [
    { a: 'stackListen' },
    { a: 'peerRoute', hops, strict },
    { a: 'peerConnect' },
    { a: 'settle', ms: 3000 },
    { a: 'peerWrite', n },
    { a: 'stackWrite', n },
    { a: 'settle', ms: 2000 },
    ...(later && later.join() !== hops.join()
      ? ([
          { a: 'peerRoute', hops: later, strict },
          { a: 'peerWrite', n: 1 },
          { a: 'settle', ms: 1000 },
          { a: 'stackWrite', n },
          { a: 'settle', ms: 2000 },
        ] as Action[])
      : []),
  ]);

interface Expected {
  route: SourceRoute;
  firstHop: string;
  option: Uint8Array;
  /** Entry index of the segment that brought it; replaced: an earlier route came before it. */
  at: number;
  replaced: boolean;
}

const same = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && a.length === b.length && a.every((x, k) => x === b[k]);

/** Does the stack's segment go along the return route? The option is compared octet for octet. */
function along(s: Segment, e: Expected): boolean {
  const r = sourceRouteOf(s.ipOptions);
  if (!r || r.type !== e.route.type || s.ipDst !== e.firstHop) return false;
  const at = s.ipOptions!.indexOf(e.route.type);
  return same(s.ipOptions!.subarray(at, at + e.option.length), e.option);
}

/** A real clock: a segment sent within this long of a new route's arrival may still take the one before. */
const CROSSING_MS = 200;

function judge(trace: TraceEntry[], v: Checker, realTime: boolean): void {
  const routes = new Map<string, Expected[]>();
  trace.forEach((e, i) => {
    const s = e.seg;
    if (!s) return;
    if (e.dir === 'in') {
      const route = sourceRouteOf(s.ipOptions);
      const back = route && returnRoute(route, s.src);
      const k = keyOfIn(s);
      if (s.flags & SYN && !(s.flags & ACK)) routes.delete(k); // a new connection (SYN without ACK)
      if (!route || !back) return;
      const list = routes.get(k) ?? [];
      const last = list[list.length - 1];
      if (last && same(last.option, back.option) && last.firstHop === back.firstHop) return;
      if (!last && !(s.flags & SYN)) return; // MUST-53 binds a passive open: the route must come with the SYN
      routes.set(k, [...list, { route, ...back, at: i, replaced: !!last }]);
      return;
    }
    const list = routes.get(keyOfOut(s));
    if (!list?.length) return;
    const cur = list[list.length - 1]!;
    const prev = list[list.length - 2];
    const sub = cur.replaced ? 'replaced' : undefined;
    v.hit(sub);
    if (along(s, cur)) return;
    if (prev && realTime && e.t - trace[cur.at]!.t < CROSSING_MS && along(s, prev)) return;
    const got = sourceRouteOf(s.ipOptions);
    const went = got ? `along ${got.hops.join(', ')} to ${s.ipDst ?? s.dst}` : 'straight to its destination';
    const kind = cur.route.type === SSRR ? 'strict' : 'loose';
    v.flag(
      i,
      `${describe(s)} goes ${went}`,
      undefined,
      `first to ${cur.firstHop}, its ${kind} source route listing ${sourceRouteOf(cur.option)!.hops.join(', ')} ` +
        `(the return route of the route that came at entry ${cur.at + 1})`,
      sub,
    );
    routes.delete(keyOfOut(s)); // one finding per connection
  });
  answered(trace, v);
}

/** A SYN that came along a completed source route to a listener is answered (RFC 1122 §3.3.5: a host is its end). */
function answered(trace: TraceEntry[], v: Checker): void {
  const syn = trace.findIndex((e) => e.dir === 'in' && e.seg && e.seg.flags & SYN && sourceRouteOf(e.seg.ipOptions));
  if (syn < 0) return;
  const k = keyOfIn(trace[syn]!.seg!);
  v.hit('answered');
  if (trace.slice(syn).some((e) => e.dir === 'out' && e.seg && keyOfOut(e.seg) === k)) return;
  v.flag(
    syn,
    'a SYN came to a listener along a source route and the stack never answered it',
    undefined,
    undefined,
    'answered',
  );
}

const sourceRoute: Property = {
  name: 'source-route',
  area: 'route',
  title:
    'a passive connection whose peer sends along a completed source route sends every segment along the route ' +
    'back (recorded hops reversed, the peer last); a later route replaces it',
  requirements: ['MUST-53'],
  checks: { replaced: ['SHLD-24'], answered: ['MUST-53'] },
  section: '§3.9.2.1',
  scenario: () => scenarioArb(routeActions),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    judge(trace, v, profile.realTime ?? false);
    return v.out;
  },
};

export const properties: Property[] = [sourceRoute];
