// Area: the wire — checksums (MUST-2, MUST-3), unknown options (MUST-5, MUST-6, MUST-64) and an
// illegal option length (MUST-7). MUST-2 is judged on every segment the stack emits.
import fc from 'fast-check';
import { establish, optionsArb, scenarioArb } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import { ACK, PSH, SYN, type TcpOption, describe } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { isSynAckFor, probes, type Property, responses, showSegs, violations, within } from '../src/oracle/property.js';

const abs = (d: number) => ({ ref: 'abs' as const, d });

const checksum: Property = {
  name: 'bad-checksum-dropped',
  area: 'wire',
  title: 'a segment whose checksum does not verify is treated as lost: no answer, no delivery',
  requirements: ['MUST-3'],
  section: '§3.1',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 0xffffffff }), fc.boolean())
        .map(([len, x, onConn]): Action[] =>
          onConn
            ? [
                ...establish('stack-passive'),
                {
                  a: 'inject',
                  probe: 'bad-checksum',
                  h: {
                    flags: PSH | ACK,
                    seq: { ref: 'rcvNxt', d: 0 },
                    ack: { ref: 'sndNxt', d: 0 },
                    len,
                    badChecksum: true,
                    to: 'conn',
                  },
                },
                { a: 'advance', ms: 600 },
              ]
            : [
                { a: 'stackListen' },
                {
                  a: 'inject',
                  probe: 'bad-checksum',
                  h: { flags: SYN, seq: abs(x), ack: abs(0), len: 0, badChecksum: true, to: 'fresh', n: 1 },
                },
                { a: 'advance', ms: 600 },
              ],
        ),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    for (const i of probes(trace, 'bad-checksum')) {
      v.hit();
      const segs = within(trace, i, 600);
      const ev = responses(trace, i).events;
      if (segs.length || ev.length)
        v.flag(
          i,
          'a segment with a bad checksum was processed',
          [...segs.map((s) => describe(s.seg)), ...ev.map((e) => e.text)].join(' | '),
          'silently discarded',
        );
    }
    return v.out;
  },
};

/** Established, then in-order data whose header carries unknown options (MUST-5: options on any segment). */
const optionsOnData = (options: TcpOption[]): Action[] => [
  ...establish('stack-passive'),
  {
    a: 'inject',
    probe: 'opt-data',
    h: { flags: PSH | ACK, seq: { ref: 'rcvNxt', d: 0 }, ack: { ref: 'sndNxt', d: 0 }, len: 10, options, to: 'conn' },
  },
  // in steps, so the answer's time is seen to within 100 ms
  ...Array.from({ length: 7 }, (): Action => ({ a: 'advance', ms: 100 })),
];

const unknownOptions: Property = {
  name: 'unknown-options',
  area: 'wire',
  title: 'options of unknown kinds, at any alignment, are skipped: the SYN is answered as usual',
  requirements: ['MUST-6', 'MUST-64'],
  checks: { 'any-segment': ['MUST-5', 'MUST-6'] },
  section: '§3.1, §3.2',
  scenario: () =>
    scenarioArb(
      fc.tuple(optionsArb, fc.integer({ min: 0, max: 0xffffffff }), fc.boolean()).map(([options, x, data]): Action[] =>
        data
          ? optionsOnData(options)
          : [
              { a: 'stackListen' },
              {
                a: 'inject',
                probe: 'opt-syn',
                h: {
                  flags: SYN,
                  seq: abs(x),
                  ack: abs(0),
                  len: 0,
                  options: [{ kind: 'nop' }, ...options],
                  to: 'fresh',
                  n: 2,
                },
              },
            ],
      ),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    scan(trace, (i, e, w) => {
      if (e.dir !== 'in' || e.probe !== 'opt-data' || !e.seg) return;
      const s = e.seg;
      // What fits the window the stack last advertised must be acknowledged (the rest may be dropped).
      const wnd = w.conns.get(keyOfIn(s))?.lastWin ?? 0;
      if (wnd === 0) return;
      const r = within(trace, i, 700).filter((x) => keyOfOut(x.seg) === keyOfIn(s));
      v.hit('any-segment');
      const end = seqAdd(s.seq, Math.min(s.payload.length, wnd));
      if (!r.some((x) => x.seg.flags & ACK && seqDelta(x.seg.ack, end) >= 0))
        v.flag(
          i,
          'in-order data carrying unknown options was not acknowledged within 700 ms',
          showSegs(r),
          `an ACK of ${end} (options may appear on any segment; unknown ones are skipped)`,
          'any-segment',
        );
    });
    for (const i of probes(trace, 'opt-syn')) {
      const s = trace[i]!.seg!;
      const r = responses(trace, i).segs;
      v.hit();
      if (!r.some((x) => isSynAckFor(x.seg, s)))
        v.flag(
          i,
          'a SYN with unknown options was not answered with SYN,ACK',
          showSegs(r),
          'SYN,ACK (unknown options skipped)',
        );
    }
    return v.out;
  },
};

const badOptionLength: Property = {
  name: 'illegal-option-length',
  area: 'wire',
  title: 'a segment with an illegal option length (0, or past the header) does not take the stack down',
  requirements: ['MUST-7'],
  section: '§3.1',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          fc.constantFrom([99, 0, 1, 1], [2, 0, 5, 180], [8, 40, 0, 0], [99, 1, 1, 1]),
          fc.integer({ min: 0, max: 0xffffffff }),
        )
        .map(([raw, x]): Action[] => [
          ...establish('stack-passive'),
          {
            a: 'inject',
            probe: 'bad-optlen',
            h: {
              flags: PSH | ACK,
              seq: { ref: 'rcvNxt', d: 0 },
              ack: { ref: 'sndNxt', d: 0 },
              len: 10,
              options: [{ kind: 'raw', bytes: Uint8Array.from(raw) }],
              to: 'conn',
            },
          },
          { a: 'inject', probe: 'alive', h: { flags: SYN, seq: abs(x), ack: abs(0), len: 0, to: 'fresh', n: 3 } },
        ]),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    for (const i of probes(trace, 'alive')) {
      const s = trace[i]!.seg!;
      const r = responses(trace, i).segs;
      v.hit();
      if (!r.some((x) => isSynAckFor(x.seg, s)))
        v.flag(
          i,
          'after a segment with an illegal option length the stack no longer answers a new SYN',
          showSegs(r),
          'SYN,ACK',
        );
    }
    return v.out;
  },
};

export const properties: Property[] = [checksum, unknownOptions, badOptionLength];
