// Network namespaces for the Linux stack: created per driver, named tcpc-<pid>-<n>, removed when
// the driver exits, when this process exits (even on an uncaught error), on SIGINT/SIGTERM (the CLI
// disposes its adapters), and swept at the start of a run when an earlier run died without cleaning up.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NS_PREFIX = 'tcpc-';
const mine = new Set<string>();
let hooked = false;

const ip = (...args: string[]): { ok: boolean; out: string; err: string } => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? r.error?.message ?? '').trim() };
};

/** What is missing for the Linux stack, or [] when it can run. */
export function preflight(addon: string): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') return ['the Linux stack runs on Linux only'];
  if (process.getuid?.() !== 0)
    missing.push('root (network namespaces and TUN devices need CAP_NET_ADMIN; run as root)');
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun (load the tun module: modprobe tun)');
  if (spawnSync('ip', ['-V']).status !== 0) missing.push('the ip command (apt-get install iproute2)');
  if (!existsSync(addon))
    missing.push(`the TUN addon ${addon} (built by npm install; run npm run build:native and read its output)`);
  return missing;
}

export function listNamespaces(): string[] {
  const r = ip('netns', 'list');
  return r.out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(NS_PREFIX));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Remove namespaces left by runs whose process is gone. Returns the names removed. */
export function sweepLeftovers(): string[] {
  const removed: string[] = [];
  for (const name of listNamespaces()) {
    const pid = Number(/^tcpc-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid) && ip('netns', 'del', name).ok) removed.push(name);
  }
  return removed;
}

let serial = 0;

/** A new namespace named tcpc-<pid>-<n>, n unique within this process. */
export function createNamespace(): string {
  const name = `${NS_PREFIX}${process.pid}-${serial++}`;
  if (!hooked) {
    hooked = true;
    // Last resort: synchronous removal when the process exits however it exits (not on SIGKILL: the next run sweeps).
    process.once('exit', () => {
      for (const n of mine) spawnSync('ip', ['netns', 'del', n]);
    });
  }
  const r = ip('netns', 'add', name);
  if (!r.ok) throw new Error(`ip netns add ${name} failed: ${r.err}`);
  mine.add(name);
  return name;
}

export function deleteNamespace(name: string): void {
  if (!mine.has(name)) return;
  ip('netns', 'del', name);
  mine.delete(name);
}
