// tcp-conform mutants: the suite against every seeded-fault variant of the reference; the kill matrix.
import { resolve } from 'node:path';
import { ALL_PROPERTIES } from '../../../properties/index.js';
import { Interrupted } from '../../harness/interrupt.js';
import { type KillRow, killMutant } from '../../oracle/kill.js';
import { MUTANTS, type Mutant } from '../../stacks/mutants.js';
import { resolveStack } from '../../stacks/registry.js';
import { UsageError } from '../../stacks/usage.js';
import { type OptionSpec, checkOutputs, intOpt, parseCommand, seedOpt, str, writeAtomic } from '../args.js';
import { SIGNAL_EXIT } from '../session.js';
import type { Out } from '../vectors.js';

const MUTANTS_OPTIONS: OptionSpec = {
  runs: { type: 'string' },
  seed: { type: 'string' },
  only: { type: 'string' },
  json: { type: 'string' },
};

type Row = KillRow;

async function killRow(m: Mutant, runs: number, seed: number): Promise<Row> {
  return killMutant(m, await resolveStack(`mutant:${m.name}`), runs, seed);
}

function rowLine(row: Row): string {
  const caught = row.killed
    ? `${row.property}${row.violated !== row.property ? ` (${row.violated})` : ''}`
    : row.error
      ? `ERROR ${row.error}`
      : row.killedByOther
        ? `NOT BY ITS CHECK: ${row.violated} (wants ${(row.caughtBy as string[]).join(', ')})`
        : 'SURVIVED';
  const first = row.killed ? `${row.msToFirstFailure} ms`.padStart(10) : ''.padStart(10);
  return (
    `${String(row.mutant).padEnd(28)} ${String(caught).padEnd(44)} ${first} ` +
    `${row.killed ? String(row.shrunkActions).padStart(7) : ''}`
  );
}

export async function mutantsCommand(argv: string[], out: Out): Promise<number> {
  const { values: o, positionals } = parseCommand('mutants', argv, MUTANTS_OPTIONS);
  if (positionals.length) throw new UsageError(`mutants takes no positional arguments (got ${positionals.join(' ')})`);
  checkOutputs([['json', str(o, 'json')]]);
  const runs = intOpt(str(o, 'runs'), 'runs', 100, 1, 1_000_000);
  const seed = seedOpt(str(o, 'seed'), 42);
  const only = str(o, 'only');
  const list = MUTANTS.filter((m) => !only || m.name.includes(only));
  if (list.length === 0) throw new UsageError(`no mutant matches --only ${JSON.stringify(only)}`);
  out(
    `tcp-conform: ${list.length} mutants, up to ${ALL_PROPERTIES.length} properties × ${runs} runs each (seed ${seed})`,
  );
  out(`${'mutant'.padEnd(28)} ${'caught by'.padEnd(44)} ${'first fail'.padStart(10)} ${'shrunk'.padStart(7)}`);
  const rows: Row[] = [];
  let interrupted: string | undefined;
  for (const m of list) {
    try {
      rows.push(await killRow(m, runs, seed));
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      interrupted = e.signal;
      break;
    }
    out(rowLine(rows.at(-1)!));
  }
  const json = str(o, 'json');
  if (json) writeAtomic(resolve(json), `${JSON.stringify(interrupted ? { interrupted, rows } : rows, null, 2)}\n`);
  const survived = rows.filter((r) => !r.killed).length;
  const note = interrupted ? `; interrupted by ${interrupted}: ${list.length - rows.length} not run` : '';
  out(`${rows.length - survived} passed, ${survived} failed (a mutant passes when the suite kills it)${note}`);
  if (interrupted) return SIGNAL_EXIT[interrupted] ?? 130;
  return survived ? 1 : 0;
}
