// lwIP 2.1.3 (Debian liblwip) under virtual time, through the child-process protocol. The C driver
// next to this file is built by `npm install` (scripts/build-native.mjs) when liblwip-dev is present.
import { existsSync } from 'node:fs';
import { packageFile } from '../../paths.js';
import type { StackProfile } from '../adapter.js';
import { type ProcessAdapter, processAdapter } from '../process/adapter.js';
import { UsageError } from '../usage.js';

export const LWIP_DRIVER = packageFile('build', 'lwip-driver');

/** lwIP's choices, as data. Each deviation names the requirement and the evidence (docs/findings.md has the traces). */
export const LWIP_PROFILE: StackProfile = {
  name: 'lwip',
  msl: 60_000, // TCP_MSL 60 s: TIME-WAIT is 2 x 60 s
  rtoInitial: 3000, // pcb->rto = 3000 / TCP_SLOW_INTERVAL ticks
  rtoMin: 500, // RTO is kept in 500 ms slow-timer ticks
  rtoMax: 64_000,
  ackDelayMax: 250, // delayed ACKs go out on the next 250 ms fast timer
  rfc5961: true, // challenge ACK for an in-window RST and for a SYN on a synchronized connection
  // ...except in TIME-WAIT (tcp_timewait_input): an in-window SYN gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>,
  // any other an ACK — the pre-RFC 5961 rule of §3.10.7.4 step 4, which RFC 9293 still allows.
  timeWaitSyn: 'legacy',
  synCookies: false,
  options: { mss: true, wscale: true, sackPermitted: false, timestamps: false },
  // push: tcp_write without TCP_WRITE_FLAG_MORE is a pushed SEND; PBUF_FLAG_PUSH tells RECEIVE the peer pushed.
  controls: ['keepalive', 'reading', 'read', 'nodelay', 'ttl', 'dscp', 'push'],
  pushEvents: true,
  deviations: [
    {
      requirement: 'MUST-13',
      check: 'shorter-msl',
      reason: 'TCP_MSL is 60 s: TIME-WAIT lasts 2 minutes where RFC 9293 §3.4.2 takes an MSL of 2 minutes',
    },
    {
      requirement: 'SHLD-8',
      check: 'ecn/agrees',
      reason: 'lwIP 2.1.3 implements no ECN (RFC 3168): it answers a SYN that asks for it with a plain SYN,ACK',
    },
  ],
  // Investigated and recorded in docs/findings.md (lwIP section); matched by cause (the check that finds each), so a
  // new fault that trips another check still fails.
  findings: [
    {
      id: 'F1',
      summary: 'RST answering an ACK-bearing segment carries an ACK bit',
      check: 'rst-ack-bit',
      vectors: ['ack-to-listen', 'fig10-active-side-half-open', 'fig11-two-passive-sockets', 'time-wait-expiry'],
    },
    {
      id: 'F2',
      summary: 'SEG.LEN counts SYN and FIN as one octet together',
      check: 'rst-closed-port/syn-fin-len',
      vectors: ['syn-to-closed-port'],
    },
    {
      id: 'F3',
      summary: 'a SYN in SYN-SENT is ignored: no simultaneous open',
      check: 'simultaneous-open/answers-syn',
      vectors: ['fig07-simultaneous-open', 'lwip-f03-simultaneous-syn-ignored'],
    },
    // The same fault as the tracker sees it: the SYN,ACK the crossing SYN is owed never comes.
    { id: 'F3', summary: 'a SYN in SYN-SENT is ignored: no simultaneous open', check: 'tracker/synsent-syn-crossing' },
    {
      id: 'F4',
      summary: 'SYN retransmissions are not backed off',
      check: 'syn-retransmission/backoff',
      vectors: ['lwip-f04-syn-no-backoff'],
    },
    {
      id: 'F5',
      summary: 'after close(), TIME-WAIT is timed from the last segment received before the close',
      check: 'time-wait',
      vectors: ['lwip-f05-time-wait-short-after-close'],
    },
    {
      id: 'F7',
      summary: 'a segment 2^31 away from RCV.NXT trips an assertion and kills the stack',
      check: 'stack-crashed',
      crash: 'insane offset',
      vectors: ['lwip-f07-insane-offset-crash'],
    },
    {
      id: 'F8',
      summary: "the peer's FIN goes unacknowledged while Nagle holds back a segment",
      check: 'tracker/ack-in-order',
      vectors: ['lwip-f08-fin-ack-held-by-nagle'],
    },
    {
      id: 'F9',
      summary: 'after close(), a 1-octet persist probe carries the FIN in the middle of the data',
      check: 'fin-order',
      vectors: ['lwip-f09-fin-on-persist-probe'],
    },
    {
      id: 'F9',
      summary: 'after close(), a 1-octet persist probe carries the FIN in the middle of the data',
      check: 'tracker/send-fin',
    },
    {
      id: 'F11',
      summary: "data written in SYN-SENT goes out in segments larger than the peer's MSS",
      check: 'mss',
      vectors: ['lwip-f11-segment-above-peer-mss'],
    },
    {
      id: 'F11',
      summary: "the same, when the peer's MSS option follows a NOP or comes before an EOL",
      check: 'mss-layout',
    },
    {
      id: 'F12',
      summary:
        'data queued in SYN-SENT, a smaller peer MSS and a small window trip an assertion (split <= mss) and ' +
        'kill the ' +
        'stack',
      check: 'stack-crashed',
      crash: 'split <= mss',
      vectors: ['lwip-f12-split-above-mss-crash'],
    },
    {
      id: 'F13',
      summary:
        'a write after a crossing SYN with a small MSS option trips an assertion (inconsistent oversize vs. space) ' +
        'and kills the stack',
      check: 'stack-crashed',
      crash: 'inconsistent oversize vs. space',
      vectors: ['lwip-f13-oversize-assertion-crash'],
    },
    {
      id: 'F14',
      summary:
        "the window of a segment acknowledging unsent data is taken: data goes out beyond the peer's real window",
      check: 'peer-window',
      vectors: ['lwip-f14-window-from-unacceptable-ack'],
    },
    {
      id: 'F15',
      summary: 'an unanswered SYN is given up after about 18 s (TCP_SYNMAXRTX 6, no backoff), not after 3 minutes',
      check: 'syn-retransmission/give-up',
      vectors: ['lwip-f15-syn-given-up-early'],
    },
    {
      id: 'F16',
      summary: 'a queued out-of-order FIN overlapped by later in-order data is acknowledged one past anything received',
      check: 'ack-received',
      vectors: ['lwip-f16-fin-acknowledged-past-overlap'],
    },
    {
      id: 'F17',
      summary: 'a segment acknowledging unsent data is ACKed but not dropped: its FIN (and text) are processed',
      check: 'tracker/ack-unsent',
      state: 'ESTABLISHED',
      vectors: ['lwip-f17-unsent-ack-segment-not-dropped'],
    },
    {
      id: 'F18',
      summary: 'a pure ACK far outside the receive window, while sent data is unacknowledged, draws no ACK',
      check: 'unacceptable-ack',
      vectors: ['lwip-f18-out-of-window-ack-unanswered'],
    },
    {
      id: 'F19',
      summary: 'a RST answering a segment with both SYN and FIN acknowledges SEG.SEQ+1: the two are counted as one',
      check: 'tracker/closed-resets',
      vectors: ['lwip-f19-syn-fin-counted-once'],
    },
    {
      id: 'F20',
      summary: 'a segment without the ACK bit in a synchronized state is not dropped: its FIN (and text) are taken in',
      check: 'tracker/ack-bit-off',
      vectors: ['lwip-f20-fin-without-ack-taken'],
    },
    {
      id: 'F21',
      summary:
        'data written in SYN-SENT, then a crossing SYN announcing MSS 64, trips an assertion and kills the stack',
      check: 'stack-crashed',
      crash: 'mss_local is too small',
      vectors: ['lwip-f21-tiny-mss-assertion-crash'],
    },
    {
      id: 'F22',
      summary:
        'a zero-window probe octet accepted after the send queue drained leaves the persist timer running: an ' +
        'assertion kills the stack',
      check: 'stack-crashed',
      crash: 'persist ticking with empty send buffer',
      vectors: ['lwip-f22-persist-empty-buffer-crash'],
    },
    {
      id: 'F23',
      summary: 'ICMP errors are ignored: after a hard error (protocol or port unreachable) the stack sends again',
      check: 'tracker/icmp-hard-aborts',
      vectors: ['linux-l3-hard-icmp-ignored-established'],
    },
    {
      id: 'F25',
      summary:
        'data written before the handshake completes is cut into 536-octet segments (the MSS assumed before the ' +
        "peer's SYN) and sent so after the peer announced a larger one (SHLD-28)",
      check: 'data-transfer/full-sized',
    },
    {
      id: 'F25',
      summary:
        'the same 536-octet segments cut at the end of a write before the handshake completed (SHLD-27, SHLD-28)',
      check: 'data-transfer/psh-collapsed',
    },
    {
      id: 'F26',
      summary:
        'data queued in SYN-SENT is never sent when the SYN,ACK then announces an MSS smaller than the queued ' +
        'segment (MUST-60)',
      check: 'data-transfer/sent-eventually',
      vectors: ['lwip-f26-queued-data-never-sent'],
    },
    {
      id: 'F32',
      summary:
        'a completed IP source route on arriving segments is ignored: every segment goes straight to the source ' +
        '(ip4_input accepts IP options but reads none of them)',
      check: 'source-route',
      vectors: ['lwip-f32-source-route-ignored'],
    },
    {
      id: 'F31',
      summary:
        "RECEIVE's PUSH flag (PBUF_FLAG_PUSH) comes from the segment that completed the data only: pushed segments " +
        'taken from the out-of-sequence queue with it are delivered unmarked',
      check: 'push-received',
      vectors: ['lwip-f31-push-from-out-of-order-queue-unmarked'],
    },
    {
      id: 'F30',
      summary:
        'the challenge ACK owed for a SYN in ESTABLISHED is held while Nagle holds back a segment (the cause of F8)',
      check: 'tracker/syn-challenge-ack',
      state: 'ESTABLISHED',
      vectors: ['lwip-f30-syn-challenge-ack-held-by-nagle'],
    },
    {
      id: 'F30',
      summary:
        'the challenge ACK owed for an in-window RST off RCV.NXT is held while Nagle holds back a segment (the ' +
        'cause of F8)',
      check: 'tracker/rst-challenge-ack',
      state: 'ESTABLISHED',
    },
    {
      id: 'F29',
      summary:
        'a window that reopens from zero by less than an MSS, with more queued and nothing in flight, is filled at ' +
        'once (sender silly-window avoidance, MUST-38)',
      check: 'sender-sws',
      vectors: ['lwip-f29-sender-sws-sliver-filled'],
    },
    {
      id: 'F28',
      summary:
        'keep-alive probes go out while sent data is unacknowledged: tcp_slowtmr counts idle time from the last ' +
        'segment received only (MUST-26)',
      check: 'keep-alive-enabled/only-idle',
      vectors: ['lwip-f28-keepalive-probe-with-data-outstanding'],
    },
    {
      id: 'F27',
      summary:
        'LISTEN is refused (tcp_bind: ERR_USE) on a port whose connection is in SYN-SENT, unless the application ' +
        'sets SOF_REUSEADDR (MUST-42)',
      check: 'listen-beside-connections/beside-opening',
    },
    {
      id: 'F24',
      summary:
        'a SYN from a 0.x.y.z source (other than 0.0.0.0) is answered: ip4_input rejects only broadcast and ' +
        'multicast sources',
      check: 'bad-address-syn/from-invalid',
      vectors: ['lwip-f24-syn-from-this-network-answered'],
    },
    {
      id: 'F24',
      summary:
        "a SYN from 127.0.0.1 is answered; the SYN,ACK takes lwIP's loopback path, which needs the tcpip thread the " +
        'single-threaded driver does not run (an abort of the driver, caused by the answer)',
      check: 'stack-crashed',
      crash: 'Invalid mbox',
    },
    {
      id: 'F10',
      summary: 'data queued in SYN-SENT goes out without ACK before ESTABLISHED',
      check: 'no-data-before-established/before-syn-acked',
      vectors: ['lwip-f10-data-without-ack-in-syn-sent'],
    },
  ],
};

export function lwipAdapter(driver = LWIP_DRIVER): ProcessAdapter {
  if (!existsSync(driver)) {
    throw new UsageError(
      `the lwIP driver ${driver} is not built: install Debian's liblwip-dev (apt-get install -y liblwip-dev ` +
        `pkg-config gcc) and run npm install, or npm run build:native`,
    );
  }
  return processAdapter({ name: 'lwip', command: [driver], profile: LWIP_PROFILE });
}
