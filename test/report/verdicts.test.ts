// The result → requirement mapping: what the report card, JSON and JUnit are built from.
import { describe, expect, it } from 'vitest';
import type { PropertyResult } from '../../src/oracle/engine.js';
import type { Violation } from '../../src/oracle/types.js';
import { MIN_EXERCISED_RUNS, buildCard } from '../../src/report/card.js';
import { type VectorVerdict, judgedOf, requirementCoverage } from '../../src/report/verdicts.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import type { VectorResult } from '../../src/trace/runner.js';

const prop = (over: Partial<PropertyResult>): PropertyResult => ({
  property: 'simultaneous-open',
  area: 'handshake',
  title: 't',
  requirements: ['MUST-10'],
  section: '§3.5',
  status: 'pass',
  runs: 10,
  seed: 1,
  declared: [],
  known: [],
  exercised: {},
  elapsedMs: 1,
  ...over,
});
const violation = (requirements: string[]): Violation => ({
  property: 'x',
  check: 'x',
  requirements,
  section: '§3',
  message: 'm',
  at: 0,
});
const vresult = (status: VectorResult['status']): VectorResult => ({
  name: 'fig07-simultaneous-open',
  file: '/v/fig07.json',
  status,
  trace: [],
  bindings: {},
  duration: 0,
  ...(status === 'fail' ? { failure: { step: 3, stepText: 's', message: 'broken' } } : {}),
});
const card = (judged: ReturnType<typeof judgedOf>) => {
  const header = {
    stack: 's',
    profile: GENERIC_PROFILE('s'),
    seed: 1,
    runs: 1,
    strict: false,
    date: 'd',
    elapsedMs: 0,
    totals: { passed: 0, failed: 0, known: 0, skipped: 0 },
  };
  return buildCard(header, judged, requirementCoverage([]));
};
const verdictOf = (c: ReturnType<typeof card>, id: string) => c.requirements.find((r) => r.id === id)!;

describe('judgedOf', () => {
  it('a pass is earned: the checks that count for a requirement must have judged it in enough runs', () => {
    const earned = (runs: number) =>
      verdictOf(
        card(
          judgedOf(
            [prop({ exercised: { 'simultaneous-open/answers-syn': { runs, hits: runs } } })],
            [],
            [],
            undefined,
            '/',
          ),
        ),
        'MUST-10',
      );
    expect(earned(MIN_EXERCISED_RUNS)).toMatchObject({
      verdict: 'pass',
      runs: MIN_EXERCISED_RUNS,
      exercised: [{ check: 'simultaneous-open/answers-syn', runs: MIN_EXERCISED_RUNS }],
    });
    expect(earned(MIN_EXERCISED_RUNS - 1)).toMatchObject({ verdict: 'not exercised', reason: /fewer than the 3/ });
    const never = verdictOf(card(judgedOf([prop({ exercised: {} })], [], [], undefined, '/')), 'MUST-10');
    expect(never).toMatchObject({ verdict: 'not exercised', reason: /no run reached/ });
  });
  it('a requirement nothing judges is not covered, never "not exercised"', () => {
    const j = judgedOf([prop({ exercised: {} })], [], [], undefined, '/');
    const bare = buildCard(card(j).header, j, new Map());
    expect(verdictOf(bare, 'MUST-10')).toMatchObject({ verdict: 'not covered', reason: /no rule, check or vector/ });
    expect(verdictOf(card(j), 'MAY-7')).toMatchObject({ verdict: 'not covered', reason: /a permission/ });
  });
  it('a requirement judged only by properties skipped on this stack is "not run", with their reason', () => {
    const skipped = prop({
      property: 'urgent-event',
      requirements: [],
      status: 'skip',
      skipReason: 'the adapter does not report urgent data',
    });
    const j = judgedOf([skipped, prop({ exercised: { 'seq-space': { runs: 9, hits: 9 } } })], [], [], undefined, '/');
    expect(verdictOf(card(j), 'MUST-32')).toMatchObject({
      verdict: 'not run',
      reason: 'the adapter does not report urgent data',
      decidedBy: ['property urgent-event'],
    });
  });
  it('a check that does not count for a requirement does not earn it', () => {
    const j = judgedOf([prop({ exercised: { 'seq-space': { runs: 100, hits: 900 } } })], [], [], undefined, '/');
    expect(verdictOf(card(j), 'MUST-10').verdict).toBe('not exercised');
  });
  it('MUST-14 needs both halves: an MSS announced (mss-sent) and the peer MSS honoured (mss)', () => {
    const only = judgedOf([prop({ exercised: { mss: { runs: 50, hits: 50 } } })], [], [], undefined, '/');
    expect(verdictOf(card(only), 'MUST-14')).toMatchObject({ verdict: 'not exercised', reason: /mss-sent/ });
    const both = judgedOf(
      [prop({ exercised: { mss: { runs: 50, hits: 50 }, 'mss-sent': { runs: 40, hits: 40 } } })],
      [],
      [],
      undefined,
      '/',
    );
    expect(verdictOf(card(both), 'MUST-14').verdict).toBe('pass');
  });
  it('a requirement judged only in part (MUST-19: backoff, no slow start) can fail but never pass', () => {
    const j = judgedOf(
      [prop({ exercised: { 'syn-retransmission/backoff': { runs: 90, hits: 300 } } })],
      [],
      [],
      undefined,
      '/',
    );
    expect(verdictOf(card(j), 'MUST-19').verdict).toBe('not covered');
  });
  it('a failing property names the violated ids and links its counterexample relative to the report', () => {
    const scenario = { peerIsn: 1, peerWindow: 1, peerMss: undefined, actions: [] };
    const cx = {
      scenario,
      trace: [],
      violations: [violation(['MUST-10'])],
      seed: 1,
      path: '',
      shrinks: 0,
      reproduced: true,
    };
    const r = { ...prop({ status: 'fail', counterexample: cx }), file: '/out/cx/a.json' };
    const [j] = judgedOf([r], [], [], undefined, '/out');
    expect(j).toMatchObject({ status: 'fail', violated: ['MUST-10'], link: 'cx/a.json', message: 'm' });
    expect(verdictOf(card([j!]), 'MUST-10')).toMatchObject({ verdict: 'fail', link: 'cx/a.json' });
  });
  it('declared deviations and known findings keep their ids', () => {
    const r = prop({
      status: 'known',
      declared: [{ ...violation(['MUST-13']), reason: 'fixed 60 s' }],
      known: [{ ...violation(['MUST-10']), finding: 'F3: no simultaneous open' }],
    });
    const [j] = judgedOf([r], [], [], undefined, '/');
    expect(j!.declared).toEqual([{ requirements: ['MUST-13'], reason: 'fixed 60 s' }]);
    expect(j!.known).toEqual([{ requirements: ['MUST-10'], finding: 'F3: no simultaneous open' }]);
  });
  it('vectors take their ids from the vector file; a known failing vector is known, not failed', () => {
    const vec = { name: 'fig07-simultaneous-open', requirements: ['MUST-10'] } as never;
    const known: VectorVerdict = { result: vresult('fail'), violations: [], known: 'F3: x' };
    const [j] = judgedOf([], [known], [vec], undefined, '/v');
    expect(j).toMatchObject({ kind: 'vector', status: 'known', requirements: ['MUST-10'], link: 'fig07.json' });
    expect(verdictOf(card([j!]), 'MUST-10').verdict).toBe('known finding');
    const [f] = judgedOf([], [{ result: vresult('fail'), violations: [] }], [vec], undefined, '/v');
    expect(f).toMatchObject({ status: 'fail', message: 'broken', violated: ['MUST-10'] });
    expect(verdictOf(card([f!]), 'MUST-10').verdict).toBe('fail');
    const [p] = judgedOf([], [{ result: vresult('pass'), violations: [] }], [vec], undefined, '/v');
    expect(p!.exercised).toEqual({ 'vector:fig07-simultaneous-open': { runs: 1, hits: 1 } });
  });
  it('the TIME-WAIT check judges MUST-13, with the declared MSL when the profile has one', () => {
    const tw = {
      status: 'pass' as const,
      expectedMs: 1,
      violations: [],
      message: 'ok',
      trace: [],
      declaredMsl: 'short',
    };
    const [j] = judgedOf([], [], [], tw, '/');
    expect(j).toMatchObject({ kind: 'check', name: 'time-wait-length', requirements: ['MUST-13'], status: 'pass' });
    expect(j!.exercised).toEqual({});
    const [m] = judgedOf([], [], [], { ...tw, measuredMs: 240_000 }, '/');
    expect(m!.exercised).toEqual({ 'time-wait-length': { runs: 1, hits: 1 } });
    expect(j!.declared).toEqual([{ requirements: ['MUST-13'], reason: 'short' }]);
  });
  it('nothing judged: the requirement is not run rather than pass', () => {
    expect(verdictOf(card([]), 'MUST-10').verdict).not.toBe('pass');
  });
});

describe('vector tags', () => {
  it("a vector judged by properties' checks is tagged only with ids those checks (or the always-on ones) count for", async () => {
    const { loadVectors, vectorFiles } = await import('../../src/cli/vectors.js');
    const { ALL_PROPERTIES } = await import('../../properties/index.js');
    const { checksOf } = await import('../../src/oracle/property.js');
    const { INVARIANTS } = await import('../../src/oracle/invariants.js');
    const { DUE_RULES, RULES, SEND_RULES } = await import('../../src/model/rules.js');
    const { vectors } = loadVectors(vectorFiles('vectors'), undefined);
    // The invariants and the tracker's rules judge every trace.
    const rules = [...Object.values(RULES), ...Object.values(SEND_RULES), ...Object.values(DUE_RULES)];
    const always = [...INVARIANTS.flatMap((i) => i.requirements), ...rules.flatMap((r) => r.requirements)];
    for (const v of vectors.filter((x) => x.check.length)) {
      const ids = new Set([
        ...always,
        ...v.check.flatMap((n) => checksOf(ALL_PROPERTIES.find((p) => p.name === n)!).flatMap((c) => c.requirements)),
      ]);
      expect(
        v.requirements.filter((r) => !ids.has(r)),
        v.name,
      ).toEqual([]);
    }
  });
});
