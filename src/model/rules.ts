// The model's named rules: each a behaviour of RFC 9293 the model encodes, with its section, the requirement ids
// it decides, and what it makes the stack owe. arrive.ts and calls.ts record the reply rules that decided a step
// (StepResult.rules); sent.ts records the sending rule that explained, or refused, a segment the stack sent. The
// tracker (src/oracle/tracker.ts) judges a stack by them and counts each one it verified.

/** What a reply rule makes the stack do, as the wire and the application interface can show it. */
export type Reply =
  /** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and no reset. */
  | 'ack'
  /** A RST at the sequence number the rule gives (<SEQ=SEG.ACK> or <SEQ=SND.NXT>). */
  | 'rst'
  /** Its SYN,ACK again, acknowledging the peer's SYN. */
  | 'synack'
  /** Nothing: no reply, no reset. */
  | 'silent'
  /** The application is told the connection was reset (or refused). */
  | 'reset'
  /** A RST and the application told of the reset. */
  | 'reset-rst'
  /** The segment is dropped: nothing of it may be taken in (seen in what the stack acknowledges next). */
  | 'drop'
  /** The application is told the connection failed (an error or a reset). */
  | 'abort'
  /** The connection goes on: no failure told to the application, no reset sent. */
  | 'goes-on';

export interface Rule {
  section: string;
  requirements: readonly string[];
  /** What the rule obliges the stack to do, in RFC terms. */
  owes: string;
  reply: Reply;
}

export const RULES = {
  'unacceptable-ack': {
    section: '§3.10.7.4 first check',
    requirements: [],
    owes: 'an unacceptable segment (not a RST) draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped',
    reply: 'ack',
  },
  'ack-unsent': {
    section: '§3.10.7.4 fifth check',
    requirements: [],
    owes: 'a segment acknowledging what was never sent draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped',
    reply: 'ack',
  },
  'ack-too-old': {
    section: '§3.10.7.4 fifth check; RFC 5961 §5.2',
    requirements: ['MAY-12'],
    owes:
      'a segment acknowledging data older than SND.UNA - MAX.SND.WND draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and ' +
      'is dropped (a stack that declares the RFC 5961 ACK range check)',
    reply: 'ack',
  },
  'ack-bit-off': {
    section: '§3.10.7.4 fifth check',
    requirements: [],
    owes: 'a segment without the ACK bit in a synchronized state is dropped: its text and FIN are not taken in',
    reply: 'drop',
  },
  'rst-outside-window': {
    section: '§3.10.7.4 first check',
    requirements: [],
    owes: 'a RST outside the window is dropped: no reply, no reset',
    reply: 'silent',
  },
  'rst-challenge-ack': {
    section: '§3.10.7.4 second check; RFC 5961 §3.2',
    requirements: [],
    owes: 'an in-window RST not at RCV.NXT draws a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no reset',
    reply: 'ack',
  },
  'rst-resets': {
    section: '§3.10.7.4 second check',
    requirements: ['MUST-12'],
    owes: 'a valid RST resets the connection and the application is told it was reset',
    reply: 'reset',
  },
  'syn-challenge-ack': {
    section: '§3.10.7.4 fourth check; RFC 5961 §4.2',
    requirements: [],
    owes: 'a SYN in a synchronized state draws a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no reset',
    reply: 'ack',
  },
  'syn-resets': {
    section: '§3.10.7.4 fourth check (RFC 793 rule)',
    requirements: [],
    owes: 'an in-window SYN in a synchronized state draws <SEQ=SND.NXT><CTL=RST> and resets the connection',
    reply: 'reset-rst',
  },
  'listen-ack-resets': {
    section: '§3.10.7.2 second check',
    requirements: [],
    owes: 'an ACK reaching a listening socket draws <SEQ=SEG.ACK><CTL=RST>',
    reply: 'rst',
  },
  'synsent-bad-ack-resets': {
    section: '§3.10.7.3 first check',
    requirements: [],
    owes: 'in SYN-SENT an ACK outside ISS < SEG.ACK =< SND.NXT (no RST) draws <SEQ=SEG.ACK><CTL=RST>',
    reply: 'rst',
  },
  'synsent-rst-refused': {
    section: '§3.10.7.3 second check',
    requirements: [],
    owes: 'in SYN-SENT a RST acknowledging the SYN refuses the connection and the application is told',
    reply: 'reset',
  },
  'synsent-rst-ignored': {
    section: '§3.10.7.3 second check',
    requirements: [],
    owes: 'in SYN-SENT a RST without an acceptable ACK is dropped: no reply, no reset',
    reply: 'silent',
  },
  'synsent-syn-crossing': {
    section: '§3.10.7.3 fourth check; Figure 7',
    requirements: ['MUST-10'],
    owes: 'in SYN-SENT a SYN without ACK (a simultaneous open) draws <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>',
    reply: 'synack',
  },
  'synsent-synack-acked': {
    section: '§3.10.7.3 fourth check',
    requirements: [],
    owes: 'in SYN-SENT a SYN,ACK acknowledging the SYN draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>',
    reply: 'ack',
  },
  'synrcvd-syn-repeated': {
    section: '§3.10.7.4 first check; §3.8.1',
    requirements: [],
    owes: 'in SYN-RECEIVED the peer repeating its SYN draws the SYN,ACK <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> again',
    reply: 'synack',
  },
  'synrcvd-bad-ack-resets': {
    section: '§3.10.7.4 fifth check',
    requirements: [],
    owes: 'in SYN-RECEIVED an ACK outside SND.UNA < SEG.ACK =< SND.NXT draws <SEQ=SEG.ACK><CTL=RST>',
    reply: 'rst',
  },
  'timewait-fin-acked': {
    section: '§3.10.7.4 eighth check, TIME-WAIT',
    requirements: [],
    owes: "in TIME-WAIT the peer's FIN again draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>",
    reply: 'ack',
  },
  'closed-resets': {
    section: '§3.10.7.1',
    requirements: [],
    owes: 'a segment (not a RST) for a connection that no longer exists draws a RST',
    reply: 'rst',
  },
  'abort-resets': {
    section: '§3.10.5',
    requirements: [],
    owes: 'ABORT of a synchronized connection sends <SEQ=SND.NXT><CTL=RST>',
    reply: 'rst',
  },
  'icmp-hard-aborts': {
    section: '§3.9.2.2',
    requirements: ['SHLD-26', 'MUST-54'],
    owes:
      'a hard ICMP error (destination unreachable: protocol, port, fragmentation needed) quoting the connection ' +
      'aborts it and tells the application',
    reply: 'abort',
  },
  'icmp-soft-goes-on': {
    section: '§3.9.2.2',
    requirements: ['MUST-56'],
    owes:
      'a soft ICMP error (net or host unreachable, source route failed, time exceeded, parameter problem) leaves the ' +
      'connection open: no failure told, no reset',
    reply: 'goes-on',
  },
  'icmp-quench-ignored': {
    section: '§3.9.2.2',
    requirements: ['MUST-55'],
    owes: 'a source quench changes nothing: no failure told, no reset',
    reply: 'goes-on',
  },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;
export const RULE_IDS = Object.keys(RULES) as RuleId[];

/** The sending rules: what makes a segment the stack sent legal in the state the model has for it. */
export interface SendRule {
  section: string;
  requirements: readonly string[];
  /** What the rule allows. */
  allows: string;
}

export const SEND_RULES = {
  'send-syn': {
    section: '§3.10.1; §3.10.7.2 third check; §3.10.7.3 fourth check',
    requirements: [],
    allows: 'a SYN only while its own SYN is unacknowledged, always at ISS, with ACK of RCV.NXT once the peer SYN came',
  },
  'send-seq': {
    section: '§3.3.1; §3.8.4',
    requirements: [],
    allows: 'a segment that starts at or below SND.NXT (new data continues the sequence space without a gap)',
  },
  'send-ack': {
    section: '§3.10.7.4 fifth check; §3.4',
    requirements: [],
    allows: 'once the peer SYN was received, the ACK bit on every segment but a RST, acknowledging RCV.NXT',
  },
  'send-text': {
    section: '§3.10.2; §3.10.7.4 seventh check',
    requirements: [],
    allows: 'only octets the application wrote, at their sequence numbers, and only once the stack SYN is acknowledged',
  },
  'send-fin': {
    section: '§3.10.4',
    requirements: [],
    allows: 'a FIN only after CLOSE, right after the last octet written, always at the same sequence number',
  },
  'send-closed': {
    section: '§3.10.7.1; §3.10.7.2',
    requirements: [],
    allows: 'nothing but a RST on a connection that does not exist (CLOSED, or LISTEN for this peer)',
  },
} as const satisfies Record<string, SendRule>;

export type SendRuleId = keyof typeof SEND_RULES;
export const SEND_RULE_IDS = Object.keys(SEND_RULES) as SendRuleId[];

/**
 * The obligations with a deadline: the model's timers as the wire shows them. The tracker holds a stack to each from
 * the step that creates it until the deadline passes; how long the deadline is comes from RFC 9293's own limits and
 * the stack's declared RTO ceiling (src/oracle/due.ts).
 */
export interface DueRule {
  section: string;
  requirements: readonly string[];
  /** What the stack owes, and by when. */
  owes: string;
}

export const DUE_RULES = {
  'ack-in-order': {
    section: '§3.8.6.3; §3.10.7.4 seventh and eighth checks',
    requirements: ['MUST-40'],
    owes: 'text or a FIN taken in, in order, is acknowledged (SEG.ACK at or past the new RCV.NXT) in under 0.5 s',
  },
  'data-told': {
    section: '§3.9.1.2; §3.10.7.4 seventh check',
    requirements: [],
    owes:
      'text taken in up to a PSH or a FIN reaches an application that reads, in under 0.5 s (the stack may hold ' +
      'unpushed text)',
  },
  'eof-told': {
    section: '§3.10.7.4 eighth check; §3.6',
    requirements: ['MUST-12'],
    owes:
      "the peer's FIN taken in tells an application that reads and still holds the connection that the stream " +
      'ended (an orderly close, not a reset), in under 0.5 s',
  },
  retransmit: {
    section: '§3.8.1; RFC 6298 §5',
    requirements: ['MUST-18'],
    owes:
      'while sequence space it sent is unacknowledged and the connection lives, the stack sends it again (or probes) ' +
      'before its retransmission timer, at most the RTO ceiling, runs out',
  },
} as const satisfies Record<string, DueRule>;

export type DueRuleId = keyof typeof DUE_RULES;
export const DUE_RULE_IDS = Object.keys(DUE_RULES) as DueRuleId[];
