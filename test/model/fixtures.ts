// Fixtures per state: drive a TCB there through the model itself, with a fixed ISN.
import { expect } from 'vitest';
import { makeConfig } from '../../src/model/config.js';
import { step } from '../../src/model/step.js';
import { createTcb } from '../../src/model/tcb.js';
import type { AppEvent, ModelConfig, ModelEvent, StepResult, Tcb } from '../../src/model/types.js';
import { ACK, type Segment, flagString, parseFlags } from '../../src/wire/segment.js';
import { seqAdd } from '../../src/wire/seq.js';

export const LOCAL = { addr: '10.0.0.1', port: 80 };
export const REMOTE = { addr: '10.0.0.2', port: 40000 };
export const ISS = 1000; // ours
export const IRS = 5000; // the peer's

export function cfg(over: Partial<ModelConfig> = {}): ModelConfig {
  return makeConfig({ isn: () => ISS, ...over });
}

/** A segment from the peer. */
export function seg(flags: string, seq: number, ack = 0, extra: Partial<Segment> = {}): Segment {
  const f = parseFlags(flags);
  if (f === undefined) throw new Error(`bad flags ${flags}`);
  return {
    src: REMOTE.addr,
    dst: LOCAL.addr,
    srcPort: REMOTE.port,
    dstPort: LOCAL.port,
    seq,
    ack: f & ACK ? ack : 0,
    flags: f,
    window: 65535,
    urgent: 0,
    options: [],
    payload: new Uint8Array(0),
    ...extra,
  };
}

export const data = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A tiny driver: keeps the TCB and clock, records everything emitted. */
export class Drive {
  tcb: Tcb;
  now = 0;
  last!: StepResult;
  segs: Segment[] = [];
  app: AppEvent[] = [];
  constructor(c: ModelConfig = cfg()) {
    this.tcb = createTcb(c, LOCAL);
  }
  do(ev: ModelEvent): StepResult {
    this.last = step(this.tcb, ev, this.now);
    this.tcb = this.last.tcb;
    this.segs.push(...this.last.segments);
    this.app.push(...this.last.appEvents);
    return this.last;
  }
  in(s: Segment): StepResult {
    return this.do({ type: 'segment', seg: s });
  }
  /** Advance the clock, firing due timers in order. */
  wait(ms: number): Segment[] {
    const target = this.now + ms;
    const out: Segment[] = [];
    for (;;) {
      const due = Object.entries(this.tcb.timers)
        .filter(([, at]) => at !== undefined && at <= target)
        .sort((a, b) => a[1]! - b[1]!)[0];
      if (!due) break;
      this.now = Math.max(this.now, due[1]!);
      out.push(...this.do({ type: 'timeout', timer: due[0] as never }).segments);
    }
    this.now = target;
    return out;
  }
  get state(): string {
    return this.tcb.state;
  }
  /** Segments of the last step as compact text: "SA 1000/5001". */
  out(): string[] {
    return this.last.segments.map(show);
  }
  events(): string[] {
    return this.last.appEvents.map((e) => (e.type === 'error' ? `error:${e.code}` : e.type));
  }
}

export const show = (s: Segment): string =>
  `${flagString(s.flags)} ${s.seq}${s.flags & ACK ? `/${s.ack}` : ''}${s.payload.length ? ` +${s.payload.length}` : ''}`;

// ---- fixtures, one per state ----

export function listen(c?: ModelConfig): Drive {
  const d = new Drive(c);
  d.do({ type: 'open', passive: true });
  expect(d.state).toBe('LISTEN');
  return d;
}
export function synSent(c?: ModelConfig): Drive {
  const d = new Drive(c);
  d.do({ type: 'open', passive: false, remote: REMOTE });
  expect(d.state).toBe('SYN-SENT');
  return d;
}
export function synReceivedPassive(c?: ModelConfig): Drive {
  const d = listen(c);
  d.in(seg('S', IRS));
  expect(d.state).toBe('SYN-RECEIVED');
  return d;
}
export function synReceivedActive(c?: ModelConfig): Drive {
  const d = synSent(c);
  d.in(seg('S', IRS));
  expect(d.state).toBe('SYN-RECEIVED');
  return d;
}
export function established(c?: ModelConfig): Drive {
  const d = synReceivedPassive(c);
  d.in(seg('A', IRS + 1, ISS + 1));
  expect(d.state).toBe('ESTABLISHED');
  return d;
}
export function finWait1(c?: ModelConfig): Drive {
  const d = established(c);
  d.do({ type: 'close' });
  expect(d.out()).toEqual([`FA ${ISS + 1}/${IRS + 1}`]);
  expect(d.state).toBe('FIN-WAIT-1');
  return d;
}
export function finWait2(c?: ModelConfig): Drive {
  const d = finWait1(c);
  d.in(seg('A', IRS + 1, ISS + 2));
  expect(d.state).toBe('FIN-WAIT-2');
  return d;
}
export function closeWait(c?: ModelConfig): Drive {
  const d = established(c);
  d.in(seg('FA', IRS + 1, ISS + 1));
  expect(d.state).toBe('CLOSE-WAIT');
  return d;
}
export function closing(c?: ModelConfig): Drive {
  const d = finWait1(c);
  d.in(seg('FA', IRS + 1, ISS + 1));
  expect(d.state).toBe('CLOSING');
  return d;
}
export function lastAck(c?: ModelConfig): Drive {
  const d = closeWait(c);
  d.do({ type: 'close' });
  expect(d.state).toBe('LAST-ACK');
  return d;
}
export function timeWait(c?: ModelConfig): Drive {
  const d = finWait2(c);
  d.in(seg('FA', IRS + 1, ISS + 2));
  expect(d.state).toBe('TIME-WAIT');
  return d;
}

export const SEQ = { iss1: seqAdd(ISS, 1), irs1: seqAdd(IRS, 1) };
