// Every property is tagged and has a mutant it kills; every mutant names real checks. The first half of the
// per-property tests (holds on the reference and reference-perturbed, kills its mutant) is here, the second in
// properties-2.test.ts (properties/suite.ts deals them).
import { describe, expect, it } from 'vitest';
import { runProperty } from '../src/oracle/engine.js';
import { CAUGHT_BY, MUTANTS, namesCause } from '../src/stacks/mutants.js';
import { checkCatalog } from '../src/report/verdicts.js';
import { referenceAdapter } from '../src/stacks/reference/adapter.js';
import { ALL_PROPERTIES } from './index.js';
import { KILLS, describeProperties } from './suite.js';

describe('syn-flood with SYN cookies', () => {
  it('a genuine client completes its handshake while spoofed SYNs fill the backlog', async () => {
    const p = ALL_PROPERTIES.find((x) => x.name === 'syn-flood')!;
    const cookies = referenceAdapter('reference-cookies', { synCookies: true, backlog: 64 });
    expect(cookies.profile.synCookies).toBe(true);
    const r = await runProperty(p, cookies, { runs: 10, seed: 4 });
    expect(r.status).toBe('pass');
    const none = referenceAdapter('reference-no-cookies', {
      synCookies: false,
      backlog: 64,
      model: { synAckRetries: 1_000_000, userTimeout: 1e12 },
    });
    expect(
      (await runProperty(p, { ...none, profile: { ...none.profile, synCookies: true } }, { runs: 5, seed: 4 })).status,
    ).toBe('fail');
  });
});

describe('properties', () => {
  it('every property is tagged, titled and has a mutant it kills', () => {
    for (const p of ALL_PROPERTIES) {
      expect(p.section).toMatch(/§|RFC/);
      expect(p.title.length).toBeGreaterThan(20);
      expect(KILLS[p.name], `no mutant named for ${p.name}`).toBeDefined();
    }
    expect(new Set(ALL_PROPERTIES.map((p) => p.name)).size).toBe(ALL_PROPERTIES.length);
  });
  it('every mutant names the checks that must catch it, and each names a real check', () => {
    const catalog = [...checkCatalog([]).keys()];
    for (const m of MUTANTS) {
      const names = CAUGHT_BY[m.name];
      expect(names, m.name).toBeDefined();
      for (const n of names!)
        expect(
          catalog.some((c) => namesCause(n, c)),
          `${m.name}: ${n}`,
        ).toBe(true);
    }
  });
});

describeProperties(0, 2);
