// Area: the IP layer as TCP sees it (§3.9.2) — IP options TCP does not know are ignored (MUST-50), and nothing is
// opened for a SYN addressed to a broadcast or multicast address (MUST-57) or from an invalid source
// (MUST-63, §3.9.2.3).
import fc from 'fast-check';
import { establish, scenarioArb } from '../src/gen/arbitraries.js';
import type { Action, Hostile } from '../src/gen/scenario.js';
import { ACK, PSH, SYN } from '../src/wire/segment.js';
import { seqAdd, seqDelta } from '../src/wire/seq.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import { isSynAckFor, probes, type Property, responses, showSegs, violations, within } from '../src/oracle/property.js';

const abs = (d: number) => ({ ref: 'abs' as const, d });

/** RFC 4727's experimental IP option numbers (30 in each copy/class combination): unknown to every stack. */
const experimentalOption = fc
  .tuple(fc.constantFrom(30, 94, 158, 222), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }))
  .map(([type, data]) => [type, data.length + 2, ...data]);

/** One to four IP options (NOPs and unknown kinds) in at most 40 octets; the encoder pads them with EOL. */
const ipOptionsArb = fc
  .array(fc.oneof(fc.constant([1]), experimentalOption), { minLength: 1, maxLength: 4 })
  .map((opts) => {
    const out: number[] = [];
    for (const o of opts) if (out.length + o.length <= 40) out.push(...o);
    return out;
  });

const withIpOptions = (ipOptions: number[], onConn: boolean, x: number): Action[] =>
  onConn
    ? [
        ...establish('stack-passive'),
        {
          a: 'inject',
          probe: 'ipopt-data',
          h: {
            flags: PSH | ACK,
            seq: { ref: 'rcvNxt', d: 0 },
            ack: { ref: 'sndNxt', d: 0 },
            len: 10,
            ipOptions,
            to: 'conn',
          },
        },
        ...Array.from({ length: 7 }, (): Action => ({ a: 'advance', ms: 100 })),
      ]
    : [
        { a: 'stackListen' },
        {
          a: 'inject',
          probe: 'ipopt-syn',
          h: { flags: SYN, seq: abs(x), ack: abs(0), len: 0, ipOptions, to: 'fresh' },
        },
        { a: 'advance', ms: 600 },
      ];

const ipOptions: Property = {
  name: 'ip-options-ignored',
  area: 'ip',
  title: 'IP options of kinds TCP does not know are ignored: a SYN carrying them is answered, data acknowledged',
  requirements: ['MUST-50'],
  section: '§3.9.2',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(ipOptionsArb, fc.boolean(), fc.integer({ min: 0, max: 0xffffffff }))
        .map(([o, onConn, x]) => withIpOptions(o, onConn, x)),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    scan(trace, (i, e, w) => {
      if (e.dir !== 'in' || e.probe !== 'ipopt-data' || !e.seg) return;
      const s = e.seg;
      const wnd = w.conns.get(keyOfIn(s))?.lastWin ?? 0;
      if (wnd === 0) return;
      v.hit();
      const end = seqAdd(s.seq, Math.min(s.payload.length, wnd));
      const r = within(trace, i, 700).filter((x) => keyOfOut(x.seg) === keyOfIn(s));
      if (!r.some((x) => x.seg.flags & ACK && seqDelta(x.seg.ack, end) >= 0))
        v.flag(
          i,
          'in-order data in a datagram with IP options was not acknowledged within 700 ms',
          showSegs(r),
          `ACK ${end}`,
        );
    });
    for (const i of probes(trace, 'ipopt-syn')) {
      const s = trace[i]!.seg!;
      const r = responses(trace, i).segs;
      v.hit();
      if (!r.some((x) => isSynAckFor(x.seg, s)))
        v.flag(
          i,
          'a SYN in a datagram with IP options was not answered',
          showSegs(r),
          'SYN,ACK (the IP options ignored)',
        );
    }
    return v.out;
  },
};

const BAD_DST = ['255.255.255.255', '224.0.0.1', '239.255.0.7'];
// RFC 1122 §3.2.1.3: {0,0}, loopback, multicast and limited broadcast never appear as a source (class E is only
// reserved there, so 240/4 is left out).
const BAD_SRC = ['0.0.0.0', '0.1.2.3', '127.0.0.1', '224.0.0.5', '255.255.255.255'];

const badAddressActions = fc
  .tuple(fc.boolean(), fc.constantFrom(...BAD_DST), fc.constantFrom(...BAD_SRC), fc.integer({ min: 0, max: 2 ** 31 }))
  .map(([toBad, dst, src, x]): Action[] => {
    const h: Hostile = {
      flags: SYN,
      seq: abs(x),
      ack: abs(0),
      len: 0,
      to: 'fresh',
      n: 4,
      ...(toBad ? { dst } : { src }),
    };
    return [
      { a: 'stackListen' },
      { a: 'inject', probe: toBad ? 'bad-dst' : 'bad-src', h },
      { a: 'advance', ms: 600 },
      { a: 'inject', probe: 'alive', h: { flags: SYN, seq: abs(x + 7), ack: abs(0), len: 0, to: 'fresh', n: 5 } },
      { a: 'advance', ms: 600 },
    ];
  });

const badAddress: Property = {
  name: 'bad-address-syn',
  area: 'ip',
  title:
    'a SYN to a broadcast or multicast address, or from an invalid source (0/8, 127/8, multicast, ' +
    'broadcast), is discarded silently; the listener then still answers a good one',
  requirements: [],
  checks: { 'to-broadcast': ['MUST-57'], 'from-invalid': ['MUST-63'] },
  section: '§3.9.2.3',
  scenario: () => scenarioArb(badAddressActions),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const alive = probes(trace, 'alive').every((i) =>
      responses(trace, i).segs.some((x) => isSynAckFor(x.seg, trace[i]!.seg!)),
    );
    for (const i of probes(trace, 'alive'))
      if (!responses(trace, i).segs.some((x) => isSynAckFor(x.seg, trace[i]!.seg!)))
        v.flag(i, 'after a SYN with a bad address the listener no longer answers a good SYN', undefined, 'SYN,ACK');
    for (const [probe, sub] of [
      ['bad-dst', 'to-broadcast'],
      ['bad-src', 'from-invalid'],
    ] as const) {
      for (const i of probes(trace, probe)) {
        const s = trace[i]!.seg!;
        const answers = within(trace, i, 600).filter((x) => x.seg.dstPort === s.srcPort && x.seg.srcPort === s.dstPort);
        if (!answers.length && alive) v.hit(sub);
        if (answers.length)
          v.flag(
            i,
            `a SYN ${probe === 'bad-dst' ? `to ${s.dst}` : `from ${s.src}`} was answered`,
            showSegs(answers),
            'nothing: the SYN is discarded silently',
            sub,
          );
      }
    }
    return v.out;
  },
};

export const properties: Property[] = [ipOptions, badAddress];
