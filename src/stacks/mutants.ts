// Seeded-fault variants of the reference stack: each is a realistic implementation bug, made by
// wrapping the model's step (or the host's closed-port reply, or its checksum check). The suite
// must catch every one of them: `tcp-conform mutants`.
import { makeConfig, tupleHash } from '../model/config.js';
import { acceptableSeq } from '../model/arrive.js';
import { makeSegment } from '../model/output.js';
import { step } from '../model/step.js';
import type { AppEvent, ModelEvent, StepResult, Tcb } from '../model/types.js';
import { type IcmpClass, icmpClass } from '../wire/icmp.js';
import { ACK, FIN, PSH, RST, SYN, type Segment, mssOffset, segLen } from '../wire/segment.js';
import { seqAdd, seqDelta, seqGt, seqInWindow, withNaiveSeqCompare } from '../wire/seq.js';
import type { StackAdapter } from './adapter.js';
import { profileFor, referenceInstance } from './reference/adapter.js';
import { type HostOptions, ReferenceHost, type StepFn } from './reference/host.js';

export interface Mutant {
  name: string;
  /** The bug, in one line. */
  bug: string;
  /** What it breaks (requirement ids or RFC sections). */
  breaks: string;
  options: Omit<HostOptions, 'addr'>;
}

/**
 * The checks that name each mutant's fault: a kill counts only when one of them finds it (a check id, a family
 * "time-wait" for "time-wait/…", or a last part such as "fin-order").
 */
export const CAUGHT_BY: Record<string, readonly string[]> = {
  'syn-no-seq': ['seq-space'],
  'fin-no-seq': ['seq-space'],
  'time-wait-1msl': ['time-wait'],
  'time-wait-none': ['time-wait'],
  'time-wait-fin-ignored': ['time-wait'],
  'time-wait-syn-reset': ['syn-in-time-wait'],
  'time-wait-no-restart': ['time-wait'],
  'syn-data-early': ['no-data-before-established'],
  'data-in-syn-sent': ['no-data-before-established'],
  'syn-sent-bad-ack-accepted': ['syn-sent-ack-check'],
  'any-rst-accepted': ['rst-synchronized', 'tracker/rst-outside-window', 'tracker/rst-challenge-ack'],
  'rst-answers-rst': ['no-rst-for-rst', 'rst-closed-port'],
  'closed-port-wrong-ack': ['rst-closed-port'],
  'no-challenge-ack': ['rst-synchronized', 'tracker/rst-challenge-ack'],
  'peer-window-ignored': ['peer-window'],
  'out-of-window-data-accepted': ['in-order-delivery', 'acceptability', 'ack-received', 'tracker/unacceptable-ack'],
  'no-syn-retransmission': ['three-way-handshake', 'syn-retransmission'],
  'second-fin': ['fin-order'],
  'broken-simultaneous-open': ['simultaneous-open'],
  'simultaneous-syn-ignored': ['simultaneous-open/answers-syn'],
  'no-closing-state': ['simultaneous-close'],
  'no-send-after-fin': ['half-close'],
  'close-wait-data-swallowed': ['half-close'],
  'ack-unreceived': ['ack-received'],
  'checksum-not-verified': ['bad-checksum-dropped'],
  // the fault is in every sequence comparison: any check of sequence space names it
  'non-modular-compare': [
    'seq-space',
    'ack-received',
    'in-order-delivery',
    'acceptability',
    'four-way-close',
    'tracker/ack-in-order',
  ],
  'mss-ignored': ['mss', 'mss-default'],
  'slow-delayed-ack': ['tracker/ack-in-order'],
  'retransmit-once': ['tracker/retransmit', 'fin-retransmission/give-up'],
  'eof-never-told': ['tracker/eof-told'],
  'pushed-data-held': ['tracker/data-told', 'data-transfer'],
  'passive-rst-reported': ['syn-received-origin'],
  'unknown-option-drops-syn': ['unknown-options'],
  'malformed-option-kills-stack': ['illegal-option-length'],
  'half-open-never-reclaimed': ['syn-flood'],
  'listen-ignores-ack': ['rst-listen'],
  'syn-resets-synchronized': ['syn-synchronized', 'tracker/syn-challenge-ack'],
  'unacceptable-silently-dropped': ['acceptability', 'tracker/unacceptable-ack'],
  'reset-reported-as-end': ['rst-synchronized/reset-reported', 'tracker/rst-resets'],
  'syn-gives-up-early': ['syn-retransmission/give-up'],
  'options-on-data-drop-segment': ['unknown-options/any-segment'],
  'no-rto-backoff': ['backoff'],
  'zero-window-not-probed': ['zero-window'],
  'zero-window-probe-no-backoff': ['zero-window/backoff'],
  'zero-window-gives-up': ['zero-window/stays-open'],
  'shrink-ignored': ['window-shrink/no-new-data'],
  'shrink-aborts': ['window-shrink/no-give-up'],
  'shrink-stalls': ['window-shrink/retransmit'],
  'synsent-any-rst-refuses': ['syn-sent-ack-check', 'tracker/synsent-rst-ignored'],
  'synrcvd-any-ack-accepted': ['syn-received-origin', 'tracker/synrcvd-bad-ack-resets'],
  'ack-bit-off-taken': ['tracker/ack-bit-off'],
  'window-edge-shrinks': ['window-edge'],
  'no-psh': ['psh-last'],
  'push-mid-queue-missing': ['push-write'],
  'push-never-told': ['push-received'],
  'push-always-told': ['push-received'],
  'rst-with-data-ignored': ['rst-synchronized/with-data'],
  'mss-option-without-length': ['option-length'],
  'option-padding-garbage': ['option-padding'],
  'ack-range-check-missing': ['tracker/ack-too-old'],
  'wscale-on-data': ['window-scale/syn-only'],
  'wscale-unasked': ['window-scale/unasked'],
  'wscale-unshifted': ['tracker', 'peer-window', 'in-order-delivery', 'seq-space'],
  'mss-only-first-option': ['mss-layout'],
  'syn-without-mss': ['mss-on-syn'],
  'window-read-signed': ['data-transfer/large-window'],
  'isn-random': ['isn-clock'],
  'keep-alive-on-by-default': ['keep-alive-off-by-default'],
  'keep-alive-control-ignored': ['keep-alive-enabled'],
  'keep-alive-not-stopped': ['keep-alive-enabled/off'],
  'keep-alive-idle-interval-swapped': ['keep-alive-enabled/idle-time', 'keep-alive-enabled/default-idle'],
  'keep-alive-one-probe': ['keep-alive-enabled/one-lost'],
  'keep-alive-while-busy': ['keep-alive-enabled/only-idle'],
  'keep-alive-garbage-octet': ['keep-alive-enabled/no-data'],
  'keep-alive-garbage-ignored': ['keep-alive-garbage'],
  'zero-window-drops-rst': ['rst-in-zero-window'],
  'listen-needs-free-port': ['listen-beside-connections/beside-opening'],
  'listen-resets-connections': ['listen-beside-connections/undisturbed'],
  'ack-only-on-timer': ['ack-every-second'],
  'out-of-order-dropped': ['out-of-order-kept'],
  'tail-held-for-more-data': ['data-transfer/sent-eventually', 'data-transfer/large-window', 'push-send/sent'],
  'short-segments-split': ['data-transfer/full-sized'],
  'segment-per-write': ['data-transfer/psh-collapsed'],
  'ip-header-assumed-20': ['ip-options-ignored'],
  'syn-to-broadcast-answered': ['bad-address-syn/to-broadcast'],
  'syn-from-invalid-source-answered': ['bad-address-syn/from-invalid'],
  'synsent-acceptable-rst-ignored': ['syn-sent-ack-check/refused', 'tracker/synsent-rst-refused'],
  'icmp-soft-aborts': ['tracker/icmp-soft-goes-on'],
  'icmp-quench-aborts': ['tracker/icmp-quench-ignored'],
  'icmp-hard-ignored': ['tracker/icmp-hard-aborts'],
  'icmp-ignores-quoted-port': ['icmp'],
  'nagle-off': ['nagle'],
  'nodelay-ignored': ['nagle/nodelay'],
  'user-timeout-ignored': ['user-timeout'],
  'sender-sws-off': ['sender-sws'],
  'receiver-sws-off': ['receiver-sws'],
  'ecn-refused': ['ecn/agrees'],
  'ecn-unasked': ['ecn/unasked'],
  'ecn-ect-on-ack': ['ecn/ect'],
  'ecn-no-echo': ['ecn/echo'],
  'ecn-no-cwr': ['ecn/cwr'],
  'urgent-event-missing': ['urgent-event/event'],
  'urgent-pending-never': ['urgent-pending'],
  'return-route-ignored': ['source-route'],
  'return-route-not-reversed': ['source-route'],
  'return-route-kept': ['source-route/replaced'],
  'batch-acked-per-segment': ['batched-acks'],
  'ttl-ignored': ['ttl'],
  'dscp-ignored': ['dscp'],
  'dscp-first-only': ['dscp/change'],
  'urgent-pointer-last-octet': ['urgent-send'],
  'urgent-flag-end-segment-only': ['urgent-send/long'],
  'urgent-write-ignored': ['urgent-send'],
  'urgent-octet-out-of-line': ['urgent-receive', 'in-order-delivery'],
};

/** Does check id `check` belong to the named cause `name` (itself, its family, or its last part)? */
export const namesCause = (name: string, check: string): boolean =>
  check === name || check.startsWith(`${name}/`) || check.endsWith(`/${name}`);

type Pre = (t: Tcb, ev: ModelEvent, now: number) => { t?: Tcb; ev?: ModelEvent; result?: StepResult } | undefined;
type Post = (before: Tcb, ev: ModelEvent, r: StepResult, now: number) => StepResult;

const SYNCED = new Set(['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT']);
const seg = (ev: ModelEvent): Segment | undefined => (ev.type === 'segment' ? ev.seg : undefined);
const unchanged = (t: Tcb): StepResult => ({ tcb: t, segments: [], appEvents: [], timers: [] });

function wrap(pre?: Pre, post?: Post): StepFn {
  return (t, ev, now) => {
    const p = pre?.(t, ev, now);
    if (p?.result) return p.result;
    const r = step(p?.t ?? t, p?.ev ?? ev, now);
    return post ? post(t, p?.ev ?? ev, r, now) : r;
  };
}

const withSeg = (_ev: ModelEvent, s: Segment): ModelEvent => ({ type: 'segment', seg: s });

/** The model sees arriving segments that match `when` as `as` makes them (a parser or input-path fault). */
const rewriteArriving = (when: (t: Tcb, s: Segment) => boolean, as: (s: Segment) => Segment): StepFn =>
  wrap((t, ev) => {
    const s = seg(ev);
    return s && when(t, s) ? { ev: withSeg(ev, as(s)) } : undefined;
  });

/** A mutant that tells the application something else: each event of `type` becomes what `as` gives (or none). */
const rewriteEvents = (type: AppEvent['type'], as: (e: AppEvent) => AppEvent | undefined): StepFn =>
  wrap(undefined, (_b, _ev, r) =>
    r.appEvents.some((e) => e.type === type)
      ? { ...r, appEvents: r.appEvents.flatMap((e) => (e.type === type ? (as(e) ?? []) : [e])) }
      : r,
  );

/** A mutant that silently drops the segments `when` picks. */
const dropWhen = (when: (t: Tcb, s: Segment) => boolean) =>
  wrap((t, ev) => {
    const s = seg(ev);
    return s && when(t, s) ? { result: unchanged(t) } : undefined;
  });

/** A mutant that takes the segments `when` picks as if they were `how` made them. */
const rewriteWhen = (when: (t: Tcb, s: Segment) => boolean, how: (t: Tcb, s: Segment) => Segment) =>
  wrap((t, ev) => {
    const s = seg(ev);
    return s && when(t, s) ? { ev: withSeg(ev, how(t, s)) } : undefined;
  });

/** A step override for a bare SYN (no ACK, no RST) arriving in one state. */
const onBareSyn = (state: Tcb['state'], result: (t: Tcb) => StepResult) =>
  wrap((t, ev) => {
    const s = seg(ev);
    return t.state === state && s && (s.flags & (SYN | ACK | RST)) === SYN ? { result: result(t) } : undefined;
  });

/** Send <SEQ=SND.NXT><CTL=RST> and drop the connection, telling the application `events`. */
const resetAndClose = (t: Tcb, events: StepResult['appEvents']): StepResult => ({
  tcb: { ...t, state: 'CLOSED', timers: {} },
  segments: [makeSegment(t, { seq: t.sndNxt, flags: RST })],
  appEvents: events,
  timers: [],
});

/** Retransmission timeouts (those `when` picks) keep the RTO they had instead of backing it off. */
const constantRto = (when: (before: Tcb) => boolean) =>
  wrap(undefined, (b, ev, r, now) =>
    ev.type === 'timeout' && ev.timer === 'rexmt' && when(b) && r.tcb.timers.rexmt !== undefined
      ? { ...r, tcb: { ...r.tcb, rto: b.rto, timers: { ...r.tcb.timers, rexmt: now + b.rto } } }
      : r,
  );

/** ICMP errors of class `cls` are taken as if they were of type 3 code `code` (3: a hard error; 0: a soft one). */
const icmpAs = (cls: IcmpClass, code: number): StepFn =>
  wrap((_t, ev) =>
    ev.type === 'icmp' && icmpClass(ev.icmpType, ev.code) === cls ? { ev: { ...ev, icmpType: 3, code } } : undefined,
  );

export const MUTANTS: Mutant[] = [
  {
    name: 'rst-with-data-ignored',
    bug: 'a RST that carries data is dropped as if malformed',
    breaks: 'SHLD-2 (§3.5.3)',
    options: { step: dropWhen((_t, s) => (s.flags & RST) !== 0 && s.payload.length > 0) },
  },
  {
    name: 'no-psh',
    bug: 'PSH is never set, not even on the segment that empties the send queue',
    breaks: 'MUST-61 (§3.9.1.2)',
    options: { egress: (x) => ({ ...x, flags: x.flags & ~PSH }) },
  },
  {
    name: 'mss-option-without-length',
    bug: 'the MSS option is written with a length octet of 0',
    breaks: 'MUST-68 (§3.1)',
    options: {
      egress: (x) => ({
        ...x,
        options: x.options.map((o) =>
          o.kind === 'mss' ? { kind: 'raw' as const, bytes: Uint8Array.of(2, 0, o.value >> 8, o.value & 0xff) } : o,
        ),
      }),
    },
  },
  {
    name: 'wscale-on-data',
    bug: 'the Window Scale option goes on every segment, not only on the SYN',
    breaks: 'RFC 7323 §2.2',
    options: {
      model: { wscale: 2 },
      egress: (x) => (x.flags & SYN ? x : { ...x, options: [...x.options, { kind: 'wscale' as const, shift: 2 }] }),
    },
  },
  {
    name: 'wscale-unasked',
    bug: 'a SYN,ACK offers a Window Scale option although the peer’s SYN had none',
    breaks: 'RFC 7323 §2.2',
    options: { model: { wscale: 3, wscaleFault: 'unasked' } },
  },
  {
    name: 'wscale-unshifted',
    bug: 'with window scaling in effect the window field goes out unshifted: the peer reads a window 8 times too large',
    breaks: 'RFC 7323 §2.3 (RFC 9293 §3.1 Window)',
    options: { model: { wscale: 3, wscaleFault: 'unshifted' } },
  },
  {
    name: 'ack-range-check-missing',
    bug: 'a stack that claims the RFC 5961 ACK range check takes in data whose ACK is older than any window',
    breaks: 'MAY-12 (§3.10.7.4 fifth check, RFC 5961 §5.2)',
    options: { model: { noAckRangeCheck: true } },
  },
  {
    name: 'option-padding-garbage',
    bug: 'the option area of a SYN is padded after its EOL with 0xaa octets instead of zeros',
    breaks: 'MUST-69 (§3.1)',
    options: {
      egress: (x) =>
        x.flags & SYN
          ? { ...x, options: [...x.options, { kind: 'raw' as const, bytes: Uint8Array.of(0, 0xaa, 0xaa, 0xaa) }] }
          : x,
    },
  },
  {
    name: 'icmp-soft-aborts',
    bug: 'soft ICMP errors (net or host unreachable, time exceeded, parameter problem) abort the connection',
    breaks: 'MUST-56 (§3.9.2.2)',
    options: { step: icmpAs('soft', 3) },
  },
  {
    name: 'icmp-quench-aborts',
    bug: 'an ICMP source quench aborts the connection as if it were a hard error',
    breaks: 'MUST-55 (§3.9.2.2)',
    options: { step: icmpAs('quench', 3) },
  },
  {
    name: 'icmp-hard-ignored',
    bug: 'hard ICMP errors (protocol or port unreachable) are ignored like soft ones',
    breaks: 'SHLD-26, MUST-54 (§3.9.2.2)',
    options: { step: icmpAs('hard', 0) },
  },
  {
    name: 'synsent-acceptable-rst-ignored',
    bug: 'in SYN-SENT every RST is dropped, also one whose ACK acknowledges the SYN: the refusal goes unnoticed',
    breaks: '§3.10.7.3 second check',
    options: {
      step: wrap((t, ev) => {
        const s = seg(ev);
        return t.state === 'SYN-SENT' && s && s.flags & RST ? { result: unchanged(t) } : undefined;
      }),
    },
  },
  {
    name: 'ip-header-assumed-20',
    bug: 'the TCP header is read 20 octets into the datagram: with IP options the checksum fails and it is dropped',
    breaks: 'MUST-50 (§3.9.2)',
    options: { fixedIpHeader: true },
  },
  {
    name: 'syn-to-broadcast-answered',
    bug: 'segments for any destination address are taken: a SYN to a broadcast or multicast address is answered',
    breaks: 'MUST-57 (§3.9.2.3)',
    options: { anyDst: true },
  },
  {
    name: 'syn-from-invalid-source-answered',
    bug: 'the source address is never checked: a SYN from 0.0.0.0, 127.0.0.1 or a multicast address is answered',
    breaks: 'MUST-63 (§3.9.2.3)',
    options: { anySrc: true },
  },
  {
    name: 'tail-held-for-more-data',
    bug: 'the last part of a write shorter than the MSS waits for more data to fill a segment, however long it takes',
    breaks: 'MUST-60 (§3.9.1.2)',
    options: { model: { holdTail: true } },
  },
  {
    name: 'segment-per-write',
    bug:
      'writes queued together are still sent one segment (or more) each, back to back: a segment never spans two ' +
      'writes (no Nagle either, which would space them out one per ACK)',
    breaks: 'SHLD-27, SHLD-28 (§3.9.1.2)',
    options: { model: { segmentPerWrite: true, nagle: 'off' } },
  },
  {
    name: 'short-segments-split',
    bug: 'a segment of new data shorter than 1000 octets goes out as two halves, back to back',
    breaks: 'SHLD-28 (§3.9.1.2)',
    options: {
      egress: (x) => {
        const n = x.payload.length;
        if (n < 2 || n >= 1000 || x.flags & (SYN | RST)) return x;
        const h = n >> 1;
        // PSH stays on both halves: the end of a pushed write may lie in the first
        const first = { ...x, payload: x.payload.slice(0, h), flags: x.flags & ~FIN };
        return [first, { ...x, seq: seqAdd(x.seq, h), payload: x.payload.slice(h) }];
      },
    },
  },
  {
    name: 'ack-only-on-timer',
    bug: 'in-order data is acknowledged only when the 200 ms delayed-ACK timer fires, however much arrives',
    breaks: 'SHLD-19 (§3.8.6.3)',
    options: { model: { noSecondSegmentAck: true } },
  },
  {
    name: 'out-of-order-dropped',
    bug: 'the data of a segment beyond RCV.NXT is thrown away: the peer has to send it again',
    breaks: 'SHLD-31 (§3.10.7.4)',
    options: {
      step: rewriteArriving(
        (t, s) => SYNCED.has(t.state) && s.payload.length > 0 && seqGt(s.seq, t.rcvNxt),
        (s) => ({ ...s, payload: new Uint8Array(0), flags: s.flags & ~PSH }),
      ),
    },
  },
  {
    name: 'listen-needs-free-port',
    bug: 'LISTEN is refused on a port any connection uses, also one still in SYN-SENT',
    breaks: 'MUST-42 (§3.10.1)',
    options: { listenNeedsFreePort: true },
  },
  {
    name: 'listen-resets-connections',
    bug: 'a passive OPEN starts from an empty connection table: every connection is reset',
    breaks: 'MUST-41 (§3.10.1)',
    options: { listenResets: true },
  },
  {
    name: 'nagle-off',
    bug: 'no Nagle algorithm: every write goes out at once, however many short segments are unacknowledged',
    breaks: 'SHLD-7 (§3.7.4)',
    options: { model: { nagle: 'off' } },
  },
  {
    name: 'sender-sws-off',
    bug: 'no sender silly-window avoidance: every sliver of window the peer opens is filled at once',
    breaks: 'MUST-38 (§3.8.6.2.1)',
    options: { model: { noSenderSws: true } },
  },
  {
    name: 'receiver-sws-off',
    bug: 'no receiver silly-window avoidance: a shut window reopens by whatever the application read, however little',
    breaks: 'MUST-39 (§3.8.6.2.2)',
    options: { model: { noReceiverSws: true } },
  },
  {
    name: 'ecn-refused',
    bug: 'ECN is never agreed to: a SYN that asks for it gets a plain SYN,ACK',
    breaks: 'SHLD-8 (§3.8.2, RFC 3168 §6.1.1)',
    options: { model: { ecn: true, ecnFault: 'refused' } },
  },
  {
    name: 'ecn-unasked',
    bug: 'every SYN,ACK is ECN-setup (ECE), also to a SYN that did not ask for ECN',
    breaks: 'SHLD-8 (§3.8.2, RFC 3168 §6.1.1)',
    options: { model: { ecn: true, ecnFault: 'unasked' } },
  },
  {
    name: 'ecn-ect-on-ack',
    bug: 'with ECN in use, pure ACKs go out ECN-capable (ECT) too',
    breaks: 'SHLD-8 (§3.8.2, RFC 3168 §6.1.4)',
    options: { model: { ecn: true, ecnFault: 'ect-on-ack' } },
  },
  {
    name: 'ecn-no-echo',
    bug: 'a Congestion Experienced mark is never echoed: no ECE on the ACKs that follow it',
    breaks: 'SHLD-8 (§3.8.2, RFC 3168 §6.1.3)',
    options: { model: { ecn: true, ecnFault: 'no-echo' } },
  },
  {
    name: 'ecn-no-cwr',
    bug: "the peer's ECE is never answered: no CWR on the new data that follows",
    breaks: 'SHLD-8 (§3.8.2, RFC 3168 §6.1.2)',
    options: { model: { ecn: true, ecnFault: 'no-cwr' } },
  },
  {
    name: 'urgent-event-missing',
    bug: 'urgent data is delivered in line but the application is never told that it came',
    breaks: 'MUST-32 (§3.8.5)',
    options: {
      step: wrap(undefined, (_t, _ev, r) => ({ ...r, appEvents: r.appEvents.filter((x) => x.type !== 'urgent') })),
    },
  },
  {
    name: 'nodelay-ignored',
    bug: 'the no-delay control does nothing: short writes still wait for the ACK of outstanding data',
    breaks: 'MUST-17 (§3.7.4)',
    options: { noDelayIgnored: true },
  },
  {
    name: 'ttl-ignored',
    bug: 'the TTL control does nothing: every segment keeps the default TTL',
    breaks: 'MUST-49 (§3.9.2)',
    options: { ttlIgnored: true },
  },
  {
    name: 'dscp-ignored',
    bug: 'the Diffserv control does nothing: every segment carries codepoint 0',
    breaks: 'MUST-48, SHLD-22 (§3.9.1.9)',
    options: { dscpFault: 'ignored' },
  },
  {
    name: 'dscp-first-only',
    bug: 'the Diffserv codepoint is fixed by its first setting: a change mid-connection does nothing',
    breaks: 'SHLD-21 (§3.9.1.9)',
    options: { dscpFault: 'first-only' },
  },
  {
    name: 'batch-acked-per-segment',
    bug: 'segments that arrive together are acknowledged one by one, as each is processed',
    breaks: 'MUST-58, MUST-59 (§3.10.7.4)',
    options: { batchAcksEach: true },
  },
  {
    name: 'return-route-ignored',
    bug: 'a completed source route on arriving segments is ignored: the stack answers straight to the source',
    breaks: 'MUST-53 (§3.9.2.1)',
    options: { routeFault: 'ignored' },
  },
  {
    name: 'return-route-not-reversed',
    bug: 'the source route a segment came along is used as it came, not reversed',
    breaks: 'MUST-53 (§3.9.2.1)',
    options: { routeFault: 'not-reversed' },
  },
  {
    name: 'return-route-kept',
    bug: 'the first source route is kept though a later segment brings another',
    breaks: 'SHLD-24 (§3.9.2.1)',
    options: { routeFault: 'first-only' },
  },
  {
    name: 'urgent-pending-never',
    bug: 'asked whether urgent data is pending, the stack always answers no',
    breaks: 'MUST-33 (§3.8.5)',
    options: { urgentPendingNever: true },
  },
  {
    name: 'urgent-pointer-last-octet',
    bug: 'the urgent pointer names the last urgent octet instead of the one after it (the old reading of RFC 793)',
    breaks: 'MUST-62 (§3.8.5)',
    options: { model: { urgentFault: 'last-octet' } },
  },
  {
    name: 'urgent-flag-end-segment-only',
    bug: 'only the segment where the urgent data ends carries URG: the earlier segments of long urgent data do not',
    breaks: 'MUST-31 (§3.8.5)',
    options: { model: { urgentFault: 'end-segment-only' } },
  },
  {
    name: 'urgent-write-ignored',
    bug: 'an urgent write goes out as ordinary data: no URG, no urgent pointer',
    breaks: 'MUST-30 (§3.8.5)',
    options: { model: { urgentFault: 'ignored' } },
  },
  {
    name: 'urgent-octet-out-of-line',
    bug: 'the last urgent octet received is kept out of the stream (the BSD out-of-band octet)',
    breaks: 'MUST-30, MUST-31 (§3.8.5)',
    options: { model: { urgentFault: 'out-of-line' } },
  },
  {
    name: 'push-mid-queue-missing',
    bug:
      'PSH goes only on the segment that empties the send queue: a pushed write with more data queued behind ' +
      'it ends unmarked',
    breaks: 'MAY-15 (§3.9.1.2)',
    options: { model: { pushFault: 'queue-end-only' } },
  },
  {
    name: 'push-never-told',
    bug: 'RECEIVE never passes the PUSH flag on, though the adapter says it does',
    breaks: 'MAY-17 (§3.9.1.3)',
    options: { model: { pushFault: 'never-told' } },
  },
  {
    name: 'push-always-told',
    bug: 'RECEIVE marks every delivery pushed, whether or not the peer set PSH',
    breaks: 'MAY-17 (§3.9.1.3)',
    options: { model: { pushFault: 'always-told' } },
  },
  {
    name: 'user-timeout-ignored',
    bug: 'the user-timeout control does nothing: unacknowledged data is retransmitted until the default R2',
    breaks: 'MUST-21 (§3.8.3, §3.9.1.1)',
    options: { userTimeoutIgnored: true },
  },
  {
    name: 'keep-alive-on-by-default',
    bug: 'every connection sends keep-alive probes after an hour of idle, without the application asking',
    breaks: 'MUST-25, MUST-28 (§3.8.4)',
    options: { model: { keepAlive: { idle: 3_600_000, interval: 75_000, probes: 9 } } },
  },
  {
    name: 'keep-alive-control-ignored',
    bug: 'turning keep-alives on does nothing: an idle connection is never probed',
    breaks: 'MUST-24 (§3.8.4)',
    options: { keepAliveFault: 'ignored' },
  },
  {
    name: 'keep-alive-garbage-ignored',
    bug: 'the garbage-octet setting of keep-alives is taken but ignored: the probes carry no octet',
    breaks: 'MAY-6 (§3.8.4)',
    options: { keepAliveFault: 'garbage-ignored' },
  },
  {
    name: 'keep-alive-not-stopped',
    bug: 'keep-alives once turned on cannot be turned off',
    breaks: 'MUST-24 (§3.8.4)',
    options: { keepAliveFault: 'sticky' },
  },
  {
    name: 'keep-alive-idle-interval-swapped',
    bug: 'the idle time and the probe interval the application sets are swapped',
    breaks: 'MUST-27, MUST-28 (§3.8.4)',
    options: { keepAliveFault: 'swapped' },
  },
  {
    name: 'keep-alive-one-probe',
    bug: 'one keep-alive probe without an answer ends the connection',
    breaks: 'MUST-29 (§3.8.4)',
    options: { keepAliveFault: 'one-probe' },
  },
  {
    name: 'keep-alive-while-busy',
    bug: 'keep-alive probes go out while sent data is still unacknowledged',
    breaks: 'MUST-26 (§3.8.4)',
    options: { model: { keepAliveBusy: true } },
  },
  {
    name: 'keep-alive-garbage-octet',
    bug: 'every keep-alive probe carries a garbage octet (the MAY-6 setting, always on)',
    breaks: 'SHLD-12 (§3.8.4)',
    options: { model: { keepAliveGarbage: true } },
  },
  {
    name: 'zero-window-drops-rst',
    bug: 'with its receive window shut, the stack drops every segment but ACKs, RSTs included',
    breaks: 'MUST-66 (§3.4)',
    options: { model: { zeroWindowDropsRst: true } },
  },
  {
    name: 'isn-random',
    bug: 'ISNs are drawn at random for every connection, with no clock behind them',
    breaks: 'MUST-8 (§3.4.1)',
    options: { model: { isn: ({ now, local, remote }) => tupleHash(local, remote, Math.imul(now | 0, 0x2545f491)) } },
  },
  {
    name: 'window-read-signed',
    bug: 'the Window field is read as a signed 16-bit number: a window of 32768 or more becomes negative',
    breaks: 'MUST-1 (§3.1)',
    options: {
      step: wrap(undefined, (_b, ev, r) => {
        const s = seg(ev);
        const w = r.tcb.sndWnd;
        return s && s.window === w && w >= 0x8000 ? { ...r, tcb: { ...r.tcb, sndWnd: w - 0x10000 } } : r;
      }),
    },
  },
  {
    name: 'syn-without-mss',
    bug: 'SYNs carry no MSS option although the receive MSS is 1460: the peer falls back to 536',
    breaks: 'SHLD-5 (§3.7.1)',
    options: { model: { offerMss: false } },
  },
  {
    name: 'mss-only-first-option',
    bug: 'the option parser looks for the MSS only in the first option: after a NOP it assumes 536',
    breaks: 'MUST-4, MUST-14 (§3.1, §3.7.1)',
    options: {
      step: rewriteArriving(
        (_t, s) => (s.flags & SYN) !== 0 && (mssOffset(s) ?? 0) > 0,
        (s) => ({ ...s, options: s.options.filter((o) => o.kind !== 'mss') }),
      ),
    },
  },
  {
    name: 'icmp-ignores-quoted-port',
    bug: "an ICMP error goes to a connection on the quoted local port, whatever the quoted peer's port",
    breaks: 'MUST-54 (§3.9.2.2)',
    options: { icmpByLocalPort: true },
  },
  {
    name: 'window-edge-shrinks',
    bug: 'the window offered on an odd ACK number is 100 octets short: the right edge moves back and forth',
    breaks: 'SHLD-14 (§3.8.6)',
    options: {
      step: wrap(undefined, (_b, _ev, r) => ({
        ...r,
        segments: r.segments.map((x) =>
          x.flags & ACK && !(x.flags & (SYN | RST)) && x.ack & 1 ? { ...x, window: Math.max(0, x.window - 100) } : x,
        ),
      })),
    },
  },
  {
    name: 'synsent-any-rst-refuses',
    bug: 'in SYN-SENT any RST refuses the connection, whatever (or whether) it acknowledges',
    breaks: '§3.10.7.3 first and second check',
    options: {
      step: rewriteWhen(
        (t, s) => t.state === 'SYN-SENT' && (s.flags & RST) !== 0,
        (t, s) => ({ ...s, flags: s.flags | ACK, ack: t.sndNxt }),
      ),
    },
  },
  {
    name: 'synrcvd-any-ack-accepted',
    bug: 'in SYN-RECEIVED any ACK completes the handshake, acceptable or not',
    breaks: '§3.10.7.4 fifth check (SYN-RECEIVED)',
    options: {
      step: rewriteWhen(
        (t, s) => t.state === 'SYN-RECEIVED' && (s.flags & (ACK | RST | SYN)) === ACK,
        (t, s) => ({ ...s, ack: t.sndNxt }),
      ),
    },
  },
  {
    name: 'ack-bit-off-taken',
    bug: 'once synchronized, a segment without the ACK bit is processed as if it acknowledged nothing new',
    breaks: '§3.10.7.4 fifth check',
    options: {
      step: rewriteWhen(
        (t, s) => SYNCED.has(t.state) && !(s.flags & (ACK | RST | SYN)),
        (t, s) => ({ ...s, flags: s.flags | ACK, ack: t.sndUna }),
      ),
    },
  },
  {
    name: 'syn-no-seq',
    bug: 'the first data octet is numbered ISN instead of ISN+1 (the SYN consumes no sequence number)',
    breaks: '§3.4',
    options: {
      step: wrap(undefined, (b, _ev, r) =>
        b.state !== 'ESTABLISHED' && r.tcb.state === 'ESTABLISHED' && r.tcb.sndNxt === seqAdd(r.tcb.iss, 1)
          ? { ...r, tcb: { ...r.tcb, sndNxt: r.tcb.iss, sndUna: r.tcb.iss, sndBufSeq: r.tcb.iss } }
          : r,
      ),
    },
  },
  {
    name: 'fin-no-seq',
    bug: 'the FIN consumes no sequence number: SND.NXT stays at the FIN',
    breaks: '§3.4',
    options: {
      step: wrap(undefined, (b, _ev, r) =>
        b.finSeq === undefined && r.tcb.finSeq !== undefined ? { ...r, tcb: { ...r.tcb, sndNxt: r.tcb.finSeq } } : r,
      ),
    },
  },
  {
    name: 'time-wait-1msl',
    bug: 'TIME-WAIT lasts 1×MSL',
    breaks: 'MUST-13',
    options: {
      step: wrap(undefined, (b, _ev, r, now) =>
        b.state !== 'TIME-WAIT' && r.tcb.state === 'TIME-WAIT'
          ? { ...r, tcb: { ...r.tcb, timers: { timeWait: now + r.tcb.cfg.msl } } }
          : r,
      ),
    },
  },
  {
    name: 'time-wait-none',
    bug: 'no TIME-WAIT: the connection is deleted at once',
    breaks: 'MUST-13',
    options: {
      step: wrap(undefined, (b, _ev, r) =>
        b.state !== 'TIME-WAIT' && r.tcb.state === 'TIME-WAIT'
          ? { ...r, tcb: { ...r.tcb, state: 'CLOSED', timers: {} }, appEvents: [...r.appEvents, { type: 'closed' }] }
          : r,
      ),
    },
  },
  {
    name: 'time-wait-fin-ignored',
    bug: 'a retransmitted FIN in TIME-WAIT is not re-ACKed',
    breaks: 'MUST-13, §3.10.7.4 TIME-WAIT',
    options: {
      step: wrap((t, ev) =>
        t.state === 'TIME-WAIT' && seg(ev) && seg(ev)!.flags & FIN ? { result: unchanged(t) } : undefined,
      ),
    },
  },
  {
    name: 'time-wait-syn-reset',
    bug: 'a SYN in TIME-WAIT is answered with a RST whatever its sequence number, although the stack claims RFC 5961',
    breaks: 'MAY-2, RFC 5961 §4',
    options: { step: onBareSyn('TIME-WAIT', (t) => resetAndClose(t, [{ type: 'closed' }])) },
  },
  {
    name: 'time-wait-no-restart',
    bug: 'a retransmitted FIN in TIME-WAIT is re-ACKed but the 2×MSL timer is not restarted',
    breaks: 'MUST-13',
    options: {
      step: wrap(undefined, (b, ev, r) =>
        b.state === 'TIME-WAIT' && r.tcb.state === 'TIME-WAIT' && seg(ev) && seg(ev)!.flags & FIN
          ? { ...r, tcb: { ...r.tcb, timers: { ...b.timers } } }
          : r,
      ),
    },
  },
  {
    name: 'syn-data-early',
    bug: 'data on a SYN is delivered to the application in SYN-RECEIVED',
    breaks: '§3.10.7.2 third',
    options: {
      step: wrap(undefined, (b, ev, r) =>
        b.state === 'LISTEN' && seg(ev) && seg(ev)!.flags & SYN && seg(ev)!.payload.length > 0
          ? { ...r, tcb: { ...r.tcb, ooo: [] }, appEvents: [...r.appEvents, { type: 'data', data: seg(ev)!.payload }] }
          : r,
      ),
    },
  },
  {
    name: 'data-in-syn-sent',
    bug: 'data written in SYN-SENT is sent at once, before the handshake completes',
    breaks: '§3.10.2',
    options: {
      step: wrap(undefined, (b, ev, r) => {
        if (b.state !== 'SYN-SENT' || ev.type !== 'send' || ev.data.length === 0) return r;
        const s = makeSegment(r.tcb, { seq: r.tcb.sndNxt, flags: PSH, payload: ev.data });
        return { ...r, tcb: { ...r.tcb, sndNxt: seqAdd(r.tcb.sndNxt, ev.data.length) }, segments: [...r.segments, s] };
      }),
    },
  },
  {
    name: 'syn-sent-bad-ack-accepted',
    bug: 'SYN-SENT accepts a SYN,ACK whatever its ACK field says',
    breaks: '§3.10.7.3 first',
    options: {
      step: wrap((t, ev) =>
        t.state === 'SYN-SENT' && seg(ev) && (seg(ev)!.flags & (SYN | ACK)) === (SYN | ACK)
          ? { ev: withSeg(ev, { ...seg(ev)!, ack: t.sndNxt }) }
          : undefined,
      ),
    },
  },
  {
    name: 'any-rst-accepted',
    bug: 'a RST resets the connection whatever its sequence number',
    breaks: '§3.10.7.4 step 2, RFC 5961 §3',
    options: {
      step: wrap((t, ev) =>
        SYNCED.has(t.state) && seg(ev) && seg(ev)!.flags & RST
          ? { ev: withSeg(ev, { ...seg(ev)!, seq: t.rcvNxt }) }
          : undefined,
      ),
    },
  },
  {
    name: 'rst-answers-rst',
    bug: 'a RST to a closed port is answered with a RST',
    breaks: '§3.5.2',
    options: {
      closedReply: (s) => ({
        src: s.dst,
        dst: s.src,
        srcPort: s.dstPort,
        dstPort: s.srcPort,
        seq: s.flags & ACK ? s.ack : 0,
        ack: 0,
        flags: RST,
        window: 0,
        urgent: 0,
        options: [],
        payload: new Uint8Array(0),
      }),
    },
  },
  {
    name: 'closed-port-wrong-ack',
    bug: 'the RST,ACK for a closed port acknowledges SEG.SEQ, forgetting SEG.LEN',
    breaks: '§3.10.7.1',
    options: {
      closedReply: (s) =>
        s.flags & RST
          ? undefined
          : {
              src: s.dst,
              dst: s.src,
              srcPort: s.dstPort,
              dstPort: s.srcPort,
              seq: s.flags & ACK ? s.ack : 0,
              ack: s.flags & ACK ? 0 : s.seq,
              flags: s.flags & ACK ? RST : RST | ACK,
              window: 0,
              urgent: 0,
              options: [],
              payload: new Uint8Array(0),
            },
    },
  },
  {
    name: 'no-challenge-ack',
    bug: 'an in-window RST resets at once although the stack declares RFC 5961',
    breaks: 'RFC 5961 §3.2, §3.10.7.4 step 2',
    options: {
      step: wrap((t, ev) =>
        SYNCED.has(t.state) && seg(ev) && seg(ev)!.flags & RST && seqInWindow(seg(ev)!.seq, t.rcvNxt, t.rcvWnd)
          ? { ev: withSeg(ev, { ...seg(ev)!, seq: t.rcvNxt }) }
          : undefined,
      ),
    },
  },
  {
    name: 'peer-window-ignored',
    bug: "the peer's advertised window is ignored (always 65535)",
    breaks: '§3.8.6',
    options: {
      step: wrap(
        (t) => (SYNCED.has(t.state) ? { t: { ...t, sndWnd: 65535 } } : undefined),
        (_b, _ev, r) => (SYNCED.has(r.tcb.state) ? { ...r, tcb: { ...r.tcb, sndWnd: 65535 } } : r),
      ),
    },
  },
  {
    name: 'out-of-window-data-accepted',
    bug: 'data outside the receive window is taken as if it were next in sequence',
    breaks: '§3.4 Table 5, §3.10.7.4 step 1',
    options: {
      step: wrap((t, ev) =>
        SYNCED.has(t.state) &&
        seg(ev) &&
        seg(ev)!.payload.length > 0 &&
        !seqInWindow(seg(ev)!.seq, t.rcvNxt, Math.max(1, t.rcvWnd)) &&
        !(seg(ev)!.flags & (SYN | RST))
          ? { ev: withSeg(ev, { ...seg(ev)!, seq: t.rcvNxt }) }
          : undefined,
      ),
    },
  },
  {
    name: 'no-syn-retransmission',
    bug: 'a SYN is never retransmitted',
    breaks: 'MUST-19, §3.8.1',
    options: {
      step: wrap((t, ev) =>
        t.state === 'SYN-SENT' && ev.type === 'timeout' && ev.timer === 'rexmt'
          ? { result: { ...unchanged({ ...t, timers: { ...t.timers, rexmt: undefined } as Tcb['timers'] }) } }
          : undefined,
      ),
    },
  },
  {
    name: 'second-fin',
    bug: 'CLOSE in FIN-WAIT-1/2 sends another FIN with a new sequence number',
    breaks: '§3.10.4',
    options: {
      step: wrap((t, ev) => {
        if (ev.type !== 'close' || (t.state !== 'FIN-WAIT-1' && t.state !== 'FIN-WAIT-2')) return undefined;
        const s = makeSegment(t, { seq: t.sndNxt, ack: t.rcvNxt, flags: FIN | ACK });
        return {
          result: {
            tcb: { ...t, sndNxt: seqAdd(t.sndNxt, 1), finSeq: t.sndNxt },
            segments: [s],
            appEvents: [],
            timers: [],
          },
        };
      }),
    },
  },
  {
    name: 'broken-simultaneous-open',
    bug: 'a SYN arriving in SYN-SENT is treated as an error: RST and give up',
    breaks: 'MUST-10',
    options: { step: onBareSyn('SYN-SENT', (t) => resetAndClose(t, [{ type: 'refused' }, { type: 'closed' }])) },
  },
  {
    name: 'simultaneous-syn-ignored',
    bug: "a bare SYN arriving in SYN-SENT is dropped (the connection still opens through the peer's SYN,ACK)",
    breaks: 'MUST-10',
    options: { step: onBareSyn('SYN-SENT', unchanged) },
  },
  {
    name: 'no-closing-state',
    bug: "FIN-WAIT-1 goes straight to TIME-WAIT on the peer's FIN even when its own FIN is unacknowledged",
    breaks: '§3.10.7.4 step 8, Figure 13',
    options: {
      step: wrap(undefined, (b, _ev, r, now) =>
        b.state === 'FIN-WAIT-1' && r.tcb.state === 'CLOSING'
          ? { ...r, tcb: { ...r.tcb, state: 'TIME-WAIT', timers: { timeWait: now + 2 * r.tcb.cfg.msl } } }
          : r,
      ),
    },
  },
  {
    name: 'no-send-after-fin',
    bug: "SEND after the peer's FIN (CLOSE-WAIT) is refused",
    breaks: '§3.10.2, MAY-1',
    options: {
      step: wrap((t, ev) =>
        t.state === 'CLOSE-WAIT' && ev.type === 'send'
          ? { result: { ...unchanged(t), appEvents: [{ type: 'error', code: 'connection-closing' }] } }
          : undefined,
      ),
    },
  },
  {
    name: 'close-wait-data-swallowed',
    bug: "SEND after the peer's FIN is accepted but the data is never transmitted",
    breaks: '§3.10.2, MAY-1',
    options: {
      step: wrap((t, ev) => (t.state === 'CLOSE-WAIT' && ev.type === 'send' ? { result: unchanged(t) } : undefined)),
    },
  },
  {
    name: 'ack-unreceived',
    bug: 'an out-of-order segment moves RCV.NXT past the gap, acknowledging data never received',
    breaks: '§3.10.7.4 step 7',
    options: {
      step: wrap(undefined, (_b, _ev, r) => {
        if (r.tcb.ooo.length === 0 || r.tcb.finReceived) return r;
        let end = r.tcb.rcvNxt;
        for (const o of r.tcb.ooo) if (seqGt(seqAdd(o.seq, o.data.length), end)) end = seqAdd(o.seq, o.data.length);
        return {
          ...r,
          tcb: { ...r.tcb, rcvNxt: end, ooo: [] },
          segments: r.segments.map((s) => (s.flags & ACK ? { ...s, ack: end } : s)),
        };
      }),
    },
  },
  {
    name: 'checksum-not-verified',
    bug: 'arriving checksums are not verified',
    breaks: 'MUST-3',
    options: { verifyChecksum: false },
  },
  {
    name: 'non-modular-compare',
    bug: 'sequence numbers are compared as plain integers, breaking at the 2^32 wrap',
    breaks: '§3.4',
    options: { step: (t, ev, now) => withNaiveSeqCompare(() => step(t, ev, now)) },
  },
  {
    name: 'mss-ignored',
    bug: "the peer's MSS option is ignored (segments up to 1460 octets; 536 assumed never)",
    breaks: 'MUST-14, MUST-15, MUST-16',
    options: { step: wrap(undefined, (_b, _ev, r) => ({ ...r, tcb: { ...r.tcb, sndMss: r.tcb.cfg.sendMssCap } })) },
  },
  {
    name: 'slow-delayed-ack',
    bug: 'ACKs are delayed by 600 ms',
    breaks: 'MUST-40',
    options: { model: { ackDelay: 600 } },
  },
  {
    name: 'passive-rst-reported',
    bug: 'a RST in passive SYN-RECEIVED is reported to the application as a refused connection',
    breaks: 'MUST-11',
    options: {
      step: wrap(undefined, (b, ev, r) =>
        b.state === 'SYN-RECEIVED' &&
        b.origin === 'passive' &&
        r.tcb.state === 'LISTEN' &&
        seg(ev) &&
        seg(ev)!.flags & RST
          ? { ...r, appEvents: [...r.appEvents, { type: 'refused' }] }
          : r,
      ),
    },
  },
  {
    name: 'unknown-option-drops-syn',
    bug: 'a SYN carrying an option kind the stack does not know is dropped',
    breaks: 'MUST-6',
    options: {
      step: wrap((t, ev) =>
        seg(ev) && seg(ev)!.options.some((o) => o.kind === 'unknown') ? { result: unchanged(t) } : undefined,
      ),
    },
  },
  {
    name: 'malformed-option-kills-stack',
    bug: 'a segment with an illegal option length wedges the stack: it answers nothing afterwards',
    breaks: 'MUST-7',
    options: { dieOnMalformedOption: true },
  },
  {
    name: 'half-open-never-reclaimed',
    bug: 'half-open connections never time out, so a SYN flood locks the listener for good',
    breaks: '§3.10.7.2, §3.8.3',
    options: { model: { synAckRetries: 1_000_000, userTimeout: 1e12 }, backlog: 128 },
  },
  {
    name: 'listen-ignores-ack',
    bug: 'LISTEN drops an ACK-bearing segment instead of answering it with a RST',
    breaks: '§3.10.7.2 second',
    options: {
      step: wrap((t, ev) =>
        t.state === 'LISTEN' && seg(ev) && (seg(ev)!.flags & (ACK | RST)) === ACK
          ? { result: unchanged(t) }
          : undefined,
      ),
    },
  },
  {
    name: 'syn-resets-synchronized',
    bug: 'a SYN in a synchronized state is handled by the RFC 793 rule (RST) although the stack declares RFC 5961',
    breaks: 'RFC 5961 §4, §3.10.7.4 step 4',
    options: {
      step: wrap(
        (t, ev) =>
          SYNCED.has(t.state) && seg(ev) && seg(ev)!.flags & SYN
            ? { t: { ...t, cfg: { ...t.cfg, rfc5961: false } } }
            : undefined,
        (b, _ev, r) => ({ ...r, tcb: { ...r.tcb, cfg: b.cfg } }),
      ),
    },
  },
  {
    name: 'unacceptable-silently-dropped',
    bug: 'an unacceptable segment is dropped without the ACK that tells the peer where the window is',
    breaks: '§3.10.7.4 step 1',
    options: {
      step: dropWhen(
        (t, s) => SYNCED.has(t.state) && !(s.flags & RST) && !acceptableSeq(s.seq, segLen(s), t.rcvNxt, t.rcvWnd),
      ),
    },
  },
  {
    name: 'reset-reported-as-end',
    bug: 'a RST that ends a connection is reported to the application as an orderly end of stream',
    breaks: 'MUST-12',
    options: {
      step: rewriteEvents('reset', () => ({ type: 'eof' })),
    },
  },
  {
    name: 'syn-gives-up-early',
    bug: 'an unanswered SYN is given up after 5 retransmissions (about a minute), not after 3 minutes',
    breaks: 'MUST-23',
    options: { model: { synRetries: 5 } },
  },
  {
    name: 'options-on-data-drop-segment',
    bug: 'a segment without SYN that carries options is dropped (options parsed only on SYNs)',
    breaks: 'MUST-5',
    options: { step: dropWhen((t, s) => SYNCED.has(t.state) && !(s.flags & SYN) && s.options.length > 0) },
  },
  {
    name: 'no-rto-backoff',
    bug: 'retransmissions repeat at a constant RTO, without exponential backoff',
    breaks: 'MUST-19',
    options: {
      step: constantRto(() => true),
    },
  },
  {
    name: 'zero-window-not-probed',
    bug: 'the persist timer never fires: a zero window with nothing in flight stalls the sender for good',
    breaks: 'MUST-35, MUST-36',
    options: {
      step: wrap((t, ev) =>
        ev.type === 'timeout' && ev.timer === 'persist'
          ? { result: unchanged({ ...t, timers: { ...t.timers, persist: undefined } as Tcb['timers'] }) }
          : undefined,
      ),
    },
  },
  {
    name: 'zero-window-probe-no-backoff',
    bug: 'zero-window probes repeat at a constant interval (the RTO is not backed off while the window is shut)',
    breaks: 'SHLD-30',
    options: {
      step: constantRto((b) => b.sndWnd === 0),
    },
  },
  {
    name: 'zero-window-gives-up',
    bug: 'answered zero-window probes count as unanswered retransmissions: the connection is dropped at R2',
    breaks: 'MUST-37',
    options: {
      step: wrap(undefined, (b, ev, r) =>
        seg(ev) && r.tcb.sndWnd === 0 && r.tcb.sndUna === b.sndUna && r.tcb.rexmtCount < b.rexmtCount
          ? { ...r, tcb: { ...r.tcb, rexmtCount: b.rexmtCount, timers: { ...r.tcb.timers, user: b.timers.user } } }
          : r,
      ),
    },
  },
  {
    name: 'shrink-ignored',
    bug: 'a shrinking window is not taken: the sender keeps its old right edge and sends new data past the new one',
    breaks: 'SHLD-15',
    options: {
      step: wrap(undefined, (b, ev, r) => {
        const keep = seqDelta(seqAdd(b.sndUna, b.sndWnd), r.tcb.sndUna);
        return seg(ev) && SYNCED.has(b.state) && keep > r.tcb.sndWnd ? { ...r, tcb: { ...r.tcb, sndWnd: keep } } : r;
      }),
    },
  },
  {
    name: 'shrink-aborts',
    bug: 'a window shrunk below the data in flight (a negative usable window) makes the stack reset the connection',
    breaks: 'MUST-34',
    options: {
      step: wrap(undefined, (_b, ev, r) =>
        seg(ev) && r.tcb.state === 'ESTABLISHED' && seqDelta(seqAdd(r.tcb.sndUna, r.tcb.sndWnd), r.tcb.sndNxt) < 0
          ? resetAndClose(r.tcb, [{ type: 'error', code: 'retransmission-timeout' }])
          : r,
      ),
    },
  },
  {
    name: 'shrink-stalls',
    bug: 'after a window shrink the retransmission timer is cancelled: lost in-window data is never sent again',
    breaks: 'SHLD-16',
    options: {
      step: wrap(undefined, (b, ev, r) =>
        seg(ev) && SYNCED.has(b.state) && seqDelta(seqAdd(r.tcb.sndUna, r.tcb.sndWnd), seqAdd(b.sndUna, b.sndWnd)) < 0
          ? { ...r, tcb: { ...r.tcb, timers: { ...r.tcb.timers, rexmt: undefined } as Tcb['timers'] } }
          : r,
      ),
    },
  },
  {
    name: 'retransmit-once',
    bug: 'unacknowledged data or a FIN is retransmitted once, then the timer is let go: the connection stays silent',
    breaks: 'MUST-18, §3.8.1',
    options: {
      step: wrap((t, ev) =>
        SYNCED.has(t.state) && ev.type === 'timeout' && ev.timer === 'rexmt' && t.rexmtCount >= 1
          ? { result: { ...unchanged({ ...t, timers: { ...t.timers, rexmt: undefined } as Tcb['timers'] }) } }
          : undefined,
      ),
    },
  },
  {
    name: 'eof-never-told',
    bug: "the peer's FIN is acknowledged and the state moves on, but the application never hears the stream ended",
    breaks: 'MUST-12, §3.10.7.4 eighth check',
    options: {
      step: rewriteEvents('eof', () => undefined),
    },
  },
  {
    name: 'pushed-data-held',
    bug: 'received text reaches the application only when the next segment arrives, pushed or not',
    breaks: '§3.9.1.2',
    options: {
      step: wrap(undefined, (b, ev, r) => {
        if (!seg(ev)) return r;
        const held = (b as Tcb & { held?: StepResult['appEvents'] }).held ?? [];
        const now = r.appEvents.filter((e) => e.type === 'data');
        const rest = r.appEvents.filter((e) => e.type !== 'data');
        return { ...r, tcb: { ...r.tcb, held: now } as Tcb, appEvents: [...held, ...rest] };
      }),
    },
  },
];

export function mutantAdapter(name: string): StackAdapter | undefined {
  const m = MUTANTS.find((x) => x.name === name);
  if (!m) return undefined;
  const cfg = makeConfig(m.options.model ?? {});
  return {
    name: `mutant:${m.name}`,
    profile: { ...profileFor(`mutant:${m.name}`, cfg, false), ackDelayMax: Math.min(cfg.ackDelay, 499) },
    create: ({ addr }) => referenceInstance(new ReferenceHost({ ...m.options, addr })),
  };
}
