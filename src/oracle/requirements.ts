// RFC 9293's 119 numbered requirements (Appendix B ids; level and section as in the RFC), each with a
// one-line summary of our own, and — when no property, invariant, check or vector judges it — the
// reason why: the model leaves the feature out (not covered), or the wire cannot show it (not observable).
// What does judge a requirement is computed from the properties' and vectors' own tags (coverage()).

export type Level = 'MUST' | 'SHOULD' | 'MAY' | 'RECOMMENDED';

export interface Requirement {
  id: string;
  level: Level;
  section: string;
  topic: string;
  /** Where a conformance test could see it: on the wire, at the application interface, or only inside the stack. */
  observable: 'wire' | 'api' | 'internal';
  summary: string;
  /**
   * Why nothing checks it, or why what checks it covers only part of it: checks may then fail it, never pass it.
   */
  gap?: { kind: 'not-covered' | 'not-observable'; reason: string };
  /** Checks that must each have judged it for a pass (a requirement with several halves). */
  needs?: string[];
}

/** MUST-14 has two halves: announce an MSS (mss-sent) and honour the peer's (mss). */
const NEEDS: Record<string, string[]> = { 'MUST-14': ['mss-sent', 'mss'] };

const NC = (reason: string) => ({ kind: 'not-covered' as const, reason });
const NO = (reason: string) => ({ kind: 'not-observable' as const, reason });
const ALLOWED = NC('allowed; nothing to fail');
const NO_CC = NC('congestion control is outside the model; only RTO backoff is judged');
const API_ONLY = (what: string) => NO(`${what} is an application-interface feature the adapter API does not expose`);

type Row = [
  id: string,
  level: Level,
  section: string,
  topic: string,
  observable: Requirement['observable'],
  summary: string,
  gap?: Requirement['gap'],
];

const ROWS: Row[] = [
  ['MUST-1', 'MUST', '3.1', 'window', 'wire', 'Window is an unsigned 16-bit value'],
  ['MUST-2', 'MUST', '3.1', 'checksum', 'wire', 'Emit correct checksums on every segment'],
  ['MUST-3', 'MUST', '3.1', 'checksum', 'wire', 'Drop arriving segments whose checksum is wrong'],
  ['MUST-4', 'MUST', '3.1', 'options', 'wire', 'Implement EOL, NOP and MSS'],
  ['MUST-5', 'MUST', '3.1', 'options', 'wire', 'Options may appear on any segment'],
  ['MUST-6', 'MUST', '3.1', 'options', 'wire', 'Unknown options with a length are skipped'],
  ['MUST-7', 'MUST', '3.1', 'options', 'wire', 'A bad option length must not crash the stack'],
  ['MUST-8', 'MUST', '3.4.1', 'isn', 'wire', 'ISNs follow a clock'],
  [
    'MUST-9',
    'MUST',
    '3.4.1',
    'isn',
    'internal',
    'The ISN function is not computable from outside',
    NO('secrecy of a keyed function cannot be shown by sampling segments'),
  ],
  ['MUST-10', 'MUST', '3.5', 'handshake', 'wire', 'Simultaneous open works'],
  ['MUST-11', 'MUST', '3.5', 'handshake', 'wire', 'SYN-RECEIVED remembers passive vs active open'],
  ['MUST-12', 'MUST', '3.6', 'close', 'api', 'The application learns orderly close vs reset'],
  ['MUST-13', 'MUST', '3.6.1', 'time-wait', 'wire', 'TIME-WAIT lasts 2×MSL'],
  ['MUST-14', 'MUST', '3.7.1', 'mss', 'wire', 'Send and honour the MSS option'],
  ['MUST-15', 'MUST', '3.7.1', 'mss', 'wire', 'Assume 536 without a peer MSS (IPv4)'],
  ['MUST-16', 'MUST', '3.7.1', 'mss', 'wire', 'Never exceed the effective send MSS'],
  ['MUST-17', 'MUST', '3.7.4', 'nagle', 'wire', 'The application can turn Nagle off'],
  ['MUST-18', 'MUST', '3.8.1', 'retransmission', 'wire', 'RTO per RFC 6298, with Karn'],
  [
    'MUST-19',
    'MUST',
    '3.8.2',
    'congestion',
    'wire',
    'Slow start, congestion avoidance, RTO backoff',
    NC('only the RTO backoff is judged (it can fail this); slow start and congestion avoidance are outside the model'),
  ],
  [
    'MUST-20',
    'MUST',
    '3.8.3',
    'retransmission',
    'wire',
    'R1 advice and R2 give-up thresholds',
    NC('R1 advice goes to IP, unseen; R2 judged as SHLD-11/MUST-23'),
  ],
  ['MUST-21', 'MUST', '3.8.3', 'retransmission', 'wire', 'R2 settable per connection'],
  ['MUST-22', 'MUST', '3.8.3', 'retransmission', 'wire', 'SYNs retransmit under R1/R2 too'],
  ['MUST-23', 'MUST', '3.8.3', 'retransmission', 'wire', 'SYN R2 of at least 3 minutes'],
  ['MUST-24', 'MUST', '3.8.4', 'keepalive', 'wire', 'Keep-alives switchable per connection'],
  ['MUST-25', 'MUST', '3.8.4', 'keepalive', 'wire', 'Keep-alives off by default'],
  ['MUST-26', 'MUST', '3.8.4', 'keepalive', 'wire', 'Probe only an idle connection'],
  ['MUST-27', 'MUST', '3.8.4', 'keepalive', 'wire', 'Keep-alive interval configurable'],
  ['MUST-28', 'MUST', '3.8.4', 'keepalive', 'wire', 'Default keep-alive interval ≥ 2 h'],
  ['MUST-29', 'MUST', '3.8.4', 'keepalive', 'wire', 'One lost probe does not kill a connection'],
  ['MUST-30', 'MUST', '3.8.5', 'urgent', 'wire', 'Support sending and receiving urgent data'],
  ['MUST-31', 'MUST', '3.8.5', 'urgent', 'wire', 'Urgent data of any length'],
  ['MUST-32', 'MUST', '3.8.5', 'urgent', 'api', 'Tell the application about urgent data'],
  ['MUST-33', 'MUST', '3.8.5', 'urgent', 'api', 'Let the application ask about pending urgent data'],
  ['MUST-34', 'MUST', '3.8.6', 'window', 'wire', 'Cope with a peer shrinking its window'],
  ['MUST-35', 'MUST', '3.8.6', 'zero-window', 'wire', 'Probe a zero window the standard way'],
  ['MUST-36', 'MUST', '3.8.6.1', 'zero-window', 'wire', 'Zero-window probing is supported'],
  ['MUST-37', 'MUST', '3.8.6.1', 'zero-window', 'wire', 'Keep probing while probes are answered'],
  ['MUST-38', 'MUST', '3.8.6.2.1', 'sws', 'wire', 'Sender silly-window avoidance'],
  ['MUST-39', 'MUST', '3.8.6.2.2', 'sws', 'wire', 'Receiver silly-window avoidance'],
  ['MUST-40', 'MUST', '3.8.6.3', 'ack', 'wire', 'ACK delay under 0.5 s'],
  ['MUST-41', 'MUST', '3.9.1.1', 'api', 'wire', 'A passive OPEN never disturbs existing connections'],
  ['MUST-42', 'MUST', '3.9.1.1', 'api', 'wire', 'LISTEN while the port has a half-open connection'],
  [
    'MUST-43',
    'MUST',
    '3.9.1.1',
    'api',
    'wire',
    'OPEN takes a local address',
    API_ONLY('choosing among several local addresses'),
  ],
  [
    'MUST-44',
    'MUST',
    '3.9.1.1',
    'address',
    'wire',
    'Pick a local address before the first SYN',
    NO('the adapter gives each instance one address'),
  ],
  [
    'MUST-45',
    'MUST',
    '3.9.1.1',
    'address',
    'wire',
    'Keep the local address for the connection',
    NO('the adapter gives each instance one address'),
  ],
  [
    'MUST-46',
    'MUST',
    '3.9.1.1',
    'address',
    'api',
    'OPEN to a broadcast address fails',
    API_ONLY('opening towards broadcast addresses'),
  ],
  [
    'MUST-47',
    'MUST',
    '3.9.1.8',
    'api',
    'api',
    'A soft-error report path to the application',
    API_ONLY('soft-error reporting'),
  ],
  ['MUST-48', 'MUST', '3.9.1.9', 'diffserv', 'wire', 'The application sets Diffserv'],
  ['MUST-49', 'MUST', '3.9.2', 'ip', 'wire', 'TTL configurable'],
  ['MUST-50', 'MUST', '3.9.2', 'ip', 'wire', 'Ignore IP options TCP does not know'],
  [
    'MUST-51',
    'MUST',
    '3.9.2.1',
    'source-route',
    'wire',
    'Source route on active OPEN',
    API_ONLY('a source route given to OPEN'),
  ],
  [
    'MUST-52',
    'MUST',
    '3.9.2.1',
    'source-route',
    'wire',
    "The application's source route wins",
    API_ONLY('a source route given to OPEN'),
  ],
  ['MUST-53', 'MUST', '3.9.2.1', 'source-route', 'wire', 'Reuse a received source route'],
  ['MUST-54', 'MUST', '3.9.2.2', 'icmp', 'wire', 'Act on ICMP errors for the connection'],
  ['MUST-55', 'MUST', '3.9.2.2', 'icmp', 'wire', 'Ignore Source Quench'],
  ['MUST-56', 'MUST', '3.9.2.2', 'icmp', 'wire', 'Soft ICMP errors never abort'],
  ['MUST-57', 'MUST', '3.9.2.3', 'address', 'wire', 'Drop SYNs to broadcast or multicast'],
  ['MUST-58', 'MUST', '3.10.7.4', 'ack', 'wire', 'Aggregate ACKs when possible'],
  ['MUST-59', 'MUST', '3.10.7.4', 'ack', 'wire', 'Process queued segments before ACKing'],
  ['MUST-60', 'MUST', '3.9.1.2', 'push', 'wire', 'Unpushed data never waits forever'],
  ['MUST-61', 'MUST', '3.9.1.2', 'push', 'wire', 'PSH when the send queue empties'],
  ['MUST-62', 'MUST', '3.8.5', 'urgent', 'wire', 'The urgent pointer points after the urgent data'],
  ['MUST-63', 'MUST', '3.9.2.3', 'address', 'wire', 'Ignore SYNs from invalid source addresses'],
  ['MUST-64', 'MUST', '3.2', 'options', 'wire', 'Options need not be word-aligned'],
  ['MUST-65', 'MUST', '3.2', 'mss', 'wire', 'MSS only on SYN segments'],
  ['MUST-66', 'MUST', '3.4', 'window', 'wire', 'RST and URG are processed even in a zero window'],
  [
    'MUST-67',
    'MUST',
    '3.7.1',
    'mss',
    'wire',
    'Advertised MSS within what IP can reassemble',
    NO('reassembly limits of the stack are not visible from outside'),
  ],
  ['MUST-68', 'MUST', '3.1', 'options', 'wire', 'Every option but EOL and NOP has a length'],
  ['MUST-69', 'MUST', '3.1', 'options', 'wire', 'Zero padding after EOL'],
  [
    'SHLD-1',
    'SHOULD',
    '3.4.1',
    'isn',
    'internal',
    'ISN = clock + keyed hash (RFC 6528)',
    NO('the hash and its key are inside the stack'),
  ],
  ['SHLD-2', 'SHOULD', '3.5.3', 'rst', 'wire', 'Accept a RST carrying data'],
  [
    'SHLD-3',
    'SHOULD',
    '3.6.1',
    'close',
    'wire',
    'Half-duplex close resets on unread data',
    NC('allowed by the oracle, not required'),
  ],
  [
    'SHLD-4',
    'SHOULD',
    '3.6.1',
    'time-wait',
    'wire',
    'RFC 6191 timestamps for TIME-WAIT reuse',
    NC('the peer model sends no timestamps'),
  ],
  ['SHLD-5', 'SHOULD', '3.7.1', 'mss', 'wire', 'Send MSS on SYN when not the default'],
  [
    'SHLD-6',
    'SHOULD',
    '3.7.3',
    'mss',
    'internal',
    'Advertised MSS from the smallest MTU',
    NO('interface MTUs are inside the stack'),
  ],
  ['SHLD-7', 'SHOULD', '3.7.4', 'nagle', 'wire', 'Implement Nagle'],
  ['SHLD-8', 'SHOULD', '3.8.2', 'congestion', 'wire', 'ECN (RFC 3168)'],
  ['SHLD-9', 'SHOULD', '3.8.3', 'retransmission', 'api', 'Report delivery trouble at R1', API_ONLY('R1 reports')],
  ['SHLD-10', 'SHOULD', '3.8.3', 'retransmission', 'api', 'R1 ≥ 3 retransmissions', API_ONLY('R1 reports')],
  ['SHLD-11', 'SHOULD', '3.8.3', 'retransmission', 'wire', 'R2 of at least 100 s'],
  ['SHLD-12', 'SHOULD', '3.8.4', 'keepalive', 'wire', 'Keep-alives without data'],
  [
    'SHLD-13',
    'SHOULD',
    '3.8.5',
    'urgent',
    'internal',
    'Applications avoid urgent data',
    NO('advice to applications, not to stacks'),
  ],
  ['SHLD-14', 'SHOULD', '3.8.6', 'window', 'wire', 'Do not shrink the offered window'],
  ['SHLD-15', 'SHOULD', '3.8.6', 'window', 'wire', 'No new data past a shrunk window'],
  ['SHLD-16', 'SHOULD', '3.8.6', 'window', 'wire', 'Keep retransmitting after a shrink'],
  ['SHLD-17', 'SHOULD', '3.8.6', 'window', 'wire', 'Do not give up over a shrunk window'],
  [
    'SHLD-18',
    'SHOULD',
    '3.8.6.3',
    'ack',
    'wire',
    'Delay ACKs (within MUST-40)',
    NC('allowed, not required: immediate ACKs conform too'),
  ],
  ['SHLD-19', 'SHOULD', '3.8.6.3', 'ack', 'wire', 'ACK every second full segment'],
  ['SHLD-20', 'SHOULD', '3.9.1.8', 'api', 'api', 'Error reports can be switched off', API_ONLY('error-report control')],
  ['SHLD-21', 'SHOULD', '3.9.1.9', 'diffserv', 'wire', 'Diffserv changeable mid-connection'],
  ['SHLD-22', 'SHOULD', '3.9.1.9', 'diffserv', 'wire', 'Pass Diffserv to IP unchanged'],
  [
    'SHLD-23',
    'SHOULD',
    '3.9.2',
    'diffserv',
    'internal',
    'Applications keep Diffserv stable',
    NO('advice to applications, not to stacks'),
  ],
  ['SHLD-24', 'SHOULD', '3.9.2.1', 'source-route', 'wire', 'A newer source route replaces the old'],
  ['SHLD-25', 'SHOULD', '3.9.2.2', 'icmp', 'api', 'Report soft ICMP errors', API_ONLY('a soft error notice')],
  ['SHLD-26', 'SHOULD', '3.9.2.2', 'icmp', 'wire', 'Abort on hard ICMP errors'],
  ['SHLD-27', 'SHOULD', '3.9.1.2', 'push', 'wire', 'Merge PSH points into big segments'],
  ['SHLD-28', 'SHOULD', '3.9.1.2', 'push', 'wire', 'Send full-sized segments'],
  ['SHLD-29', 'SHOULD', '3.8.6.1', 'zero-window', 'wire', 'First zero-window probe after one RTO'],
  ['SHLD-30', 'SHOULD', '3.8.6.1', 'zero-window', 'wire', 'Back off zero-window probes'],
  ['SHLD-31', 'SHOULD', '3.10.7.4', 'ack', 'wire', 'Keep out-of-order segments'],
  [
    'REC-1',
    'RECOMMENDED',
    '3.3.1',
    'window',
    'internal',
    '32-bit window variables',
    NO('field widths inside the stack'),
  ],
  [
    'MAY-1',
    'MAY',
    '3.6.1',
    'close',
    'api',
    'Half-duplex close',
    NC('allowed either way; nothing judges what a stack does with data arriving after a full CLOSE'),
  ],
  ['MAY-2', 'MAY', '3.6.1', 'time-wait', 'wire', 'A higher SYN may reopen TIME-WAIT'],
  ['MAY-3', 'MAY', '3.7.1', 'mss', 'wire', 'MSS option on every SYN', NC('allowed; nothing to fail')],
  ['MAY-4', 'MAY', '3.8.1', 'retransmission', 'wire', 'Reuse the IP Identification on retransmission', ALLOWED],
  ['MAY-5', 'MAY', '3.8.4', 'keepalive', 'wire', 'Keep-alives may exist'],
  ['MAY-6', 'MAY', '3.8.4', 'keepalive', 'wire', 'Keep-alives with a garbage octet'],
  [
    'MAY-7',
    'MAY',
    '3.8.6',
    'window',
    'wire',
    'Retransmit past a shrunk window',
    NC('a permission: window-shrink lets a retransmission past the shrunk edge go, and nothing can fail it'),
  ],
  [
    'MAY-8',
    'MAY',
    '3.8.6.1',
    'zero-window',
    'wire',
    'Hold a zero window indefinitely',
    NC('allowed; the peer model does not do it'),
  ],
  [
    'MAY-9',
    'MAY',
    '3.9.1.9',
    'diffserv',
    'api',
    'Report the received Diffserv value',
    API_ONLY('the Diffserv value of received segments'),
  ],
  ['MAY-10', 'MAY', '3.9.2', 'ip', 'wire', 'IP Timestamp option', ALLOWED],
  ['MAY-11', 'MAY', '3.9.2', 'ip', 'wire', 'IP Record Route option', ALLOWED],
  ['MAY-12', 'MAY', '3.10.7.4', 'rfc5961', 'wire', 'RFC 5961 ACK range check'],
  ['MAY-13', 'MAY', '3.10.7.4', 'ack', 'wire', 'Immediate ACK for out-of-order data', NC('allowed; nothing to fail')],
  ['MAY-14', 'MAY', '3.9.1.7', 'api', 'wire', 'FLUSH may drop unsent data', API_ONLY('FLUSH')],
  ['MAY-15', 'MAY', '3.9.1.2', 'push', 'wire', 'SEND may carry PUSH'],
  ['MAY-16', 'MAY', '3.9.1.2', 'push', 'wire', 'Unpushed data may be held back', NC('allowed; nothing to fail')],
  ['MAY-17', 'MAY', '3.9.1.3', 'push', 'api', 'Report PSH to the application'],
  ['MAY-18', 'MAY', '3.8.2', 'congestion', 'internal', 'Other standard congestion control', NO_CC],
];

export const REQUIREMENTS: Requirement[] = ROWS.map(([id, level, section, topic, observable, summary, gap]) => ({
  id,
  level,
  section,
  topic,
  observable,
  summary,
  ...(gap ? { gap } : {}),
  ...(NEEDS[id] ? { needs: NEEDS[id] } : {}),
}));

export interface Coverage {
  /** Check ids that count for it (property checks, invariants, wire and whole-run checks). */
  checks: string[];
  vectors: string[];
  /** The properties whose own checks these are, and whether one of them runs on every trace (invariants, wire). */
  properties?: string[];
  alwaysOn?: boolean;
}

/** Who judges each requirement: the checks and vectors whose catalog entry names it. */
export function coverage(catalog: Map<string, readonly string[]>): Map<string, Coverage> {
  const m = new Map<string, Coverage>(REQUIREMENTS.map((r) => [r.id, { checks: [], vectors: [] }]));
  for (const [id, reqs] of catalog)
    for (const r of reqs) {
      const c = m.get(r);
      if (!c) continue;
      if (id.startsWith('vector:')) c.vectors.push(id.slice('vector:'.length));
      else c.checks.push(id);
    }
  return m;
}
