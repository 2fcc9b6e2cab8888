// Per property: it holds on the reference stack and on reference-perturbed (the proof that the oracle binds the
// stack's choices instead of predicting ours), and it can fail: run alone, it kills the mutant named for it here.
// The properties are dealt to several test files so that they run side by side.
import { describe, expect, it } from 'vitest';
import { runProperty } from '../src/oracle/engine.js';
import { CAUGHT_BY, mutantAdapter, namesCause } from '../src/stacks/mutants.js';
import { perturbedAdapter } from '../src/stacks/perturbed.js';
import { referenceAdapter } from '../src/stacks/reference/adapter.js';
import { formatViolation } from '../src/cli/report.js';
import { ALL_PROPERTIES } from './index.js';

const RUNS = Number(process.env.TCPC_RUNS ?? 60);

/** The mutants each property is shown to catch on its own. */
export const KILLS: Record<string, string | string[]> = {
  'three-way-handshake': 'no-syn-retransmission',
  'simultaneous-open': ['broken-simultaneous-open', 'simultaneous-syn-ignored'],
  'syn-received-origin': 'passive-rst-reported',
  'syn-sent-ack-check': ['syn-sent-bad-ack-accepted', 'synsent-acceptable-rst-ignored'],
  'syn-with-data': 'syn-data-early',
  'isn-clock': 'isn-random',
  'ack-every-second': 'ack-only-on-timer',
  'out-of-order-kept': 'out-of-order-dropped',
  'keep-alive-off-by-default': 'keep-alive-on-by-default',
  'rst-in-zero-window': 'zero-window-drops-rst',
  'keep-alive-enabled': [
    'keep-alive-control-ignored',
    'keep-alive-not-stopped',
    'keep-alive-idle-interval-swapped',
    'keep-alive-one-probe',
    'keep-alive-while-busy',
    'keep-alive-garbage-octet',
  ],
  'keep-alive-garbage': 'keep-alive-garbage-ignored',
  'listen-beside-connections': ['listen-needs-free-port', 'listen-resets-connections'],
  nagle: ['nagle-off', 'nodelay-ignored'],
  'user-timeout': 'user-timeout-ignored',
  ttl: 'ttl-ignored',
  dscp: ['dscp-ignored', 'dscp-first-only'],
  'urgent-send': ['urgent-pointer-last-octet', 'urgent-flag-end-segment-only', 'urgent-write-ignored'],
  'urgent-receive': 'urgent-octet-out-of-line',
  'window-scale': ['wscale-on-data', 'wscale-unasked', 'wscale-unshifted'],
  'sender-sws': 'sender-sws-off',
  'receiver-sws': 'receiver-sws-off',
  'urgent-event': 'urgent-event-missing',
  'urgent-pending': 'urgent-pending-never',
  'push-send': ['push-mid-queue-missing', 'tail-held-for-more-data'],
  'push-received': ['push-never-told', 'push-always-told'],
  'source-route': ['return-route-ignored', 'return-route-not-reversed', 'return-route-kept'],
  'batched-acks': 'batch-acked-per-segment',
  ecn: ['ecn-refused', 'ecn-unasked', 'ecn-ect-on-ack', 'ecn-no-echo', 'ecn-no-cwr'],
  'four-way-close': ['fin-no-seq', 'eof-never-told'],
  'half-close': ['no-send-after-fin', 'close-wait-data-swallowed'],
  'simultaneous-close': 'no-closing-state',
  'time-wait': 'time-wait-1msl',
  'syn-in-time-wait': 'time-wait-syn-reset',
  'rst-closed-port': 'closed-port-wrong-ack',
  'rst-listen': 'listen-ignores-ack',
  'rst-synchronized': ['no-challenge-ack', 'reset-reported-as-end', 'rst-with-data-ignored'],
  'syn-synchronized': 'syn-resets-synchronized',
  'no-rst-for-rst': 'rst-answers-rst',
  acceptability: ['unacceptable-silently-dropped', 'ack-range-check-missing'],
  'data-transfer': [
    'ack-unreceived',
    'window-read-signed',
    'tail-held-for-more-data',
    'short-segments-split',
    'segment-per-write',
    'pushed-data-held',
  ],
  'syn-retransmission': ['no-rto-backoff', 'syn-gives-up-early'],
  'fin-retransmission': ['no-rto-backoff', 'retransmit-once'],
  'delayed-ack': 'slow-delayed-ack',
  'bad-checksum-dropped': 'checksum-not-verified',
  'unknown-options': ['unknown-option-drops-syn', 'options-on-data-drop-segment'],
  'illegal-option-length': 'malformed-option-kills-stack',
  'syn-flood': 'half-open-never-reclaimed',
  interleavings: 'data-in-syn-sent',
  'zero-window': ['zero-window-not-probed', 'zero-window-probe-no-backoff', 'zero-window-gives-up'],
  'window-shrink': ['shrink-ignored', 'shrink-aborts', 'shrink-stalls'],
  'ip-options-ignored': 'ip-header-assumed-20',
  'bad-address-syn': ['syn-to-broadcast-answered', 'syn-from-invalid-source-answered'],
  icmp: ['icmp-soft-aborts', 'icmp-quench-aborts', 'icmp-hard-ignored', 'icmp-ignores-quoted-port'],
};

/** The properties at positions part, part + of, part + 2·of, … of ALL_PROPERTIES. */
export function describeProperties(part: number, of: number): void {
  const mine = ALL_PROPERTIES.filter((_, i) => i % of === part);
  describe.each(mine.map((p) => [p.name, p] as const))('%s', (_name, p) => {
    it('holds on the reference stack', async () => {
      const r = await runProperty(p, referenceAdapter(), { runs: RUNS, seed: 1 });
      if (r.status !== 'pass')
        throw new Error(
          r.error ?? r.counterexample!.violations.map((v) => formatViolation(v, r.counterexample!.trace)).join('\n'),
        );
    });
    it('holds on reference-perturbed', async () => {
      const r = await runProperty(p, perturbedAdapter(7), { runs: RUNS, seed: 2 });
      if (r.status !== 'pass')
        throw new Error(
          `${JSON.stringify(r.counterexample?.stackDetail)}\n${
            r.error ?? r.counterexample!.violations.map((v) => formatViolation(v, r.counterexample!.trace)).join('\n')
          }`,
        );
    });
    it.each([KILLS[p.name] ?? []].flat())(
      'fails on mutant:%s',
      async (m) => {
        const r = await runProperty(p, mutantAdapter(m)!, { runs: 300, seed: 3 });
        expect(r.status).toBe('fail');
        // killed by a check that names the fault, not by a side effect
        const checks = r.counterexample!.violations.map((v) => v.check);
        expect(
          checks.some((c) => (CAUGHT_BY[m] ?? []).some((n) => namesCause(n, c))),
          checks.join(', '),
        ).toBe(true);
      },
      180_000,
    ); // shrinking a counterexample of a bulk-data property re-runs it many times
  });
}
