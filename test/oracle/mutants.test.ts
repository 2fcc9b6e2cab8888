import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { killMutant, orderedFor } from '../../src/oracle/kill.js';
import { MUTANTS, mutantAdapter } from '../../src/stacks/mutants.js';

describe('mutants', () => {
  it('there are at least 25, each with a bug description and what it breaks', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(25);
    for (const m of MUTANTS) {
      expect(m.bug.length).toBeGreaterThan(10);
      expect(m.breaks).toMatch(/MUST|SHLD|§|RFC/);
    }
  });
  it.each(MUTANTS.map((m) => m.name))(
    '%s is killed by a check that names its fault (default settings)',
    async (name) => {
      const m = MUTANTS.find((x) => x.name === name)!;
      const row = await killMutant(m, mutantAdapter(name)!, 100, 42);
      expect(row.error).toBeUndefined();
      expect(row.killed, row.killedByOther ? `only ${row.violated} failed: ${row.message}` : 'survived').toBe(true);
    },
    180_000,
  );
  it('the properties that own a mutant’s checks run first', () => {
    const m = MUTANTS.find((x) => x.name === 'receiver-sws-off')!;
    expect(orderedFor(m)[0]!.name).toBe('receiver-sws');
    expect(orderedFor(m)).toHaveLength(ALL_PROPERTIES.length);
  });
});
