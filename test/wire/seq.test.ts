import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  seq,
  seqAdd,
  seqBetween,
  seqDelta,
  seqDiff,
  seqGe,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
  seqMax,
} from '../../src/wire/seq.js';
import { u32 } from '../../src/gen/segment.js';

describe('sequence arithmetic mod 2^32 (§3.4)', () => {
  it('wraps on add and normalises negatives', () => {
    expect(seqAdd(0xffffffff, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(0xffffffff);
    expect(seq(-1)).toBe(0xffffffff);
    expect(seq(2 ** 32 + 5)).toBe(5);
  });
  it('compares across the wrap', () => {
    expect(seqLt(0xfffffff0, 5)).toBe(true);
    expect(seqGt(5, 0xfffffff0)).toBe(true);
    expect(seqLe(7, 7) && seqGe(7, 7)).toBe(true);
    expect(seqLt(7, 7)).toBe(false);
    expect(seqMax(0xfffffff0, 5)).toBe(5);
  });
  it('window membership is half-open and wraps', () => {
    expect(seqInWindow(0xffffffff, 0xfffffffe, 4)).toBe(true);
    expect(seqInWindow(1, 0xfffffffe, 4)).toBe(true);
    expect(seqInWindow(2, 0xfffffffe, 4)).toBe(false);
    expect(seqInWindow(5, 5, 0)).toBe(false);
    expect(seqBetween(0xfffffffe, 0, 1)).toBe(true);
    expect(seqBetween(0xfffffffe, 2, 1)).toBe(false);
  });
  it('add then diff is the identity for small steps', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (a, n) => {
        const b = seqAdd(a, n);
        expect(seqDiff(b, a)).toBe(n);
        expect(seqDelta(b, a)).toBe(n);
        expect(seqLe(a, b)).toBe(true);
        expect(n === 0 || seqLt(a, b)).toBe(true);
      }),
    );
  });
  it('order is antisymmetric for distances below 2^31', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 2 ** 31 - 1 }), (a, n) => {
        const b = seqAdd(a, n);
        expect(seqLt(a, b)).toBe(!seqLt(b, a));
      }),
    );
  });
});
