// IPv4 + TCP encode/decode (§3.1 header, Figure 2 pseudo-header).
// Decoding never throws: malformed input yields a typed DecodeError.
import { formatAddr, parseAddr } from './address.js';
import { finalHop, sourceRouteOf } from './route.js';
import type { Segment, TcpOption } from './segment.js';

type DecodeErrorKind =
  | 'truncated'
  | 'not-ipv4'
  | 'bad-ip-header-length'
  | 'bad-total-length'
  | 'bad-ip-checksum'
  | 'fragment'
  | 'not-tcp'
  | 'bad-data-offset'
  | 'bad-option-length'
  | 'bad-tcp-checksum';

export interface DecodeError {
  kind: DecodeErrorKind;
  detail: string;
}

export type DecodeResult = { ok: true; segment: Segment } | { ok: false; error: DecodeError };

export interface DecodeOptions {
  /** Verify the TCP checksum (default true). */
  verifyChecksum?: boolean;
}

const IPV4_HEADER = 20;
const TCP_HEADER = 20;

/** Internet checksum (RFC 1071) accumulator over a byte range. */
function sum16(buf: Uint8Array, start: number, end: number, acc: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) acc += buf[i]! << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

/** Ones-complement checksum of TCP bytes with the IPv4 pseudo-header. */
export function tcpChecksum(src: string, dst: string, tcp: Uint8Array): number {
  const s = parseAddr(src);
  const d = parseAddr(dst);
  let acc = ((s[0] << 8) | s[1]) + ((s[2] << 8) | s[3]) + ((d[0] << 8) | d[1]) + ((d[2] << 8) | d[3]);
  acc += 6 + tcp.length;
  acc = sum16(tcp, 0, tcp.length, acc);
  return ~fold(acc) & 0xffff;
}

function encodeOptions(options: TcpOption[]): Uint8Array {
  const out: number[] = [];
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
        out.push(0);
        break;
      case 'nop':
        out.push(1);
        break;
      case 'mss':
        out.push(2, 4, (o.value >> 8) & 0xff, o.value & 0xff);
        break;
      case 'wscale':
        out.push(3, 3, o.shift & 0xff);
        break;
      case 'sackPermitted':
        out.push(4, 2);
        break;
      case 'sack':
        out.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) out.push(...u32(l), ...u32(r));
        break;
      case 'timestamps':
        out.push(8, 10, ...u32(o.tsval), ...u32(o.tsecr));
        break;
      case 'unknown':
        out.push(o.type & 0xff, o.data.length + 2, ...o.data);
        break;
      case 'raw':
        out.push(...o.bytes);
        break;
    }
  }
  while (out.length % 4) out.push(0); // padding after the options is zero (MUST-69)
  return Uint8Array.from(out);
}

const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const rd16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const rd32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Encode the TCP header + payload (no IP header); checksum computed over the pseudo-header. */
export function encodeTcp(seg: Segment): Uint8Array {
  const opts = encodeOptions(seg.options);
  const hlen = TCP_HEADER + opts.length;
  if (hlen > 60) throw new Error(`TCP options too long: ${opts.length} octets (max 40)`);
  const b = new Uint8Array(hlen + seg.payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, seg.srcPort);
  v.setUint16(2, seg.dstPort);
  v.setUint32(4, seg.seq >>> 0);
  v.setUint32(8, seg.ack >>> 0);
  b[12] = (hlen / 4) << 4;
  b[13] = seg.flags & 0xff;
  v.setUint16(14, seg.window);
  v.setUint16(18, seg.urgent);
  b.set(opts, TCP_HEADER);
  b.set(seg.payload, hlen);
  let ck = tcpChecksum(seg.src, seg.dst, b);
  if (seg.badChecksum) ck ^= 0x0101; // changes the sum, so it can never verify
  v.setUint16(16, ck);
  return b;
}

/** Encode a full IPv4 datagram carrying the segment. */
export function encode(seg: Segment): Uint8Array {
  const tcp = encodeTcp(seg);
  const opts = seg.ipOptions ?? new Uint8Array(0);
  const ihl = IPV4_HEADER + Math.ceil(opts.length / 4) * 4;
  if (ihl > 60) throw new Error(`IP options too long: ${opts.length} octets (max 40)`);
  const b = new Uint8Array(ihl + tcp.length);
  const v = new DataView(b.buffer);
  b[0] = 0x40 | (ihl / 4);
  b[1] = (seg.tos ?? 0) & 0xff;
  v.setUint16(2, b.length);
  v.setUint16(4, seg.ipId ?? 0);
  v.setUint16(6, 0x4000); // DF
  b[8] = seg.ttl ?? 64;
  b[9] = 6;
  b.set(parseAddr(seg.src), 12);
  b.set(parseAddr(seg.ipDst ?? seg.dst), 16); // a source-routed datagram goes to its next hop first
  b.set(opts, IPV4_HEADER);
  v.setUint16(10, ~fold(sum16(b, 0, ihl, 0)) & 0xffff);
  b.set(tcp, ihl);
  return b;
}

const fail = (kind: DecodeErrorKind, detail: string): DecodeResult => ({ ok: false, error: { kind, detail } });

/** Decode an IPv4 datagram carrying TCP. */
export function decode(bytes: Uint8Array, opts: DecodeOptions = {}): DecodeResult {
  if (bytes.length < 1) return fail('truncated', 'empty packet');
  const version = bytes[0]! >> 4;
  if (version !== 4) return fail('not-ipv4', `IP version ${version}, expected 4`);
  if (bytes.length < IPV4_HEADER) return fail('truncated', `${bytes.length} octets, shorter than an IPv4 header`);
  const ihl = (bytes[0]! & 0x0f) * 4;
  if (ihl < IPV4_HEADER) return fail('bad-ip-header-length', `IHL ${ihl / 4} words (< 5)`);
  if (bytes.length < ihl) return fail('truncated', `IPv4 header of ${ihl} octets but only ${bytes.length} present`);
  const total = rd16(bytes, 2);
  if (total < ihl || total > bytes.length) {
    return fail('bad-total-length', `IPv4 total length ${total}, packet has ${bytes.length} octets, header ${ihl}`);
  }
  if ((~fold(sum16(bytes, 0, ihl, 0)) & 0xffff) !== 0)
    return fail('bad-ip-checksum', 'IPv4 header checksum does not verify');
  const fragOff = rd16(bytes, 6);
  if ((fragOff & 0x1fff) !== 0 || (fragOff & 0x2000) !== 0)
    return fail('fragment', 'IPv4 fragment (reassembly is not supported)');
  if (bytes[9] !== 6) return fail('not-tcp', `IP protocol ${bytes[9]}, expected 6 (TCP)`);
  const src = formatAddr(bytes, 12);
  const ipDst = formatAddr(bytes, 16);
  // On its way along a source route the header names the next hop; TCP's end is the route's last address (its
  // pseudo-header too, RFC 1122 §3.3.5).
  const ipOptions = ihl > IPV4_HEADER ? bytes.slice(IPV4_HEADER, ihl) : undefined;
  const dst = finalHop(sourceRouteOf(ipOptions)) ?? ipDst;
  const r = decodeTcp(bytes.subarray(ihl, total), src, dst, opts);
  if (r.ok) {
    r.segment.ipId = rd16(bytes, 4);
    r.segment.ttl = bytes[8]!;
    r.segment.tos = bytes[1]!;
    if (ipOptions) r.segment.ipOptions = ipOptions;
    if (dst !== ipDst) r.segment.ipDst = ipDst;
  }
  return r;
}

/**
 * The padding after an EOL in the TCP option area of a well-formed IPv4 datagram (MUST-69): undefined when no octet
 * follows an EOL; otherwise how many do and the offsets (from the option area's start) of those that are not zero.
 */
export function optionPadding(bytes: Uint8Array): { octets: number; nonzero: number[] } | undefined {
  const ihl = (bytes[0]! & 0x0f) * 4;
  const doff = ((bytes[ihl + 12] ?? 0) >> 4) * 4;
  const start = ihl + TCP_HEADER;
  const end = Math.min(ihl + doff, bytes.length);
  let i = start;
  while (i < end && bytes[i] !== 0) i += bytes[i] === 1 ? 1 : Math.max(2, bytes[i + 1] ?? 2);
  if (i + 1 >= end) return undefined;
  const nonzero: number[] = [];
  for (let j = i + 1; j < end; j++) if (bytes[j] !== 0) nonzero.push(j - start);
  return { octets: end - i - 1, nonzero };
}

/** Decode a TCP header + payload whose IPv4 addresses are known. */
export function decodeTcp(tcp: Uint8Array, src: string, dst: string, opts: DecodeOptions = {}): DecodeResult {
  if (tcp.length < TCP_HEADER)
    return fail('truncated', `TCP segment of ${tcp.length} octets, shorter than its 20-octet header`);
  const doff = (tcp[12]! >> 4) * 4;
  if (doff < TCP_HEADER) return fail('bad-data-offset', `data offset ${doff / 4} words (< 5)`);
  if (doff > tcp.length)
    return fail('bad-data-offset', `data offset ${doff / 4} words runs past the ${tcp.length}-octet segment`);
  if ((opts.verifyChecksum ?? true) && tcpChecksum(src, dst, tcp) !== 0) {
    return fail('bad-tcp-checksum', `TCP checksum 0x${rd16(tcp, 16).toString(16).padStart(4, '0')} does not verify`);
  }
  const options = decodeOptions(tcp, TCP_HEADER, doff);
  if (!Array.isArray(options)) return { ok: false, error: options };
  return {
    ok: true,
    segment: {
      src,
      dst,
      srcPort: rd16(tcp, 0),
      dstPort: rd16(tcp, 2),
      seq: rd32(tcp, 4),
      ack: rd32(tcp, 8),
      flags: tcp[13]!,
      window: rd16(tcp, 14), // unsigned (MUST-1)
      urgent: rd16(tcp, 18),
      options,
      payload: tcp.slice(doff),
    },
  };
}

/** Parse options in [start, end); any alignment is fine (MUST-64). */
function decodeOptions(b: Uint8Array, start: number, end: number): TcpOption[] | DecodeError {
  const out: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === 0) break; // EOL: the rest is padding
    if (kind === 1) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= end)
      return { kind: 'bad-option-length', detail: `option kind ${kind} at offset ${i - start} has no length octet` };
    const len = b[i + 1]!;
    if (len < 2)
      return {
        kind: 'bad-option-length',
        detail: `option kind ${kind} at offset ${i - start} has length ${len} (< 2)`,
      };
    if (i + len > end)
      return {
        kind: 'bad-option-length',
        detail: `option kind ${kind} at offset ${i - start} with length ${len} runs past the header`,
      };
    const body = b.subarray(i + 2, i + len);
    const parsed = parseOption(kind, body);
    if (parsed === undefined) {
      return { kind: 'bad-option-length', detail: `option kind ${kind} has length ${len}, not valid for that kind` };
    }
    out.push(parsed);
    i += len;
  }
  return out;
}

function parseOption(kind: number, body: Uint8Array): TcpOption | undefined {
  switch (kind) {
    case 2:
      return body.length === 2 ? { kind: 'mss', value: rd16(body, 0) } : undefined;
    case 3:
      return body.length === 1 ? { kind: 'wscale', shift: body[0]! } : undefined;
    case 4:
      return body.length === 0 ? { kind: 'sackPermitted' } : undefined;
    case 5: {
      if (body.length === 0 || body.length % 8 !== 0) return undefined;
      const blocks: Array<[number, number]> = [];
      for (let j = 0; j < body.length; j += 8) blocks.push([rd32(body, j), rd32(body, j + 4)]);
      return { kind: 'sack', blocks };
    }
    case 8:
      return body.length === 8 ? { kind: 'timestamps', tsval: rd32(body, 0), tsecr: rd32(body, 4) } : undefined;
    default:
      return { kind: 'unknown', type: kind, data: body.slice() };
  }
}
