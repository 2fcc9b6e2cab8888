// IPv4 address classes a TCP must not open a connection with (RFC 1122 §3.2.1.3, RFC 9293 §3.9.2.3 MUST-57/63).

/** The four octets of a dotted-quad IPv4 address; throws on anything else. */
export function parseAddr(a: string): [number, number, number, number] {
  const p = a.split('.').map((x) => Number(x));
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(a)}`);
  }
  return [p[0]!, p[1]!, p[2]!, p[3]!];
}

/** The dotted quad of the four octets at o. */
export const formatAddr = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

export type AddressClass = 'unicast' | 'this-network' | 'loopback' | 'multicast' | 'broadcast' | 'reserved';

/** The class of a dotted-quad IPv4 address. */
export function addressClass(addr: string): AddressClass {
  const [a = 0, b = 0, c = 0, d = 0] = addr.split('.').map(Number);
  if (a === 255 && b === 255 && c === 255 && d === 255) return 'broadcast';
  if (a === 0) return 'this-network';
  if (a === 127) return 'loopback';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'unicast';
}

/** A destination a SYN must be silently discarded for (MUST-57). */
export const notUnicastDst = (addr: string): boolean => {
  const k = addressClass(addr);
  return k === 'broadcast' || k === 'multicast';
};

/**
 * A source no connection may be opened from (MUST-63): 0/8, 127/8, multicast and the broadcast address (RFC 1122
 * §3.2.1.3; class E is only reserved there).
 */
export const invalidSrc = (addr: string): boolean => {
  const k = addressClass(addr);
  return k !== 'unicast' && k !== 'reserved';
};
