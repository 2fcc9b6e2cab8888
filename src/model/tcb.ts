// TCB construction and the mutable working context used inside one step.
import type { Endpoint, Segment } from '../wire/segment.js';
import type { RuleId, SendRuleId } from './rules.js';
import type { AppEvent, ModelConfig, Tcb } from './types.js';

/** A fresh TCB in CLOSED, bound to a local socket; OPEN moves it on (§3.10.1). */
export function createTcb(cfg: ModelConfig, local: Endpoint): Tcb {
  return {
    cfg,
    state: 'CLOSED',
    local,
    remote: undefined,
    origin: undefined,
    listenRemote: undefined,
    iss: 0,
    sndUna: 0,
    sndNxt: 0,
    sndWnd: 0,
    sndWl1: 0,
    sndWl2: 0,
    maxSndWnd: 0,
    sndMss: Math.min(536, cfg.sendMssCap),
    sndBuf: new Uint8Array(0),
    sndBufSeq: 0,
    finQueued: false,
    finSeq: undefined,
    irs: 0,
    rcvNxt: 0,
    rcvWnd: cfg.rcvBuf,
    rcvUnread: new Uint8Array(0),
    ooo: [],
    finReceived: false,
    timers: {},
    rto: cfg.rtoInitial,
    srtt: undefined,
    rttvar: undefined,
    rexmtCount: 0,
    rttTiming: undefined,
    ackPending: 0,
  };
}

export const cloneTcb = (t: Tcb): Tcb => ({ ...t, timers: { ...t.timers }, ooo: [...t.ooo] });

/** Working state of one step: the TCB copy being changed and what the step emits. */
export interface Ctx {
  t: Tcb;
  now: number;
  segs: Segment[];
  app: AppEvent[];
  /** An ACK must go out before the step ends (piggybacked or pure). */
  ackNow: boolean;
  /** The rules of RULES and SEND_RULES (rules.ts) that decided this step, in order. */
  rules: (RuleId | SendRuleId)[];
  /** The persist timer fired with some window open: the SWS override lets a short segment go (§3.8.6.2.1). */
  swsOverride?: boolean;
  /** A segment the stack sent that no sending rule allows (sent.ts). */
  refused?: { rule: SendRuleId; why: string };
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const r = new Uint8Array(a.length + b.length);
  r.set(a, 0);
  r.set(b, a.length);
  return r;
}
