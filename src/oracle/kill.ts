// Killing a mutant: the suite runs against one seeded-fault variant of the reference until a check that names the
// fault finds it. The properties that own those checks run first; the rest only when they miss it.
import { ALL_PROPERTIES } from '../../properties/index.js';
import type { StackAdapter } from '../stacks/adapter.js';
import { CAUGHT_BY, type Mutant, namesCause } from '../stacks/mutants.js';
import { runProperty } from './engine.js';
import { type Property, checksOf } from './property.js';

export interface KillRow {
  mutant: string;
  bug: string;
  breaks: string;
  caughtBy: readonly string[];
  /** A check that names the fault failed. */
  killed: boolean;
  /** Only a check that does not name the fault failed. */
  killedByOther?: boolean;
  property?: string;
  violated?: string;
  requirements?: string[];
  message?: string;
  msToFirstFailure?: number;
  shrunkActions?: number;
  shrunkTraceEntries?: number;
  error?: string;
}

/**
 * Properties whose checks name the mutant's fault run first; then those whose requirement ids, RFC or RFC 9293
 * section the fault's description names (a fault found by an always-on check, which every property runs); the rest
 * after, in case only they catch it.
 */
export function orderedFor(m: Mutant): Property[] {
  const names = CAUGHT_BY[m.name] ?? [];
  const owns = (p: Property) => checksOf(p).some((c) => names.some((n) => namesCause(n, c.id)));
  const rfc = /RFC \d+/.exec(m.breaks)?.[0];
  const section = /§[\d.]+\d/.exec(m.breaks)?.[0];
  const ids = requirementIds(m.breaks);
  const named = (p: Property) =>
    p.requirements.some((r) => ids.has(r)) ||
    (rfc !== undefined && p.section.includes(rfc)) ||
    (section !== undefined && p.section.includes(section));
  const namedByBug = (p: Property) => !owns(p) && named(p);
  const rest = (p: Property) => !owns(p) && !namedByBug(p);
  return [...ALL_PROPERTIES.filter(owns), ...ALL_PROPERTIES.filter(namedByBug), ...ALL_PROPERTIES.filter(rest)];
}

const requirementIds = (text: string): Set<string> => new Set(text.match(/\b(?:MUST|SHLD|MAY)-\d+\b/g) ?? []);

export async function killMutant(m: Mutant, adapter: StackAdapter, runs: number, seed: number): Promise<KillRow> {
  const t0 = Date.now();
  const names = CAUGHT_BY[m.name] ?? [];
  const row: KillRow = { mutant: m.name, bug: m.bug, breaks: m.breaks, caughtBy: names, killed: false };
  let other: KillRow | undefined;
  for (const p of orderedFor(m)) {
    const r = await runProperty(p, adapter, { runs, seed });
    if (r.status === 'error') return { ...row, error: r.error ?? 'error' };
    if (r.status !== 'fail' || !r.counterexample) continue;
    const c = r.counterexample;
    // Killed by its own cause: a violation of a check that names the fault.
    const v = c.violations.find((x) => names.some((n) => namesCause(n, x.check)));
    const shown = v ?? c.violations[0]!;
    const hit: KillRow = {
      ...row,
      property: p.name,
      violated: shown.check,
      requirements: shown.requirements,
      message: shown.message,
      msToFirstFailure: Date.now() - t0 - r.elapsedMs + (r.msToFailure ?? 0),
      shrunkActions: c.scenario.actions.length,
      shrunkTraceEntries: c.trace.length,
    };
    if (v) return { ...hit, killed: true };
    other ??= { ...hit, killedByOther: true };
  }
  return other ?? row;
}
