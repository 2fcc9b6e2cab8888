// tcp-conform inside a user's own vitest run: `conformance(adapter, options)` registers one test per
// property and vector (and the TIME-WAIT check) for their stack. A failure's message carries what the
// CLI prints: the ladder, the seed and path, the counterexample file and the command that replays it.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ALL_PROPERTIES } from '../properties/index.js';
import { writeCounterexample, writeTimeWaitCounterexample } from './cli/counterexample.js';
import { formatViolation, propertyLines } from './cli/report.js';
import { VECTORS_DIR, loadVectors, runVectors, vectorFiles } from './cli/vectors.js';
import { classify, runProperty } from './oracle/engine.js';
import { TIME_WAIT_CHECK } from './oracle/timewait.js';
import type { StackAdapter } from './stacks/adapter.js';
import { resolveStack } from './stacks/registry.js';
import { timeWaitCheck } from './trace/timewait-run.js';

export interface ConformanceOptions {
  /** Generated scenarios per property (default 100; 20 on a real-clock stack). */
  runs?: number;
  /** fast-check seed; the default is drawn once and shown in every failure. */
  seed?: number;
  /** Only properties and vectors whose name (or area) contains this. */
  only?: string;
  /** Known findings of the stack's profile count as failures. */
  strict?: boolean;
  /** Register the vectors (default true) and the TIME-WAIT check (default true). */
  vectors?: boolean;
  timeWait?: boolean;
  /** Where counterexample files go (default ./counterexamples). */
  outDir?: string;
  /** How the replay command in a failure names the stack (default: the spec, or "./your-adapter.ts"). */
  replayStack?: string;
  /** On a real-clock stack, also run the vectors marked slow (minutes of waiting). */
  slow?: boolean;
  /** Per test, ms (default 300 s). */
  timeoutMs?: number;
}

type AdapterSource = StackAdapter | string | (() => StackAdapter | Promise<StackAdapter>);

const matches = (only: string | undefined, ...names: string[]): boolean =>
  only === undefined || names.some((n) => n.includes(only));

/**
 * Register the suite for one stack: an adapter object, a factory for one, or a stack spec as `--stack` takes it
 * ('reference', 'lwip', 'process:"./driver"', a module path).
 */
export function conformance(source: AdapterSource, opts: ConformanceOptions = {}): void {
  const seed = opts.seed ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff;
  const outDir = resolve(opts.outDir ?? 'counterexamples');
  const stackSpec = opts.replayStack ?? (typeof source === 'string' ? source : './your-adapter.ts');
  const timeout = opts.timeoutMs ?? 300_000;
  let adapter: StackAdapter | undefined;
  const ready = (): StackAdapter => {
    if (!adapter) throw new Error('tcp-conform: the stack adapter did not load (see the beforeAll error)');
    return adapter;
  };
  const label = typeof source === 'string' ? source : typeof source === 'function' ? 'stack' : source.name;
  describe(`tcp-conform (${label}, seed ${seed})`, () => {
    beforeAll(async () => {
      adapter = typeof source === 'string' ? await resolveStack(source, { seed }) : await factory(source);
    }, timeout);
    afterAll(async () => {
      await adapter?.dispose?.();
    });
    for (const p of ALL_PROPERTIES.filter((x) => matches(opts.only, x.name, x.area))) {
      test(
        `${p.area}/${p.name}`,
        async (ctx) => {
          const a = ready();
          const runs = opts.runs ?? (a.profile.realTime ? 20 : 100);
          const r = await runProperty(p, a, { runs, seed, strict: opts.strict ?? false });
          if (r.status === 'skip') return ctx.skip(r.skipReason);
          if (r.status === 'pass' || r.status === 'known') return;
          const file = r.status === 'fail' ? writeCounterexample(r, a, outDir) : undefined;
          throw new Error(propertyLines({ ...r, ...(file ? { file } : {}) }, stackSpec).join('\n'));
        },
        timeout,
      );
    }
    if (opts.vectors ?? true) registerVectors(opts, ready, timeout);
    if ((opts.timeWait ?? true) && matches(opts.only, TIME_WAIT_CHECK)) {
      test(
        `check/${TIME_WAIT_CHECK}`,
        async () => {
          const a = ready();
          const r = await timeWaitCheck(a);
          const { real } = classify(r.violations, a.profile, opts.strict ?? false);
          if (r.status !== 'fail' || real.length === 0) return;
          const file = writeTimeWaitCounterexample(r, a, outDir);
          const lines = real.map((v) => formatViolation(v, r.trace));
          throw new Error([...lines, `  counterexample: ${file}`, replayLine(file, stackSpec)].join('\n'));
        },
        timeout,
      );
    }
  });
}

async function factory(source: StackAdapter | (() => StackAdapter | Promise<StackAdapter>)): Promise<StackAdapter> {
  return typeof source === 'function' ? await source() : source;
}

const replayLine = (file: string, stackSpec: string): string =>
  `  replay: npx tcp-conform replay ${file} --stack ${stackSpec}`;

function registerVectors(opts: ConformanceOptions, ready: () => StackAdapter, timeout: number): void {
  const { vectors, broken } = loadVectors(vectorFiles(VECTORS_DIR), opts.only);
  for (const b of broken) {
    test(`vector file ${b.file}`, () => {
      throw new Error(`broken vector file ${b.file}: ${b.message}`);
    });
  }
  for (const v of vectors) {
    test(
      `vector/${v.name}`,
      async (ctx) => {
        const lines: string[] = [];
        const [verdict] = await runVectors(
          [v],
          ready(),
          (s) => lines.push(s),
          opts.strict ?? false,
          opts.slow ?? false,
        );
        const status = verdict?.result.status;
        if (status === 'skip') return ctx.skip(verdict?.result.skipReason);
        if (status === 'pass' || verdict?.known) return;
        throw new Error(lines.join('\n'));
      },
      timeout,
    );
  }
}
