// The Linux path side by side with real packetdrill, in the same run: packetdrill on a fixed selection of its own
// handshake/close/shutdown scripts (each in a fresh namespace, as packetdrill is run), tcp-conform on the
// equivalent handshake/close/RST vectors, sequential and 8 wide, for the same wall time each. No constants from
// elsewhere: both figures come from this machine, this minute.
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackAdapter } from '../../src/stacks/adapter.js';
import { runVector } from '../../src/trace/runner.js';
import type { Vector } from '../../src/trace/vector.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/packetdrill.mjs', import.meta.url));

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

/** The packetdrill binary, or why there is none (built from its tarball by scripts/packetdrill.mjs). */
export function findPacketdrill(): { path?: string; missing?: string } {
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  return r.status === 0 ? { path: r.stdout.trim() } : { missing: r.stderr.trim() || `exit ${r.status}` };
}

function onePacketdrill(bin: string, script: string, ns: string): Promise<boolean> {
  const tests = join(dirname(bin), '..', 'tcp');
  spawnSync('ip', ['netns', 'add', ns]);
  spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  return new Promise((done) => {
    const p = spawn('ip', ['netns', 'exec', ns, bin, join(tests, script)], {
      cwd: join(tests, dirname(script)),
      stdio: 'ignore',
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      spawnSync('ip', ['netns', 'del', ns]);
      done(code === 0);
    });
  });
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
  paced(width, ms, (k, i) => onePacketdrill(bin, PD_SCRIPTS[i % PD_SCRIPTS.length]!, `tcpc-bench-${process.pid}-${k}`));

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
