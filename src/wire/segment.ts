// The decoded form of an IPv4 + TCP segment (§3.1 header format).
import type { Seq } from './seq.js';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

/** The ECN field of the IP header (RFC 3168 §5): the low two bits of the TOS octet, by codepoint name. */
export const ECN = { ect1: 1, ect0: 2, ce: 3 } as const;
export type EcnName = keyof typeof ECN;
/** A segment's ECN codepoint, and its name (undefined for Not-ECT). */
export const ecnOf = (s: { tos?: number }): number => (s.tos ?? 0) & 3;
export const ecnName = (s: { tos?: number }): EcnName | undefined => (['ect1', 'ect0', 'ce'] as const)[ecnOf(s) - 1];

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackPermitted' }
  | { kind: 'sack'; blocks: Array<[Seq, Seq]> }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  /** An option kind this codec does not interpret, kept with its raw data (MUST-6). */
  | { kind: 'unknown'; type: number; data: Uint8Array }
  /** Encode-only: bytes written verbatim into the option area (hostile inputs, MUST-7). */
  | { kind: 'raw'; bytes: Uint8Array };

export interface Endpoint {
  addr: string; // dotted-quad IPv4
  port: number;
}

export interface Segment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: Seq;
  ack: Seq;
  flags: number;
  window: number;
  urgent: number;
  options: TcpOption[];
  payload: Uint8Array;
  /** IPv4 options (IHL > 5), as on the wire; the encoder pads them with zeros (EOL) to a multiple of 4 octets. */
  ipOptions?: Uint8Array;
  /**
   * The IPv4 header's destination where it is not `dst`: a datagram on its way along a source route names its next
   * hop there, and `dst` is the route's final address (the TCP pseudo-header's, RFC 1122 §3.3.5).
   */
  ipDst?: string;
  /** IPv4 identification, TTL and the Diffserv octet (DSCP << 2 | ECN, §3.9.1.9); defaults 0, 64, 0 when encoding. */
  ipId?: number;
  ttl?: number;
  tos?: number;
  /** Encode-only: write a checksum that does not verify (MUST-3 tests). */
  badChecksum?: boolean;
}

/** SEG.LEN: data octets plus one each for SYN and FIN (§3.4). */
export const segLen = (s: Pick<Segment, 'flags' | 'payload'>): number =>
  s.payload.length + (s.flags & SYN ? 1 : 0) + (s.flags & FIN ? 1 : 0);

export const has = (s: Pick<Segment, 'flags'>, f: number): boolean => (s.flags & f) !== 0;

const FLAG_LETTERS: Array<[number, string]> = [
  [SYN, 'S'],
  [FIN, 'F'],
  [RST, 'R'],
  [PSH, 'P'],
  [ACK, 'A'],
  [URG, 'U'],
  [ECE, 'E'],
  [CWR, 'C'],
];

/** Flags as letters in a fixed order, e.g. SYN|ACK -> "SA". */
export function flagString(flags: number): string {
  let s = '';
  for (const [bit, ch] of FLAG_LETTERS) if (flags & bit) s += ch;
  return s === '' ? '.' : s;
}

/** Parse letters (any order) into flag bits; returns undefined on an unknown letter. */
export function parseFlags(text: string): number | undefined {
  let f = 0;
  for (const ch of text.toUpperCase()) {
    if (ch === '.') continue;
    const e = FLAG_LETTERS.find(([, c]) => c === ch);
    if (!e) return undefined;
    f |= e[0];
  }
  return f;
}

export function mssOf(s: Segment): number | undefined {
  for (const o of s.options) if (o.kind === 'mss') return o.value;
  return undefined;
}

/** Octets an option takes in the option area (a raw one, its bytes). */
export function optionOctets(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackPermitted':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamps':
      return 10;
    case 'unknown':
      return 2 + o.data.length;
    case 'raw':
      return o.bytes.length;
  }
}

/** Offset of the MSS option in the option area, undefined when there is none. */
export function mssOffset(s: Segment): number | undefined {
  let off = 0;
  for (const o of s.options) {
    if (o.kind === 'mss') return off;
    off += optionOctets(o);
  }
  return undefined;
}

/** One-line human form, tcpdump-like. */
export function describe(s: Segment): string {
  const parts = [`${s.src}:${s.srcPort} > ${s.dst}:${s.dstPort}`, `[${flagString(s.flags)}]`, `seq=${s.seq}`];
  if (s.flags & ACK) parts.push(`ack=${s.ack}`);
  parts.push(`win=${s.window}`);
  if (s.payload.length) parts.push(`len=${s.payload.length}`);
  const opts = s.options.filter((o) => o.kind !== 'nop' && o.kind !== 'eol').map(describeOption);
  if (opts.length) parts.push(`<${opts.join(',')}>`);
  if (s.badChecksum) parts.push('(bad checksum)');
  return parts.join(' ');
}

function describeOption(o: TcpOption): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackPermitted':
      return 'sackOK';
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'timestamps':
      return `TS ${o.tsval}:${o.tsecr}`;
    case 'unknown':
      return `opt${o.type}[${o.data.length}]`;
    case 'raw':
      return `raw[${o.bytes.length}]`;
    default:
      return o.kind;
  }
}
