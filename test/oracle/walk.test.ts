// The walk: the model follows each connection from its first SYN to CLOSED, explains every segment the stack sends
// by a sending rule, and judges the reply rules in every state. One short ladder per behaviour, legal and not.
import { describe, expect, it } from 'vitest';
import { step } from '../../src/model/step.js';
import type { ModelEvent, StepResult, Tcb } from '../../src/model/types.js';
import { trackReplies } from '../../src/oracle/tracker.js';
import { Tally } from '../../src/oracle/types.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import { ladder } from './ladder.js';

const profile = { ...GENERIC_PROFILE('p'), rfc5961: true };
const PASSIVE = [
  'call listen',
  'in S 300 mss=536',
  'out SA 100 ack=301 win=1000',
  'in A 301 ack=101',
  'event accepted c1',
];
const ACTIVE = ['call connect c1', 'out S 100', 'in SA 300 ack=101', 'out A 101 ack=301', 'event connected c1'];
const judge = (lines: string[], s = step) => {
  const t = new Tally();
  return { v: trackReplies(ladder(lines), profile, t, s), t };
};
const checks = (lines: string[]) => judge(lines).v.map((x) => x.check);

describe('the walk explains every segment the stack sends', () => {
  it('a whole connection, both closes, data cut as the stack likes: every segment explained', () => {
    const { v, t } = judge([
      ...PASSIVE,
      'call write c1 hello',
      'out PA 101 ack=301 data=hel',
      'out PA 104 ack=301 data=lo',
      'in A 301 ack=106',
      'call close c1',
      'out FA 106 ack=301',
      'in FA 301 ack=107',
      'out A 107 ack=302',
    ]);
    expect(v).toEqual([]);
    for (const r of ['send-syn', 'send-ack', 'send-seq', 'send-text', 'send-fin'])
      expect(t.hits.get(`tracker/${r}`)).toBeGreaterThan(0);
  });
  it('its FIN re-sent on the segment that acknowledges the peer FIN is legal (4.4BSD does it)', () => {
    const lines = [...PASSIVE, 'call close c1', 'out FA 101 ack=301', 'in FA 301 ack=101', 'out FA 101 ack=302'];
    expect(checks(lines)).toEqual([]);
  });
  it('a FIN before the application closed', () => {
    expect(checks([...PASSIVE, 'out FA 101 ack=301'])).toEqual(['tracker/send-fin']);
  });
  it('a FIN that is not right after the last octet written', () => {
    expect(checks([...PASSIVE, 'call write c1 ab', 'call close c1', 'out FA 101 ack=301 data=a'])).toEqual([
      'tracker/send-fin',
    ]);
  });
  it('octets the application never wrote, or not the ones it wrote there', () => {
    expect(checks([...PASSIVE, 'call write c1 ab', 'out PA 101 ack=301 data=abc'])).toEqual(['tracker/send-text']);
    expect(checks([...PASSIVE, 'call write c1 ab', 'out PA 101 ack=301 data=ax'])).toEqual(['tracker/send-text']);
  });
  it('an ACK that is not RCV.NXT, or no ACK bit at all', () => {
    expect(checks([...PASSIVE, 'in A 301 ack=101 data=xy', 'out A 101 ack=305'])).toEqual(['tracker/send-ack']);
    expect(checks([...PASSIVE, 'call write c1 ab', 'out P 101 data=ab'])).toEqual(['tracker/send-ack']);
  });
  it('a gap in the sequence space, and a SYN after the handshake', () => {
    expect(checks([...PASSIVE, 'call write c1 ab', 'out PA 102 ack=301 data=b'])).toEqual(['tracker/send-seq']);
    expect(checks([...PASSIVE, 'out SA 100 ack=301'])).toEqual(['tracker/send-syn']);
  });
  it('after the stack reset the connection it sends nothing but RSTs', () => {
    expect(checks([...PASSIVE, 'call abort c1', 'out R 101', 'out A 101 ack=301'])).toEqual(['tracker/send-closed']);
  });
  it('data taken in while a segment sat unprocessed is explained (the stack may take a segment in later)', () => {
    const lines = [...ACTIVE, 'in PA 301 ack=101 data=ab', 'out A 101 ack=301', 'time 100', 'out A 101 ack=303'];
    expect(checks(lines)).toEqual([]);
  });
  it('text on a segment acknowledging unsent data, taken in anyway, names that rule', () => {
    const lines = [...PASSIVE, 'in PA 301 ack=105 data=ab', 'out A 101 ack=301', 'out A 101 ack=303'];
    expect(judge(lines).v.map((x) => [x.check, x.state])).toEqual([['tracker/ack-unsent', 'ESTABLISHED']]);
  });
});

describe('the walk judges reply rules in every state', () => {
  it('LISTEN: an ACK draws <SEQ=SEG.ACK><CTL=RST>', () => {
    expect(checks(['call listen', 'in A 5 ack=77', 'out R 77'])).toEqual([]);
    expect(checks(['call listen', 'in A 5 ack=77', 'time 600'])).toEqual(['tracker/listen-ack-resets']);
  });
  it('SYN-SENT: an unacceptable ACK draws a RST at SEG.ACK; a crossing SYN draws a SYN,ACK', () => {
    expect(checks(['call connect c1', 'out S 100', 'in A 9 ack=500', 'out R 500'])).toEqual([]);
    expect(checks(['call connect c1', 'out S 100', 'in A 9 ack=500', 'time 600'])).toEqual([
      'tracker/synsent-bad-ack-resets',
    ]);
    expect(checks(['call connect c1', 'out S 100', 'in S 300', 'out SA 100 ack=301'])).toEqual([]);
    expect(checks(['call connect c1', 'out S 100', 'in S 300', 'time 600'])).toEqual(['tracker/synsent-syn-crossing']);
  });
  it('SYN-SENT: a RST acknowledging the SYN refuses the connection', () => {
    expect(checks(['call connect c1', 'out S 100', 'in RA 0 ack=101', 'event reset c1'])).toEqual([]);
    expect(checks(['call connect c1', 'out S 100', 'in RA 0 ack=101', 'time 600'])).toEqual([
      'tracker/synsent-rst-refused',
    ]);
  });
  it('TIME-WAIT: the peer FIN again draws an ACK (or a RST once the stack may have left TIME-WAIT)', () => {
    const tw = [...ACTIVE, 'call close c1', 'out FA 101 ack=301', 'in FA 301 ack=102', 'out A 102 ack=302'];
    expect(checks([...tw, 'time 1000', 'in FA 301 ack=102', 'out A 102 ack=302'])).toEqual([]);
    expect(checks([...tw, 'time 1000', 'in FA 301 ack=102', 'time 600'])).toEqual(['tracker/timewait-fin-acked']);
  });
  it('CLOSE-WAIT: an in-window RST not at RCV.NXT draws a challenge ACK, not a reset', () => {
    const cw = [...PASSIVE, 'in FA 301 ack=101', 'out A 101 ack=302', 'event end c1'];
    expect(checks([...cw, 'in R 310', 'out A 101 ack=302'])).toEqual([]);
    expect(checks([...cw, 'in R 310', 'event reset c1'])).toEqual(['tracker/rst-challenge-ack']);
  });
  it('ABORT of a synchronized connection sends <SEQ=SND.NXT><CTL=RST>', () => {
    expect(checks([...PASSIVE, 'call abort c1', 'out R 101'])).toEqual([]);
    expect(checks([...PASSIVE, 'call abort c1', 'time 600'])).toEqual(['tracker/abort-resets']);
  });
});

describe('the walk judges by the model: a mutated model finds fault with a correct trace', () => {
  // A model that takes a FIN as consuming no sequence number (the mission invariant broken in the model).
  const noFinSeq = (t: Tcb, ev: ModelEvent, now: number): StepResult => {
    const r = step(t, ev, now);
    if (ev.type === 'sent' && ev.seg.flags & 1 && r.tcb.finSeq !== undefined) r.tcb.sndNxt = r.tcb.finSeq;
    return r;
  };
  it('the true model passes the trace; the mutated one refuses the stack ACK of its FIN', () => {
    const lines = [...PASSIVE, 'call close c1', 'out FA 101 ack=301', 'in A 301 ack=102', 'time 600'];
    expect(judge(lines).v).toEqual([]);
    expect(judge(lines, noFinSeq).v.map((x) => x.check)).toEqual(['tracker/ack-unsent']);
  });
});
