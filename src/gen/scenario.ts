// Scenarios: what the suite does to a stack. The peer is a reference TCP host; between the two
// sits a network the scenario controls (deliver, drop, duplicate, reorder), and the scenario may
// inject hostile segments computed relative to the peer's view of the connection.
import { type AppControl, controlText } from '../stacks/adapter.js';
import type { TcpOption } from '../wire/segment.js';

export const STACK_PORT = 80;
export const PEER_PORT = 40000;
export const CLOSED_PORT = 81;
/** Extra clients of the stack's listener (fresh or spoofed) use FRESH_PORT + n. */
export const FRESH_PORT = 41000;
export const STACK_ADDR = '10.0.0.1';
export const PEER_ADDR = '10.0.0.2';
/** Spoofed sources live here; nothing answers for them. */
export const SPOOF_NET = '10.66.';

/** The probe label of an ICMP error that quotes a connection that does not exist. */
export const MISDIRECTED = 'icmp-misdirected';

export interface Hostile {
  flags: number;
  /**
   * rcvNxt: the peer's next sequence number (what the stack expects once all the peer sent arrived); peerUna: what
   * the stack last acknowledged; peerIss: the peer's ISN; abs: a literal.
   */
  seq: { ref: 'rcvNxt' | 'peerUna' | 'peerIss' | 'abs'; d: number };
  /** sndNxt / sndUna: the stack's send point as the peer has seen / acknowledged it; iss: the stack's ISN. */
  ack: { ref: 'sndNxt' | 'sndUna' | 'iss' | 'abs'; d: number };
  len: number;
  window?: number;
  options?: TcpOption[];
  badChecksum?: boolean;
  /**
   * conn: the scenario's connection; closed: a port nobody listens on; fresh: the listener, from a new peer port;
   * spoof: the listener, from a spoofed address.
   */
  to: 'conn' | 'closed' | 'fresh' | 'spoof';
  /** For fresh/spoof: which of them (port offset). */
  n?: number;
  /** Addresses in place of the peer's and the stack's (invalid sources, broadcast and multicast destinations). */
  src?: string;
  dst?: string;
  /** IPv4 options of the datagram (IHL > 5), padded with zeros to a multiple of 4 octets (MUST-50). */
  ipOptions?: number[];
}

export type Action =
  /** LISTEN on the stack's port, or on another one. */
  | { a: 'stackListen'; port?: number }
  | { a: 'stackConnect' }
  | { a: 'peerListen' }
  | { a: 'peerConnect' }
  /** urgent: the data is urgent (the stack must offer 'urgent'); push false: not pushed (it must offer 'push'). */
  | { a: 'stackWrite'; n: number; urgent?: boolean; push?: false }
  | { a: 'peerWrite'; n: number; urgent?: boolean }
  | { a: 'stackShutdown' }
  | { a: 'stackClose' }
  | { a: 'stackAbort' }
  /** An application control on the stack's connection (keep-alives, reading). */
  | { a: 'stackControl'; control: AppControl }
  | { a: 'peerClose' }
  | { a: 'peerAbort' }
  /** The peer's application stops reading (its window closes as data arrives), resumes, or reads n octets once. */
  | { a: 'peerPause' }
  | { a: 'peerResume' }
  | { a: 'peerRead'; n: number }
  | { a: 'net'; dir: 'toStack' | 'toPeer'; op: 'deliver' | 'drop' | 'dup'; i: number }
  /** Drop everything in flight in one direction. */
  | { a: 'lose'; dir: 'toStack' | 'toPeer' }
  | { a: 'advance'; ms: number }
  | { a: 'inject'; h: Hostile; probe?: string }
  /** The network drops the oldest segment in flight to the peer and answers it with this ICMP error (§3.9.2.2). */
  /** misdirect: the error quotes the segment with another peer port, a connection that does not exist. */
  | { a: 'icmp'; type: number; code: number; misdirect?: boolean }
  /** The network marks the next ECN-capable data segment to the stack (or to the peer) Congestion Experienced. */
  | { a: 'ce'; dir?: 'toPeer' }
  /**
   * From now on the peer's segments reach the stack along a source route (RFC 791): they arrive with the completed
   * option recording these hops (loose, or strict). An empty list: no route any more.
   */
  | { a: 'peerRoute'; hops: string[]; strict?: boolean }
  /** What is in flight to the stack (64 segments at most) arrives at once, queued at its input (batchInput). */
  | { a: 'batch' }
  /** Deliver everything in flight both ways and let timers run, up to ms of time. */
  | { a: 'settle'; ms?: number; lossy?: 'toStack' | 'toPeer'; idle?: boolean };

export interface Scenario {
  /** The peer's ISN (biased to the 2^32 wrap by the generators). */
  peerIsn: number;
  /** The peer's receive buffer (its window) and its MSS option (undefined: it sends none). */
  peerWindow: number;
  peerMss: number | undefined;
  /** Where the MSS option sits among the options of the peer's SYN (MUST-4); first when absent. */
  peerSynLayout?: 'plain' | 'odd' | 'eol';
  /** The Window Scale shift (0..14) the peer offers on its SYN (RFC 7323 §2); left out, none. */
  peerWscale?: number;
  /** The peer uses ECN (RFC 3168): it asks on its SYN and agrees when the stack's SYN asks. */
  peerEcn?: boolean;
  /**
   * The peer's application reads only when told (peerRead/peerResume): its window closes as data waits. Otherwise
   * it takes every octet as it arrives.
   */
  peerReadsOnDemand?: boolean;
  actions: Action[];
}

export function describeAction(x: Action): string {
  switch (x.a) {
    case 'net':
      return `${x.op} ${x.dir}[${x.i}]`;
    case 'lose':
      return `lose all ${x.dir}`;
    case 'advance':
      return `advance ${x.ms} ms`;
    case 'ce':
      return `CE mark on the next ECN-capable segment to the ${x.dir === 'toPeer' ? 'peer' : 'stack'}`;
    case 'batch':
      return 'batch: all in flight to the stack arrives at once';
    case 'peerRoute':
      return x.hops.length
        ? `peer's segments routed via ${x.hops.join(', ')}${x.strict ? ' (strict)' : ''}`
        : 'no route';
    case 'icmp':
      return `ICMP type ${x.type} code ${x.code} for the next segment to the peer${x.misdirect ? ' (misquoted)' : ''}`;
    case 'stackListen':
      return x.port ? `stackListen ${x.port}` : 'stackListen';
    case 'stackControl':
      return `stackControl ${controlText(x.control)}`;
    case 'stackWrite':
    case 'peerWrite':
      return `${x.a} ${x.n}${x.urgent ? ' urgent' : ''}${x.a === 'stackWrite' && x.push === false ? ' more' : ''}`;
    case 'peerRead':
      return `${x.a} ${x.n}`;
    case 'inject':
      return (
        `inject${x.probe ? `(${x.probe})` : ''} flags=${x.h.flags} ` +
        `seq=${x.h.seq.ref}${x.h.seq.d >= 0 ? '+' : ''}${x.h.seq.d} ` +
        `ack=${x.h.ack.ref}${x.h.ack.d >= 0 ? '+' : ''}${x.h.ack.d} len=${x.h.len} to=${x.h.to}`
      );
    case 'settle':
      return (
        `settle${x.ms ? ` ${x.ms} ms` : ''}${x.lossy ? ` losing ${x.lossy}` : ''}` +
        `${x.idle ? ' (letting the whole time pass)' : ''}`
      );
    default:
      return x.a;
  }
}

/** Payload octets are a function of their sequence number, so misplaced delivery is visible. */
const byteAt = (seq: number): number => (Math.imul(seq >>> 0, 2654435761) >>> 24) & 0xff;
export const bytesAt = (seq: number, n: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => byteAt((seq + i) >>> 0));
