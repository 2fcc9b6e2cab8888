// ICMPv4 error messages (RFC 792) quoting the IP header and the first 8 octets of the TCP segment that caused them,
// and their classes as RFC 9293 §3.9.2.2 sorts them.
import { encode } from './codec.js';
import type { Segment } from './segment.js';

export const ICMP_UNREACH = 3;
export const ICMP_QUENCH = 4;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAM_PROBLEM = 12;

/** §3.9.2.2: source quench (MUST-55), soft (MUST-56) and hard (SHLD-26) errors; anything else is not an error here. */
export type IcmpClass = 'quench' | 'soft' | 'hard' | 'other';

export function icmpClass(type: number, code: number): IcmpClass {
  if (type === ICMP_QUENCH) return 'quench';
  if (type === ICMP_UNREACH) return code >= 2 && code <= 4 ? 'hard' : code <= 1 || code === 5 ? 'soft' : 'other';
  if (type === ICMP_TIME_EXCEEDED) return code <= 1 ? 'soft' : 'other';
  if (type === ICMP_PARAM_PROBLEM) return 'soft';
  return 'other';
}

const NAMES: Record<number, string> = {
  [ICMP_UNREACH]: 'destination unreachable',
  [ICMP_QUENCH]: 'source quench',
  [ICMP_TIME_EXCEEDED]: 'time exceeded',
  [ICMP_PARAM_PROBLEM]: 'parameter problem',
};

/** The TCP segment an ICMP error quotes: its addresses, ports and sequence number (the first 8 octets). */
export interface Quoted {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
}

/** An ICMP error from `src` (a router or the peer host) to `dst`, about a segment `dst` sent. */
export interface IcmpError {
  src: string;
  dst: string;
  type: number;
  code: number;
  quoted: Quoted;
}

export const describeIcmp = (m: IcmpError): string =>
  `${m.src} > ${m.dst} ICMP ${NAMES[m.type] ?? `type ${m.type}`} code ${m.code} (${icmpClass(m.type, m.code)}) ` +
  `quoting ${m.quoted.src}:${m.quoted.srcPort} > ${m.quoted.dst}:${m.quoted.dstPort} seq=${m.quoted.seq}`;

function checksum(b: Uint8Array, start: number, end: number): number {
  let acc = 0;
  for (let i = start; i < end; i += 2) acc += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

const addr = (a: string): number[] => a.split('.').map(Number);

/** The error as an IPv4 datagram: ICMP header, then the offending datagram's IP header and first 8 TCP octets. */
export function encodeIcmpError(src: string, type: number, code: number, offending: Segment): Uint8Array {
  const quoted = encode(offending).subarray(0, 20 + 8);
  const b = new Uint8Array(20 + 8 + quoted.length);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  v.setUint16(2, b.length);
  b[8] = 64;
  b[9] = 1;
  b.set(addr(src), 12);
  b.set(addr(offending.src), 16);
  v.setUint16(10, checksum(b, 0, 20));
  b[20] = type;
  b[21] = code;
  b.set(quoted, 28);
  v.setUint16(22, checksum(b, 20, b.length));
  return b;
}

/** The datagram of an ICMP error from its fields alone (the quoted segment rebuilt from its first 8 octets). */
export function icmpPacket(m: IcmpError): Uint8Array {
  const q = m.quoted;
  const seg: Segment = { ...q, ack: 0, flags: 0, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
  return encodeIcmpError(m.src, m.type, m.code, seg);
}

const fmt = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** Decode an ICMPv4 error quoting TCP; undefined for anything else (not ICMP, not an error, too short, bad sum). */
export function decodeIcmpError(b: Uint8Array): IcmpError | undefined {
  if (b.length < 20 || b[0]! >> 4 !== 4 || b[9] !== 1) return undefined;
  const ihl = (b[0]! & 0x0f) * 4;
  const total = Math.min(b.length, (b[2]! << 8) | b[3]!);
  const q = ihl + 8;
  if (total < q + 20 + 8 || checksum(b, ihl, total) !== 0) return undefined;
  const type = b[ihl]!;
  if (icmpClass(type, b[ihl + 1]!) === 'other' || b[q + 9] !== 6) return undefined;
  const t = q + (b[q]! & 0x0f) * 4;
  if (t + 8 > total) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  return {
    src: fmt(b, 12),
    dst: fmt(b, 16),
    type,
    code: b[ihl + 1]!,
    quoted: {
      src: fmt(b, q + 12),
      dst: fmt(b, q + 16),
      srcPort: v.getUint16(t),
      dstPort: v.getUint16(t + 2),
      seq: v.getUint32(t + 4),
    },
  };
}
