// The README's property and invariant tables and its mutant count follow the code.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { INVARIANTS } from '../../src/oracle/invariants.js';
import { MUTANTS } from '../../src/stacks/mutants.js';

const readme = readFileSync('README.md', 'utf8');

it('lists every property and invariant in its tables', () => {
  const missing = [...ALL_PROPERTIES.map((p) => p.name), ...INVARIANTS.map((i) => i.name)].filter(
    (n) => !readme.includes(`| \`${n}\` |`),
  );
  expect(missing).toEqual([]);
});

it('gives the number of mutants there are', () => {
  expect(readme).toContain(`holds ${MUTANTS.length} seeded-fault variants`);
});
