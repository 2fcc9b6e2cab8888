import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { runProperty } from '../../src/oracle/engine.js';
import { MUTANTS, mutantAdapter } from '../../src/stacks/mutants.js';

describe('mutants', () => {
  it('there are at least 25, each with a bug description and what it breaks', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(25);
    for (const m of MUTANTS) {
      expect(m.bug.length).toBeGreaterThan(10);
      expect(m.breaks).toMatch(/MUST|SHLD|§|RFC/);
    }
  });
  it.each(MUTANTS.map((m) => m.name))('%s is killed with default settings', async (name) => {
    const a = mutantAdapter(name)!;
    for (const p of ALL_PROPERTIES) {
      const r = await runProperty(p, a, { runs: 100, seed: 42 });
      if (r.status === 'fail') return;
      expect(r.status).not.toBe('error');
    }
    throw new Error(`mutant ${name} survived every property`);
  });
});
