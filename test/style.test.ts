// House style the formatter cannot enforce: no line over 120 characters in src/ and properties/.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

it('no line in src/ or properties/ is longer than 120 characters', () => {
  const long = [...files('src'), ...files('properties')].flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((l, i) => ([...l].length > 120 ? [`${f}:${i + 1} (${[...l].length})`] : [])),
  );
  expect(long).toEqual([]);
});
