// §3.9.2.2: what an ICMP error does to a connection, per class and state.
import { describe, expect, it } from 'vitest';
import { ICMP_UNREACH } from '../../src/wire/icmp.js';
import { established, synReceivedPassive, synSent } from './fixtures.js';

const icmp = (type: number, code: number) => ({ type: 'icmp' as const, icmpType: type, code });

describe('ICMP errors (§3.9.2.2)', () => {
  it.each(['3/0', '3/1', '3/5', '11/0', '11/1', '12/0', '4/0'].map((x) => x.split('/').map(Number)))(
    'type %i code %i (soft, or source quench) changes nothing, in SYN-SENT or ESTABLISHED (MUST-55, MUST-56)',
    (t = 0, c = 0) => {
      for (const d of [synSent(), established()]) {
        const before = d.tcb;
        d.do(icmp(t, c));
        expect(d.state).toBe(before.state);
        expect(d.last.segments).toEqual([]);
        expect(d.last.appEvents).toEqual([]);
        expect(d.tcb.timers).toEqual(before.timers);
      }
    },
  );

  it.each([2, 3, 4])('destination unreachable code %i (hard) aborts and tells the application (SHLD-26)', (c) => {
    for (const d of [synSent(), established()]) {
      d.do(icmp(ICMP_UNREACH, c));
      expect(d.state).toBe('CLOSED');
      expect(d.events()).toEqual(['error:destination-unreachable', 'closed']);
      expect(d.last.segments).toEqual([]);
    }
  });

  it('a hard error on a passive half-open connection returns it to LISTEN, silently', () => {
    const d = synReceivedPassive();
    d.do(icmp(ICMP_UNREACH, 3));
    expect(d.state).toBe('LISTEN');
    expect(d.events()).toEqual([]);
  });
});
