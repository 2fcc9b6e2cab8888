// The sending checks of data-transfer on golden traces: each one fires on the fault it names and not on the
// conforming variant of the same exchange.
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import { ladder } from '../oracle/ladder.js';

const transfer = ALL_PROPERTIES.find((p) => p.name === 'data-transfer')!;
const checks = (lines: string[]): string[] => transfer.check(ladder(lines), GENERIC_PROFILE('p')).map((v) => v.check);

const x = (n: number) => 'x'.repeat(n);
const OPEN = [
  'call connect c1',
  'out S 100 mss=1460',
  'in SA 300 ack=101 mss=1460 win=20000',
  'out A 101 ack=301',
  'event connected c1',
];

describe('data-transfer: sending checks', () => {
  it('sent-eventually: a write never sent while all is acknowledged and the window open (MUST-60)', () => {
    expect(checks([...OPEN, 'call write c1 hello', 'time 2000'])).toContain('data-transfer/sent-eventually');
    const sent = [...OPEN, 'call write c1 hello', 'out PA 101 ack=301 data=hello', 'in A 301 ack=106', 'time 2000'];
    expect(checks(sent)).toEqual([]);
  });
  it("full-sized: two short segments back to back where one of the stack's own size would do (SHLD-28)", () => {
    const big = ['call write c1 ' + x(1660), `out A 101 ack=301 data=${x(1460)}`];
    const split = [...OPEN, ...big, `out A 1561 ack=301 data=${x(100)}`, `out PA 1661 ack=301 data=${x(100)}`];
    expect(checks([...split, 'in A 301 ack=1761', 'time 2000'])).toEqual(['data-transfer/full-sized']);
    const whole = [...OPEN, ...big, `out PA 1561 ack=301 data=${x(200)}`, 'in A 301 ack=1761', 'time 2000'];
    expect(checks(whole)).toEqual([]);
  });
  it('psh-collapsed: a segment ends where a write ended although the next write waits with it (SHLD-27)', () => {
    const w = ['call write c1 ' + x(1460), 'call write c1 ' + x(100), 'call write c1 ' + x(100)];
    const apart = [`out A 101 ack=301 data=${x(1460)}`, `out A 1561 ack=301 data=${x(100)}`];
    const t = [...OPEN, ...w, ...apart, `out PA 1661 ack=301 data=${x(100)}`, 'in A 301 ack=1761', 'time 2000'];
    expect(checks(t)).toEqual(['data-transfer/psh-collapsed']);
  });
});
