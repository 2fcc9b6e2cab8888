// Exports: every vector's trace as pcap (read back by tshark: packet count, flags, seq/ack, no
// malformed packet or checksum warning), as a packetdrill script (checked by our grammar), as a ladder
// and as Mermaid; and a counterexample exported from the failing run it recorded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VECTORS_DIR, vectorFiles } from '../../src/cli/vectors.js';
import { referenceAdapter } from '../../src/stacks/reference/adapter.js';
import {
  NotExportable,
  checkPacketdrill,
  ladderRows,
  loadTrace,
  storeTrace,
  toLadder,
  toMermaid,
  toPacketdrill,
  toPcap,
} from '../../src/trace/exports.js';
import { traceToVector } from '../../src/trace/export.js';
import { runVector } from '../../src/trace/runner.js';
import { loadVector } from '../../src/trace/vector.js';
import { ACK, FIN, PSH, RST, SYN } from '../../src/wire/segment.js';
import type { TraceEntry } from '../../src/harness/trace.js';
import type { Scenario } from '../../src/gen/scenario.js';
import { execute } from '../../src/oracle/execute.js';
import type { AppControl } from '../../src/stacks/adapter.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpc-export-'));
const hasTshark = spawnSync('tshark', ['--version']).status === 0;
if (!hasTshark && process.env.CI)
  throw new Error('tshark is not installed: the pcap export tests cannot run (apt-get install tshark)');

const vectors = vectorFiles(VECTORS_DIR).map((f) => loadVector(f));
const traces = await Promise.all(
  vectors.map(async (v) => ({ v, trace: (await runVector(v, referenceAdapter())).trace })),
);

describe('pcap export', () => {
  it.runIf(hasTshark).each(traces.map((x) => [x.v.name, x] as const))(
    '%s: tshark reads it back packet for packet, no malformed packet, checksums as sent',
    (_n, { trace }) => {
      const packets = trace.filter((e) => e.seg || e.icmp);
      const file = join(tmp, `${_n}.pcap`);
      writeFileSync(file, toPcap(trace));
      const r = spawnSync(
        'tshark',
        [
          '-r',
          file,
          '-o',
          'tcp.check_checksum:TRUE',
          '-o',
          'ip.check_checksum:TRUE',
          '-T',
          'fields',
          '-E',
          'separator=|',
          '-e',
          'tcp.flags',
          '-e',
          'tcp.seq_raw',
          '-e',
          'tcp.ack_raw',
          '-e',
          'tcp.checksum.status',
          '-e',
          'ip.checksum.status',
          '-e',
          '_ws.malformed',
          '-e',
          'icmp.type',
          '-e',
          'icmp.code',
          '-e',
          'icmp.checksum.status',
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const rows =
        r.stdout.trim() === ''
          ? []
          : r.stdout
              .trim()
              .split('\n')
              .map((l) => l.split('|'));
      expect(rows).toHaveLength(packets.length);
      rows.forEach(([flags, seq, ack, tcpSum, ipSum, malformed, icmpType, icmpCode, icmpSum], i) => {
        const m = packets[i]!.icmp;
        if (m) {
          // An ICMP error: its type and code, a good ICMP checksum (the 8 quoted TCP octets are too few for tshark).
          expect([icmpType, icmpCode, icmpSum, malformed]).toEqual([String(m.type), String(m.code), '1', '']);
          return;
        }
        const s = packets[i]!.seg!;
        expect(Number.parseInt(flags!, 16) & (SYN | ACK | FIN | RST | PSH)).toBe(
          s.flags & (SYN | ACK | FIN | RST | PSH),
        );
        expect(Number(seq)).toBe(s.seq);
        if (s.flags & ACK) expect(Number(ack)).toBe(s.ack);
        expect(malformed, `packet ${i + 1} malformed`).toBe('');
        expect(ipSum).toBe('1'); // tshark checksum status: 0 bad, 1 good, 2 unverified
        // Bad only where the vector sent a bad one
        expect(tcpSum, `packet ${i + 1} TCP checksum`).toBe(s.badChecksum ? '0' : '1');
      });
    },
  );
});

const NOT_PKT: Record<string, RegExp> = {
  'bad-checksum-dropped': /deliberately bad checksum/,
  'linux-l2-soft-icmp-aborts-syn-sent': /delivers an ICMP error/,
  'linux-l3-hard-icmp-ignored-established': /delivers an ICMP error/,
  'unknown-option-skipped': /TCP option kind 99 has no packetdrill syntax/,
  'lwip-f24-syn-from-this-network-answered': /from 0\.1\.2\.3 to 10\.0\.0\.1; a script speaks for one remote/,
  'lwip-f32-source-route-ignored': /delivers a datagram with IP options/,
};
const tryPkt = (trace: TraceEntry[]): string | Error => {
  try {
    return toPacketdrill(trace);
  } catch (e) {
    if (e instanceof NotExportable) return e;
    throw e;
  }
};

describe('packetdrill export', () => {
  it('application controls become the setsockopt calls that make them on Linux; reading is refused', async () => {
    const f28 = tryPkt(traces.find((x) => x.v.name === 'lwip-f28-keepalive-probe-with-data-outstanding')!.trace);
    expect(f28).toMatch(
      /setsockopt\(\d+, SOL_SOCKET, SO_KEEPALIVE, \[1\], 4\) = 0\n\+0 setsockopt\(\d+, IPPROTO_TCP, TCP_KEEPIDLE, \[20\], 4\)/,
    );
    expect(f28).toMatch(/TCP_KEEPINTVL, \[5\], 4\) = 0\n\+0 setsockopt\(\d+, IPPROTO_TCP, TCP_KEEPCNT, \[3\], 4\) = 0/);
    expect(f28).toMatch(/SO_KEEPALIVE, \[0\], 4\) = 0/);
    const sc = (control: AppControl): Scenario => ({
      peerIsn: 1,
      peerWindow: 65535,
      peerMss: 1460,
      actions: [{ a: 'stackListen' }, { a: 'peerConnect' }, { a: 'settle' }, { a: 'stackControl', control }],
    });
    const script = async (c: AppControl) => tryPkt((await execute(sc(c), referenceAdapter())).trace);
    expect(await script({ name: 'nodelay', on: true })).toMatch(
      /^\+\S+ setsockopt\(4, IPPROTO_TCP, TCP_NODELAY, \[1\], 4\) = 0$/m,
    );
    expect(await script({ name: 'timeout', ms: 2500 })).toMatch(
      /setsockopt\(4, IPPROTO_TCP, TCP_USER_TIMEOUT, \[2500\], 4\) = 0/,
    );
    expect(await script({ name: 'ttl', value: 9 })).toMatch(/setsockopt\(4, IPPROTO_IP, IP_TTL, \[9\], 4\) = 0/);
    expect(await script({ name: 'dscp', value: 46 })).toMatch(/setsockopt\(4, IPPROTO_IP, IP_TOS, \[184\], 4\) = 0/);
    const reading = await script({ name: 'reading', paused: true });
    expect(reading instanceof Error ? reading.message : reading).toMatch(/pauses or resumes reading/);
  });

  it.each(traces.map((x) => [x.v.name, x] as const))(
    '%s: the script passes the grammar, or the exporter says what packetdrill cannot express',
    (n, { trace }) => {
      const script = tryPkt(trace);
      if (NOT_PKT[n]) return void expect(script instanceof Error ? script.message : script).toMatch(NOT_PKT[n]);
      if (script instanceof Error) throw script;
      expect(checkPacketdrill(script)).toEqual([]);
      expect(script).toMatch(/^\+\S+ [<>] /m);
      expect(script.split('\n')[3]).toMatch(/^0 /); // packetdrill's clock starts at the first event
    },
  );

  it('ECN: the setup flags as E and W, the IP codepoints as [ect0] and [ce] (RFC 3168)', async () => {
    const sc: Scenario = {
      peerIsn: 1,
      peerWindow: 65535,
      peerMss: 1460,
      peerEcn: true,
      actions: [
        { a: 'stackListen' },
        { a: 'peerConnect' },
        { a: 'settle' },
        { a: 'ce' },
        { a: 'peerWrite', n: 100 },
        { a: 'settle' },
      ],
    };
    const script = toPacketdrill((await execute(sc, referenceAdapter())).trace);
    expect(script).toMatch(/^\+\S+ < SEW 0:0\(0\) win/m);
    expect(script).toMatch(/^\+\S+ > SE\. 0:0\(0\) ack 1 <\.\.\.>$/m);
    expect(script).toMatch(/^\+\S+ < \[ce\] P\. 1:101\(100\) ack 1 win/m);
    expect(script).toMatch(/^\+\S+ > E\. 1:1\(0\) ack 101$/m); // the echo of the CE mark
    expect(checkPacketdrill(script)).toEqual([]);
  });

  it("numbers are relative to each ISN; the stack's window and options are left to it; replies are ranges", () => {
    const t = traces.find((x) => x.v.name === 'fig06-basic-3whs')!.trace;
    const lines = toPacketdrill(t).split('\n');
    expect(lines).toContain('+0 listen(3, 1) = 0');
    expect(lines.some((l) => /^\+[\d.]+ < S 0:0\(0\) win 65535 <mss 1460>$/.test(l))).toBe(true);
    // An outbound line: no window (packetdrill then does not check it), options as <...>, a time range.
    expect(lines).toContain('+0~+0.5 > S. 0:0(0) ack 1 <...>');
    expect(lines.filter((l) => / > /.test(l) && / win /.test(l))).toEqual([]);
  });

  const seg = (dir: 'in' | 'out', t: number, flags: number, seq: number, ack: number, port = 40000): TraceEntry => ({
    t,
    dir,
    text: '',
    seg: {
      src: dir === 'in' ? '10.0.0.2' : '10.0.0.1',
      dst: dir === 'in' ? '10.0.0.1' : '10.0.0.2',
      srcPort: dir === 'in' ? port : 80,
      dstPort: dir === 'in' ? 80 : port,
      seq,
      ack,
      flags,
      window: 1000,
      urgent: 0,
      options: [],
      payload: new Uint8Array(0),
    },
  });
  const call = (t: number, name: string, len?: number): TraceEntry => ({
    t,
    dir: 'call',
    text: name,
    call: { name, ...(len !== undefined ? { data: new Uint8Array(len) } : {}) },
  });

  it('a timer-driven segment gets half to one and a half times its delay; a wait on state pads the next inbound', () => {
    const t: TraceEntry[] = [
      call(0, 'connect'),
      seg('out', 1, SYN, 500, 0),
      seg('out', 1001, SYN, 500, 0), // retransmitted after 1 s
      seg('in', 1100, SYN | ACK, 9000, 501),
      seg('out', 1101, ACK, 501, 9001),
      { t: 61_101, dir: 'state', text: 'LISTEN' },
      seg('in', 61_101, ACK, 9001, 501),
    ];
    const lines = toPacketdrill(t).split('\n');
    expect(lines[3]).toMatch(/^0 socket/);
    expect(lines).toContain('+0.5~+1.5 > S 0:0(0)');
    expect(lines).toContain('+0~+0.5 > . 1:1(0) ack 1');
    expect(lines).toContain('+67.5 < . 1:1(0) ack 1 win 1000'); // 60 s + 1/8 for a late-firing timer
  });

  it('a write while connecting waits for the connection; a call after close gets EBADF', () => {
    const t: TraceEntry[] = [
      call(0, 'connect'),
      call(1, 'write', 5),
      seg('out', 1, SYN, 500, 0),
      seg('in', 10, SYN | ACK, 9000, 501),
      { t: 11, dir: 'event', text: '', event: { type: 'connected', conn: 'c1' } as TraceEntry['event'] },
      call(20, 'close'),
      call(21, 'close'),
    ];
    const script = toPacketdrill(t);
    expect(script).toMatch(/\/\/ write\(5\) while connecting: queued until the connection opens/);
    expect(script).toMatch(/^\+0\.001 write\(3, \.\.\., 5\) = 5$/m);
    expect(script).toMatch(/^\+0\.009 close\(3\) = 0$/m);
    expect(script).toMatch(/^\+0\.001 close\(3\) = -1 EBADF \(Bad file descriptor\)$/m);
    expect(checkPacketdrill(script)).toEqual([]);
  });

  it('refuses what packetdrill cannot follow: a second connection, a second ISN', () => {
    const two = [call(0, 'listen'), seg('in', 1, SYN, 1, 0, 40000), seg('in', 2, SYN, 1, 0, 40001)];
    expect(() => toPacketdrill(two)).toThrow(/2 connections; packetdrill follows one per script/);
    const isns = [
      call(0, 'listen'),
      seg('in', 1, SYN, 1, 0),
      seg('out', 2, SYN | ACK, 7, 2),
      seg('out', 3, SYN | ACK, 9, 2),
    ];
    expect(() => toPacketdrill(isns)).toThrow(/learns the stack's ISN once per script/);
  });

  it('the grammar rejects what packetdrill would', () => {
    expect(checkPacketdrill('+0 < S 0:0(0) win 65535\n+0 > Q 0:0(0)\n')).toEqual([
      'line 2: not a packetdrill syscall or packet line: +0 > Q 0:0(0)',
    ]);
    expect(checkPacketdrill('+0 listen(3, 1)\n')).toHaveLength(2); // no "= ret", and no packet line at all
    expect(checkPacketdrill('0.1 < S. 0:0(0) ack 1 win 100 <mss 536,nop,wscale 7>\n')).toEqual([]);
    expect(checkPacketdrill('+0~+0.5 > S. 0:0(0) ack 1 <...>\n')).toEqual([]);
  });
});

describe('ladder and Mermaid', () => {
  it('Figure 7 (simultaneous open) reads like the RFC figure', () => {
    const t = traces.find((x) => x.v.name === 'fig07-simultaneous-open')!.trace;
    const rows = ladderRows(t).map((r) => [r.left, r.arrow, r.text, r.right]);
    expect(rows).toEqual([
      ['CLOSED', '   ', '', 'CLOSED'],
      ['SYN-SENT', '-->', '<SEQ=100><CTL=SYN>', '...'],
      ['SYN-RECEIVED', '<--', '<SEQ=300><CTL=SYN>', 'SYN-SENT'],
      ['SYN-RECEIVED', '-->', '<SEQ=100><ACK=301><CTL=SYN,ACK>', '...'],
      ['', '...', '<SEQ=100><CTL=SYN>', 'SYN-RECEIVED'],
      ['ESTABLISHED', '<--', '<SEQ=300><ACK=101><CTL=SYN,ACK>', 'SYN-RECEIVED'],
      ['', '...', '<SEQ=100><ACK=301><CTL=SYN,ACK>', 'ESTABLISHED'],
    ]);
    const text = toLadder(t, { mark: t.findIndex((e) => e.dir === 'in') });
    expect(text).toMatch(/^ {2} 2\. SYN-SENT {5}--> <SEQ=100><CTL=SYN> +\.\.\./m);
    expect(text).toMatch(/^>> 3\. SYN-RECEIVED <-- <SEQ=300><CTL=SYN> +<-- SYN-SENT/m);
  });

  it('Figure 13 (simultaneous close) goes through CLOSING to TIME-WAIT on both sides', () => {
    const t = traces.find((x) => x.v.name === 'fig13-simultaneous-close')!.trace;
    const rows = ladderRows(t);
    expect(rows.map((r) => r.left).filter(Boolean)).toContain('CLOSING');
    expect(rows.at(-1)!.right).toBe('TIME-WAIT');
    expect(rows.some((r) => r.left === 'TIME-WAIT')).toBe(true);
  });

  it('Mermaid: a sequenceDiagram with one arrow per segment and the violation noted', () => {
    const t = traces.find((x) => x.v.name === 'fig07-simultaneous-open')!.trace;
    const m = toMermaid(t, { mark: 3, note: 'example: something' });
    expect(m.startsWith('```mermaid\nsequenceDiagram\n')).toBe(true);
    expect(m.match(/^ {4}(A-\)B|B->>A): /gm)).toHaveLength(4);
    expect(m).toContain('Note over A,B: ✗ example  something');
  });
});

describe('counterexample exports use the recorded failing trace', () => {
  it('stored traces round-trip, bad checksums included', () => {
    const t = traces.find((x) => x.v.name === 'bad-checksum-dropped')!.trace;
    const back = loadTrace(JSON.parse(JSON.stringify(storeTrace(t))));
    expect(back.filter((e) => e.seg).map((e) => [e.seg!.seq, e.seg!.flags, !!e.seg!.badChecksum])).toEqual(
      t.filter((e) => e.seg).map((e) => [e.seg!.seq, e.seg!.flags, !!e.seg!.badChecksum]),
    );
    expect(() => loadTrace([{ t: 0, dir: 'in', text: 'x', hex: 'zz' }])).toThrow(/origin.trace\[0\]/);
  });

  it('tcp-conform export of a mutant counterexample writes pcap, packetdrill and Mermaid, and prints the marked ladder', () => {
    const out = join(tmp, 'cx');
    const run = (...a: string[]) => spawnSync(process.execPath, ['bin/tcp-conform.js', ...a], { encoding: 'utf8' });
    const r = run(
      'run',
      '--stack',
      'mutant:broken-simultaneous-open',
      '--only',
      'simultaneous-open',
      '--runs',
      '50',
      '--seed',
      '3',
      '--out',
      out,
    );
    expect(r.status).toBe(1);
    const file = join(out, readdirSync(out).find((f) => f.startsWith('simultaneous-open'))!);
    const e = run(
      'export',
      file,
      '--pcap',
      join(tmp, 'cx.pcap'),
      '--pkt',
      join(tmp, 'cx.pkt'),
      '--mermaid',
      join(tmp, 'cx.md'),
      '--ladder',
    );
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain('exporting the recorded trace');
    expect(e.stdout).toMatch(/^>>/m);
    const stored = JSON.parse(readFileSync(file, 'utf8')).origin.trace as Array<{ hex?: string }>;
    const pcap = readFileSync(join(tmp, 'cx.pcap'));
    expect(pcap.length).toBe(24 + stored.filter((x) => x.hex).reduce((a, x) => a + 16 + x.hex!.length / 2, 0));
    expect(checkPacketdrill(readFileSync(join(tmp, 'cx.pkt'), 'utf8'))).toEqual([]);
    expect(readFileSync(join(tmp, 'cx.md'), 'utf8')).toContain('sequenceDiagram');
    expect(run('export', file).status).toBe(2); // no output chosen: a usage error
  });
});

describe('an ICMP error in a trace', () => {
  const t = traces.find((x) => x.v.name === 'linux-l3-hard-icmp-ignored-established')!.trace;
  it('survives a stored counterexample and becomes an icmp step of the vector made from it', () => {
    const i = t.findIndex((e) => e.icmp);
    expect(i).toBeGreaterThan(0);
    expect(loadTrace(JSON.parse(JSON.stringify(storeTrace(t))))[i]!.icmp).toEqual(t[i]!.icmp);
    const steps = traceToVector(t, { name: 'x', check: ['icmp'] }).steps as Array<Record<string, unknown>>;
    expect(steps).toContainEqual({ icmp: { type: 3, code: 3, seq: 'sisn_40000+1' } });
    expect(() => loadTrace([{ t: 0, dir: 'in', text: '', icmp: { type: 3 } }])).toThrow(/origin\.trace\[0\]\.icmp/);
  });
  it('shows in the ladder, and the segment it answers as lost', () => {
    const ladder = toLadder(t);
    expect(ladder).toMatch(/<-- <ICMP type 3 code 3 \(hard\)>/);
    expect(ladder).toMatch(/\(lost\)/);
  });
});
