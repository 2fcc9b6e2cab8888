// Resolves --stack NAME|PATH to an adapter.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Deviation, StackAdapter, StackProfile } from './adapter.js';
import { lwipAdapter } from './lwip/adapter.js';
import { processAdapter } from './process/adapter.js';
import { profileFor } from './reference/adapter.js';
import { DEFAULT_CONFIG } from '../model/config.js';
import { UsageError } from './usage.js';
import { MUTANTS, mutantAdapter } from './mutants.js';
import { type Perturbation, perturbedAdapter } from './perturbed.js';
import { referenceAdapter } from './reference/adapter.js';

export { UsageError };

export const BUILTIN_STACKS = ['reference', 'reference-perturbed', 'mutant:NAME', 'lwip', 'linux', 'process:CMD'] as const;
export const CONFIG_FILE = 'tcp-conform.config.json';

function isAdapter(x: unknown): x is StackAdapter {
  const a = x as StackAdapter | undefined;
  return !!a && typeof a === 'object' && typeof a.name === 'string' && typeof a.create === 'function' && typeof a.profile === 'object';
}

export interface ResolveOptions {
  /** Seed of reference-perturbed's draws. */
  seed?: number;
  /** A recorded perturbation (from a counterexample's origin) to replay exactly. */
  perturbation?: Perturbation;
  /** Config file naming process stacks (default ./tcp-conform.config.json when it exists). */
  config?: string;
}

/** Split a command line on spaces, keeping "double" or 'single' quoted words together. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(cmd); m; m = re.exec(cmd)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** The profile of a process stack that declares nothing: RFC 9293's defaults, no deviations. */
export const GENERIC_PROFILE = (name: string): StackProfile => ({ ...profileFor(name, DEFAULT_CONFIG, false), options: { mss: true, wscale: true, sackPermitted: true, timestamps: true } });

const PROFILE_NUMBERS = ['msl', 'rtoInitial', 'rtoMin', 'rtoMax', 'ackDelayMax'] as const;

/** A profile from a config file, over the generic one; every wrong field is named. */
export function profileFromJson(name: string, raw: unknown, where: string): StackProfile {
  const p = GENERIC_PROFILE(name);
  if (raw === undefined) return p;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${where}: profile must be an object`);
  const r = raw as Record<string, unknown>;
  const known = [...PROFILE_NUMBERS, 'rfc5961', 'synCookies', 'options', 'deviations', 'name'];
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new UsageError(`${where}: unknown profile field ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  for (const k of PROFILE_NUMBERS) {
    if (r[k] === undefined) continue;
    if (typeof r[k] !== 'number' || !(r[k] as number >= 0)) throw new UsageError(`${where}: profile.${k} must be a number of ms >= 0, got ${JSON.stringify(r[k])}`);
    p[k] = r[k] as number;
  }
  for (const k of ['rfc5961', 'synCookies'] as const) {
    if (r[k] === undefined) continue;
    if (typeof r[k] !== 'boolean') throw new UsageError(`${where}: profile.${k} must be true or false, got ${JSON.stringify(r[k])}`);
    p[k] = r[k] as boolean;
  }
  if (r.options !== undefined) {
    const o = r.options as Record<string, unknown>;
    for (const k of Object.keys(o ?? {})) {
      if (!(k in p.options) || typeof o[k] !== 'boolean') throw new UsageError(`${where}: profile.options.${k} must be one of ${Object.keys(p.options).join(', ')} with a boolean value`);
      p.options[k as keyof StackProfile['options']] = o[k] as boolean;
    }
  }
  if (r.deviations !== undefined) {
    if (!Array.isArray(r.deviations)) throw new UsageError(`${where}: profile.deviations must be an array of { requirement, reason }`);
    p.deviations = r.deviations.map((d: unknown, i: number): Deviation => {
      const x = d as Record<string, unknown>;
      if (!x || typeof x.requirement !== 'string' || typeof x.reason !== 'string' || !x.reason.trim()) throw new UsageError(`${where}: profile.deviations[${i}] needs a requirement id (e.g. "MUST-13") and a non-empty reason`);
      return { requirement: x.requirement, reason: x.reason };
    });
  }
  return p;
}

function configStack(spec: string, file: string): StackAdapter | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  const stacks = (doc as { stacks?: Record<string, unknown> } | null)?.stacks;
  if (!stacks || typeof stacks !== 'object') throw new UsageError(`${file}: expected { "stacks": { "NAME": { "command": ... } } }`);
  const entry = stacks[spec] as Record<string, unknown> | undefined;
  if (entry === undefined) return undefined;
  const where = `${file}: stacks.${spec}`;
  const cmd = entry.command;
  const argv = typeof cmd === 'string' ? splitCommand(cmd) : Array.isArray(cmd) && cmd.every((x) => typeof x === 'string') ? (cmd as string[]) : undefined;
  if (!argv || argv.length === 0) throw new UsageError(`${where}.command must be a command line string or an array of strings`);
  const conc = entry.maxConcurrency;
  if (conc !== undefined && (!Number.isInteger(conc) || (conc as number) < 1)) throw new UsageError(`${where}.maxConcurrency must be an integer >= 1`);
  const timeout = entry.commandTimeoutMs;
  if (timeout !== undefined && (typeof timeout !== 'number' || timeout <= 0)) throw new UsageError(`${where}.commandTimeoutMs must be a positive number`);
  return processAdapter({
    name: spec,
    command: argv,
    cwd: resolve(dirname(file), typeof entry.cwd === 'string' ? entry.cwd : '.'),
    profile: profileFromJson(spec, entry.profile, where),
    ...(conc !== undefined ? { maxConcurrency: conc as number } : {}),
    ...(timeout !== undefined ? { commandTimeoutMs: timeout as number } : {}),
  });
}

export async function resolveStack(spec: string, opts: ResolveOptions = {}): Promise<StackAdapter> {
  if (spec === 'reference') return referenceAdapter();
  if (spec === 'reference-perturbed') return perturbedAdapter(opts.seed ?? 1, opts.perturbation);
  if (spec.startsWith('mutant:')) {
    const m = mutantAdapter(spec.slice('mutant:'.length));
    if (!m) throw new UsageError(`unknown mutant ${JSON.stringify(spec.slice(7))}: one of ${MUTANTS.map((x) => x.name).join(', ')}`);
    return m;
  }
  if (spec === 'lwip') return lwipAdapter();
  if (spec === 'linux') {
    const { linuxAdapter } = await import('./linux/adapter.js');
    return linuxAdapter();
  }
  if (spec.startsWith('process:')) {
    const argv = splitCommand(spec.slice('process:'.length));
    if (argv.length === 0) throw new UsageError('process: needs a driver command, e.g. --stack "process:./my-driver --flag"');
    return processAdapter({ name: `process:${argv.join(' ')}`, command: argv, profile: GENERIC_PROFILE('process') });
  }
  const cfgFile = opts.config ? resolve(opts.config) : existsSync(CONFIG_FILE) ? resolve(CONFIG_FILE) : undefined;
  if (opts.config && !existsSync(cfgFile!)) throw new UsageError(`config file ${cfgFile} does not exist`);
  if (cfgFile) {
    const a = configStack(spec, cfgFile);
    if (a) return a;
  }
  const looksLikePath = spec.includes('/') || spec.endsWith('.ts') || spec.endsWith('.js') || spec.endsWith('.mjs');
  if (!looksLikePath) throw new UsageError(`unknown stack ${JSON.stringify(spec)}: use one of ${BUILTIN_STACKS.join(', ')}, a stack named in ${CONFIG_FILE}, or a path to a module exporting an adapter`);
  const file = resolve(spec);
  if (!existsSync(file)) throw new UsageError(`stack module ${file} does not exist`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (first) {
    // A .ts file outside an ESM package is compiled as CommonJS; load it through tsx's scoped import instead.
    try {
      const { tsImport } = await import('tsx/esm/api');
      mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
    } catch {
      throw new UsageError(`cannot load stack module ${file}: ${(first as Error).message}`);
    }
  }
  let cand = mod.default ?? mod.adapter;
  // CommonJS interop wraps the exports once more.
  if (cand && typeof cand === 'object' && !isAdapter(cand) && 'default' in cand) cand = (cand as { default: unknown }).default;
  const adapter = typeof cand === 'function' && !isAdapter(cand) ? await (cand as () => unknown)() : cand;
  if (!isAdapter(adapter)) throw new UsageError(`stack module ${file} must export (default or as "adapter") an object with name, profile and create()`);
  return adapter;
}
