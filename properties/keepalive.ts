// Area: keep-alives (§3.8.4) — off unless the application turns them on (MUST-25): a connection left idle for
// more than two hours sends nothing of its own. Turned on with the keepalive control (MUST-24), probes come only
// after the idle time the application set (MUST-27) or at least two hours by default (MUST-28), only when nothing
// is outstanding and nothing arrived (MUST-26), carry no data (SHLD-12), one lost probe does not end the connection
// (MUST-29), and turned off they stop.
import fc from 'fast-check';
import { establish, openingArb, scenarioArb, writeSize } from '../src/gen/arbitraries.js';
import type { Action } from '../src/gen/scenario.js';
import type { TraceEntry } from '../src/harness/trace.js';
import { type Property, traceEnd, violations } from '../src/oracle/property.js';
import { ACK, FIN, RST, SYN, describe, segLen } from '../src/wire/segment.js';
import { seqAdd, seqDelta, seqGt } from '../src/wire/seq.js';

const TWO_HOURS = 7_200_000;
/** Longer than any delayed ACK (MUST-40): a segment later than this after the last input answers nothing. */
const UNPROMPTED = 1000;

const idleActions = fc
  .tuple(openingArb, fc.option(writeSize), fc.integer({ min: TWO_HOURS + 100_000, max: TWO_HOURS + 1_800_000 }))
  .map(([kind, n, idle]): Action[] => [
    ...establish(kind),
    ...(n === null ? [] : [{ a: 'peerWrite', n } as Action, { a: 'stackWrite', n } as Action]),
    { a: 'settle', ms: 5000 },
    { a: 'settle', ms: idle, idle: true },
    { a: 'peerWrite', n: 10 },
    { a: 'settle', ms: 2000 },
  ]);

/** The longest stretch with no call and no input but pure ACKs, and the empty segments the stack sent unprompted. */
function idleSpans(trace: TraceEntry[]): { longest: number; unprompted: number[] } {
  let last = 0;
  let longest = 0;
  const unprompted: number[] = [];
  trace.forEach((e, i) => {
    // A pure ACK is no activity: it may be the peer's answer to a probe.
    if (e.dir === 'call' || (e.dir === 'in' && (!e.seg || segLen(e.seg) > 0 || e.seg.flags & RST))) {
      longest = Math.max(longest, e.t - last);
      last = e.t;
    }
    const s = e.dir === 'out' ? e.seg : undefined;
    if (s && !s.payload.length && !(s.flags & (SYN | FIN | RST)) && e.t - last > UNPROMPTED) unprompted.push(i);
  });
  const end = trace.at(-1);
  return { longest: Math.max(longest, end ? end.t - last : 0), unprompted };
}

const keepAliveOff: Property = {
  name: 'keep-alive-off-by-default',
  area: 'keepalive',
  title:
    'an established connection left idle for over two hours sends nothing unprompted: keep-alives are off ' +
    'unless the application turns them on',
  requirements: ['MUST-25'],
  section: '§3.8.4',
  scenario: () => scenarioArb(idleActions),
  skip: (profile) =>
    profile.realTime ? 'needs more than two hours of idle time on the stack clock (a real-clock stack)' : undefined,
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const { longest, unprompted } = idleSpans(trace);
    if (longest < TWO_HOURS) return v.out;
    v.hit();
    for (const i of unprompted)
      v.flag(
        i,
        `with no data arriving and no call for ${Math.round((trace[i]!.t - lastInput(trace, i)) / 1000)} s the ` +
          'stack sent a segment of its own (a keep-alive probe the application never asked for)',
        describe(trace[i]!.seg!),
        'nothing: keep-alives are off by default',
      );
    return v.out;
  },
};

function lastInput(trace: TraceEntry[], i: number): number {
  for (let j = i - 1; j >= 0; j--) {
    const e = trace[j]!;
    if (e.dir === 'call' || (e.dir === 'in' && (!e.seg || segLen(e.seg) > 0 || e.seg.flags & RST))) return e.t;
  }
  return 0;
}

const MIN = 60_000;

/** The keep-alive timing one scenario asks for (idle undefined: the stack's default, at least 2 h). */
interface Asked {
  idle: number | undefined;
  interval: number;
  probes: number;
}

const askedArb = (real: boolean): fc.Arbitrary<Asked> =>
  real
    ? fc.record({
        idle: fc.integer({ min: 2, max: 3 }).map((s) => s * 1000),
        interval: fc.constant(3000),
        probes: fc.integer({ min: 3, max: 6 }),
      })
    : fc.record({
        idle: fc.option(fc.integer({ min: 20_000, max: 3 * MIN }), { nil: undefined, freq: 9 }),
        interval: fc.integer({ min: 5_000, max: 2 * MIN }),
        probes: fc.integer({ min: 3, max: 9 }),
      });

/**
 * Established; keep-alives on; idle (probes answered); idle losing what the stack sends (the first probe goes
 * unanswered); idle again; a write whose segments are lost for a while (data outstanding: no probe); off; idle.
 */
/** garbage: the application asks for probes with a garbage octet (MAY-6). */
function enabledActions(real: boolean, garbage = false): fc.Arbitrary<Action[]> {
  return fc.tuple(openingArb, fc.option(writeSize), askedArb(real)).map(([kind, n, k]): Action[] => {
    const idle = k.idle ?? TWO_HOURS;
    const on: Action = {
      a: 'stackControl',
      control: {
        name: 'keepalive',
        on: true,
        ...(k.idle === undefined ? {} : { idleMs: k.idle }),
        intervalMs: k.interval,
        probes: k.probes,
        ...(garbage ? { garbage: true } : {}),
      },
    };
    const wait = idle + k.interval / 2;
    // A real-clock settle is capped (3 s): a long wait there is several.
    const settle = (ms: number, more: Partial<Extract<Action, { a: 'settle' }>> = {}): Action[] => {
      const n = real ? Math.ceil(ms / 2500) : 1;
      return Array.from({ length: n }, () => ({ a: 'settle', ms: Math.round(ms / n), idle: true, ...more }));
    };
    const start: Action[] = [
      ...establish(kind),
      ...(n === null ? [] : [{ a: 'peerWrite', n } as Action, { a: 'stackWrite', n } as Action]),
      { a: 'settle', ms: 2000 },
      on,
    ];
    // Something to mark the end: a real clock leaves no trace of time that passed quietly.
    const mark: Action[] = [
      { a: 'peerWrite', n: 1 },
      { a: 'settle', ms: 1000 },
    ];
    // The stack's default idle time: one long wait, the first probe judged (MUST-28).
    if (k.idle === undefined) return [...start, ...settle(wait), ...mark];
    return [
      ...start,
      ...settle(wait),
      // Data from the peer marks the start of an idle time: the probe due at its end is lost, the next one, an
      // interval later, gets through.
      { a: 'peerWrite', n: 1 },
      { a: 'settle', ms: 1000 },
      ...settle(idle - 1000 + k.interval / 2, { lossy: 'toPeer' }),
      ...settle(k.interval + 1000),
      { a: 'peerWrite', n: 5 },
      { a: 'settle', ms: 1000 },
      { a: 'stackWrite', n: 20 },
      ...settle(Math.min(wait, 60_000), { lossy: 'toPeer' }),
      { a: 'settle', ms: 30_000 },
      { a: 'stackControl', control: { name: 'keepalive', on: false } },
      ...settle(2 * idle + k.interval),
      ...mark,
    ];
  });
}

/** The keepalive control calls of a trace, in order, with their trace index. */
const controlsOf = (trace: TraceEntry[]) =>
  trace.flatMap((e, i) => (e.call?.control?.name === 'keepalive' ? [{ i, t: e.t, c: e.call.control }] : []));

interface Probe {
  i: number;
  t: number;
  /** When the connection last showed activity: a segment arrived, data was sent or keep-alives were turned on. */
  since: number;
  /** From when a probe is due at the latest: the later of `since` and keep-alives turned on. */
  base: number;
  outstanding: boolean;
  answered: boolean;
  len: number;
}

/**
 * Segments the stack sent at SEQ=SND.NXT-1 with at most one octet, no SYN, FIN or RST (§3.8.4's probe form); a
 * one-octet one counts only with nothing outstanding (else it is the last octet again).
 */
function probesOf(trace: TraceEntry[], from: number, last: number): Probe[] {
  let sndNxt: number | undefined;
  let sndUna: number | undefined;
  // Idle time counts from the last segment received or data sent, even before keep-alives were turned on.
  let since = 0;
  const onAt = trace[from]?.t ?? 0;
  const out: Probe[] = [];
  trace.slice(0, last).forEach((e, i) => {
    const s = e.seg;
    if (!s) return;
    if (e.dir === 'in') {
      since = e.t;
      if (s.flags & ACK && (sndUna === undefined || seqGt(s.ack, sndUna))) sndUna = s.ack;
      const last = out.at(-1);
      if (last && !last.answered && i > last.i) last.answered = true;
      return;
    }
    if (e.dir !== 'out' || s.flags & RST) return;
    const end = seqAdd(s.seq, segLen(s));
    const probeForm =
      sndNxt !== undefined && !(s.flags & (SYN | FIN)) && s.seq === seqAdd(sndNxt, -1) && s.payload.length <= 1;
    const outstanding = sndUna !== undefined && sndNxt !== undefined && sndUna !== sndNxt;
    if (i > from && probeForm && (s.payload.length === 0 || !outstanding))
      out.push({ i, t: e.t, since, base: Math.max(since, onAt), outstanding, answered: false, len: s.payload.length });
    else if (s.payload.length > 0) since = e.t;
    if (sndNxt === undefined || seqGt(end, sndNxt)) sndNxt = end;
  });
  return out;
}

const keepAliveOn: Property = {
  name: 'keep-alive-enabled',
  area: 'keepalive',
  title:
    'keep-alives the application turns on: probes after the idle time it set (two hours by default), only when ' +
    'idle, without data, one lost probe survived, none once turned off',
  requirements: ['MUST-24', 'MAY-5'],
  checks: {
    'idle-time': ['MUST-27'],
    'default-idle': ['MUST-28'],
    'only-idle': ['MUST-26'],
    'no-data': ['SHLD-12'],
    'one-lost': ['MUST-29'],
    off: ['MUST-24'],
  },
  section: '§3.8.4',
  needs: ['keepalive'],
  scenario: (profile) => scenarioArb(enabledActions(profile.realTime ?? false)),
  check(trace, profile, tally) {
    const v = violations(this, tally);
    const ctl = controlsOf(trace);
    const on = ctl.find((x) => x.c.on);
    if (!on?.c.on || !established(trace)) return v.out;
    const asked = on.c;
    const off = ctl.find((x) => !x.c.on && x.i > on.i);
    const slack = profile.realTime ? 1500 : 1000;
    const idle = asked.idleMs ?? TWO_HOURS;
    const ended = trace.findIndex((e, i) => i > on.i && endsConnection(e));
    const last = ended < 0 ? trace.length : ended;
    const until = ended < 0 ? traceEnd(trace) : trace[ended]!.t;
    const probes = probesOf(trace, on.i, last);
    const during = probes.filter((p) => off === undefined || p.i < off.i);
    // MUST-24: turned on, a connection idle (nothing outstanding) for longer than the idle time is probed.
    const end = off ? Math.min(off.t, until) : until;
    for (const g of idleGaps(trace, on.i, end, last)) {
      if (g.to - g.from <= idle + slack) continue;
      v.hit();
      if (!during.some((p) => p.t > g.from && p.t <= g.from + idle + slack)) {
        v.flag(
          g.at,
          `keep-alives on with an idle time of ${fmt(idle)}: idle from ${fmt(g.from)} to ${fmt(g.to)} and no probe`,
          '(nothing)',
          `a probe ${fmt(idle)} after the connection fell idle`,
        );
        break;
      }
    }
    judgeProbes(v, trace, during, { idle, asked: asked.idleMs !== undefined, slack });
    judgeLost(v, trace, during, last);
    if (off) {
      const after = probes.filter((p) => p.i > off.i && p.t > off.t + slack);
      if (until > off.t + idle + slack) v.hit('off');
      for (const p of after)
        v.flag(
          p.i,
          'keep-alives turned off, and a probe still went out',
          describe(trace[p.i]!.seg!),
          'no probe',
          'off',
        );
    }
    return v.out;
  },
};

interface Timing {
  idle: number;
  asked: boolean;
  slack: number;
}

/** Each probe: not before the idle time, with nothing outstanding (MUST-26), on time (MUST-27/28), no data. */
function judgeProbes(v: ReturnType<typeof violations>, trace: TraceEntry[], probes: Probe[], k: Timing): void {
  let prev: Probe | undefined;
  for (const p of probes) {
    const seg = describe(trace[p.i]!.seg!);
    const series = prev !== undefined && !prev.answered && prev.since === p.since;
    v.hit('only-idle');
    if (p.outstanding)
      v.flag(p.i, 'a keep-alive probe while sent data is unacknowledged', seg, 'no probe', 'only-idle');
    else if (!series && p.t - p.since < k.idle - k.slack && k.asked)
      v.flag(
        p.i,
        `the application set an idle time of ${fmt(k.idle)}; a probe came ${fmt(p.t - p.since)} after the ` +
          'connection was last active',
        seg,
        `no probe before ${fmt(k.idle)} of idleness`,
        'idle-time',
      );
    else if (!series && p.t - p.since < k.idle - k.slack)
      v.flag(
        p.i,
        `a keep-alive probe ${fmt(p.t - p.since)} after the connection was last active; its idle time is ` +
          `${fmt(k.idle)}`,
        seg,
        'no probe before two hours of idleness (the default idle time, MUST-28)',
        'default-idle',
      );
    if (!series && !p.outstanding) {
      v.hit(k.asked ? 'idle-time' : 'default-idle');
      if (k.asked && p.t - p.base > k.idle + k.slack)
        v.flag(
          p.i,
          `the application set an idle time of ${fmt(k.idle)}; the probe came ${fmt(p.t - p.base)} after the ` +
            'connection was last active (or keep-alives were turned on)',
          seg,
          `a probe ${fmt(k.idle)} after the last activity`,
          'idle-time',
        );
    }
    v.hit('no-data');
    if (p.len > 0) v.flag(p.i, 'the keep-alive probe carries an octet of data', seg, 'a probe without data', 'no-data');
    prev = p;
  }
}

/**
 * Stretches from one sign of activity (keep-alives turned on, a segment arriving, data sent, data written) to the
 * next, with nothing outstanding and nothing written but unsent at their start (a stack holding queued data, say
 * behind a small window, has its own probes to send: the connection is not idle); `at` is where the stretch starts.
 */
function idleGaps(trace: TraceEntry[], from: number, end: number, last: number) {
  let sndNxt: number | undefined;
  let sndUna: number | undefined;
  let iss: number | undefined;
  let written = 0;
  const marks: Array<{ t: number; at: number; busy: boolean }> = [];
  for (let i = 0; i < last; i++) {
    const e = trace[i]!;
    const s = e.seg;
    if (s && e.dir === 'in' && s.flags & ACK && (sndUna === undefined || seqGt(s.ack, sndUna))) sndUna = s.ack;
    let sent = false;
    if (s && e.dir === 'out' && !(s.flags & RST)) {
      if (s.flags & SYN) iss ??= s.seq;
      const probe = sndNxt !== undefined && sndUna === sndNxt && s.seq === seqAdd(sndNxt, -1);
      sent = s.payload.length > 0 && !probe;
      const endSeq = seqAdd(s.seq, segLen(s));
      if (sndNxt === undefined || seqGt(endSeq, sndNxt)) sndNxt = endSeq;
    }
    const write = e.dir === 'call' && e.call?.name === 'write' && !e.call.refused;
    if (write) written += e.call!.data?.length ?? 0;
    const queued = iss !== undefined && sndNxt !== undefined && written > seqDelta(sndNxt, iss) - 1;
    const active = i === from || sent || write || (s !== undefined && e.dir === 'in');
    if (i >= from && active) marks.push({ t: e.t, at: i, busy: sndUna !== sndNxt || queued });
  }
  return marks
    .map((m, k) => ({ from: m.t, to: Math.min(marks[k + 1]?.t ?? end, end), at: m.at }))
    .filter((_, k) => !marks[k]!.busy);
}

/** MUST-29: after a probe that drew no answer, the connection goes on to probe again. */
function judgeLost(v: ReturnType<typeof violations>, trace: TraceEntry[], probes: Probe[], last: number): void {
  const lost = probes.find((p) => !p.answered);
  if (!lost) return;
  const next = probes.find((p) => p.i > lost.i);
  if (next) {
    v.hit('one-lost');
    return;
  }
  if (last < trace.length) {
    v.hit('one-lost');
    v.flag(
      last,
      'one keep-alive probe went unanswered, and the stack ended the connection before probing again',
      trace[last]!.text,
      'another probe: one missing answer does not show the connection is dead',
      'one-lost',
    );
  }
}

const fmt = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

const endsConnection = (e: TraceEntry): boolean =>
  (e.dir === 'event' && ['error', 'closed', 'reset'].includes(e.event!.type)) ||
  (e.dir === 'out' && e.seg !== undefined && (e.seg.flags & RST) !== 0);

const established = (trace: TraceEntry[]): boolean =>
  trace.some((e) => e.dir === 'event' && (e.event?.type === 'connected' || e.event?.type === 'accepted'));

/** MAY-6: with the garbage-octet setting on, every probe carries exactly one octet (at SND.NXT - 1). */
const keepAliveGarbage: Property = {
  name: 'keep-alive-garbage',
  area: 'keepalive',
  title:
    'keep-alives with the garbage-octet setting (`keepalive-garbage`): every probe carries one octet, the one ' +
    'before SND.NXT, for peers that would ignore an empty probe',
  requirements: ['MAY-6'],
  section: '§3.8.4',
  needs: ['keepalive', 'keepalive-garbage'],
  scenario: (profile) => scenarioArb(enabledActions(profile.realTime ?? false, true)),
  check(trace, _profile, tally) {
    const v = violations(this, tally);
    const ctl = controlsOf(trace);
    const on = ctl.find((x) => x.c.on && x.c.garbage);
    if (!on || !established(trace)) return v.out;
    const off = ctl.find((x) => !x.c.on && x.i > on.i);
    const ended = trace.findIndex((e, i) => i > on.i && endsConnection(e));
    for (const p of probesOf(trace, on.i, ended < 0 ? trace.length : ended)) {
      if (off && p.i > off.i) break;
      v.hit();
      if (p.len !== 1)
        v.flag(p.i, 'the application asked for probes with a garbage octet; this one has none', undefined, 'one octet');
    }
    return v.out;
  },
};

export const properties: Property[] = [keepAliveOff, keepAliveOn, keepAliveGarbage];
