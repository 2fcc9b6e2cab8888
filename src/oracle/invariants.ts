// Invariants judged on every trace, whatever the scenario. Each one is sound for any input: a
// correct stack can never trip it, because it only uses what the stack itself sent and what
// actually reached it.
import { ACK, FIN, RST, SYN, describe, mssOf } from '../wire/segment.js';
import { seqDelta } from '../wire/seq.js';
import type { StackProfile } from '../stacks/adapter.js';
import type { TraceEntry } from '../trace/runner.js';
import { keyOfOut, ShadowWalker } from './shadow.js';
import type { Violation } from './types.js';

export interface InvariantInfo {
  name: string;
  requirements: string[];
  section: string;
  title: string;
}

export const INVARIANTS: readonly InvariantInfo[] = [
  { name: 'seq-space', requirements: [], section: '§3.4', title: 'SYN and FIN each consume exactly one sequence number, pure ACKs and RSTs none; the byte stream is what the application wrote, retransmissions carry the same octets, nothing follows the FIN, never a second FIN' },
  { name: 'ack-received', requirements: [], section: '§3.4, §3.10.7.4 step 7', title: 'never acknowledge sequence space that did not reach the stack' },
  { name: 'peer-window', requirements: ['MUST-36'], section: '§3.8.6, §3.10.2', title: "never send beyond the peer's offered window (one octet zero-window probes allowed)" },
  { name: 'mss', requirements: ['MUST-14', 'MUST-15', 'MUST-16', 'MUST-65'], section: '§3.7.1', title: "segments fit the peer's MSS (536 when it sent none); MSS only on SYNs" },
  { name: 'no-data-before-established', requirements: [], section: '§3.10.2, §3.10.7', title: 'no data sent before the SYN is acknowledged, none delivered to the application before the connection is established' },
  { name: 'no-rst-for-rst', requirements: [], section: '§3.5.2', title: 'a RST is never answered with a RST' },
  { name: 'in-order-delivery', requirements: [], section: '§3.10.7.4 step 7', title: 'the application receives the peer\'s octets in order, exactly once' },
];

const info = (name: string): InvariantInfo => INVARIANTS.find((i) => i.name === name)!;

/** Profile-independent by design: nothing here depends on what a stack declares. */
export function checkInvariants(trace: TraceEntry[], _profile?: StackProfile): Violation[] {
  const w = new ShadowWalker();
  const out: Violation[] = [];
  const flag = (name: string, at: number, message: string, offending?: string, allowed?: string): void => {
    const i = info(name);
    out.push({ property: name, requirements: i.requirements, section: i.section, message, at, ...(offending ? { offending } : {}), ...(allowed ? { allowed } : {}) });
  };
  let lastInput = -1;
  trace.forEach((e, at) => {
    if (e.dir === 'in' || e.dir === 'call' || e.dir === 'time') {
      w.apply(e, at);
      lastInput = at;
      return;
    }
    if (e.dir === 'event' && e.event) {
      const ev = e.event;
      if (ev.type === 'data') {
        const c = w.forConn(ev.conn);
        if (!c || !c.established) {
          flag('no-data-before-established', at, `the application received ${ev.data.length} octets on connection ${ev.conn} before it was established`, e.text, 'data only after accepted/connected');
        } else {
          for (let i = 0; i < ev.data.length; i++) {
            const k = c.delivered + i;
            const cands = c.peerBytes.get(k);
            if (!cands || !cands.has(ev.data[i]!)) {
              flag('in-order-delivery', at, `octet ${k} delivered to the application (0x${ev.data[i]!.toString(16)}) is not what the peer sent at that position${cands ? '' : ' (nothing reached the stack there)'}`, e.text, cands ? `one of ${[...cands].map((b) => `0x${b.toString(16)}`).join(', ')}` : 'no delivery until that octet arrives');
              break;
            }
          }
        }
      }
      w.apply(e, at);
      return;
    }
    if (e.dir !== 'out' || !e.seg) {
      w.apply(e, at);
      return;
    }
    const s = e.seg;
    const txt = describe(s);
    const c = w.get(keyOfOut(s));
    // a RST answering a RST
    if (s.flags & RST) {
      const cause = trace[lastInput];
      if (cause && cause.dir === 'in' && cause.seg && cause.seg.flags & RST) flag('no-rst-for-rst', at, 'the stack answered a RST with a RST', txt, 'no reply to a RST');
      w.apply(e, at);
      return;
    }
    if (mssOf(s) !== undefined && !(s.flags & SYN)) flag('mss', at, 'MSS option on a segment without SYN (MUST-65)', txt, 'MSS only on SYN segments');
    if (s.flags & SYN && c.stackIss !== undefined && s.seq !== c.stackIss && !c.mayHaveEnded) {
      flag('seq-space', at, `SYN with ISN ${s.seq}, but this connection's ISN is ${c.stackIss}`, txt, `SEQ=${c.stackIss} (a retransmitted SYN keeps its ISN)`);
    }
    const synSeq = s.flags & SYN ? s.seq : c.stackIss;
    if (s.flags & SYN && s.payload.length > 0) flag('no-data-before-established', at, `${s.payload.length} data octets on a SYN`, txt, 'no data before the handshake completes');
    if (synSeq !== undefined && !(s.flags & SYN)) {
      const off = seqDelta(s.seq, synSeq);
      const len = s.payload.length;
      if (off < 1) flag('seq-space', at, `segment at sequence offset ${off} from the ISN: the SYN did not consume its sequence number`, txt, `SEQ >= ISN+1 = ${(synSeq + 1) >>> 0}`);
      else if (off > c.stackMax) flag('seq-space', at, `segment starts ${off - c.stackMax} past the highest sequence number sent (${(synSeq + c.stackMax) >>> 0})`, txt, `SEQ <= ${(synSeq + c.stackMax) >>> 0}`);
      const pureAck = len === 0 && !(s.flags & FIN);
      if (pureAck && off >= 1 && off < c.peerAckMax) {
        flag('seq-space', at, `pure ACK at SEQ=${s.seq}, below SND.UNA=${(synSeq + c.peerAckMax) >>> 0} that the peer already acknowledged (a FIN or SYN did not consume its sequence number)`, txt, `SEQ=SND.NXT >= ${(synSeq + c.peerAckMax) >>> 0}`);
      }
      if (len > 0) {
        if (!c.synAcked) flag('no-data-before-established', at, 'data sent before the peer acknowledged the SYN', txt, 'data only once ESTABLISHED');
        const dataOff = off - 1;
        if (c.stackFinOff !== undefined && off + len > c.stackFinOff) flag('seq-space', at, `data at offsets up to ${off + len - 1}, past the FIN at ${c.stackFinOff}`, txt, 'nothing after the FIN');
        for (let i = 0; i < len; i++) {
          const k = dataOff + i;
          const prev = c.stackBytes.get(k);
          if (prev !== undefined && prev !== s.payload[i]) {
            flag('seq-space', at, `retransmission changed octet ${k} (0x${prev.toString(16)} -> 0x${s.payload[i]!.toString(16)})`, txt, 'the same octets at the same sequence numbers');
            break;
          }
          if (c.conn !== undefined && (k >= c.written.length || c.written[k] !== s.payload[i])) {
            flag('seq-space', at, k >= c.written.length ? `octet ${k} sent, but the application wrote only ${c.written.length}` : `octet ${k} differs from what the application wrote`, txt, 'exactly the written byte stream');
            break;
          }
        }
        // peer-window: never beyond the right edge offered (one octet allowed for a zero-window probe)
        if (c.peerEdge !== undefined && off + len > c.peerEdge + 1) {
          flag('peer-window', at, `data up to offset ${off + len} beyond the peer's window edge ${c.peerEdge}`, txt, `SEQ+LEN <= SND.UNA+SND.WND = ${(synSeq + c.peerEdge) >>> 0}`);
        }
        const mss = c.peerMss ?? 536;
        if (len > mss) flag('mss', at, `${len} data octets exceed the peer's MSS ${mss}${c.peerMss === undefined ? ' (536 when the SYN carried none, MUST-15)' : ''}`, txt, `at most ${mss} octets`);
      }
      if (s.flags & FIN) {
        const finOff = off + len;
        if (c.stackFinOff !== undefined && finOff !== c.stackFinOff) flag('seq-space', at, `a second FIN at offset ${finOff}; the first was at ${c.stackFinOff}`, txt, `the FIN only at offset ${c.stackFinOff}`);
        if (c.conn !== undefined && !c.closeCalled) flag('seq-space', at, 'FIN sent although the application never closed', txt, 'FIN only after CLOSE');
      }
    }
    // ack-received
    if (s.flags & ACK && c.peerIss !== undefined) {
      const a = seqDelta(s.ack, c.peerIss);
      const end = c.covEnd();
      if (s.flags & SYN) {
        if (!c.peerSyns.has((s.ack - 1) >>> 0)) flag('ack-received', at, `SYN,ACK acknowledges ${s.ack}, but no SYN with SEQ=${(s.ack - 1) >>> 0} reached the stack`, txt);
      } else if (!c.stackAckedAny && c.peerSyns.has((s.ack - 1) >>> 0)) {
        // the stack's first ACK names the peer SYN it accepted: nothing to judge yet
      } else if (a > end) flag('ack-received', at, `acknowledges ${s.ack}, but the peer's sequence space reached the stack only up to ${(c.peerIss + end) >>> 0}`, txt, `ACK <= ${(c.peerIss + end) >>> 0}`);
    }
    w.apply(e, at);
  });
  return out;
}
