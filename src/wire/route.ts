// IPv4 source routes (RFC 791 §3.1: loose 131, strict 137; RFC 1122 §3.3.5): the option's route data is a list of
// addresses and a pointer to the next one. A route is completed when the pointer has passed the last address: the
// datagram reached its final destination, and the list then records the hops it took. The return route a host keeps
// (RFC 9293 §3.9.2.1, MUST-53) is that list reversed, with the original source as its final address.
import { formatAddr, parseAddr } from './address.js';

export const LSRR = 131;
export const SSRR = 137;

export interface SourceRoute {
  type: typeof LSRR | typeof SSRR;
  /** The addresses of the route data, in order. */
  hops: string[];
  /** The pointer has passed the last address: the datagram is at its final destination. */
  completed: boolean;
}

/** The source route among IPv4 options, if there is one (options are walked as RFC 791 lays them out). */
export function sourceRouteOf(opts: Uint8Array | undefined): SourceRoute | undefined {
  if (!opts) return undefined;
  for (let i = 0; i < opts.length; ) {
    const type = opts[i]!;
    if (type === 0) return undefined; // end of option list
    if (type === 1) {
      i++;
      continue;
    }
    const len = opts[i + 1] ?? 0;
    if (len < 2 || i + len > opts.length) return undefined;
    if ((type === LSRR || type === SSRR) && len >= 3) {
      const pointer = opts[i + 2]!;
      const hops: string[] = [];
      for (let k = i + 3; k + 4 <= i + len; k += 4) hops.push(formatAddr(opts, k));
      return { type, hops, completed: pointer > len };
    }
    i += len;
  }
  return undefined;
}

/** The option's octets: route data `hops`, the pointer at `next` (1-based address index; hops.length+1: completed). */
export function routeOption(type: SourceRoute['type'], hops: string[], next = 1): Uint8Array {
  const len = 3 + 4 * hops.length;
  const b = new Uint8Array(len);
  b[0] = type;
  b[1] = len;
  b[2] = 4 * next;
  for (const [k, h] of hops.entries()) b.set(parseAddr(h), 3 + 4 * k);
  return b;
}

/**
 * The route back along a completed one that came from `src`: the datagram goes first to the last hop recorded, and
 * its option lists the others in reverse, then `src` (RFC 1122 §3.2.1.8, §3.3.5).
 */
export function returnRoute(r: SourceRoute, src: string): { firstHop: string; option: Uint8Array } | undefined {
  if (!r.completed || r.hops.length === 0) return undefined;
  const back = [...r.hops].reverse();
  return { firstHop: back[0]!, option: routeOption(r.type, [...back.slice(1), src]) };
}

/** The final destination of a datagram on its way along a source route that is not completed. */
export function finalHop(r: SourceRoute | undefined): string | undefined {
  return r && !r.completed && r.hops.length > 0 ? r.hops[r.hops.length - 1] : undefined;
}
