// npm run bench: throughput figures (printed, never asserted).
import { makeConfig } from '../../src/model/config.js';
import { step } from '../../src/model/step.js';
import { createTcb } from '../../src/model/tcb.js';
import type { ModelEvent, Tcb } from '../../src/model/types.js';
import { referenceAdapter } from '../../src/stacks/reference/adapter.js';
import { runVector } from '../../src/trace/runner.js';
import { loadVector } from '../../src/trace/vector.js';
import { decode, encode } from '../../src/wire/codec.js';
import { ACK, FIN, PSH, SYN, type Segment } from '../../src/wire/segment.js';
import { VECTORS_DIR, vectorFiles } from '../../src/cli/vectors.js';
import { PD_SCRIPTS, type Throughput, findPacketdrill, load, runOursFor, runPacketdrillFor } from './side-by-side.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function timeIt(label: string, unit: string, minMs: number, body: () => number): void {
  body(); // warm-up
  let count = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) count += body();
  const secs = (performance.now() - t0) / 1000;
  console.log(`${label.padEnd(44)} ${fmt(count / secs).padStart(12)} ${unit}/s`);
}

const local = { addr: '10.0.0.1', port: 80 };
const remote = { addr: '10.0.0.2', port: 40000 };
const seg = (flags: number, seq: number, ack: number, payload = new Uint8Array(0)): Segment => ({
  src: remote.addr,
  dst: local.addr,
  srcPort: remote.port,
  dstPort: local.port,
  seq,
  ack,
  flags,
  window: 65535,
  urgent: 0,
  options: [],
  payload,
});

const cfg = makeConfig({ isn: () => 1000 });
const payload = new Uint8Array(1000);

/** One connection's life through step(): handshake, 20 data segments, passive close. Returns events fed. */
function connectionLife(): number {
  let t: Tcb = createTcb(cfg, local);
  let n = 0;
  const feed = (ev: ModelEvent, now = 0): void => {
    t = step(t, ev, now).tcb;
    n++;
  };
  feed({ type: 'open', passive: true });
  feed({ type: 'segment', seg: seg(SYN, 5000, 0) });
  feed({ type: 'segment', seg: seg(ACK, 5001, 1001) });
  let s = 5001;
  for (let i = 0; i < 20; i++) {
    feed({ type: 'segment', seg: seg(ACK | PSH, s, 1001, payload) });
    s += payload.length;
  }
  feed({ type: 'segment', seg: seg(ACK | FIN, s, 1001) });
  feed({ type: 'close' });
  feed({ type: 'segment', seg: seg(ACK, s + 1, 1002) });
  if (t.state !== 'CLOSED') throw new Error(`bench scenario ended in ${t.state}`);
  return n;
}

console.log(`tcp-conform bench — node ${process.version}`);
timeIt('model: events through step()', 'events', 1500, () => {
  let n = 0;
  for (let i = 0; i < 50; i++) n += connectionLife();
  return n;
});

const sample: Segment = {
  ...seg(ACK | PSH, 123456, 654321, new Uint8Array(512)),
  options: [{ kind: 'timestamps', tsval: 1, tsecr: 2 }],
};
timeIt('codec: encode+decode (512-octet segment)', 'pairs', 1500, () => {
  for (let i = 0; i < 1000; i++) {
    const r = decode(encode(sample));
    if (!r.ok) throw new Error('decode failed');
  }
  return 1000;
});

const vectors = vectorFiles(VECTORS_DIR).map((f) => loadVector(f));
const adapter = referenceAdapter();
let runs = 0;
const t0 = performance.now();
while (performance.now() - t0 < 2000) {
  for (const v of vectors) {
    const r = await runVector(v, adapter);
    if (r.status !== 'pass') throw new Error(`${v.name} ${r.status}`);
    runs++;
  }
}
console.log(
  `${'vectors: replays on the reference stack'.padEnd(44)} ${fmt(runs / ((performance.now() - t0) / 1000)).padStart(12)} vectors/s`,
);

// ---- engine: generated scenarios on the reference stack, and the mutants ----
const { ALL_PROPERTIES } = await import('../../properties/index.js');
const { MUTANTS, mutantAdapter } = await import('../../src/stacks/mutants.js');
const { execute } = await import('../../src/oracle/execute.js');
const { killMutant } = await import('../../src/oracle/kill.js');
const { missingControls } = await import('../../src/oracle/property.js');
const fcMod = (await import('fast-check')).default;

{
  const ref = referenceAdapter();
  let scenarios = 0;
  const t1 = performance.now();
  for (const p of ALL_PROPERTIES) {
    for (const sc of fcMod.sample(p.scenario(ref.profile), { numRuns: 40, seed: 1 })) {
      await execute(sc, ref);
      scenarios++;
    }
  }
  const secs = (performance.now() - t1) / 1000;
  console.log(
    `${'engine: generated scenarios on reference'.padEnd(44)} ${fmt(scenarios / secs).padStart(12)} scenarios/s (${scenarios} across ${ALL_PROPERTIES.length} properties)`,
  );
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- lwIP through the child-process protocol, under virtual time ----
{
  const { existsSync } = await import('node:fs');
  const { LWIP_DRIVER, lwipAdapter } = await import('../../src/stacks/lwip/adapter.js');
  if (!existsSync(LWIP_DRIVER)) console.log(`lwip: driver not built (${LWIP_DRIVER}); skipped`);
  else {
    const lwip = lwipAdapter();
    let scenarios = 0;
    const t1 = performance.now();
    // What the engine runs on lwIP: not the properties it skips (a control lwIP lacks, a profile it does not claim).
    const runnable = ALL_PROPERTIES.filter((p) => !missingControls(p, lwip.profile) && !p.skip?.(lwip.profile));
    for (const p of runnable) {
      for (const sc of fcMod.sample(p.scenario(lwip.profile), { numRuns: 20, seed: 1 })) {
        lwip.reseed?.(JSON.stringify(sc));
        await execute(sc, lwip);
        scenarios++;
      }
    }
    const secs = (performance.now() - t1) / 1000;
    console.log(
      `${'lwip: generated scenarios'.padEnd(44)} ${fmt(scenarios / secs).padStart(12)} scenarios/s (${scenarios} across ${runnable.length} properties)`,
    );
    const tw = loadVector(`${VECTORS_DIR}/time-wait-fin-retransmitted.json`);
    const walls: number[] = [];
    let covered = 0;
    for (let i = 0; i < 5; i++) {
      const t2 = performance.now();
      const r = await runVector(tw, lwip);
      walls.push(performance.now() - t2);
      if (r.status !== 'pass') throw new Error(`time-wait-fin-retransmitted on lwip: ${r.failure?.message}`);
      covered = r.duration;
    }
    console.log(
      `${'lwip: TIME-WAIT check (vector)'.padEnd(44)} ${fmt(median(walls)).padStart(12)} ms wall for ${covered / 1000} s of lwIP time`,
    );
    const inst = await lwip.create({ addr: '10.0.0.1' });
    const t3 = performance.now();
    for (let i = 0; i < 2000; i++) await inst.nextTimer!();
    console.log(
      `${'lwip: protocol round trip (next)'.padEnd(44)} ${(((performance.now() - t3) / 2000) * 1000).toFixed(1).padStart(12)} µs`,
    );
    await inst.destroy();
    await lwip.dispose?.();
  }
}

// ---- Linux through TUN: packetdrill-style handshake/close/RST scenarios, concurrently ----
{
  const { preflight } = await import('../../src/stacks/linux/netns.js');
  const { TUN_ADDON, linuxAdapter } = await import('../../src/stacks/linux/adapter.js');
  const missing = preflight(TUN_ADDON);
  if (missing.length) console.log(`linux: skipped (${missing.join('; ')})`);
  else {
    const names = [
      'fig06-basic-3whs-active',
      'fig09-half-open-discovery',
      'fig10-active-side-half-open',
      'fig11-two-passive-sockets',
      'fig12-normal-close',
      'fig12-normal-close-passive',
      'fig13-simultaneous-close',
      'ack-to-listen',
      'rst-in-window-challenge-ack',
      'bad-checksum-dropped',
    ];
    const pick = vectors.filter((v) => names.includes(v.name));
    const ms = Number(process.env.TCPC_BENCH_SECONDS ?? 15) * 1000;
    const pd = findPacketdrill();
    if (!pd.path) console.log(`linux: packetdrill not available (${pd.missing}); tcp-conform's figures only`);
    else console.log(`linux: side by side with packetdrill (${pd.path}), ${PD_SCRIPTS.length} of its scripts`);
    const widths = [1, Number(process.env.TCPC_BENCH_NAMESPACES ?? 8)];
    for (const width of widths) {
      const theirs = pd.path ? await runPacketdrillFor(pd.path, width, ms) : undefined;
      const before = load();
      const linux = linuxAdapter({ concurrency: width });
      const ours = await runOursFor(linux, pick, width, ms);
      await linux.dispose?.();
      const row = (who: string, t: Throughput): string =>
        `${`linux ${width} wide: ${who}`.padEnd(44)} ${fmt(t.perMin).padStart(12)} scenarios/min ` +
        `(${t.passed}/${t.done} passing in ${t.secs.toFixed(1)} s)`;
      if (theirs) console.log(row('packetdrill', theirs));
      console.log(`${row('tcp-conform', ours)}; load average ${before} → ${load()}`);
      if (theirs)
        console.log(
          `${`linux ${width} wide: ratio`.padEnd(44)} ${(ours.perMin / theirs.perMin).toFixed(1).padStart(12)} ×`,
        );
    }
    // Segment round trips inside tcp-conform's scenarios, 8 at once.
    const rtts: number[] = [];
    const many = linuxAdapter({ concurrency: 8 });
    await Promise.all(
      Array.from({ length: 8 }, async (_, k) => {
        const r = await runVector(pick[k % pick.length]!, many, { callTimeoutMs: 10_000 });
        r.trace.forEach((e, j) => {
          const nx = r.trace[j + 1];
          if (e.dir === 'in' && nx?.dir === 'out' && nx.t - e.t < 50) rtts.push(nx.t - e.t);
        });
      }),
    );
    await many.dispose?.();
    const mean = rtts.reduce((a, b) => a + b, 0) / Math.max(1, rtts.length);
    console.log(
      `${'linux: segment round trip, 8 at once'.padEnd(44)} ${(mean * 1000).toFixed(0).padStart(12)} µs mean over ${rtts.length} (driver + protocol + TUN + kernel, 2 cores shared)`,
    );
    // The same round trip with one namespace and nothing else running.
    const one = linuxAdapter({ concurrency: 1 });
    const solo: number[] = [];
    const t2 = performance.now();
    while (performance.now() - t2 < 5000) {
      const r = await runVector(pick[0]!, one, { callTimeoutMs: 10_000 });
      r.trace.forEach((e, j) => {
        const nx = r.trace[j + 1];
        if (e.dir === 'in' && nx?.dir === 'out' && nx.t - e.t < 50) solo.push(nx.t - e.t);
      });
    }
    // A warm handshake + close (fig12: passive open, data-free active close through TIME-WAIT's entry).
    const fig12 = vectors.find((v) => v.name === 'fig12-normal-close')!;
    const warm: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await runVector(fig12, one, { callTimeoutMs: 10_000 });
      warm.push(performance.now() - t);
    }
    await one.dispose?.();
    console.log(
      `${'linux: warm handshake+close (fig12)'.padEnd(44)} ${median(warm).toFixed(1).padStart(12)} ms median of 30`,
    );
    // A cold driver start: namespace, node, the driver's setup, hello and reset.
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      const a = linuxAdapter({ concurrency: 1 });
      const t = performance.now();
      (await a.create({ addr: '10.0.0.1' })).destroy();
      cold.push(performance.now() - t);
      await a.dispose?.();
    }
    console.log(`${'linux: cold driver start'.padEnd(44)} ${median(cold).toFixed(0).padStart(12)} ms median of 5`);
    const soloMean = solo.reduce((a, b) => a + b, 0) / Math.max(1, solo.length);
    console.log(
      `${'linux: segment round trip, one namespace'.padEnd(44)} ${(soloMean * 1000).toFixed(0).padStart(12)} µs mean over ${solo.length}`,
    );
  }
}

const only = process.argv.includes('--no-mutants') ? [] : MUTANTS;
if (only.length)
  console.log(
    `\n${'mutant'.padEnd(30)} ${'caught by'.padEnd(24)} ${'median ms'.padStart(10)} ${'shrunk actions'.padStart(15)} ${'trace entries'.padStart(14)}`,
  );
for (const m of only) {
  const times: number[] = [];
  const actions: number[] = [];
  const entries: number[] = [];
  let by = '';
  for (const seed of [1, 2, 3]) {
    // As `tcp-conform mutants` does: the properties owning the checks that name the fault first (src/oracle/kill.ts).
    const row = await killMutant(m, mutantAdapter(m.name)!, 100, seed);
    if (!row.killed) continue;
    times.push(row.msToFirstFailure!);
    actions.push(row.shrunkActions!);
    entries.push(row.shrunkTraceEntries!);
    by ||= row.property!;
  }
  console.log(
    `${m.name.padEnd(30)} ${(by || 'SURVIVED').padEnd(24)} ${times.length ? fmt(median(times)).padStart(10) : ''.padStart(10)} ${actions.length ? String(median(actions)).padStart(15) : ''} ${entries.length ? String(median(entries)).padStart(14) : ''}`,
  );
}
