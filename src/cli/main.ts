// tcp-conform command line. I/O lives here; everything else is a library.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveStack, UsageError } from '../stacks/registry.js';
import { type VectorResult, formatFailure, runVector } from '../trace/runner.js';
import { type Vector, VectorError, loadVector } from '../trace/vector.js';

export const VECTORS_DIR = fileURLToPath(new URL('../../vectors', import.meta.url));

const HELP = `tcp-conform — property-based TCP conformance against an executable RFC 9293 model

usage:
  tcp-conform run [--stack NAME|PATH] [--vectors DIR] [--only PATTERN] [--json FILE]
  tcp-conform replay FILE... [--stack NAME|PATH] [--json FILE]
  tcp-conform help

  --stack    reference (default), or a path to a module exporting a StackAdapter
  --vectors  folder of vector files (default: the vectors shipped with tcp-conform, recursively)
  --only     run only vectors whose name contains PATTERN
  --json     write every verdict to FILE as JSON

exit status: 0 nothing failed, 1 a vector failed, 2 bad usage, a broken vector file or an adapter error`;

/** All *.json vector files below dir, sorted. */
export function vectorFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function parse(argv: string[]): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: 'string', default: 'reference' },
        vectors: { type: 'string' },
        only: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`), errOut: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<number> {
  try {
    const args = parse(argv);
    const [cmd, ...rest] = args.positionals;
    const v = args.values as { stack: string; vectors?: string; only?: string; json?: string; help?: boolean };
    if (v.help || cmd === 'help' || cmd === undefined) {
      out(HELP);
      return cmd === undefined && !v.help ? 2 : 0;
    }
    if (cmd === 'run') {
      if (rest.length) throw new UsageError(`run takes no positional arguments (got ${rest.join(' ')})`);
      const dir = resolve(v.vectors ?? VECTORS_DIR);
      let files: string[];
      try {
        files = vectorFiles(dir);
      } catch (e) {
        throw new UsageError(`cannot read vectors folder ${dir}: ${(e as Error).message}`);
      }
      return await runFiles(files, v, out, errOut, dir);
    }
    if (cmd === 'replay') {
      if (rest.length === 0) throw new UsageError('replay needs at least one vector or counterexample FILE');
      return await runFiles(rest.map((f) => resolve(f)), v, out, errOut, process.cwd());
    }
    throw new UsageError(`unknown command ${JSON.stringify(cmd)} (expected run, replay or help)`);
  } catch (e) {
    if (e instanceof UsageError) {
      errOut(`tcp-conform: ${e.message}`);
      errOut(`run 'tcp-conform help' for usage`);
      return 2;
    }
    throw e;
  }
}

async function runFiles(files: string[], v: { stack: string; only?: string; json?: string }, out: (s: string) => void, errOut: (s: string) => void, base: string): Promise<number> {
  const adapter = await resolveStack(v.stack);
  const vectors: Vector[] = [];
  const broken: Array<{ file: string; message: string }> = [];
  for (const f of files) {
    try {
      const vec = loadVector(f);
      if (!v.only || vec.name.includes(v.only)) vectors.push(vec);
    } catch (e) {
      if (!(e instanceof VectorError)) throw e;
      broken.push({ file: f, message: e.message });
    }
  }
  if (vectors.length === 0 && broken.length === 0) throw new UsageError(v.only ? `no vector matches --only ${JSON.stringify(v.only)}` : 'no vector files found');
  out(`tcp-conform: ${vectors.length} vectors against stack ${adapter.name}`);
  const results: VectorResult[] = [];
  for (const vec of vectors) {
    const r = await runVector(vec, adapter);
    results.push(r);
    const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' }[r.status];
    out(`${mark.padEnd(5)} ${vec.name}${r.status === 'skip' ? ` (${r.skipReason})` : ''}`);
    if (r.status === 'fail' || r.status === 'error') out(formatFailure(r).split('\n').map((l) => `      ${l}`).join('\n'));
  }
  for (const b of broken) errOut(`ERROR broken vector file: ${b.message}`);
  const passed = results.filter((r) => r.status === 'pass').length;
  const failed = results.filter((r) => r.status === 'fail' || r.status === 'error').length + broken.length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  if (v.json) {
    const doc = {
      tool: 'tcp-conform',
      stack: adapter.name,
      profile: adapter.profile,
      passed, failed, skipped,
      vectors: results.map((r) => ({
        name: r.name, file: r.file ? relative(base, r.file) : undefined, status: r.status,
        ...(r.skipReason ? { skipReason: r.skipReason } : {}), ...(r.failure ? { failure: r.failure } : {}),
      })),
      brokenFiles: broken,
    };
    writeFileSync(v.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
  out(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  const adapterTrouble = broken.length > 0 || results.some((r) => r.status === 'error');
  return adapterTrouble ? 2 : failed > 0 ? 1 : 0;
}
