// drain() with its answer checked: garbage from the adapter is an AdapterError, a malformed packet is data.
import { STACK_EVENT_TYPES, type StackEvent, type StackInstance } from '../stacks/adapter.js';
import { type DecodeError, decode, optionPadding } from '../wire/codec.js';
import type { Segment } from '../wire/segment.js';
import { AdapterError, guard } from './bounded.js';

/** The most packets plus events one drain may return; more is a flooding adapter. */
const MAX_DRAIN = 10_000;

/** A decoded packet, with the padding after an EOL in its options (MUST-69) when there is any. */
type DrainedPacket =
  | { seg: Segment; padding?: { octets: number; nonzero: number[] }; hex: string }
  | { error: DecodeError; hex: string };
export type Drained = { packets: DrainedPacket[]; events: StackEvent[]; at?: { packets: number[]; events: number[] } };

const EVENT_TYPES = new Set<string>(STACK_EVENT_TYPES);

function checkEvent(ev: unknown, i: number): StackEvent {
  const e = ev as Partial<StackEvent> | null;
  if (!e || typeof e !== 'object' || !EVENT_TYPES.has(e.type as string)) {
    const got = JSON.stringify(ev)?.slice(0, 120);
    throw new AdapterError(
      `drain() returned event ${i} = ${got}: expected { type: ${[...EVENT_TYPES].join('|')}, conn }`,
    );
  }
  if (typeof e.conn !== 'string') throw new AdapterError(`drain() returned a ${e.type} event without a conn id string`);
  if (e.type === 'data' && !((e as { data?: unknown }).data instanceof Uint8Array)) {
    throw new AdapterError('drain() returned a data event whose data is not a Uint8Array');
  }
  if (e.type === 'urgent-pending' && typeof (e as { pending?: unknown }).pending !== 'boolean') {
    throw new AdapterError('drain() returned an urgent-pending event whose pending is not true or false');
  }
  return e as StackEvent;
}

function decodePacket(p: unknown): DrainedPacket {
  if (!(p instanceof Uint8Array))
    throw new AdapterError(`drain() returned a packet that is not a Uint8Array: ${String(p)}`);
  const hex = Buffer.from(p).toString('hex');
  try {
    const r = decode(p);
    const padding = r.ok ? optionPadding(p) : undefined;
    return r.ok ? { seg: r.segment, hex, ...(padding ? { padding } : {}) } : { error: r.error, hex };
  } catch (e) {
    // The decoder never throws by design; should it, the packet is still the stack's malformed output.
    return { error: { kind: 'truncated', detail: `undecodable: ${(e as Error).message}` }, hex };
  }
}

export async function drainChecked(inst: StackInstance, callMs: number): Promise<Drained> {
  const out = await guard(() => inst.drain(), callMs, 'drain()');
  if (!out || !Array.isArray(out.packets) || !Array.isArray(out.events)) {
    throw new AdapterError(
      `drain() returned ${JSON.stringify(out)?.slice(0, 200)}, expected { packets: [], events: [] }`,
    );
  }
  const n = out.packets.length + out.events.length;
  if (n > MAX_DRAIN) {
    throw new AdapterError(
      `drain() returned ${out.packets.length} packets and ${out.events.length} events at once (more than ` +
        `${MAX_DRAIN}): a flooding stack`,
    );
  }
  const at = out.at;
  const stamped = at && at.packets?.length === out.packets.length && at.events?.length === out.events.length;
  return {
    packets: out.packets.map(decodePacket),
    events: out.events.map(checkEvent),
    ...(stamped ? { at } : {}),
  };
}
