// Short ladders for golden-trace tests: one line per trace entry, in the spirit of RFC 9293's figures.
//   call listen | call connect c1 | call write c1 hello [more] | call close c1
//   in  S 300 win=1000 mss=536 wscale=7 nops=1   (nops: NOPs before the MSS; peer 10.0.0.2:40000 -> stack 10.0.0.1:80)
//   out SA 100 ack=301 data=hi      (stack -> peer)
//   event accepted c1 | event data c1 hello | time 200
import type { TraceEntry } from '../../src/harness/trace.js';
import type { StackEvent } from '../../src/stacks/adapter.js';
import { type Segment, describe, parseFlags } from '../../src/wire/segment.js';

const STACK = { addr: '10.0.0.1', port: 80 };
const PEER = { addr: '10.0.0.2', port: 40000 };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function segment(dir: 'in' | 'out', words: string[]): Segment {
  const [flags, seq, ...rest] = words;
  const kv = Object.fromEntries(rest.map((w) => w.split('=') as [string, string]));
  const [from, to] = dir === 'in' ? [PEER, STACK] : [STACK, PEER];
  return {
    src: from.addr,
    dst: to.addr,
    srcPort: from.port,
    dstPort: to.port,
    seq: Number(seq) >>> 0,
    ack: kv.ack === undefined ? 0 : Number(kv.ack) >>> 0,
    flags: parseFlags(flags!)!,
    window: kv.win === undefined ? 65535 : Number(kv.win),
    urgent: 0,
    options: [
      ...Array.from({ length: Number(kv.nops ?? 0) }, () => ({ kind: 'nop' as const })),
      ...(kv.mss === undefined ? [] : [{ kind: 'mss' as const, value: Number(kv.mss) }]),
      ...(kv.wscale === undefined ? [] : [{ kind: 'wscale' as const, shift: Number(kv.wscale) }]),
    ],
    payload: kv.data === undefined ? new Uint8Array(0) : bytes(kv.data),
  };
}

function event(words: string[]): StackEvent {
  const [type, conn, arg] = words as [StackEvent['type'], string, string | undefined];
  if (type === 'accepted') return { type, conn, localPort: STACK.port, remote: PEER };
  if (type === 'data') return { type, conn, data: bytes(arg ?? '') };
  if (type === 'error') return { type, conn, message: arg ?? 'error' };
  return { type, conn } as StackEvent;
}

export function ladder(lines: string[]): TraceEntry[] {
  let t = 0;
  return lines.map((line): TraceEntry => {
    const [dir, ...w] = line.trim().split(/\s+/);
    if (dir === 'in' || dir === 'out') {
      const seg = segment(dir, w);
      return { t, dir, text: describe(seg), seg };
    }
    if (dir === 'event') {
      const ev = event(w);
      return { t, dir: 'event', text: `${ev.type} (conn ${ev.conn})`, event: ev };
    }
    if (dir === 'time') {
      const ms = Number(w[0]);
      t += ms;
      return { t: t - ms, dir: 'time', text: `+${ms} ms`, ms };
    }
    const [name, conn, data, how] = w as [string, string | undefined, string | undefined, string | undefined];
    const call: NonNullable<TraceEntry['call']> = { name };
    if (how === 'more') call.push = false; // a write without the PUSH flag
    if (name === 'listen') call.port = STACK.port;
    if (name === 'connect') Object.assign(call, { port: STACK.port, remote: PEER });
    if (conn) call.conn = conn;
    if (data) call.data = bytes(data);
    return { t, dir: 'call', text: line, call };
  });
}
