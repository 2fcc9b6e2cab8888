// Turns an executed trace into a vector that replays the same inputs: calls, injected segments
// and time advances. Values from the stack's sequence space are written relative to its ISN
// (sisn_<peer port>, bound by the runner from the stack's SYN), so the vector does not depend on
// the ISN the stack happens to pick.
import { ACK, SYN, type TcpOption, ecnName, flagString } from '../wire/segment.js';
import { seqDiff } from '../wire/seq.js';
import type { TraceEntry } from '../harness/trace.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function optionJson(o: TcpOption): Record<string, unknown> {
  switch (o.kind) {
    case 'mss':
      return { mss: o.value };
    case 'wscale':
      return { wscale: o.shift };
    case 'sackPermitted':
      return { sackPermitted: true };
    case 'sack':
      return { sack: o.blocks };
    case 'timestamps':
      return { timestamps: [o.tsval, o.tsecr] };
    case 'nop':
      return { nop: true };
    case 'eol':
      return { eol: true };
    case 'unknown':
      return { unknown: { type: o.type, hex: hex(o.data) } };
    case 'raw':
      return { raw: hex(o.bytes) };
  }
}

export interface ExportOptions {
  name: string;
  title?: string;
  requirements?: string[];
  check: string[];
  origin?: Record<string, unknown>;
  stack?: { addr: string; port: number };
  peer?: { addr: string; port: number };
}

export function traceToVector(trace: TraceEntry[], o: ExportOptions): Record<string, unknown> {
  const stack = o.stack ?? { addr: '10.0.0.1', port: 80 };
  const peer = o.peer ?? { addr: '10.0.0.2', port: 40000 };
  const isn = new Map<number, number>();
  const steps: Array<Record<string, unknown>> = [];
  for (const e of trace) {
    if (e.dir === 'out' && e.seg && e.seg.flags & SYN && !isn.has(e.seg.dstPort)) isn.set(e.seg.dstPort, e.seg.seq);
    // Advances are kept one by one: outputs are time-stamped at the end of each, as they were recorded.
    if (e.dir === 'time' && e.ms) {
      steps.push({ advance: e.ms });
    } else if (e.dir === 'call' && e.call) {
      const c = e.call;
      const step: Record<string, unknown> = { call: c.name };
      if (c.name === 'write' && c.data) step.hex = hex(c.data);
      if (c.name === 'control' && c.control) step.control = c.control;
      if ((c.name === 'listen' || c.name === 'connect') && c.port !== undefined && c.port !== stack.port)
        step.port = c.port;
      if (c.name === 'connect' && c.remote && c.remote.port !== peer.port) step.peerPort = c.remote.port;
      steps.push(step);
    } else if (e.dir === 'in' && e.icmp) {
      const q = e.icmp.quoted;
      // A misdirected error quotes a peer port with no connection: its number is still the stack's on the real one.
      const port = isn.has(q.dstPort) ? q.dstPort : peer.port;
      const base = isn.get(port);
      const seq = base === undefined ? q.seq : `sisn_${port}+${seqDiff(q.seq, base)}`;
      const icmp: Record<string, unknown> = { type: e.icmp.type, code: e.icmp.code, seq };
      if (q.dstPort !== peer.port) icmp.peerPort = q.dstPort;
      if (q.srcPort !== stack.port) icmp.port = q.srcPort;
      steps.push({ icmp, ...(e.probe ? { probe: e.probe } : {}) });
    } else if (e.dir === 'in' && e.seg) {
      const s = e.seg;
      const seg: Record<string, unknown> = { flags: flagString(s.flags), seq: s.seq };
      if (s.flags & ACK || s.ack !== 0) {
        const base = isn.get(s.srcPort);
        seg.ack = base === undefined ? s.ack : `sisn_${s.srcPort}+${seqDiff(s.ack, base)}`;
      }
      if (s.window !== 65535) seg.win = s.window;
      if (s.payload.length) seg.hex = hex(s.payload);
      if (s.options.length) seg.options = s.options.map(optionJson);
      if (s.badChecksum) seg.badChecksum = true;
      if (s.srcPort !== peer.port) seg.peerPort = s.srcPort;
      if (s.dstPort !== stack.port) seg.port = s.dstPort;
      if (s.src !== peer.addr) seg.from = s.src;
      if (s.dst !== stack.addr) seg.to = s.dst;
      if (s.ipOptions?.length) seg.ipOptions = hex(s.ipOptions);
      if (ecnName(s)) seg.ecn = ecnName(s);
      const step: Record<string, unknown> = { inject: seg };
      if (e.probe) step.probe = e.probe;
      steps.push(step);
    }
  }
  return {
    name: o.name,
    title: o.title ?? o.name,
    requirements: o.requirements ?? [],
    allowExtra: true,
    check: o.check,
    ...(o.origin ? { origin: o.origin } : {}),
    steps: steps.length ? steps : [{ advance: 0 }],
  };
}
