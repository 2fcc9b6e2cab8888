// The Linux kernel as a stack under test: one driver per namespace (driver.ts), spoken to through
// the child-process protocol, several at once. Real time: the adapter cannot advance the kernel's
// clock, so scenarios wait (capped) and silence is judged by short quiescence windows.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { COMPILED, moduleFile, packageFile } from '../../paths.js';
import type { StackProfile } from '../adapter.js';
import { type ProcessAdapter, processAdapter } from '../process/adapter.js';
import { UsageError } from '../usage.js';
import { createNamespace, deleteNamespace, preflight, sweepLeftovers } from './netns.js';

export const TUN_ADDON = packageFile('src/stacks/linux/native/build/Release/tun.node');

/**
 * The driver as plain JavaScript, so a start costs node's own start and nothing more: the packed package's dist/,
 * or in a checkout driver.ts compiled once into build/ (again whenever the source changes).
 */
export function driverScript(): string {
  if (COMPILED) return moduleFile('src/stacks/linux/driver.ts');
  const source = readFileSync(packageFile('src/stacks/linux/driver.ts'), 'utf8');
  const stamp = `// compiled from src/stacks/linux/driver.ts ${createHash('sha256').update(source).digest('hex')}\n`;
  const out = packageFile('build/linux-driver.mjs');
  if (existsSync(out) && readFileSync(out, 'utf8').startsWith(stamp)) return out;
  // esbuild comes with tsx, which a checkout runs the CLI through; loaded only here.
  const { transformSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const { code } = transformSync(source, { loader: 'ts', format: 'esm', target: 'node20' });
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}`;
  writeFileSync(tmp, stamp + code);
  renameSync(tmp, out); // atomic: runs starting at once never see half a file
  return out;
}

/** Linux's choices and its declared deviations, each with the requirement and the evidence. */
export const LINUX_PROFILE: StackProfile = {
  name: 'linux',
  msl: 30_000, // TCP_TIMEWAIT_LEN is 60 s = 2 x 30 s
  rtoInitial: 1000, // TCP_TIMEOUT_INIT (RFC 6298 §2.1)
  rtoMin: 200, // TCP_RTO_MIN
  rtoMax: 120_000, // TCP_RTO_MAX
  ackDelayMax: 200, // TCP_DELACK_MAX
  rfc5961: true, // challenge ACKs
  ackRangeCheck: true, // tcp_ack(): an ACK before SND.UNA - max_window draws a challenge ACK and is dropped
  // net.ipv4.tcp_invalid_ratelimit: challenge and out-of-window ACKs at most every 500 ms per socket (RFC 5961 §7)
  ackRateLimitMs: 500,
  timeWaitSyn: 'challenge-ack',
  synCookies: true, // net.ipv4.tcp_syncookies = 1: cookies once the SYN queue overflows
  options: { mss: true, wscale: true, sackPermitted: true, timestamps: true },
  realTime: true,
  controls: ['keepalive', 'reading', 'read', 'nodelay', 'timeout', 'ttl', 'dscp', 'urgent'],
  deviations: [
    {
      requirement: 'MUST-53',
      check: 'source-route/answered',
      reason:
        'net.ipv4.conf.*.accept_source_route = 0, the default of a host: datagrams carrying a source route are ' +
        'dropped (as RFC 7126 §4.3 advises), so a SYN that came along one is never answered',
    },
    {
      requirement: 'MUST-13',
      check: 'shorter-msl',
      reason:
        'TIME-WAIT is fixed at 60 s (TCP_TIMEWAIT_LEN, no sysctl): an MSL of 30 s where RFC 9293 §3.4.2 takes 2 ' +
        'minutes',
    },
    {
      requirement: 'MUST-19',
      check: 'syn-retransmission/backoff',
      reason:
        'net.ipv4.tcp_syn_linear_timeouts = 4 (Linux >= 6.5): the first 4 SYN retransmissions come 1 s apart, ' +
        'exponential backoff after (RFC 6298 §5.5 doubles from the first)',
    },
    {
      requirement: 'rst-listen',
      check: 'rst-listen/syn-fin',
      reason:
        'a SYN+FIN segment is dropped in LISTEN (tcp_rcv_state_process), a hardening against SYN/FIN scans; ' +
        '§3.10.7.2 ' +
        'would answer SYN,ACK and process the FIN once synchronized',
    },
  ],
  findings: [
    {
      id: 'L1',
      summary:
        "after crossing SYNs, the ACK carries the window shifted by the scale only the stack's SYN offered: the " +
        'right edge moves left',
      check: 'window-edge/unagreed-scale',
      vectors: ['linux-l1-window-scaled-without-agreement'],
    },
    {
      id: 'L2',
      summary:
        'a soft ICMP error (net or host unreachable, time exceeded, parameter problem) quoting the SYN aborts the ' +
        'opening connection (RFC 5461 §4 calls this widespread; MUST-56 forbids it)',
      check: 'tracker/icmp-soft-goes-on',
      state: 'SYN-SENT',
      vectors: ['linux-l2-soft-icmp-aborts-syn-sent'],
    },
    {
      id: 'L3',
      summary:
        'a hard ICMP error (protocol or port unreachable) on an established connection is only recorded: the ' +
        'connection goes on (SHLD-26; §3.9.2.2 notes that some stacks do this)',
      check: 'tracker/icmp-hard-aborts',
      state: 'ESTABLISHED',
      vectors: ['linux-l3-hard-icmp-ignored-established'],
    },
  ],
};

export interface LinuxOptions {
  /** Drivers (namespaces) running at once. Default 4. */
  concurrency?: number;
  profile?: StackProfile;
}

export function linuxAdapter(opts: LinuxOptions = {}): ProcessAdapter {
  const missing = preflight(TUN_ADDON);
  if (missing.length) throw new UsageError(`the Linux stack cannot run here; missing: ${missing.join('; ')}`);
  const swept = sweepLeftovers();
  if (swept.length)
    process.stderr.write(
      `tcp-conform: removed ${swept.length} namespace(s) left by an earlier run: ${swept.join(', ')}\n`,
    );
  const names = new Map<number, string>();
  const script = driverScript();
  return processAdapter({
    name: 'linux',
    profile: opts.profile ?? LINUX_PROFILE,
    maxConcurrency: opts.concurrency ?? 4,
    commandTimeoutMs: 10_000,
    command: (i) => {
      const ns = createNamespace();
      names.set(i, ns);
      return ['ip', 'netns', 'exec', ns, process.execPath, script, TUN_ADDON];
    },
    afterExit: (i) => {
      const ns = names.get(i);
      if (ns) deleteNamespace(ns);
      names.delete(i);
    },
  });
}
