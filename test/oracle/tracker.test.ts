// The tracker: the model judges what a stack owes for each segment reaching an exactly known ESTABLISHED
// connection. Golden traces, then the proof that the model judges: a mutated model finds fault with the unmodified
// reference, and the true model with a mutant stack.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import type { TraceEntry } from '../../src/harness/trace.js';
import { step } from '../../src/model/step.js';
import { classify } from '../../src/oracle/engine.js';
import { execute } from '../../src/oracle/execute.js';
import { trackReplies } from '../../src/oracle/tracker.js';
import { Tally } from '../../src/oracle/types.js';
import { mutantAdapter } from '../../src/stacks/mutants.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import { referenceAdapter } from '../../src/stacks/reference/adapter.js';
import type { StackAdapter } from '../../src/stacks/adapter.js';
import { ladder } from './ladder.js';

const profile = { ...GENERIC_PROFILE('p'), rfc5961: true };
const OPEN = [
  'call listen',
  'in S 300 mss=536',
  'out SA 100 ack=301 win=1000',
  'in A 301 ack=101',
  'event accepted c1',
  'time 1000',
];
const judge = (lines: string[]) => {
  const t = new Tally();
  const v = trackReplies(ladder(lines), profile, t);
  return { v, t };
};

describe('tracker on golden traces', () => {
  it('a RST far outside the window: silence is what the rule owes, and the rule is counted', () => {
    const { v, t } = judge([...OPEN, 'in R 400301', 'time 600']);
    expect(v).toEqual([]);
    expect(t.hits.get('tracker/rst-outside-window')).toBe(1);
  });
  it('an unacceptable segment left unanswered names the rule and what it allowed', () => {
    const { v } = judge([...OPEN, 'in A 1 ack=101 data=xy', 'time 600']);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ check: 'tracker/unacceptable-ack', allowed: '<SEQ=101><ACK=301><CTL=ACK>, no reset' });
    expect(v[0]!.message).toMatch(/^§3\.10\.7\.4 first check: .*got \(nothing\)/);
    expect(judge([...OPEN, 'in A 1 ack=101 data=xy', 'out A 101 ack=301', 'time 600']).v).toEqual([]);
  });
  it('a valid RST must reset, and the application must hear a reset, not an end (MUST-12)', () => {
    expect(judge([...OPEN, 'in R 301', 'event reset c1']).v).toEqual([]);
    const asEnd = judge([...OPEN, 'in R 301', 'event end c1']).v;
    expect(asEnd.map((x) => [x.check, x.requirements])).toEqual([['tracker/rst-resets', ['MUST-12']]]);
  });
  it('an in-window RST not at RCV.NXT under RFC 5961: a challenge ACK, not a reset', () => {
    expect(judge([...OPEN, 'in R 305', 'out A 101 ack=301']).v).toEqual([]);
    expect(judge([...OPEN, 'in R 305', 'event reset c1']).v.map((x) => x.check)).toEqual(['tracker/rst-challenge-ack']);
  });
  it('where the wire shows the receive state only in part, the walk still judges: data not yet acknowledged', () => {
    const { v, t } = judge([...OPEN, 'in PA 301 ack=101 data=abc', 'in R 400301']);
    expect(v).toEqual([]);
    expect(t.hits.get('tracker/rst-outside-window')).toBe(1);
    expect(t.hits.get('tracker/send-syn')).toBe(1);
  });
});

/** Traces of the RST and SYN properties' scenarios on a stack. */
async function traces(adapter: StackAdapter, n: number): Promise<TraceEntry[][]> {
  const out: TraceEntry[][] = [];
  for (const name of ['rst-synchronized', 'syn-synchronized', 'acceptability']) {
    const p = ALL_PROPERTIES.find((x) => x.name === name)!;
    for (const sc of fc.sample(p.scenario(adapter.profile), { numRuns: n, seed: 7 }))
      out.push((await execute(sc, adapter)).trace);
  }
  return out;
}

describe('the model judges', () => {
  it('the true model finds nothing on the reference', async () => {
    const ref = referenceAdapter();
    const all = await traces(ref, 30);
    const t = new Tally();
    expect(all.flatMap((tr) => trackReplies(tr, ref.profile, t))).toEqual([]);
    expect(t.hits.size).toBeGreaterThan(3);
  });
  it('a tracker built on a mutated model (RFC 793 rules for a RST) finds fault with the unmodified reference', async () => {
    const ref = referenceAdapter();
    const mutated: typeof step = (t, ev, now) => step({ ...t, cfg: { ...t.cfg, rfc5961: false } }, ev, now);
    const all = await traces(ref, 30);
    const v = all.flatMap((tr) => trackReplies(tr, ref.profile, undefined, mutated));
    expect(v.length).toBeGreaterThan(0);
    expect(v.map((x) => x.check)).toContain('tracker/rst-resets');
  });
  it('the true model finds fault with a mutant stack (no challenge ACK)', async () => {
    const m = mutantAdapter('no-challenge-ack')!;
    const all = await traces(m, 30);
    const v = all.flatMap((tr) => trackReplies(tr, m.profile));
    expect(v.map((x) => x.check)).toContain('tracker/rst-challenge-ack');
  });
});

describe('known findings match the cause, state included', () => {
  it('a finding naming the tracker rule and ESTABLISHED explains it; the same rule in another state does not', () => {
    const { v } = judge([...OPEN, 'in A 1 ack=101 data=xy', 'time 600']);
    const finding = (state: string) => ({
      ...profile,
      findings: [{ id: 'F', summary: 's', check: 'unacceptable-ack', state }],
    });
    expect(classify(v, finding('ESTABLISHED')).known).toHaveLength(1);
    expect(classify(v, finding('TIME-WAIT')).real).toHaveLength(1);
  });
  it("another check's verdict on the segment a known finding explains is that finding; elsewhere it is new", () => {
    const base = { property: 'p', requirements: [], section: '§', message: 'm' };
    const vs = [
      { ...base, check: 'ack-received', at: 7 },
      { ...base, check: 'tracker/send-ack', at: 7 },
      { ...base, check: 'tracker/send-ack', at: 9 },
    ];
    const p = { ...profile, findings: [{ id: 'F16', summary: 's', check: 'ack-received' }] };
    const c = classify(vs, p);
    expect(c.known.map((k) => [k.check, k.at, k.finding])).toEqual([
      ['ack-received', 7, 'F16: s'],
      ['tracker/send-ack', 7, 'F16: s (same segment)'],
    ]);
    expect(c.real.map((r) => r.at)).toEqual([9]);
    expect(classify(vs, p, true).real).toHaveLength(3);
  });
});

describe('forks the RFC leaves open are not judged', () => {
  it('an ABORT after crossing SYNs may wait for the handshake to end (a socket API still connecting)', () => {
    const crossing = ['call connect c1', 'out S 100 mss=1460', 'in S 300 mss=536', 'out SA 100 ack=301 mss=1460'];
    const later = [...crossing, 'call abort c1', 'in SA 300 ack=101', 'out A 101 ack=301', 'out RA 101 ack=301'];
    expect(judge(later).v).toEqual([]);
    expect(judge([...crossing, 'call abort c1', 'out R 101']).v).toEqual([]);
  });
  it('a CLOSE in SYN-SENT may reach the stack once the handshake is over (Node holds end() until connect)', () => {
    const open = ['call connect c1', 'out S 100 mss=1460', 'call shutdown c1', 'in SA 300 ack=101 mss=536'];
    const fin = [...open, 'out A 101 ack=301', 'out FA 101 ack=301', 'event connected c1'];
    expect(judge(fin).v).toEqual([]);
    expect(judge([...open, 'out A 101 ack=301', 'event connected c1', 'out FA 101 ack=301']).v).toEqual([]);
    // the FIN still has its one place, and without the CLOSE there is none
    expect(judge([...open, 'out A 101 ack=301', 'out FA 102 ack=301']).v.map((x) => x.check)).toEqual([
      'tracker/send-seq',
    ]);
    const noClose = ['call connect c1', 'out S 100 mss=1460', 'in SA 300 ack=101 mss=536', 'out A 101 ack=301'];
    expect(judge([...noClose, 'out FA 101 ack=301']).v.map((x) => x.check)).toEqual(['tracker/send-fin']);
  });
  it('a RST that trimming would move (SYN+RST at the IRS, with data) may be ignored or taken', () => {
    // lwIP ignores <SEQ=IRS><CTL=SYN,RST><DATA 1>; a model that trims first would reset: either is allowed
    expect(judge([...OPEN, 'in SR 300 data=x', 'time 600']).v).toEqual([]);
    expect(judge([...OPEN, 'in SR 300 data=x', 'event reset c1']).v).toEqual([]);
  });
});
