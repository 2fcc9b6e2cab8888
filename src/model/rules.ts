// The model's named rules: each a behaviour of RFC 9293 the model encodes, with its section, the requirement ids
// it decides, and what it makes the stack owe. arrive.ts records the rules that decided a step (StepResult.rules);
// the tracker (src/oracle/tracker.ts) judges a stack by them and counts each one it verified.

export interface Rule {
  section: string;
  requirements: readonly string[];
  /** What the rule obliges the stack to do, in RFC terms. */
  owes: string;
}

export const RULES = {
  'unacceptable-ack': {
    section: '§3.10.7.4 first check',
    requirements: [],
    owes: 'an unacceptable segment (not a RST) draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped',
  },
  'ack-unsent': {
    section: '§3.10.7.4 fifth check',
    requirements: [],
    owes: 'a segment acknowledging what was never sent draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped',
  },
  'rst-outside-window': {
    section: '§3.10.7.4 first check',
    requirements: [],
    owes: 'a RST outside the window is dropped: no reply, no reset',
  },
  'rst-challenge-ack': {
    section: '§3.10.7.4 second check; RFC 5961 §3.2',
    requirements: [],
    owes: 'an in-window RST not at RCV.NXT draws a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no reset',
  },
  'rst-resets': {
    section: '§3.10.7.4 second check',
    requirements: ['MUST-12'],
    owes: 'a valid RST resets the connection and the application is told it was reset',
  },
  'syn-challenge-ack': {
    section: '§3.10.7.4 fourth check; RFC 5961 §4.2',
    requirements: [],
    owes: 'a SYN in a synchronized state draws a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no reset',
  },
  'syn-resets': {
    section: '§3.10.7.4 fourth check (RFC 793 rule)',
    requirements: [],
    owes: 'an in-window SYN in a synchronized state draws <SEQ=SND.NXT><CTL=RST> and resets the connection',
  },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;
export const RULE_IDS = Object.keys(RULES) as RuleId[];
