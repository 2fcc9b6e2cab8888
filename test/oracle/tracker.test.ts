// The tracker: the model judges what a stack owes for each segment reaching an exactly known ESTABLISHED
// connection. Golden traces, then the proof that the model judges: a mutated model finds fault with the unmodified
// reference, and the true model with a mutant stack.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import type { Scenario } from '../../src/gen/scenario.js';
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

describe('obligations with a deadline (rules.ts DUE_RULES)', () => {
  const DATA = [...OPEN, 'in PA 301 ack=101 data=abc', 'event data c1 abc'];
  it('data taken in order is owed an ACK within 500 ms: met, counted; missed, named with MUST-40', () => {
    const met = judge([...DATA, 'time 200', 'out A 101 ack=304', 'time 600']);
    expect(met.v).toEqual([]);
    expect(met.t.hits.get('tracker/ack-in-order')).toBe(1);
    const missed = judge([...DATA, 'time 600']).v;
    expect(missed.map((x) => [x.check, x.requirements, x.state])).toEqual([
      ['tracker/ack-in-order', ['MUST-40'], 'ESTABLISHED'],
    ]);
    expect(missed[0]!.allowed).toBe('an ACK of 304 or beyond within 500 ms');
    // An ACK 500 ms after the data is too late.
    expect(judge([...DATA, 'time 500', 'out A 101 ack=304']).v.map((x) => x.check)).toEqual(['tracker/ack-in-order']);
  });
  it('unjudged: the trace ends first, the data went beyond the offered window, or the connection was reset', () => {
    const none = (lines: string[]) => {
      const r = judge(lines);
      expect(r.v).toEqual([]);
      expect(r.t.hits.get('tracker/ack-in-order')).toBeUndefined();
    };
    none([...DATA, 'time 300']);
    none([...OPEN.slice(0, 2), 'out SA 100 ack=301 win=0', ...OPEN.slice(3), 'in PA 301 ack=101 data=abc', 'time 600']);
    none([...DATA, 'in R 304', 'event reset c1', 'time 600']);
  });
  it('a FIN taken in is owed its ACK as well', () => {
    const fin = [...OPEN, 'in FA 301 ack=101', 'event end c1'];
    expect(judge([...fin, 'time 600']).v.map((x) => [x.check, x.state])).toEqual([
      ['tracker/ack-in-order', 'CLOSE-WAIT'],
    ]);
    expect(judge([...fin, 'out A 101 ack=302', 'time 600']).v).toEqual([]);
  });
  it('pushed text and a FIN taken in are owed to an application that reads: data-told, eof-told (MUST-12)', () => {
    const told = judge([...DATA, 'out A 101 ack=304', 'in FA 304 ack=101', 'event end c1']);
    expect(told.v).toEqual([]);
    expect(told.t.hits.get('tracker/data-told')).toBe(1);
    expect(told.t.hits.get('tracker/eof-told')).toBe(1);
    const quiet = ['out A 101 ack=304', 'in FA 304 ack=101', 'out A 101 ack=305', 'time 600'];
    const untold = judge([...OPEN, 'in PA 301 ack=101 data=abc', ...quiet]).v;
    expect(untold.map((x) => [x.check, x.requirements])).toEqual([
      ['tracker/data-told', []],
      ['tracker/eof-told', ['MUST-12']],
    ]);
    // Told of a reset, with no RST from the peer: not the orderly end owed (MUST-12).
    const reset = judge([...OPEN, 'in FA 301 ack=101', 'out A 101 ack=302', 'event reset c1']).v;
    expect(reset.map((x) => x.check)).toEqual(['tracker/eof-told']);
    expect(reset[0]!.message).toMatch(/told the connection was reset instead/);
  });
  it('nothing is owed to tell: unpushed text, reading paused, or after the application closed its handle', () => {
    const none = (lines: string[], rule: string) => {
      const r = judge(lines);
      expect(r.v).toEqual([]);
      expect(r.t.hits.get(rule)).toBeUndefined();
    };
    none([...OPEN, 'in A 301 ack=101 data=abc', 'out A 101 ack=304', 'time 600'], 'tracker/data-told');
    const paused = { t: 1000, dir: 'call' as const, text: 'pause', call: { name: 'control', conn: 'c1' } };
    const pausedTrace = ladder([...DATA, 'out A 101 ack=304', 'time 600']);
    pausedTrace.splice(6, 0, { ...paused, call: { ...paused.call, control: { name: 'reading', paused: true } } });
    const r = new Tally();
    expect(trackReplies(pausedTrace, profile, r)).toEqual([]);
    expect(r.hits.get('tracker/data-told')).toBeUndefined();
    none(
      [...OPEN, 'call close c1', 'out FA 101 ack=301', 'in FA 301 ack=102', 'out A 102 ack=302', 'time 600'],
      'tracker/eof-told',
    );
  });
  const SENT = [...OPEN, 'call write c1 hello', 'out PA 101 ack=301 data=hello'];
  it('outstanding data is owed a retransmission within the RTO ceiling (the profile: 60 s)', () => {
    const again = judge([...SENT, 'time 1000', 'out PA 101 ack=301 data=hello', 'time 60000', 'in A 301 ack=106']);
    expect(again.v).toEqual([]);
    expect(again.t.hits.get('tracker/retransmit')).toBe(1);
    const silent = judge([...SENT, 'time 90000']).v;
    expect(silent.map((x) => [x.check, x.requirements])).toEqual([['tracker/retransmit', ['MUST-18']]]);
    expect(silent[0]!.message).toMatch(/^§3\.8\.1; RFC 6298 §5: sequence space outstanding since 1000 ms/);
  });
  it('no retransmission is owed once the data is acknowledged, the stack gave up (told), or past R2', () => {
    expect(judge([...SENT, 'in A 301 ack=106', 'time 90000']).v).toEqual([]);
    expect(judge([...SENT, 'time 30000', 'event error c1', 'time 90000']).v).toEqual([]);
    const again = 'out PA 101 ack=301 data=hello';
    const late = [...SENT, 'time 40000', again, 'time 59000', again];
    expect(judge([...late, 'time 200000']).v).toEqual([]);
  });
});

describe('oracle defects found by 100,000 runs of the references', () => {
  it('a SYN,ACK carrying a FIN: the ACK owed, and the end told to the application, is no reset', () => {
    const open = ['call connect c1', 'out S 100', 'in SAF 300 ack=101', 'out A 101 ack=302', 'event connected c1'];
    expect(judge([...open, 'event end c1', 'time 600']).v).toEqual([]);
    // a reset told instead is still one
    expect(judge([...open, 'event reset c1', 'time 600']).v.map((x) => x.check)).toContain(
      'tracker/synsent-synack-acked',
    );
  });
});

describe('segments that arrive together (a batch, MUST-59)', () => {
  it('a reply owed to one of them is met by the one ACK the stack sends for all of them', () => {
    const lines = [...OPEN, 'in A 1 ack=101 data=xy', 'in PA 301 ack=101 data=abc', 'out A 101 ack=304'];
    const t = ladder([...lines, 'event data c1 abc', 'time 600']);
    // delivered one by one, the unacceptable segment's ACK of 301 was owed before the data came: not met
    expect(trackReplies(t, profile).map((x) => x.check)).toEqual(['tracker/unacceptable-ack']);
    for (const e of t.slice(OPEN.length, OPEN.length + 2)) e.batch = 1;
    expect(trackReplies(t, profile)).toEqual([]);
  });
});

describe('ICMP errors reach the walk (§3.9.2.2)', () => {
  const SENT = [...OPEN, 'call write c1 hello', 'out PA 101 ack=301 data=hello'];
  const withIcmp = (type: number, code: number, after: string[], seq = 101): TraceEntry[] => {
    const t = ladder([...SENT, ...after]);
    const quoted = { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 80, dstPort: 40000, seq };
    const icmp = { src: '10.9.9.9', dst: '10.0.0.1', type, code, quoted };
    t.splice(SENT.length, 0, { t: 1000, dir: 'in', text: `icmp ${type}/${code}`, icmp });
    return t;
  };
  const checks = (t: TraceEntry[]) => {
    const tally = new Tally();
    return { v: trackReplies(t, profile, tally).map((x) => [x.check, x.requirements, x.state]), tally };
  };
  it('a hard error aborts and tells the application (SHLD-26); ignoring it names the rule', () => {
    const told = checks(withIcmp(3, 3, ['event error c1', 'event closed c1', 'time 600']));
    expect(told.v).toEqual([]);
    expect(told.tally.hits.get('tracker/icmp-hard-aborts')).toBe(1);
    expect(checks(withIcmp(3, 3, ['time 600'])).v).toEqual([
      ['tracker/icmp-hard-aborts', ['SHLD-26', 'MUST-54'], 'ESTABLISHED'],
    ]);
  });
  it('a soft error and a source quench leave the connection open (MUST-56, MUST-55)', () => {
    expect(checks(withIcmp(3, 1, ['time 600'])).v).toEqual([]);
    expect(checks(withIcmp(3, 1, ['event error c1', 'time 600'])).v).toEqual([
      ['tracker/icmp-soft-goes-on', ['MUST-56'], 'ESTABLISHED'],
    ]);
    expect(checks(withIcmp(4, 0, ['event reset c1', 'time 600'])).v.map((x) => x[0])).toEqual([
      'tracker/icmp-quench-ignored',
    ]);
  });
  it("a real clock: the peer's next segments come before the abort could show; the stack going on names the rule", () => {
    // Found on Linux (L3): the judgment waits for a quiet 200 ms, and the walk used to follow only the aborted
    // connection, so the next ACK was judged as one reaching the listener (listen-ack-resets) instead.
    const t = withIcmp(3, 2, [
      'time 1',
      'in A 301 ack=101',
      'time 1',
      'in A 301 ack=101',
      'time 205',
      ...SENT.slice(-1),
    ]);
    const real = { ...profile, realTime: true };
    expect(trackReplies([...t, ...ladder(['time 600'])], real).map((x) => [x.check, x.state])).toEqual([
      ['tracker/icmp-hard-aborts', 'ESTABLISHED'],
    ]);
  });
  it('an error quoting a sequence number not in flight may be ignored: not judged', () => {
    const r = checks(withIcmp(3, 3, ['time 600'], 5000));
    expect(r.v).toEqual([]);
    expect(r.tally.hits.get('tracker/icmp-hard-aborts')).toBeUndefined();
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
  it('a tracker whose model ignores ACKs in ESTABLISHED owes retransmissions the reference never owes', async () => {
    const ref = referenceAdapter();
    const mutated: typeof step = (t, ev, now) => {
      const r = step(t, ev, now);
      return t.state === 'ESTABLISHED' && ev.type === 'segment' ? { ...r, tcb: { ...r.tcb, sndUna: t.sndUna } } : r;
    };
    // The stack writes, the peer acknowledges, then both sides idle for 100 s.
    const sc: Scenario = {
      peerIsn: 0,
      peerWindow: 65535,
      peerMss: 1460,
      peerSynLayout: 'plain',
      actions: [
        { a: 'stackListen' },
        { a: 'peerConnect' },
        { a: 'settle', ms: 1000 },
        { a: 'stackWrite', n: 10 },
        { a: 'settle', ms: 100_000, idle: true },
      ],
    };
    const tr = (await execute(sc, ref)).trace;
    expect(trackReplies(tr, ref.profile)).toEqual([]);
    const v = trackReplies(tr, ref.profile, undefined, mutated);
    expect(v.map((x) => x.check)).toEqual(['tracker/retransmit']);
  });
  it('the true model finds fault with a mutant stack (retransmits once, then falls silent)', async () => {
    const m = mutantAdapter('retransmit-once')!;
    const p = ALL_PROPERTIES.find((x) => x.name === 'fin-retransmission')!;
    const all: TraceEntry[][] = [];
    for (const sc of fc.sample(p.scenario(m.profile), { numRuns: 20, seed: 3 })) all.push((await execute(sc, m)).trace);
    expect(all.flatMap((tr) => trackReplies(tr, m.profile)).map((x) => x.check)).toContain('tracker/retransmit');
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
