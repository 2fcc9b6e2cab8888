// RFC 9293's own limits. The oracle judges against these; a stack's shorter value is a declared deviation in its
// profile (data: requirement, check, reason), never a silent pass.

export const RFC = {
  /** §3.4.2: MSL is 2 minutes; TIME-WAIT lasts 2×MSL (MUST-13). */
  msl: 120_000,
  /** §3.8.3: R2 for a SYN at least 3 minutes (MUST-23). */
  synR2: 180_000,
  /** §3.8.3: R2 for data at least 100 seconds (SHLD-11). */
  dataR2: 100_000,
  /** §3.8.6.3: an ACK is never delayed 0.5 s or more (MUST-40). */
  ackDelay: 500,
  /**
   * RFC 6298 §2.5 (which §3.8.1 follows): an RTO ceiling, where a stack has one, is at least 60 s. A stack that acts
   * on a deadline only when its retransmission timer fires may be this late with it.
   */
  rtoMax: 60_000,
} as const;
