// The result → requirement mapping: what the report card, JSON and JUnit are built from.
import { describe, expect, it } from 'vitest';
import type { PropertyResult } from '../../src/oracle/engine.js';
import type { Violation } from '../../src/oracle/types.js';
import { buildCard } from '../../src/report/card.js';
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
  elapsedMs: 1,
  ...over,
});
const violation = (requirements: string[]): Violation => ({
  property: 'x',
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
  it('a passing property judges its own ids and the ones it also checks', () => {
    const j = judgedOf([prop({ property: 'four-way-close', requirements: ['MUST-13'] })], [], [], undefined, '/');
    expect(j[0]).toMatchObject({ kind: 'property', name: 'four-way-close', status: 'pass', violated: [] });
    expect(j[0]!.requirements).toEqual(expect.arrayContaining(['MUST-13', 'MUST-12']));
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
    expect(f).toMatchObject({ status: 'fail', message: 'broken' });
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
    expect(j!.declared).toEqual([{ requirements: ['MUST-13'], reason: 'short' }]);
  });
  it('nothing judged: the requirement is not run rather than pass', () => {
    expect(verdictOf(card([]), 'MUST-10').verdict).not.toBe('pass');
  });
});
