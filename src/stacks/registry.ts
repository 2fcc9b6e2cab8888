// Resolves --stack NAME|PATH to an adapter.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AdapterError, guard } from '../harness/bounded.js';
import type { StackAdapter, StackProfile } from './adapter.js';
import { parseProfile, validateProfile } from './profile.js';
import { lwipAdapter } from './lwip/adapter.js';
import { processAdapter } from './process/adapter.js';
import { profileFor } from './reference/adapter.js';
import { DEFAULT_CONFIG } from '../model/config.js';
import { UsageError } from './usage.js';
import { MUTANTS, mutantAdapter } from './mutants.js';
import { type Perturbation, perturbedAdapter } from './perturbed.js';
import { referenceAdapter } from './reference/adapter.js';

export { UsageError };

const BUILTIN_STACKS = ['reference', 'reference-perturbed', 'mutant:NAME', 'lwip', 'linux', 'process:CMD'] as const;
export const CONFIG_FILE = 'tcp-conform.config.json';

function isAdapter(x: unknown): x is StackAdapter {
  const a = x as StackAdapter | undefined;
  return !!a && typeof a === 'object' && typeof a.name === 'string' && typeof a.create === 'function';
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
/**
 * What a stack of unknown make is taken to be: RFC timers, and none of the optional interfaces (application
 * controls, urgent and push events) until its profile declares them, as the profile's documented defaults say.
 */
export const GENERIC_PROFILE = (name: string): StackProfile => ({
  ...profileFor(name, DEFAULT_CONFIG, false),
  options: { mss: true, wscale: true, sackPermitted: true, timestamps: true },
  controls: [],
  urgentEvents: false,
  pushEvents: false,
});

/** A profile from a config file, over the generic one; every wrong field is named. */
export function profileFromJson(name: string, raw: unknown, where: string): StackProfile {
  return parseProfile(raw, `${where}: profile`, GENERIC_PROFILE(name));
}

const ENTRY_KEYS = ['command', 'cwd', 'maxConcurrency', 'commandTimeoutMs', 'profile'];

function readConfig(file: string): Record<string, Record<string, unknown>> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  const d = doc as Record<string, unknown> | null;
  if (!d || typeof d !== 'object' || Array.isArray(d))
    throw new UsageError(`${file}: expected { "stacks": { "NAME": { "command": ... } } }`);
  for (const k of Object.keys(d))
    if (k !== 'stacks' && k !== '$schema')
      throw new UsageError(`${file}: unknown field ${JSON.stringify(k)} (expected "stacks")`);
  const stacks = d.stacks;
  if (!stacks || typeof stacks !== 'object' || Array.isArray(stacks)) {
    throw new UsageError(
      `${file}: "stacks" must be an object mapping stack names to { "command": ... }, got ` +
        `${JSON.stringify(stacks)?.slice(0, 40)}`,
    );
  }
  for (const [name, e] of Object.entries(stacks)) {
    if (!e || typeof e !== 'object' || Array.isArray(e))
      throw new UsageError(`${file}: stacks.${name} must be an object { "command": ... }`);
  }
  return stacks as Record<string, Record<string, unknown>>;
}

function configStack(spec: string, file: string): StackAdapter | undefined {
  const entry = readConfig(file)[spec];
  if (entry === undefined) return undefined;
  const where = `${file}: stacks.${spec}`;
  for (const k of Object.keys(entry)) {
    if (!ENTRY_KEYS.includes(k))
      throw new UsageError(`${where}: unknown field ${JSON.stringify(k)} (known: ${ENTRY_KEYS.join(', ')})`);
  }
  const cmd = entry.command;
  const argv =
    typeof cmd === 'string'
      ? splitCommand(cmd)
      : Array.isArray(cmd) && cmd.every((x) => typeof x === 'string')
        ? (cmd as string[])
        : undefined;
  if (!argv || argv.length === 0)
    throw new UsageError(`${where}.command must be a command line string or an array of strings`);
  const conc = entry.maxConcurrency;
  if (conc !== undefined && (!Number.isInteger(conc) || (conc as number) < 1 || (conc as number) > 64)) {
    throw new UsageError(`${where}.maxConcurrency must be an integer from 1 to 64, got ${JSON.stringify(conc)}`);
  }
  const timeout = entry.commandTimeoutMs;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0 && timeout <= 600_000))) {
    throw new UsageError(
      `${where}.commandTimeoutMs must be a number of ms from 1 to 600000, got ${JSON.stringify(timeout)}`,
    );
  }
  if (entry.cwd !== undefined && typeof entry.cwd !== 'string')
    throw new UsageError(`${where}.cwd must be a folder path string, got ${JSON.stringify(entry.cwd)}`);
  const cwd = resolve(dirname(file), typeof entry.cwd === 'string' ? entry.cwd : '.');
  if (!existsSync(cwd) || !statSync(cwd).isDirectory())
    throw new UsageError(`${where}.cwd: folder ${cwd} does not exist`);
  return processAdapter({
    name: spec,
    command: argv,
    cwd,
    profile: profileFromJson(spec, entry.profile, where),
    ...(conc !== undefined ? { maxConcurrency: conc as number } : {}),
    ...(timeout !== undefined ? { commandTimeoutMs: timeout as number } : {}),
  });
}

/** How long loading a user's adapter module, and calling its factory, may take. */
const MODULE_LOAD_MS = Number(process.env.TCP_CONFORM_LOAD_TIMEOUT_MS) || 30_000;

async function importModule(file: string): Promise<Record<string, unknown>> {
  try {
    return (await guard(() => import(pathToFileURL(file).href), MODULE_LOAD_MS, `loading ${file}`)) as Record<
      string,
      unknown
    >;
  } catch (first) {
    if (first instanceof AdapterError && /did not answer/.test(first.message))
      throw new UsageError(`stack module ${file}: ${first.message}`);
    const msg = (first as Error).message;
    // A .ts file outside an ESM package is compiled as CommonJS; load it through tsx's scoped import instead.
    try {
      const { tsImport } = await import('tsx/esm/api');
      return (await guard(
        () => tsImport(pathToFileURL(file).href, import.meta.url),
        MODULE_LOAD_MS,
        `loading ${file}`,
      )) as Record<string, unknown>;
    } catch (second) {
      const m2 = (second as Error).message;
      if (/require\(\) (of )?ES Module|ERR_REQUIRE_ASYNC_MODULE|in a cycle|top-level await/i.test(m2)) {
        throw new UsageError(
          `cannot load stack module ${file}: it uses ES module syntax (e.g. top-level await) but is loaded as ` +
            `CommonJS; ` +
            'add "type": "module" to the package.json of its folder, or name it .mts',
        );
      }
      throw new UsageError(`cannot load stack module ${file}: ${msg.split('\n')[0]}`);
    }
  }
}

async function moduleStack(file: string): Promise<StackAdapter> {
  if (!existsSync(file)) throw new UsageError(`stack module ${file} does not exist`);
  const mod = await importModule(file);
  let cand = mod.default ?? mod.adapter;
  // CommonJS interop wraps the exports once more.
  if (cand && typeof cand === 'object' && !isAdapter(cand) && 'default' in cand)
    cand = (cand as { default: unknown }).default;
  let adapter: unknown = cand;
  if (typeof cand === 'function' && !isAdapter(cand)) {
    try {
      adapter = await guard(() => (cand as () => unknown)(), MODULE_LOAD_MS, `the adapter factory exported by ${file}`);
    } catch (e) {
      throw new UsageError(`stack module ${file}: ${(e as Error).message}`);
    }
  }
  if (!isAdapter(adapter))
    throw new UsageError(
      `stack module ${file} must export (default or as "adapter") an object with name, profile and create()`,
    );
  validateProfile(adapter.profile, `stack module ${file}: profile`);
  return adapter;
}

export async function resolveStack(spec: string, opts: ResolveOptions = {}): Promise<StackAdapter> {
  if (spec === 'reference') return referenceAdapter();
  if (spec === 'reference-perturbed') return perturbedAdapter(opts.seed ?? 1, opts.perturbation);
  if (spec.startsWith('mutant:')) {
    const m = mutantAdapter(spec.slice('mutant:'.length));
    if (!m)
      throw new UsageError(
        `unknown mutant ${JSON.stringify(spec.slice(7))}: one of ${MUTANTS.map((x) => x.name).join(', ')}`,
      );
    return m;
  }
  if (spec === 'lwip') return lwipAdapter();
  if (spec === 'linux') {
    const { linuxAdapter } = await import('./linux/adapter.js');
    return linuxAdapter();
  }
  if (spec.startsWith('process:')) {
    const argv = splitCommand(spec.slice('process:'.length));
    if (argv.length === 0)
      throw new UsageError('process: needs a driver command, e.g. --stack "process:./my-driver --flag"');
    return processAdapter({ name: `process:${argv.join(' ')}`, command: argv, profile: GENERIC_PROFILE('process') });
  }
  const cfgFile = opts.config ? resolve(opts.config) : existsSync(CONFIG_FILE) ? resolve(CONFIG_FILE) : undefined;
  if (opts.config && !existsSync(cfgFile!)) throw new UsageError(`config file ${cfgFile} does not exist`);
  if (cfgFile) {
    const a = configStack(spec, cfgFile);
    if (a) return a;
  }
  const looksLikePath = spec.includes('/') || spec.endsWith('.ts') || spec.endsWith('.js') || spec.endsWith('.mjs');
  if (!looksLikePath) {
    throw new UsageError(
      `unknown stack ${JSON.stringify(spec)}: use one of ${BUILTIN_STACKS.join(', ')}, a stack named in ` +
        `${CONFIG_FILE}, or a path to a module exporting an adapter`,
    );
  }
  return moduleStack(resolve(spec));
}
