// The Linux path side by side with real packetdrill, in the same run: packetdrill on a fixed selection of its own
// handshake/close/shutdown scripts (each in a fresh namespace, as packetdrill is run), tcp-conform on the
// equivalent handshake/close/RST vectors, sequential and 8 wide, for the same wall time each. No constants from
// elsewhere: both figures come from this machine, this minute.
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import type { StackAdapter } from '../../src/stacks/adapter.js';
import { runVector } from '../../src/trace/runner.js';
import type { Vector } from '../../src/trace/vector.js';
import { runPacketdrill } from '../fixtures/packetdrill.js';

export { findPacketdrill } from '../fixtures/packetdrill.js';

/** packetdrill's own scripts (paths under gtests/net/tcp) that pass on a quiet Linux 6.x. */
export const PD_SCRIPTS = [
  'close/close-local-close-then-remote-fin.pkt',
  'close/close-on-syn-sent.pkt',
  'close/close-remote-fin-then-close.pkt',
  'shutdown/shutdown-rd-close.pkt',
  'shutdown/shutdown-rd-wr-close.pkt',
  'shutdown/shutdown-rdwr-close.pkt',
  'shutdown/shutdown-wr-close.pkt',
  'blocking/blocking-accept.pkt',
  'blocking/blocking-connect.pkt',
];

export interface Throughput {
  perMin: number;
  done: number;
  passed: number;
  secs: number;
}

function onePacketdrill(bin: string, script: string): Promise<boolean> {
  const tests = join(dirname(bin), '..', 'tcp');
  return runPacketdrill(bin, join(tests, script), join(tests, dirname(script))).then((r) => r.code === 0);
}

/** `width` workers, each running scripts round robin for `ms` of wall time. */
async function paced(width: number, ms: number, one: (k: number, i: number) => Promise<boolean>): Promise<Throughput> {
  let done = 0;
  let passed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: width }, async (_, k) => {
      for (let i = k; performance.now() - t0 < ms; i += width) {
        done++;
        if (await one(k, i)) passed++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { perMin: (done / secs) * 60, done, passed, secs };
}

export const runPacketdrillFor = (bin: string, width: number, ms: number): Promise<Throughput> =>
  paced(width, ms, (_k, i) => onePacketdrill(bin, PD_SCRIPTS[i % PD_SCRIPTS.length]!));

export function runOursFor(linux: StackAdapter, pick: Vector[], width: number, ms: number): Promise<Throughput> {
  return paced(width, ms, async (_k, i) => {
    const r = await runVector(pick[i % pick.length]!, linux, { callTimeoutMs: 10_000 });
    if (r.status !== 'pass') console.log(`  linux: ${r.name} ${r.status}: ${r.failure?.message}`);
    return r.status === 'pass';
  });
}

export const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
