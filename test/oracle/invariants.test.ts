// Golden traces for the shadow and each invariant: a short ladder in, the bound facts or the violations out.
import { describe, expect, it } from 'vitest';
import { INVARIANTS, checkInvariants } from '../../src/oracle/invariants.js';
import { Tally } from '../../src/oracle/types.js';
import { ShadowWalker, tupleKey } from '../../src/oracle/shadow.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import type { StackProfile } from '../../src/stacks/adapter.js';
import { ladder } from './ladder.js';

/** Passive open as in Figure 6: the peer's ISN is 300, the stack's 100. */
const PASSIVE = [
  'call listen',
  'in S 300 win=1000 mss=536',
  'out SA 100 ack=301 mss=1460',
  'in A 301 ack=101 win=1000',
  'event accepted c1',
];

const shadowOf = (lines: string[]) => {
  const w = new ShadowWalker();
  for (const [i, e] of ladder(lines).entries()) w.apply(e, i);
  return w.get(tupleKey(80, '10.0.0.2', 40000));
};
/** A passive open whose peer offers a window of 1000. */
const OPEN_WIN_1000 = [
  'call listen',
  'in S 300',
  'out SA 100 ack=301 mss=1460',
  'in A 301 ack=101 win=1000',
  'event accepted c1',
];
const violations = (lines: string[]) => checkInvariants(ladder(lines)).map((v) => `${v.property}: ${v.message}`);

describe('the shadow binds what the stack chose', () => {
  it('ISNs, the peer MSS, the window edge and the acknowledged SYN after a passive open', () => {
    const c = shadowOf(PASSIVE);
    expect(c).toMatchObject({
      stackIss: 100,
      peerIss: 300,
      peerMss: 536,
      synAcked: true,
      established: true,
      conn: 'c1',
    });
    expect(c.peerEdge).toBe(1 + 1000); // SND.UNA offset 1 + window 1000
    expect(c.covEnd()).toBe(1); // the SYN
  });
  it('data both ways: coverage, written bytes, the stack FIN offset and TIME-WAIT timing', () => {
    const c = shadowOf([
      ...PASSIVE,
      'in PA 301 ack=101 data=abc',
      'call write c1 hi',
      'out PA 101 ack=304 data=hi',
      'call close c1',
      'out FA 103 ack=304',
      'in A 304 ack=104',
      'time 10',
      'in FA 304 ack=104',
      'out A 104 ack=305',
    ]);
    expect(c.covEnd()).toBe(5); // SYN + 3 octets + FIN
    expect(c.written).toEqual([...Buffer.from('hi')]);
    expect(c.stackFinOff).toBe(3);
    expect(c.peerAckMax).toBe(4);
    expect(c.timeWaitAt).toBe(10);
  });
  it('a SYN,ACK naming another peer SYN rebinds the peer ISN (a retransmitted SYN with a new ISN)', () => {
    const c = shadowOf(['call listen', 'in S 300', 'in S 900', 'out SA 100 ack=901 mss=1460']);
    expect(c.peerIss).toBe(900);
  });
});

describe('each invariant, on a golden trace', () => {
  it('a conforming exchange trips none', () => {
    expect(
      violations([
        ...PASSIVE,
        'in PA 301 ack=101 data=abc',
        'out A 101 ack=304',
        'event data c1 abc',
        'call close c1',
        'out FA 101 ack=304',
      ]),
    ).toEqual([]);
  });
  it('the keep-alive form (SEQ=SND.UNA-1, nothing outstanding, no FIN yet) is not a sequence-space fault', () => {
    const sent = ['call write c1 hi', 'out PA 101 ack=301 data=hi', 'in A 301 ack=103 win=0'];
    expect(violations([...PASSIVE, ...sent, 'out A 102 ack=301'])).toEqual([]);
    expect(violations([...PASSIVE, ...sent, 'out A 101 ack=301'])).toEqual([
      expect.stringMatching(/^seq-space: pure ACK at SEQ=101, below SND.UNA/),
    ]);
  });
  it.each([
    ['seq-space', ['out A 100 ack=301'], /sequence offset 0 from the ISN: the SYN did not consume/],
    ['seq-space', ['out A 105 ack=301'], /starts 4 past the highest sequence number sent/],
    [
      'seq-space',
      ['call close c1', 'out FA 101 ack=301', 'in A 301 ack=102', 'out A 101 ack=301'],
      /pure ACK at SEQ=101, below SND.UNA/,
    ],
    [
      'seq-space',
      ['call write c1 hi', 'out PA 101 ack=301 data=ho'],
      /octet 1 differs from what the application wrote/,
    ],
    ['seq-space', ['out FA 101 ack=301'], /FIN sent although the application never closed/],
    ['seq-space', ['call close c1', 'out FA 101 ack=301', 'out FA 102 ack=301'], /a second FIN at offset 2/],
    [
      'ack-received',
      ['out A 101 ack=310'],
      /acknowledges 310, but the peer's sequence space reached the stack only up to 301/,
    ],
    ['mss-syn-only', ['call write c1 x', 'out A 101 ack=301 mss=1460'], /MSS option on a segment without SYN/],
    [
      'mss',
      ['call write c1 abc', `out PA 101 ack=301 data=${'x'.repeat(537)}`],
      /537 data octets exceed the peer's MSS 536/,
    ],
    ['no-rst-for-rst', ['in R 301', 'out R 101'], /answered a RST with a RST/],
    [
      'in-order-delivery',
      ['in PA 301 ack=101 data=abc', 'event data c1 abd'],
      /octet 2 delivered .* is not what the peer sent/,
    ],
  ])('%s fires: %j', (name, tail, re) => {
    const v = checkInvariants(ladder([...PASSIVE, ...(tail as string[])]));
    expect(v.map((x) => x.property)).toContain(name);
    expect(v.find((x) => x.property === name)!.message).toMatch(re as RegExp);
  });
  it('no-data-before-established fires on data in a SYN, before the SYN is acknowledged, and before accepted', () => {
    expect(violations(['call connect c1', 'out S 100 data=x mss=1460'])).toEqual([
      'no-data-before-established: 1 data octets on a SYN',
    ]);
    expect(violations(['call connect c1', 'call write c1 x', 'out S 100 mss=1460', 'out PA 101 data=x'])).toEqual([
      'no-data-before-established: data sent before the peer acknowledged the SYN',
    ]);
    expect(
      violations([
        'call listen',
        'in S 300',
        'out SA 100 ack=301 mss=1460',
        'in PA 301 ack=101 data=x',
        'event data c9 x',
      ]),
    ).toEqual([
      'no-data-before-established: the application received 1 octets on connection c9 before it was established',
    ]);
  });
  it('peer-window fires past the right edge the peer offered, allowing a one-octet probe', () => {
    const small = [
      'call listen',
      'in S 300',
      'out SA 100 ack=301 mss=1460',
      'in A 301 ack=101 win=2',
      'event accepted c1',
    ];
    expect(violations([...small, 'call write c1 abc', 'out PA 101 ack=301 data=abc'])).toEqual([]);
    expect(violations([...small, 'call write c1 abcd', 'out PA 101 ack=301 data=abcd'])).toEqual([
      "peer-window: data up to offset 5 beyond the peer's window edge 3",
    ]);
  });
  it('window-edge fires when ACK+WND moves left; a SYN starts afresh; agreed scaling is not judged', () => {
    const open = [
      'call listen',
      'in S 300',
      'out SA 100 ack=301 win=1000 mss=1460',
      'in A 301 ack=101',
      'event accepted c1',
    ];
    const data = ['in PA 301 ack=101 data=abc', 'event data c1 abc'];
    expect(violations([...open, ...data, 'out A 101 ack=304 win=997'])).toEqual([]); // edge 1301 kept
    expect(violations([...open, ...data, 'out A 101 ack=304 win=900'])).toEqual([
      "window-edge: the offered window's right edge moved left by 97 octets (ACK 304 + WND 900, after 1301)",
    ]);
    const t = new Tally();
    checkInvariants(ladder([...open, ...data, 'out A 101 ack=304 win=997']), undefined, t);
    expect(t.hits.get('window-edge')).toBe(1);
    // Both SYNs offered a scale: the field is shifted and rounded, not judged here.
    const both = [
      'call listen',
      'in S 300 wscale=2',
      'out SA 100 ack=301 win=1000 wscale=2 mss=1460',
      'in A 301 ack=101',
    ];
    expect(violations([...both, 'out A 101 ack=301 win=10'])).toEqual([]);
    // Only the stack offered one: a field that reads right only shifted names the unagreed scale.
    const mine = [
      'call connect c1',
      'out S 100 wscale=4 mss=1460',
      'in S 300',
      'out SA 100 ack=301 win=1600 wscale=4 mss=1460',
    ];
    const v = checkInvariants(ladder([...mine, 'in SA 300 ack=101', 'out A 101 ack=301 win=100']));
    expect(v.map((x) => x.check)).toEqual(['window-edge/unagreed-scale']);
  });
  it('psh-last: new data that empties the send queue carries PSH; earlier segments, resends and probes need not', () => {
    const open = OPEN_WIN_1000;
    expect(
      violations([...open, 'call write c1 abcd', 'out A 101 ack=301 data=ab', 'out PA 103 ack=301 data=cd']),
    ).toEqual([]);
    expect(violations([...open, 'call write c1 abcd', 'out A 101 ack=301 data=abcd'])).toEqual([
      'psh-last: the segment sends the last of the 4 octets written, emptying the send queue, without PSH',
    ]);
    // a retransmission of the last octets: judged once, when first sent
    const resent = [...open, 'call write c1 ab', 'out PA 101 ack=301 data=ab', 'out A 101 ack=301 data=ab'];
    expect(violations(resent)).toEqual([]);
    // a one-octet probe beyond a shut window
    const shut = [
      'call listen',
      'in S 300',
      'out SA 100 ack=301 mss=1460',
      'in A 301 ack=101 win=0',
      'event accepted c1',
    ];
    expect(violations([...shut, 'call write c1 a', 'out A 101 ack=301 data=a'])).toEqual([]);
    const t = new Tally();
    checkInvariants(
      ladder([...open, 'call write c1 abcd', 'out A 101 ack=301 data=ab', 'out PA 103 ack=301 data=cd']),
      undefined,
      t,
    );
    expect(t.hits.get('psh-last')).toBe(1);
  });
  it('psh-last: a zero-window probe is no send of the queue, though an earlier, larger window reached past it', () => {
    // Found at seed 77 of window-scale: the peer's SYN,ACK offered 1024 (unscaled), its ACKs then 1024 >> 11 = 0.
    const open = [
      'call connect c1',
      'out S 100 mss=1460 wscale=2',
      'in SA 300 ack=101 win=1024 wscale=11',
      'out A 101 ack=301',
    ];
    const sent = [...open, 'event connected c1', 'call write c1 abc', 'out A 101 ack=301 data=ab'];
    expect(violations([...sent, 'in A 301 ack=103 win=0', 'out A 103 ack=301 data=c'])).toEqual([]);
    // within the window it is the queue's last segment, and owes PSH
    expect(violations([...sent, 'in A 301 ack=103 win=1', 'out A 103 ack=301 data=c'])).toEqual([
      'psh-last: the segment sends the last of the 3 octets written, emptying the send queue, without PSH',
    ]);
  });
  it('push-write: with a PUSH flag on SEND, PSH where a pushed write ends; psh-last spares an unpushed tail', () => {
    const open = OPEN_WIN_1000;
    const pushApi: StackProfile = { ...GENERIC_PROFILE('p'), controls: ['push'] };
    const judged = (lines: string[], profile: StackProfile = pushApi) =>
      checkInvariants(ladder(lines), profile).map((v) => `${v.property}: ${v.message}`);
    const queued = [...open, 'call write c1 ab', 'call write c1 cd more'];
    expect(judged([...queued, 'out A 101 ack=301 data=abcd'])).toEqual([
      'push-write: the segment carries octet 1, the last of a pushed write, without PSH (4 octets written so far)',
    ]);
    expect(judged([...queued, 'out PA 101 ack=301 data=abcd'])).toEqual([]);
    // without the push control, a write has no PUSH flag: only the queue's end is judged (psh-last)
    expect(judged([...queued, 'out A 101 ack=301 data=abcd'], GENERIC_PROFILE('q'))).toEqual([]);
    // the unpushed tail that empties the queue owes no PSH
    expect(judged([...queued, 'out PA 101 ack=301 data=ab', 'out A 103 ack=301 data=cd'])).toEqual([]);
    const t = new Tally();
    checkInvariants(ladder([...queued, 'out PA 101 ack=301 data=abcd']), pushApi, t);
    expect(t.hits.get('push-write')).toBe(1);
    expect(t.hits.get('psh-last')).toBeUndefined();
  });
  it('the mss size check: 536 when the SYN carried none', () => {
    const big = 'x'.repeat(537);
    const v = violations([
      'call listen',
      'in S 300',
      'out SA 100 ack=301 mss=1460',
      'in A 301 ack=101',
      'event accepted c1',
      `call write c1 ${big}`,
      `out PA 101 ack=301 data=${big}`,
    ]);
    expect(v).toEqual(["mss-default: 537 data octets exceed the peer's MSS 536 (536 when the SYN carried none)"]);
  });
  it('counts what each invariant judged: mss-sent on a SYN with an MSS option, mss on data once the MSS is known', () => {
    const t = new Tally();
    checkInvariants(ladder([...PASSIVE, 'call write c1 ab', 'out PA 101 ack=301 data=ab', 'in R 303']), undefined, t);
    expect(t.hits.get('mss')).toBe(1);
    expect(t.hits.get('mss-default')).toBeUndefined();
    expect(t.hits.get('mss-sent')).toBe(1);
    expect(t.hits.get('mss-on-syn')).toBe(1);
    expect(t.hits.get('no-rst-for-rst')).toBeUndefined(); // nothing followed the RST: nothing judged
    const t2 = new Tally();
    checkInvariants(
      ladder(['call connect c1', 'out S 100 mss=1460', 'in SA 300 ack=101', 'out A 101 ack=301']),
      undefined,
      t2,
    );
    expect(t2.hits.get('mss-sent')).toBe(1);
    expect(t2.hits.get('ack-received')).toBe(1);
  });
  it('mss-on-syn: every SYN of the stack carries an MSS option (SHLD-5)', () => {
    expect(violations(['call connect c1', 'out S 100 mss=1460'])).toEqual([]);
    expect(violations(['call connect c1', 'out S 100'])).toEqual(['mss-on-syn: a SYN without an MSS option']);
    expect(violations(['call listen', 'in S 300 mss=536', 'out SA 100 ack=301'])).toEqual([
      'mss-on-syn: a SYN without an MSS option',
    ]);
  });
  it('mss-layout: an MSS after NOPs (odd offset) is honoured like one in first place (MUST-4)', () => {
    const open = (nops: number) => [
      'call listen',
      `in S 300 mss=100 nops=${nops}`,
      'out SA 100 ack=301 mss=1460',
      'in A 301 ack=101',
      'event accepted c1',
      'call write c1 ' + 'x'.repeat(200),
    ];
    const big = `out PA 101 ack=301 data=${'x'.repeat(200)}`;
    const t = new Tally();
    checkInvariants(ladder([...open(1), `out A 101 ack=301 data=${'x'.repeat(100)}`]), undefined, t);
    expect(t.hits.get('mss-layout')).toBe(1);
    expect(t.hits.get('mss')).toBeUndefined();
    expect(violations([...open(1), big])).toEqual(["mss-layout: 200 data octets exceed the peer's MSS 100"]);
    expect(violations([...open(0), big])).toEqual(["mss: 200 data octets exceed the peer's MSS 100"]);
  });
  it('every invariant has a golden trace above', () => {
    const tested = new Set([
      'seq-space',
      'ack-received',
      'peer-window',
      'mss',
      'mss-default',
      'mss-syn-only',
      'mss-sent',
      'no-data-before-established',
      'no-rst-for-rst',
      'in-order-delivery',
      'window-edge',
      'psh-last',
      'push-write',
      'mss-on-syn',
      'mss-layout',
    ]);
    expect(INVARIANTS.map((i) => i.name).filter((n) => !tested.has(n))).toEqual([]);
  });
});
