// Area: resets — the RST forms for closed ports and LISTEN, and RST/SYN acceptance in
// synchronized states per the profile's RFC 5961 switch (§3.5.2, §3.5.3, §3.10.7.1-4).
import fc from 'fast-check';
import {
  edgeDelta,
  establish,
  flagsArb,
  hostileArb,
  lenArb,
  openingArb,
  scenarioArb,
  writeSize,
} from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { ACK, FIN, RST, SYN, flagString, segLen } from '../src/wire/segment.js';
import { seqAdd, seqDelta, seqInWindow } from '../src/wire/seq.js';
import { keyOfIn, keyOfOut, scan } from '../src/oracle/shadow.js';
import {
  ackThrottled,
  isSynAckFor,
  probes,
  type Checker,
  type Property,
  responses,
  RST_ACK_BIT,
  rstAnswer,
  showSegs,
  violations,
  within,
  RIGHT_EDGE,
} from '../src/oracle/property.js';

const closedPort: Property = {
  name: 'rst-closed-port',
  area: 'rst',
  title:
    'a segment for a closed port draws <SEQ=SEG.ACK><CTL=RST> (ACK set) or ' +
    '<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; ' +
    'a RST draws nothing',
  requirements: [],
  checks: { 'rst-ack-bit': [], 'syn-fin-len': [] },
  section: '§3.5.2, §3.10.7.1',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(fc.boolean(), fc.array(hostileArb('closed'), { minLength: 1, maxLength: 6 }))
        .map(([listen, hs]): Action[] => [
          ...(listen ? [{ a: 'stackListen' } as Action] : []),
          ...hs.map((h): Action => ({ a: 'inject', probe: 'closed', h })),
        ]),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    for (const i of probes(trace, 'closed')) {
      const s = trace[i]!.seg!;
      const r = responses(trace, i).segs;
      v.hit();
      if (s.flags & RST) {
        if (r.length) v.flag(r[0]!.at, 'a RST to a closed port was answered', showSegs(r), 'nothing');
      } else if (s.flags & ACK) {
        const a = rstAnswer(r, s.ack);
        if (a === 'ack-bit') v.flag(i, `closed port: ${RST_ACK_BIT}`, showSegs(r), `[R] seq=${s.ack}`, 'rst-ack-bit');
        else if (a === 'wrong')
          v.flag(i, 'wrong answer for an ACK-bearing segment to a closed port', showSegs(r), `[R] seq=${s.ack}`);
      } else {
        const want = seqAdd(s.seq, segLen(s));
        const okForm = r.length === 1 && flagString(r[0]!.seg.flags) === 'RA' && r[0]!.seg.seq === 0;
        // §3.4: SEG.LEN counts the SYN and the FIN, one octet each.
        const synFinOff = okForm && (s.flags & (SYN | FIN)) === (SYN | FIN) && r[0]!.seg.ack === seqAdd(want, -1);
        if (synFinOff)
          v.flag(
            i,
            'closed port: the ACK of a SYN+FIN segment counts one control octet, not two (SEG.LEN counts SYN and FIN ' +
              'each)',
            showSegs(r),
            `[RA] seq=0 ack=${want}`,
            'syn-fin-len',
          );
        else if (!(okForm && r[0]!.seg.ack === want))
          v.flag(i, 'wrong answer for a segment without ACK to a closed port', showSegs(r), `[RA] seq=0 ack=${want}`);
      }
    }
    return v.out;
  },
};

const listen: Property = {
  name: 'rst-listen',
  area: 'rst',
  title:
    'LISTEN ignores a RST, answers an ACK with <SEQ=SEG.ACK><CTL=RST>, a SYN with SYN,ACK, and drops anything else',
  requirements: [],
  checks: { 'rst-ack-bit': [], 'syn-fin': [] },
  section: '§3.10.7.2',
  scenario: () =>
    scenarioArb(
      fc
        .array(
          hostileArb('fresh', {
            seq: fc.record({ ref: fc.constant('abs' as const), d: fc.integer({ min: 0, max: 0xffffffff }) }),
            ack: fc.record({ ref: fc.constant('abs' as const), d: fc.integer({ min: 0, max: 0xffffffff }) }),
          }),
          { minLength: 1, maxLength: 6 },
        )
        .map((hs): Action[] => [
          { a: 'stackListen' },
          ...hs.map((h, n): Action => ({ a: 'inject', probe: 'listen', h: { ...h, n } })),
        ]),
    ),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    for (const i of probes(trace, 'listen')) {
      const s = trace[i]!.seg!;
      const r = responses(trace, i).segs;
      v.hit();
      if (s.flags & RST) {
        if (r.length) v.flag(r[0]!.at, 'LISTEN answered a RST', showSegs(r), 'nothing');
      } else if (s.flags & ACK) {
        const a = rstAnswer(r, s.ack);
        if (a === 'ack-bit') v.flag(i, `LISTEN: ${RST_ACK_BIT}`, showSegs(r), `[R] seq=${s.ack}`, 'rst-ack-bit');
        else if (a === 'wrong')
          v.flag(
            i,
            'LISTEN did not answer an ACK-bearing segment with <SEQ=SEG.ACK><CTL=RST>',
            showSegs(r),
            `[R] seq=${s.ack}`,
          );
      } else if (s.flags & SYN) {
        if (!r.some((x) => isSynAckFor(x.seg, s)))
          v.flag(
            i,
            `LISTEN did not answer a ${s.flags & FIN ? 'SYN+FIN' : 'SYN'} with ` +
              `SYN,ACK${s.flags & FIN ? ' (the FIN is processed once synchronized, §3.10.7.2)' : ''}`,
            showSegs(r),
            `[SA] ack=${seqAdd(s.seq, 1)}`,
            s.flags & FIN ? 'syn-fin' : undefined,
          );
      } else if (r.length)
        v.flag(r[0]!.at, 'LISTEN answered a segment with neither SYN, ACK nor RST', showSegs(r), 'nothing');
    }
    return v.out;
  },
};

/** The stack's receive state right before entry i, from its last ACK. */
function rcvState(trace: Parameters<Property['check']>[0]) {
  const at = new Map<number, { rcvNxt: number; wnd: number; maxWnd: number; sndNxt: number } | undefined>();
  scan(trace, (i, e, w) => {
    if (e.dir !== 'in' || !e.probe || !e.seg) return;
    const c = w.conns.get(keyOfIn(e.seg));
    // Judgeable only when everything that reached the stack in order is acknowledged: then its last ACK is RCV.NXT.
    const exact =
      c && c.peerIss !== undefined && c.lastAck !== undefined && seqDelta(c.lastAck, c.peerIss) === c.covEnd();
    at.set(
      i,
      exact && c.lastWin !== undefined && c.stackIss !== undefined && c.synAcked
        ? {
            rcvNxt: c.lastAck!,
            wnd: c.lastWin,
            maxWnd: Math.max(c.winHi, c.lastWin),
            sndNxt: (c.stackIss + c.stackMax) >>> 0,
          }
        : undefined,
    );
  });
  return at;
}

/**
 * MUST-12 (§3.6): an application whose connection a RST ended is told it was reset, not that the stream ended in
 * order. Only while the application still holds the connection (it has not closed it).
 */
function resetReported(v: Checker, i: number, events: TraceEntry[]): void {
  v.hit('reset-reported');
  if (events.some((e) => e.event!.type === 'reset')) return;
  v.flag(
    i,
    'a RST ended the connection but the application was told ' +
      (events.map((e) => e.event!.type).join(', ') || 'nothing'),
    events.map((e) => e.text).join(' | '),
    'a reset event (the application must tell an abort from an orderly close)',
    'reset-reported',
  );
}

const syncRst: Property = {
  name: 'rst-synchronized',
  area: 'rst',
  title:
    'in a synchronized state a RST at RCV.NXT resets, one elsewhere in the window draws a challenge ACK (RFC ' +
    '5961) or ' +
    'resets (RFC 793), one outside is dropped',
  requirements: [],
  checks: { 'reset-reported': ['MUST-12'], 'with-data': ['SHLD-2'] },
  section: '§3.5.3, §3.10.7.4 steps 1-2; RFC 5961 §3',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          fc.array(
            writeSize.map((n): Action => ({ a: 'peerWrite', n })),
            { maxLength: 2 },
          ),
          // Some RSTs carry data: diagnostic text has no standard form, and the RST still counts (§3.5.3, SHLD-2).
          // edgeDelta places them around RCV.NXT.
          fc.array(fc.tuple(edgeDelta, fc.boolean(), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 64 }))), {
            minLength: 1,
            maxLength: 3,
          }),
        )
        .map(([kind, writes, rsts]): Action[] => [
          ...establish(kind),
          ...writes,
          { a: 'settle', ms: 3000 },
          ...rsts.map(
            ([d, withAck, len]): Action => ({
              a: 'inject',
              probe: 'sync-rst',
              h: {
                flags: RST | (withAck ? ACK : 0),
                seq: { ref: 'rcvNxt', d },
                ack: { ref: 'sndNxt', d: 0 },
                // Not before RCV.NXT: a RST whose data straddles RCV.NXT is read at SEG.SEQ by some stacks and trimmed
                // to RCV.NXT by others (§3.10.7.4 first check), and the RFC does not choose.
                len: d >= 0 ? len : 0,
                to: 'conn',
              },
            }),
          ),
        ]),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    const st = rcvState(trace);
    let gone = false;
    for (const i of probes(trace, 'sync-rst')) {
      const s = st.get(i);
      if (!s) continue;
      const seg = trace[i]!.seg!;
      const r = responses(trace, i);
      // The connection is gone, however the stack told its application (MUST-12 judges how).
      const reset = r.events.some((e) => ['reset', 'closed', 'end'].includes(e.event!.type));
      const exact = seg.seq === s.rcvNxt;
      const inWin = seqInWindow(seg.seq, s.rcvNxt, Math.max(s.wnd, 1));
      // Beyond the advertised window but within the largest one: the stack may have opened its window since.
      const maybeIn = !inWin && seqInWindow(seg.seq, s.rcvNxt, Math.max(s.maxWnd, 1));
      const wasGone = gone;
      if (reset) gone = true;
      if (wasGone) continue;
      v.hit();
      if (exact || (inWin && !profile.rfc5961)) {
        const data = seg.payload.length > 0;
        if (data) v.hit('with-data');
        if (reset) resetReported(v, i, r.events);
        else
          v.flag(
            i,
            `a valid RST (SEQ=${seg.seq}, RCV.NXT=${s.rcvNxt}${data ? `, ${seg.payload.length} data octets` : ''})` +
              ' did not reset the connection',
            showSegs(r.segs),
            'connection reset',
            data ? 'with-data' : undefined,
          );
        gone = true;
      } else if (inWin) {
        if (reset)
          v.flag(
            i,
            `an in-window RST not at RCV.NXT (${seg.seq} vs ${s.rcvNxt}) reset the connection although the profile ` +
              `declares RFC 5961`,
            r.events.map((e) => e.text).join(' | '),
            'a challenge ACK, no reset',
          );
        else if (
          !r.segs.some((x) => (x.seg.flags & (ACK | RST)) === ACK && x.seg.ack === s.rcvNxt) &&
          !ackThrottled(trace, i, profile)
        )
          v.flag(
            i,
            'an in-window RST not at RCV.NXT drew no challenge ACK',
            showSegs(r.segs),
            `<SEQ=SND.NXT><ACK=${s.rcvNxt}><CTL=ACK>`,
          );
      } else if (!maybeIn) {
        if (reset)
          v.flag(
            i,
            `a RST outside the window (SEQ=${seg.seq}, window ${s.rcvNxt}+${s.wnd}) reset the connection`,
            r.events.map((e) => e.text).join(' | '),
            'dropped silently',
          );
        else if (r.segs.length)
          v.flag(
            i,
            `a RST outside the window was answered${seg.seq === seqAdd(s.rcvNxt, s.maxWnd) ? ` (${RIGHT_EDGE})` : ''}`,
            showSegs(r.segs),
            'dropped silently',
          );
      }
    }
    return v.out;
  },
};

const syncSyn: Property = {
  name: 'syn-synchronized',
  area: 'rst',
  title:
    'a SYN in a synchronized state draws a challenge ACK (RFC 5961) — or, under RFC 793 rules, a RST when in the ' +
    'window',
  requirements: [],
  section: '§3.10.7.4 step 4; RFC 5961 §4',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(openingArb, fc.array(fc.tuple(edgeDelta, fc.boolean(), lenArb), { minLength: 1, maxLength: 2 }))
        .map(([kind, syns]): Action[] => [
          ...establish(kind),
          ...syns.map(
            ([d, withAck, len]): Action => ({
              a: 'inject',
              probe: 'sync-syn',
              h: {
                flags: SYN | (withAck ? ACK : 0),
                seq: { ref: 'rcvNxt', d },
                ack: { ref: 'sndNxt', d: 0 },
                len: Math.min(len, 100),
                to: 'conn',
              },
            }),
          ),
          { a: 'advance', ms: 600 },
        ]),
    ),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    const st = rcvState(trace);
    for (const i of probes(trace, 'sync-syn')) {
      const s = st.get(i);
      if (!s) continue;
      v.hit();
      const seg = trace[i]!.seg!;
      const r = within(trace, i, 500).filter((x) => keyOfOut(x.seg) === keyOfIn(seg));
      const ev = responses(trace, i).events;
      if (profile.rfc5961) {
        if (ev.some((e) => e.event!.type === 'reset' || e.event!.type === 'closed') || r.some((x) => x.seg.flags & RST))
          v.flag(
            i,
            'a SYN in a synchronized state reset the connection although the profile declares RFC 5961',
            showSegs(r),
            'a challenge ACK',
          );
        else if (
          !r.some((x) => (x.seg.flags & (ACK | RST | SYN)) === ACK && x.seg.ack === s.rcvNxt) &&
          !ackThrottled(trace, i, profile)
        )
          v.flag(
            i,
            'a SYN in a synchronized state drew no challenge ACK',
            showSegs(r),
            `<SEQ=SND.NXT><ACK=${s.rcvNxt}><CTL=ACK>`,
          );
      } else {
        const inWin = seqInWindow(seg.seq, s.rcvNxt, Math.max(s.wnd, 1));
        const outWin = !seqInWindow(seg.seq, s.rcvNxt, Math.max(s.maxWnd, 1));
        if (inWin && !r.some((x) => x.seg.flags & RST))
          v.flag(
            i,
            'an in-window SYN did not reset the connection (RFC 793 rules)',
            showSegs(r),
            'RST, connection reset',
          );
        if (outWin && !r.some((x) => (x.seg.flags & (ACK | RST)) === ACK))
          v.flag(i, 'an out-of-window SYN drew no ACK', showSegs(r), '<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>');
      }
      break; // later SYNs depend on what the first did
    }
    return v.out;
  },
};

const rstStorm: Property = {
  name: 'no-rst-for-rst',
  area: 'rst',
  title: 'RSTs of every kind, anywhere, are never answered with a RST',
  requirements: [],
  section: '§3.5.2',
  scenario: () =>
    scenarioArb(
      fc
        .tuple(
          openingArb,
          fc.array(
            fc.tuple(
              fc.constantFrom<'conn' | 'closed' | 'fresh'>('conn', 'closed', 'fresh'),
              hostileArb('conn', { flags: flagsArb.map((f) => f | RST) }),
            ),
            { minLength: 1, maxLength: 5 },
          ),
        )
        .map(([kind, hs]): Action[] => [
          ...establish(kind),
          ...hs.map(([to, h]): Action => ({ a: 'inject', h: { ...h, to } })),
        ]),
    ),
  check: () => [],
};

export const properties: Property[] = [closedPort, listen, syncRst, syncSyn, rstStorm];
