// Resolves --stack NAME|PATH to an adapter.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StackAdapter } from './adapter.js';
import { MUTANTS, mutantAdapter } from './mutants.js';
import { type Perturbation, perturbedAdapter } from './perturbed.js';
import { referenceAdapter } from './reference/adapter.js';

export class UsageError extends Error {}

export const BUILTIN_STACKS = ['reference', 'reference-perturbed', 'mutant:NAME'] as const;

function isAdapter(x: unknown): x is StackAdapter {
  const a = x as StackAdapter | undefined;
  return !!a && typeof a === 'object' && typeof a.name === 'string' && typeof a.create === 'function' && typeof a.profile === 'object';
}

export interface ResolveOptions {
  /** Seed of reference-perturbed's draws. */
  seed?: number;
  /** A recorded perturbation (from a counterexample's origin) to replay exactly. */
  perturbation?: Perturbation;
}

export async function resolveStack(spec: string, opts: ResolveOptions = {}): Promise<StackAdapter> {
  if (spec === 'reference') return referenceAdapter();
  if (spec === 'reference-perturbed') return perturbedAdapter(opts.seed ?? 1, opts.perturbation);
  if (spec.startsWith('mutant:')) {
    const m = mutantAdapter(spec.slice('mutant:'.length));
    if (!m) throw new UsageError(`unknown mutant ${JSON.stringify(spec.slice(7))}: one of ${MUTANTS.map((x) => x.name).join(', ')}`);
    return m;
  }
  const looksLikePath = spec.includes('/') || spec.endsWith('.ts') || spec.endsWith('.js') || spec.endsWith('.mjs');
  if (!looksLikePath) throw new UsageError(`unknown stack ${JSON.stringify(spec)}: use one of ${BUILTIN_STACKS.join(', ')}, or a path to a module exporting an adapter`);
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
