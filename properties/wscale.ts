// Area: window scaling (RFC 7323 §2, to which RFC 9293 §3.1 refers for the shifted Window field). The peer offers a
// shift on its SYN or not, with a window that may pass 65535. Judged: the stack's Window Scale option goes only on
// its SYN segments, on a SYN,ACK only when the peer's SYN had one, with a shift of at most 14. With scaling in
// effect every window the oracle reads is shifted (shadow, tracker): the always-on checks (the peer's window never
// overrun, data acknowledged only as it arrived) judge the scaled windows in both directions.
import fc from 'fast-check';
import { establish, openingArb, scenarioArb } from '../src/gen/arbitraries.js';
import { type Action, PEER_PORT } from '../src/gen/scenario.js';
import { type Property, violations } from '../src/oracle/property.js';
import type { StackProfile } from '../src/stacks/adapter.js';
import { keyOfIn, keyOfOut } from '../src/oracle/shadow.js';
import { SYN, ACK, type Segment, describe } from '../src/wire/segment.js';

const wsOf = (s: Segment): number | undefined => {
  const o = s.options.find((x) => x.kind === 'wscale');
  return o?.kind === 'wscale' ? o.shift : undefined;
};

/** Large writes both ways, so windows past 65535 matter (one write line of a driver stays under 300 000 characters). */
const bulk = fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 65_536, max: 120_000 }));

/**
 * Bulk both ways. Where the stack offers the reading control, its application sometimes stops reading while the
 * peer's data comes, so the stack's (scaled) window closes and what the peer may send depends on reading it right.
 */
const actions = (reading: boolean) =>
  fc.tuple(openingArb, bulk, bulk, fc.boolean()).map(([kind, n, m, pause]): Action[] => {
    const hold = reading && pause;
    return [
      ...establish(kind),
      ...(hold ? [{ a: 'stackControl', control: { name: 'reading', paused: true } } as Action] : []),
      { a: 'stackWrite', n },
      { a: 'peerWrite', n: m },
      { a: 'settle', ms: 20_000 },
      ...(hold ? [{ a: 'stackControl', control: { name: 'reading', paused: false } } as Action] : []),
      { a: 'settle', ms: 20_000 },
    ];
  });

/** The peer offers a shift (0..14) most of the time; its buffer then may hold up to 65535 << shift. */
const scenario = (profile: StackProfile) =>
  fc
    .tuple(
      scenarioArb(actions((profile.controls ?? []).includes('reading'))),
      fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined, freq: 4 }),
      fc.integer({ min: 1024, max: 1 << 20 }),
    )
    .map(([sc, ws, big]) =>
      ws === undefined ? sc : { ...sc, peerWscale: ws, peerWindow: Math.min(big, 65535 * 2 ** ws) },
    );

const windowScale: Property = {
  name: 'window-scale',
  area: 'window',
  title:
    'the Window Scale option only on SYN segments, on a SYN,ACK only when the peer offered one, a shift of at most ' +
    '14; with scaling in effect the always-on checks read both sides’ windows shifted',
  requirements: [],
  checks: { 'syn-only': [], unasked: [], shift: [] },
  section: '§3.1 (Window); RFC 7323 §2.2, §2.3',
  scenario,
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const peerOffered = new Map<string, boolean>();
    trace.forEach((e, i) => {
      const s = e.seg;
      if (!s || e.dir === 'call' || e.dir === 'event') return;
      if (e.dir === 'in' && s.flags & SYN && !(s.flags & ACK)) peerOffered.set(keyOfIn(s), wsOf(s) !== undefined);
      if (e.dir !== 'out' || s.dstPort !== PEER_PORT) return;
      const ws = wsOf(s);
      if (ws === undefined) return;
      v.hit('syn-only');
      if (!(s.flags & SYN)) {
        v.flag(
          i,
          `${describe(s)} carries a Window Scale option on a segment without SYN`,
          undefined,
          'none',
          'syn-only',
        );
        return;
      }
      v.hit('shift');
      if (ws > 14) v.flag(i, `${describe(s)} offers a shift of ${ws}`, undefined, 'a shift of at most 14', 'shift');
      if (!(s.flags & ACK)) return;
      const asked = peerOffered.get(keyOfOut(s));
      if (asked === undefined) return;
      v.hit('unasked');
      if (!asked)
        v.flag(
          i,
          `${describe(s)} carries a Window Scale option although the peer's SYN had none`,
          undefined,
          'no Window Scale option on the SYN,ACK',
          'unasked',
        );
    });
    return v.out;
  },
};

export const properties: Property[] = [windowScale];
