// Command-line arguments: each command declares its own options; what it does not take is refused.
import { existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../stacks/usage.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** Parse one command's arguments; an option of another command (or none) is named with the command's own list. */
export function parseCommand(cmd: string, argv: string[], spec: OptionSpec): { values: Values; positionals: string[] } {
  const all: OptionSpec = { ...spec, help: { type: 'boolean', short: 'h' } };
  try {
    const a = parseArgs({ args: argv, allowPositionals: true, strict: true, options: all });
    return { values: a.values as Values, positionals: a.positionals };
  } catch (e) {
    const m = /Unknown option '([^']+)'/.exec((e as Error).message);
    const own = Object.keys(spec)
      .map((k) => `--${k}`)
      .join(' ');
    if (m) throw new UsageError(`${cmd} does not take ${m[1]} (its options: ${own || 'none'})`);
    throw new UsageError(`${cmd}: ${(e as Error).message}`);
  }
}

export const str = (v: Values, k: string): string | undefined => v[k] as string | undefined;
export const flag = (v: Values, k: string): boolean => v[k] === true;

/** An integer option within [min, max]. */
export function intOpt(
  v: string | undefined,
  name: string,
  def: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(v.slice(0, 40))})`);
  }
  return Number(v);
}

/** fast-check seeds are 32-bit integers: anything else could not be reproduced as printed. */
const SEED_MAX = 0x7fffffff;
export const seedOpt = (v: string | undefined, def: number): number => intOpt(v, 'seed', def, 0, SEED_MAX);

/** --shard i/n: this machine runs every n-th property and vector, starting with the i-th (1-based). */
export function parseShard(v: string | undefined): { i: number; n: number } {
  if (v === undefined) return { i: 1, n: 1 };
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) {
    throw new UsageError(`--shard must be i/n with 1 <= i <= n (got ${JSON.stringify(v.slice(0, 40))})`);
  }
  return { i: Number(m[1]), n: Number(m[2]) };
}

/**
 * Output files are checked before any work: the folder must exist, the path must not be a folder, and no
 * two outputs may share a path. Folders for counterexamples (--out) are created, but must not be files.
 */
export function checkOutputs(
  files: Array<[string, string | undefined]>,
  dirs: Array<[string, string | undefined]> = [],
): void {
  const seen = new Map<string, string>();
  for (const [opt, f] of files) {
    if (f === undefined) continue;
    if (f === '') throw new UsageError(`--${opt} needs a file name`);
    const p = resolve(f);
    const other = seen.get(p);
    if (other) throw new UsageError(`--${other} and --${opt} name the same file ${f}: give each output its own file`);
    seen.set(p, opt);
    const dir = dirname(p);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(`--${opt} ${f}: folder ${dir} does not exist`);
    if (existsSync(p) && statSync(p).isDirectory())
      throw new UsageError(`--${opt} ${f} is a folder; name a file in it`);
  }
  for (const [opt, d] of dirs) {
    if (d === undefined) continue;
    const p = resolve(d);
    if (existsSync(p) && !statSync(p).isDirectory()) throw new UsageError(`--${opt} ${d} is a file; name a folder`);
  }
}

/** Write a file whole or not at all: a temporary file beside it, renamed into place. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = resolve(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never written */
    }
    throw e;
  }
}
