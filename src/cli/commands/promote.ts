// tcp-conform promote FILE: a counterexample becomes a regression vector that every run replays.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { UsageError } from '../../stacks/usage.js';
import { type OptionSpec, flag, parseCommand, str, writeAtomic } from '../args.js';
import { VECTORS_DIR, type Out } from '../vectors.js';
import { loadVectorOrUsage } from './export.js';

const PROMOTE_OPTIONS: OptionSpec = { name: { type: 'string' }, force: { type: 'boolean' } };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function promoteCommand(argv: string[], out: Out, vectorsDir = VECTORS_DIR): number {
  const { values: o, positionals } = parseCommand('promote', argv, PROMOTE_OPTIONS);
  if (positionals.length !== 1) throw new UsageError('promote needs exactly one counterexample FILE');
  const src = resolve(positionals[0]!);
  const vec = loadVectorOrUsage(src);
  const name = str(o, 'name') ?? vec.name.replace(/[^A-Za-z0-9._-]+/g, '_');
  if (!NAME.test(name)) {
    throw new UsageError(
      `--name ${JSON.stringify(name.slice(0, 60))}: use 1-100 letters, digits, '.', '_' or '-', starting with a ` +
        `letter or digit`,
    );
  }
  const dir = join(vectorsDir, 'regressions');
  const dest = join(dir, `${name}.json`);
  if (existsSync(dest) && !flag(o, 'force')) {
    throw new UsageError(
      `${relative(process.cwd(), dest)} exists already: choose another --name, or --force to overwrite it`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const json = JSON.parse(readFileSync(src, 'utf8'));
  json.name = name;
  writeAtomic(dest, `${JSON.stringify(json, null, 2)}\n`);
  out(`promoted ${basename(src)} to ${relative(process.cwd(), dest)}: it now runs with every 'tcp-conform run'`);
  return 0;
}
