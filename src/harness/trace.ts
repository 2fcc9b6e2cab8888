// The trace: what happened between the suite and the stack, in order, each entry stamped when it happened.
import type { State } from '../model/types.js';
import type { AppControl, ConnId, StackEvent } from '../stacks/adapter.js';
import type { IcmpError } from '../wire/icmp.js';
import type { Segment } from '../wire/segment.js';

export interface CallRecord {
  name: string;
  conn?: ConnId;
  port?: number;
  remote?: { addr: string; port: number };
  data?: Uint8Array;
  /** name 'write': the data was urgent (§3.9.1.2). */
  urgent?: boolean;
  /** name 'write': SEND without the PUSH flag (§3.9.1.2, MAY-15; only for a stack that offers 'push'). */
  push?: false;
  /** name 'control': the setting the application changed. */
  control?: AppControl;
  /** A write (or LISTEN) the stack turned away on the spot: no data went in flight, no listener was made. */
  refused?: boolean;
  /** Why a call was refused, in the stack's words. */
  reason?: string;
}

export interface TraceEntry {
  /** Virtual (or elapsed wall-clock) ms since the run started. */
  t: number;
  dir: 'in' | 'out' | 'call' | 'event' | 'time' | 'state';
  text: string;
  seg?: Segment;
  /** dir 'event': the application event. */
  event?: StackEvent;
  /** dir 'call': the user call, its connection and data. */
  call?: CallRecord;
  /** dir 'time': ms advanced. */
  ms?: number;
  /** dir 'time': the virtual clock moved in one step, so what the stack sent meanwhile is stamped at its end. */
  jump?: boolean;
  /** dir 'state': the state observed for the tuple. */
  state?: State;
  /** dir 'in': an ICMP error delivered instead of a segment (then seg is undefined). */
  icmp?: IcmpError;
  /** dir 'in': a probe label that property checks look for. */
  probe?: string;
  /** dir 'in': delivered with others at once (deliverBatch): entries of one batch share the number. */
  batch?: number;
}

/** Record a time advance; consecutive advances with nothing in between read as one entry. */
export function pushTime(trace: TraceEntry[], t: number, ms: number, jump = false): void {
  const last = trace[trace.length - 1];
  if (last?.dir === 'time' && last.t + (last.ms ?? 0) === t) {
    last.ms = (last.ms ?? 0) + ms;
    last.text = `+${last.ms} ms`;
    if (jump) last.jump = true;
  } else trace.push({ t, dir: 'time', text: `+${ms} ms`, ms, ...(jump ? { jump } : {}) });
}

export const eventText = (ev: StackEvent): string =>
  `${ev.type}${ev.type === 'data' ? ` ${ev.data.length} octets` : ''}${
    ev.type === 'urgent-pending' ? (ev.pending ? ' yes' : ' no') : ''
  } (conn ${ev.conn})`;
