// Where a Linux scenario's milliseconds go: per vector, the median wall time and the time spent in each
// adapter call (npm run bench:profile). Printed, never asserted.
import type { StackAdapter, StackInstance } from '../../src/stacks/adapter.js';
import { linuxAdapter } from '../../src/stacks/linux/adapter.js';
import { runVector } from '../../src/trace/runner.js';
import { loadVector } from '../../src/trace/vector.js';
import { VECTORS_DIR, vectorFiles } from '../../src/cli/vectors.js';

const spent = new Map<string, { n: number; ms: number }>();
function timed(inst: StackInstance): StackInstance {
  const out = { ...inst } as Record<string, unknown>;
  for (const [k, v] of Object.entries(inst)) {
    if (typeof v !== 'function') continue;
    out[k] = async (...a: unknown[]) => {
      const t0 = performance.now();
      try {
        return await (v as (...x: unknown[]) => unknown).apply(inst, a);
      } finally {
        const s = spent.get(k) ?? { n: 0, ms: 0 };
        s.n++;
        s.ms += performance.now() - t0;
        spent.set(k, s);
      }
    };
  }
  return out as unknown as StackInstance;
}
const base = linuxAdapter({ concurrency: 1 });
const linux: StackAdapter = { ...base, create: async (o) => timed(await base.create(o)) };
const only = process.argv.slice(3);
const vectors = vectorFiles(VECTORS_DIR).map((f) => loadVector(f));
const pick = vectors.filter((v) =>
  only.length ? only.includes(v.name) : !/time-wait-expiry|fig08|fig09/.test(v.name),
);
const t = performance.now();
await runVector(pick[0]!, linux, { callTimeoutMs: 10_000 });
console.log(`cold first scenario: ${(performance.now() - t).toFixed(0)} ms`);
for (const v of pick) {
  spent.clear();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = await runVector(v, linux, { callTimeoutMs: 10_000 });
    times.push(performance.now() - t0);
    if (r.status !== 'pass') console.log(`  ${v.name}: ${r.status} ${r.failure?.message}`);
  }
  times.sort((a, b) => a - b);
  const calls = [...spent].map(([k, s]) => `${k} ${s.n / 7}×${(s.ms / s.n).toFixed(1)}`).join(', ');
  console.log(`${v.name.padEnd(36)} ${times[3]!.toFixed(0).padStart(6)} ms  ${calls}`);
}
await base.dispose?.();
