// Sequence-number arithmetic modulo 2^32 (§3.4). Every module compares,
// adds and window-checks sequence numbers through this file only.

/** A 32-bit unsigned sequence number. */
export type Seq = number;

const SEQ_MOD = 0x1_0000_0000;

/** Normalise any integer to [0, 2^32). */
export const seq = (n: number): Seq => ((Math.trunc(n) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;

/** a + n (mod 2^32). n may be negative. */
export const seqAdd = (a: Seq, n: number): Seq => (((a + n) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;

/** Forward distance from a to b: (b - a) mod 2^32, in [0, 2^32). */
export const seqDiff = (b: Seq, a: Seq): number => (((b - a) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;

/** Signed distance b - a interpreted in (-2^31, 2^31]. */
export const seqDelta = (b: Seq, a: Seq): number => (b - a) | 0;

/**
 * Fault injection for the mutant "non-modular-compare": while set, comparisons and windows use
 * plain integer order. Only mutants turn it on, around a single model step.
 */
let naive = false;
export function withNaiveSeqCompare<T>(f: () => T): T {
  naive = true;
  try {
    return f();
  } finally {
    naive = false;
  }
}

export const seqLt = (a: Seq, b: Seq): boolean => (naive ? a < b : ((a - b) | 0) < 0);
export const seqLe = (a: Seq, b: Seq): boolean => (naive ? a <= b : ((a - b) | 0) <= 0);
export const seqGt = (a: Seq, b: Seq): boolean => (naive ? a > b : ((a - b) | 0) > 0);
export const seqGe = (a: Seq, b: Seq): boolean => (naive ? a >= b : ((a - b) | 0) >= 0);

/** left =< x < left + size (mod 2^32); size 0 means empty. */
export const seqInWindow = (x: Seq, left: Seq, size: number): boolean =>
  naive ? x >= left && x < left + size : seqDiff(x, left) < size;

/** lo =< x =< hi (mod 2^32), where the interval runs forward from lo to hi. */
export const seqBetween = (lo: Seq, x: Seq, hi: Seq): boolean => seqDiff(x, lo) <= seqDiff(hi, lo);

/** max in modular order (valid when a and b are within 2^31 of each other). */
export const seqMax = (a: Seq, b: Seq): Seq => (seqGe(a, b) ? a : b);
