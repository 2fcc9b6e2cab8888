// Regression tests for the oracle's own mistakes found by trying stacks the suite had never seen (issue 11,
// item 6), written from their descriptions as golden traces.
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import type { TraceEntry } from '../../src/harness/trace.js';
import { GENERIC_PROFILE } from '../../src/stacks/registry.js';
import { ladder } from './ladder.js';

const profile = GENERIC_PROFILE('p');
const prop = (name: string) => ALL_PROPERTIES.find((p) => p.name === name)!;
/** A ladder whose lines ending in "#probe" are marked as that probe. */
const probed = (lines: string[]): TraceEntry[] =>
  ladder(lines.map((l) => l.replace(/\s+#\S+$/, ''))).map((e, i) => {
    const m = /#(\S+)$/.exec(lines[i]!);
    return m ? { ...e, probe: m[1]! } : e;
  });
const PASSIVE = ['call listen', 'in S 300', 'out SA 100 ack=301 win=1000', 'in A 301 ack=101', 'event accepted c1'];

describe('oracle defects, each with its regression', () => {
  it('a receive buffer larger than the advertised window: a RST beyond the edge may reset (every stack)', () => {
    // The stack advertised 1000, far below 65535, yet its real RCV.WND may be larger: RCV.NXT+5000 is uncertain.
    const t = probed([...PASSIVE, 'out A 101 ack=301 win=1000', 'in R 5301 #sync-rst', 'event reset c1']);
    expect(
      prop('rst-synchronized')
        .check(t, profile)
        .map((v) => v.message),
    ).toEqual([]);
    // Beyond twice the field's largest value it is surely outside: a reset there is still a violation.
    const far = probed([...PASSIVE, 'out A 101 ack=301 win=1000', 'in R 200301 #sync-rst', 'event reset c1']);
    expect(
      prop('rst-synchronized')
        .check(far, profile)
        .map((v) => v.message),
    ).toEqual([expect.stringMatching(/a RST outside the window .* reset the connection/)]);
  });
  it('a RST that reaches the stack in TIME-WAIT may end it: a later probe answered by RST is not "too short"', () => {
    const intoTw = [
      ...PASSIVE,
      'call close c1',
      'out FA 101 ack=301',
      'in A 301 ack=102',
      'in FA 301 ack=102',
      'out A 102 ack=302',
    ];
    // the network duplicated the stack's last ACK; the peer, already CLOSED, answered it with a RST
    const t = probed([...intoTw, 'time 1000', 'in R 302', 'time 5000', 'in FA 301 ack=102 #tw-fin', 'out R 102']);
    expect(prop('time-wait').check(t, profile)).toEqual([]);
    // without that RST, the same answer is TIME-WAIT ending early
    const early = probed([...intoTw, 'time 6000', 'in FA 301 ack=102 #tw-fin', 'out R 102']);
    expect(
      prop('time-wait')
        .check(early, profile)
        .map((v) => v.check),
    ).toEqual(['time-wait']);
  });
  it('keep-alives on: a connection holding written data behind a small window is not idle (found on Linux)', () => {
    const on: TraceEntry = {
      t: 0,
      dir: 'call',
      text: 'call control c1 keepalive on',
      call: { name: 'control', conn: 'c1', control: { name: 'keepalive', on: true, idleMs: 3000 } },
    };
    const run = (lines: string[]) => {
      const t = ladder([...PASSIVE, ...lines]);
      t.splice(PASSIVE.length, 0, on);
      return prop('keep-alive-enabled')
        .check(t, profile)
        .map((v) => v.check);
    };
    // 5 octets written, 1 sent into a 1-octet window: Linux sends its next persist probe, not a keep-alive
    const queued = ['call write c1 hello', 'out PA 101 ack=301 data=h', 'in A 301 ack=102 win=1', 'time 6000'];
    expect(run([...queued, 'out PA 102 ack=301 data=e', 'in A 301 ack=103 win=1'])).toEqual([]);
    // everything written sent and acknowledged: idle, and a probe was owed after 3 s
    const idle = ['call write c1 h', 'out PA 101 ack=301 data=h', 'in A 301 ack=102 win=1', 'time 6000'];
    expect(run([...idle, 'call write c1 e', 'out PA 102 ack=301 data=e', 'in A 301 ack=103 win=1'])).toEqual([
      'keep-alive-enabled',
    ]);
  });
  it('an ACK on a segment the stack found unacceptable acknowledges nothing: data may still be in flight', () => {
    // found by 24,000 runs of reference-perturbed: a 1-octet receive window, the peer's ACK one octet beyond it
    const open = ['call listen', 'in S 300', 'out SA 100 ack=301 win=1', 'in A 301 ack=101 win=40000'];
    const run = (ackSeq: number) =>
      prop('data-transfer')
        .check(
          ladder([
            ...open,
            'event accepted c1',
            'call write c1 abc',
            'out PA 101 ack=301 win=1 data=abc',
            `in A ${ackSeq} ack=104 win=40000`,
            'out A 104 ack=301 win=1',
            'call write c1 defgh',
            'time 1000',
            'out PA 104 ack=301 win=1 data=defgh',
            'in A 301 ack=109 win=40000',
          ]),
          profile,
        )
        .map((v) => v.check);
    expect(run(302)).toEqual([]); // outside the window: the stack drops it whole, its ACK unread (§3.10.7.4)
    expect(run(301)).toEqual(['data-transfer/large-window']); // taken: nothing in flight, the write is owed at once
  });
  it('a reset reported to the application as end of stream fails MUST-12', () => {
    const t = probed([...PASSIVE, 'out A 101 ack=301 win=1000', 'in R 301 #sync-rst', 'event end c1']);
    const v = prop('rst-synchronized').check(t, { ...profile, rfc5961: true });
    expect(v.map((x) => [x.check, x.requirements])).toEqual([['rst-synchronized/reset-reported', ['MUST-12']]]);
  });
});
