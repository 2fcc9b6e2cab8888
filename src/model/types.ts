// The TCB and the events of RFC 9293 §3.10, as plain data.
import type { Endpoint, Segment } from '../wire/segment.js';
import type { Seq } from '../wire/seq.js';

/** The eleven states of §3.3.2; CLOSED stands for "no TCB". */
export const STATES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
] as const;
export type State = (typeof STATES)[number];

export type TimerName = 'rexmt' | 'persist' | 'delack' | 'timeWait' | 'user' | 'keepalive';
export const TIMER_NAMES: readonly TimerName[] = ['rexmt', 'persist', 'delack', 'timeWait', 'user', 'keepalive'];

export interface IsnContext {
  now: number;
  local: Endpoint;
  remote: Endpoint;
}

/** §3.8.4 keep-alive timing: idle before the first probe, between probes, unanswered probes before giving up. */
export interface KeepAliveConfig {
  idle: number;
  interval: number;
  probes: number;
  /** Probes carry one garbage octet, the setting §3.8.4 allows (MAY-6). */
  garbage?: boolean;
}

/** Every tunable of the model, with RFC defaults in DEFAULT_CONFIG. Times in virtual milliseconds. */
export interface ModelConfig {
  /** Maximum segment lifetime; TIME-WAIT lasts 2*MSL (§3.4.2, MUST-13). */
  msl: number;
  /** RFC 6298 §2.1 initial RTO, §2.4 floor, §2.5 ceiling. */
  rtoInitial: number;
  rtoMin: number;
  rtoMax: number;
  /** Retransmissions before giving up (§3.8.3 R2): SYN >= 3 min (MUST-23), data >= 100 s (SHLD-11). */
  synRetries: number;
  synAckRetries: number;
  dataRetries: number;
  /** §3.9.1.1 user timeout: abort when sent data stays unacknowledged this long; set by the application (MUST-21). */
  userTimeout: number;
  /**
   * §3.7.4 Nagle (SHLD-7): with data outstanding, a segment shorter than the MSS waits for the ACK (classic), or waits
   * only while an earlier short segment is unacknowledged (Minshall's variant); 'off' for mutants only.
   */
  nagle: 'classic' | 'minshall' | 'off';
  /** The application turned Nagle off on this connection (MUST-17). */
  noDelay: boolean;
  /**
   * §3.8.6.2.1 sender SWS avoidance (MUST-38): a window too small for a full segment or half the largest window is
   * not filled while more data waits, until more window comes or this override timeout (0.1 to 1 s) passes.
   */
  swsOverride: number;
  /** A fault (mutants only): no sender SWS avoidance, every sliver of window is filled at once. */
  noSenderSws?: boolean;
  /**
   * The window opens by whatever the application read, however little (no receiver SWS avoidance, §3.8.6.2.2): the
   * peer's choice when a scenario wants silly windows; in a mutant, the MUST-39 fault.
   */
  noReceiverSws?: boolean;
  /**
   * §3.8.4 keep-alives, only when the application turns them on (MUST-24, MUST-25: off by default): a probe after
   * `idle` ms with nothing heard or outstanding (MUST-26, at least 2 h by default, MUST-28), then every `interval`
   * ms; `probes` unanswered in a row end the connection (one alone never does, MUST-29).
   */
  keepAlive?: KeepAliveConfig;
  /** Receive buffer = the largest window offered (at most 65535, or 65535 << wscale with window scaling). */
  rcvBuf: number;
  /**
   * RFC 7323 §2 (RFC 9293 §3.1 Window): the shift offered in a Window Scale option on our SYN (0..14); undefined:
   * no option, no scaling.
   */
  wscale?: number;
  /** IPv4 TTL of every segment of the connection (§3.9.2, MUST-49: the application may change it). */
  ttl: number;
  /** Diffserv codepoint (0..63) of every segment, the application's choice (§3.9.1.9, MUST-48). */
  dscp: number;
  /** MSS we advertise (MUST-14, MUST-67). */
  mss: number;
  /** Largest segment we will ever send, whatever the peer advertises (our MMS_S - 40). */
  sendMssCap: number;
  /** Put the MSS option on our SYNs (SHLD-5, MAY-3). */
  offerMss: boolean;
  /**
   * Where the MSS option sits among the SYN's options (MUST-4): first, after one NOP (odd offset, EOL padding
   * follows), or after three NOPs and ended by an explicit EOL.
   */
  synLayout: 'plain' | 'odd' | 'eol';
  /** Faults (mutants only): a keep-alive probe with data outstanding (MUST-26), or with a garbage octet (SHLD-12). */
  keepAliveBusy?: boolean;
  /**
   * Faults (mutants only) in window scaling (RFC 7323 §2): the option on a SYN,ACK although the peer offered none;
   * the window field not shifted although scaling is in effect.
   */
  wscaleFault?: 'unasked' | 'unshifted';
  /**
   * ECN (RFC 3168 §6.1, SHLD-8): ask for it on our SYN and agree on a SYN,ACK when the peer's SYN asked; once agreed,
   * new data goes out ECT(0), ACKs carry ECE from a CE mark until the peer's CWR, and new data carries CWR after an
   * ECE.
   */
  ecn?: boolean;
  /**
   * Faults (mutants only) in ECN: an ECN-setup SYN,ACK to a SYN that did not ask; ECT on pure ACKs too (§6.1.4);
   * a CE mark never echoed (§6.1.3); never agreeing although the stack claims ECN; no CWR after an ECE (§6.1.2).
   */
  ecnFault?: 'unasked' | 'ect-on-ack' | 'no-echo' | 'refused' | 'no-cwr';
  /** A fault (mutants only): no RFC 5961 §5 ACK range check although the stack claims it (MAY-12). */
  noAckRangeCheck?: boolean;
  /** A fault (mutants only): a RST that arrives while the receive window is zero is dropped (MUST-66). */
  zeroWindowDropsRst?: boolean;
  keepAliveGarbage?: boolean;
  /**
   * Faults (mutants only) in urgent data (§3.8.5): the pointer names the last urgent octet (RFC 793's reading, not
   * MUST-62); URG only on the segment where the urgent data ends (MUST-31); an urgent write sent as ordinary data
   * (MUST-30); the last urgent octet taken out of the received stream (the BSD out-of-band octet, MUST-31).
   */
  urgentFault?: 'last-octet' | 'end-segment-only' | 'ignored' | 'out-of-line';
  /**
   * Faults (mutants only) in PUSH (§3.9.1.2-3): PSH only on the segment that empties the send queue, not where a
   * pushed write ends inside it (MAY-15); received data never, or always, told to the application as pushed (MAY-17).
   */
  pushFault?: 'queue-end-only' | 'never-told' | 'always-told';
  /** A fault (mutants only): a segment shorter than the MSS that would empty the queue waits for more data. */
  holdTail?: boolean;
  /** A fault (mutants only): only the delayed-ACK timer acknowledges, however many full segments wait. */
  noSecondSegmentAck?: boolean;
  /** A fault (mutants only): each write goes out in segments of its own, never sharing one with the next. */
  segmentPerWrite?: boolean;
  /** Delayed ACKs (SHLD-18) within ackDelay < 500 ms (MUST-40), and every 2nd full segment (SHLD-19). */
  delayedAck: boolean;
  ackDelay: number;
  /** RFC 5961 challenge ACKs for RST and SYN, and the ACK range check (MAY-12). Off = RFC 793 rules. */
  rfc5961: boolean;
  /** Deliver received data to the application at once; when false it waits for RECEIVE calls. */
  autoReceive: boolean;
  /**
   * The model walks beside a stack under test (the tracker): it sends no data, SYN or FIN of its own — the stack's
   * segments come in as `sent` events — and the window it offers is the one the stack last advertised.
   */
  track: boolean;
  /** ISN source (§3.4.1): must be a pure function of its context. */
  isn: (ctx: IsnContext) => Seq;
}

interface OooSegment {
  seq: Seq;
  data: Uint8Array;
  fin: boolean;
  /** The segment came with PSH and was not trimmed at its end: its last octet is a push point (§3.9.1.3). */
  psh: boolean;
}

export interface Tcb {
  /** Set at OPEN; an `option` call replaces it with the application's per-connection settings. */
  cfg: ModelConfig;
  state: State;
  local: Endpoint;
  /** Foreign socket; undefined while LISTEN has it unspecified. */
  remote: Endpoint | undefined;
  /** MUST-11: how SYN-RECEIVED was reached. */
  origin: 'passive' | 'active' | undefined;
  /** The foreign socket given to the passive OPEN, restored on a return to LISTEN. */
  listenRemote: Endpoint | undefined;

  // Send sequence space (§3.3.1, Figure 3)
  iss: Seq;
  sndUna: Seq;
  sndNxt: Seq;
  sndWnd: number;
  sndWl1: Seq;
  sndWl2: Seq;
  maxSndWnd: number;
  /** Effective send MSS (§3.7.1): the peer's MSS option or 536 (MUST-15), capped by sendMssCap. */
  sndMss: number;
  /** Unacknowledged and unsent data; sndBuf[0] has sequence number sndBufSeq. */
  sndBuf: Uint8Array;
  sndBufSeq: Seq;
  /** Keep-alive probes sent since the peer was last heard from. */
  keepAliveSent?: number;
  /**
   * RFC 7323 §2.2: the Window Scale shift in our SYN and in the peer's. Scaling is in effect only with both: our
   * window fields are then RCV.WND >> wsOffer, the peer's read as SEG.WND << min(wsPeer, 14); never on a SYN.
   */
  wsOffer?: number;
  wsPeer?: number;
  /**
   * RFC 3168 §6.1: our SYN asked for ECN; the peer's SYN asked; ECN is in use on the connection; a CE mark arrived and
   * our ACKs echo ECE until the peer's CWR; the peer's ECE arrived and our next new data carries CWR.
   */
  ecnAsked?: boolean;
  ecnPeerAsked?: boolean;
  ecnOk?: boolean;
  ecnEcho?: boolean;
  ecnCwr?: boolean;
  /** SND.UP (§3.8.5): the octet after the last urgent one the application sent, while not yet acknowledged. */
  sndUp?: Seq;
  /** §3.7.4: the end of the last segment shorter than the MSS sent (Minshall's variant of Nagle). */
  sndSml?: Seq;
  /** With the segmentPerWrite fault: where each write ended. */
  writeEnds?: Seq[];
  /** §3.9.1.2: where each write the application pushed ends, until acknowledged (PSH on the segment carrying it). */
  pushEnds?: Seq[];
  /** CLOSE was called: a FIN follows the queued data. */
  finQueued: boolean;
  /** Sequence number of our FIN once sent. */
  finSeq: Seq | undefined;

  // Receive sequence space (§3.3.1, Figure 4)
  irs: Seq;
  rcvNxt: Seq;
  rcvWnd: number;
  /** Received in order but not yet read by the application (autoReceive off). */
  rcvUnread: Uint8Array;
  /** Push points in rcvUnread: offsets just past an octet that came with PSH (§3.9.1.3, MAY-17). */
  rcvUnreadPush?: number[];
  /** RCV.UP (§3.8.5): the octet after the peer's urgent data, the furthest any URG segment pointed. */
  rcvUp?: Seq;
  /** The urgentFault 'out-of-line' mutant: the octet it keeps from the application. */
  oobAt?: Seq;
  /** In-window segments beyond RCV.NXT held for later (SHLD-31). */
  ooo: OooSegment[];
  /** The peer's FIN has been processed. */
  finReceived: boolean;

  // Timers: absolute virtual-time deadlines
  timers: Partial<Record<TimerName, number>>;
  // RFC 6298 state
  rto: number;
  srtt: number | undefined;
  rttvar: number | undefined;
  rexmtCount: number;
  /** Karn: the segment being timed (never a retransmitted one). */
  rttTiming: { seq: Seq; at: number } | undefined;
  /** In-order octets received and not yet acknowledged (delayed ACK). */
  ackPending: number;
}

export type UserCall =
  | { type: 'open'; passive: true; remote?: Endpoint }
  | { type: 'open'; passive: false; remote: Endpoint }
  /**
   * urgent: the data is urgent (§3.9.1.2): SND.UP moves past it (MUST-30, MUST-62). push false: SEND without the
   * PUSH flag (MAY-15): no PSH is owed where it ends; otherwise the segment carrying its last octet has PSH.
   */
  | { type: 'send'; data: Uint8Array; urgent?: boolean; push?: boolean }
  | { type: 'receive'; max?: number }
  | { type: 'close' }
  | { type: 'abort' }
  /**
   * Per-connection settings of the application: keep-alives on (with their timing) or off, reading on or held, Nagle
   * off (noDelay), the user timeout (§3.9.1.1, ms), the TTL and the Diffserv codepoint (DSCP, 0..63).
   */
  | {
      type: 'option';
      keepAlive?: KeepAliveConfig | null;
      autoReceive?: boolean;
      noDelay?: boolean;
      userTimeout?: number;
      ttl?: number;
      dscp?: number;
    };

export type ModelEvent =
  | UserCall
  | { type: 'segment'; seg: Segment }
  | { type: 'timeout'; timer: TimerName }
  /** The stack under test sent this segment (the tracker's event; sent.ts). */
  | { type: 'sent'; seg: Segment }
  /** An ICMP error quoting a segment of this connection (§3.9.2.2). */
  | { type: 'icmp'; icmpType: number; code: number };

export type ErrorCode =
  | 'connection-exists'
  | 'connection-closing'
  | 'connection-not-open'
  | 'foreign-socket-unspecified'
  | 'retransmission-timeout'
  | 'user-timeout'
  | 'keep-alive-timeout'
  | 'destination-unreachable';

export type AppEvent =
  | { type: 'established' }
  /** push: the data ends at a push point, an octet that came with PSH (§3.9.1.3, MAY-17). */
  | { type: 'data'; data: Uint8Array; push?: true }
  | { type: 'eof' }
  /** §3.10.7.4 sixth: the peer's urgent pointer is ahead of what the application has read (MUST-32). */
  | { type: 'urgent' }
  | { type: 'reset' }
  | { type: 'refused' }
  | { type: 'error'; code: ErrorCode }
  | { type: 'closed' };

export interface TimerChange {
  timer: TimerName;
  /** New deadline, or undefined when the timer is cancelled. */
  at: number | undefined;
}

export interface StepResult {
  tcb: Tcb;
  segments: Segment[];
  appEvents: AppEvent[];
  timers: TimerChange[];
  /** The named rules (src/model/rules.ts) that decided the step. */
  rules?: string[];
  /** A `sent` segment no sending rule allows: the rule and why. */
  refused?: { rule: string; why: string };
}
