// What a careless or hostile user meets: every case ends promptly, with a clear message, nothing leaked.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promoteCommand } from '../../src/cli/commands/promote.js';
import { UsageError } from '../../src/stacks/usage.js';
import { parseVector } from '../../src/trace/vector.js';

const BIN = resolve('bin/tcp-conform.js');
const FAKE = resolve('test/fixtures/drivers/fake-driver.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'tcpc-rel-'));
const run = (args: string[], env: Record<string, string> = {}, timeout = 60_000) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const REF = resolve('src/stacks/reference/adapter.ts');
/** A TypeScript adapter module wrapping the reference with `body` (which sees `ref`, the reference adapter). */
const adapterModule = (name: string, body: string): string => {
  const f = join(tmp, `${name}.ts`);
  writeFileSync(f, `import { referenceAdapter } from '${REF}';\nconst ref = referenceAdapter('${name}');\n${body}\n`);
  return f;
};
const pgrep = (pattern: string): string[] => {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
};
/** Processes matching pattern after up to 3 s for them to go (a killed process takes a moment to be reaped). */
const leftAfterWait = async (pattern: string): Promise<string[]> => {
  for (let i = 0; i < 60 && pgrep(pattern).length; i++) await new Promise((r) => setTimeout(r, 50));
  return pgrep(pattern);
};
const vectorFile = (name: string, step: Record<string, unknown>): string => {
  const f = join(tmp, `${name}.json`);
  writeFileSync(f, JSON.stringify({ name, steps: [{ call: 'listen' }, step] }));
  return f;
};

/**
 * Start the CLI, wait until ready(stdout) holds (the command is under way, its signal handlers in place),
 * then ms more; send sig and report the exit code, how long it took to end, and the output.
 */
async function interrupted(
  args: string[],
  ready: (out: string) => boolean,
  ms: number,
  sig: NodeJS.Signals = 'SIGINT',
) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!ready(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, ms));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const t0 = Date.now();
  child.kill(sig);
  const code = await exited;
  return { code, tookMs: Date.now() - t0, out, err };
}

describe('hangs and interrupts', () => {
  it('a vector that waits longer than a day is refused, naming the field', () => {
    const r = run(['replay', vectorFile('long-none', { expectNone: 100_000_000 })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/steps\[1\]\.expectNone: 100000000 ms is out of range/);
  });
  it('a time that wraps (advance msl-200000000) is a vector error at that step, not a wait', () => {
    const r = run(['replay', vectorFile('wrap', { advance: 'msl-200000000' })]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/vector error: advance: \d+ ms is out of range/);
  });
  it('SIGINT ends a long wait within a second: exit 130, results written, marked interrupted', async () => {
    const slow = adapterModule(
      'slow-clock',
      `export default { ...ref, create: async (o) => { const i = await ref.create(o);
         return { ...i, nextTimer: () => 1, advance: (ms) => new Promise((r) => setTimeout(r, 20)).then(() => i.advance(ms)) }; } };`,
    );
    const v = vectorFile('long-valid', { advance: 86_400_000 });
    const json = join(tmp, 'int.json');
    const r = await interrupted(['replay', v, '--stack', slow, '--json', json], (o) => o.includes('replaying'), 1000);
    expect(r.code).toBe(130);
    expect(r.tookMs).toBeLessThan(1000);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ interrupted: 'SIGINT', notRun: ['long-valid'] });
  });
  it('SIGTERM during run: finished properties are kept, the rest listed as not run, exit 143', async () => {
    const json = join(tmp, 'term.json');
    const card = join(tmp, 'term.md');
    const junit = join(tmp, 'term.xml');
    const r = await interrupted(
      ['run', '--runs', '400', '--seed', '1', '--json', json, '--report', card, '--junit', junit],
      (o) => /^PASS/m.test(o),
      500,
      'SIGTERM',
    );
    expect(r.code).toBe(143);
    expect(r.tookMs).toBeLessThan(1000);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.interrupted).toBe('SIGTERM');
    expect(doc.notRun.length).toBeGreaterThan(0);
    expect(doc.properties.every((p: { status: string }) => p.status !== 'error')).toBe(true);
    expect(readFileSync(card, 'utf8')).toMatch(/\*\*Interrupted\*\* by SIGTERM/);
    expect(readFileSync(junit, 'utf8')).toMatch(/interrupted by SIGTERM/);
    expect(r.out).toMatch(/interrupted by SIGTERM: \d+ not run$/m);
  });
  it('SIGINT during check-driver with a driver that never answers: exit 130 at once, the driver is gone', async () => {
    const f = join(tmp, 'silent-driver.mjs');
    writeFileSync(f, 'setInterval(() => {}, 1000);\n');
    const r = await interrupted(
      ['check-driver', '--stack', `process:${process.execPath} ${f}`],
      (o) => o.includes('adapter protocol checks'),
      300,
    );
    expect(r.code).toBe(130);
    expect(r.tookMs).toBeLessThan(1000);
    expect(await leftAfterWait('silent-driver.mjs')).toEqual([]);
  });
  it('an adapter whose drain returns 100,000 packets is an adapter error naming the count', () => {
    const f = adapterModule(
      'flood',
      `const pkt = new Uint8Array(20);\nexport default { ...ref, create: async (o) => { const i = await ref.create(o);
         return { ...i, drain: () => ({ packets: Array.from({ length: 100000 }, () => pkt), events: [] }) }; } };`,
    );
    const r = run(['replay', resolve('vectors/fig06-basic-3whs.json'), '--stack', f]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/drain\(\) returned 100000 packets and 0 events at once \(more than 10000\)/);
  });
  it('a driver whose background child keeps stdout open: the run ends with its status, the child is gone', async () => {
    const marker = `sleep 305${process.pid % 10}`;
    const cmd = `process:sh -c '${marker} & exec ${process.execPath} ${FAKE} good'`;
    const t0 = Date.now();
    const r = run(['check-driver', '--stack', cmd], {}, 30_000);
    expect(r.out).toMatch(/\d+ passed, \d+ failed/);
    expect(r.code).not.toBeNull();
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await leftAfterWait(marker)).toEqual([]);
  });
  it('a factory that never resolves is bounded: exit 2 naming it', () => {
    const f = adapterModule('never', 'export default () => new Promise(() => {});');
    const r = run(['run', '--stack', f, '--only', 'fig06'], { TCP_CONFORM_LOAD_TIMEOUT_MS: '500' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/the adapter factory exported by .* did not answer within 500 ms/);
  });
});

describe('outputs: checked before the run, written whole, never twice to one path', () => {
  const missing = join(tmp, 'no-such-dir', 'x.json');
  it.each([
    [['run', '--json', missing], /--json .*: folder .* does not exist/],
    [['run', '--json', tmp], /--json .* is a folder; name a file in it/],
    [['run', '--junit', missing], /--junit .*: folder .* does not exist/],
    [['run', '--report', join(tmp, 'card.txt')], /--report .*: name a \.md or \.html file/],
    [['run', '--out', FAKE], /--out .* is a file; name a folder/],
    [['run', '--json', join(tmp, 'a'), '--report', join(tmp, 'a')], /--json and --report name the same file/],
    [['export', resolve('vectors/fig06-basic-3whs.json'), '--pcap', missing], /--pcap .*: folder .* does not exist/],
    [['run', '--seed', '99999999999999999999'], /--seed must be an integer from 0 to 2147483647/],
    [['run', '--seed', '4294967296'], /--seed must be an integer from 0 to 2147483647/],
    [['mutants', '--stack', 'lwip'], /mutants does not take --stack/],
    [['replay', 'x.json', '--report', 'x.md'], /replay does not take --report/],
    [['replay', 'x.json', '--shard', '1/2'], /replay does not take --shard/],
    [['run', '--pcap', 'x'], /run does not take --pcap/],
    [['replay', '/dev/zero'], /not a regular file/],
  ])('%j is refused at once: %s', (args, re) => {
    const t0 = Date.now();
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
  it('no temporary file is left beside an output', () => {
    const out = join(tmp, 'whole.json');
    const r = run(['run', '--only', 'fig06', '--json', out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).passed).toBeGreaterThan(0);
    expect(execFileSync('ls', ['-a', tmp], { encoding: 'utf8' })).not.toMatch(/\.tmp/);
  });
});

describe('promote', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpc-vec-'));
  const cx = resolve('vectors/fig06-basic-3whs.json');
  it('refuses to overwrite without --force, refuses bad names, writes with --force', () => {
    mkdirSync(join(dir, 'regressions'), { recursive: true });
    expect(promoteCommand([cx, '--name', 'keep'], () => undefined, dir)).toBe(0);
    expect(() => promoteCommand([cx, '--name', 'keep'], () => undefined, dir)).toThrow(/exists already.*--force/);
    expect(() => promoteCommand([cx, '--name', ''], () => undefined, dir)).toThrow(UsageError);
    expect(() => promoteCommand([cx, '--name', '../escape'], () => undefined, dir)).toThrow(/--name/);
    expect(promoteCommand([cx, '--name', 'keep', '--force'], () => undefined, dir)).toBe(0);
    expect(existsSync(join(dir, 'regressions', '.json'))).toBe(false);
  });
});

describe('adapters and config that are wrong say what is wrong', () => {
  it.each([
    ['profile null', 'export default { ...ref, profile: null };', /profile must be an object, got null/],
    [
      'rto out of order',
      'export default { ...ref, profile: { ...ref.profile, rtoMin: 5000 } };',
      /rtoMin ≤ rtoInitial/,
    ],
  ])('%s', (name, body, re) => {
    const r = run(['run', '--stack', adapterModule(name.replace(/ /g, '-'), body), '--only', 'fig06']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
  });
  it('an event of an unknown type is an adapter error naming it', () => {
    const f = adapterModule(
      'bad-event',
      `export default { ...ref, create: async (o) => { const i = await ref.create(o);
         return { ...i, drain: () => ({ packets: [], events: [{ type: 'wat', conn: 'c' }] }) }; } };`,
    );
    const r = run(['replay', resolve('vectors/fig06-basic-3whs.json'), '--stack', f]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/drain\(\) returned event 0 = \{"type":"wat","conn":"c"\}/);
  });
  it('a 12-octet packet is the stack emitting garbage, not an adapter error', () => {
    const f = adapterModule(
      'short-packet',
      `export default { ...ref, create: async (o) => { const i = await ref.create(o); let once = true;
         return { ...i, drain: () => { const d = i.drain(); if (once) { once = false; d.packets.push(new Uint8Array(12).fill(0x45)); } return d; } }; } };`,
    );
    const r = run(['replay', resolve('vectors/fig06-basic-3whs.json'), '--stack', f]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/the stack emitted a malformed packet: truncated/);
  });
  const config = (doc: unknown): string => {
    const f = join(tmp, `cfg-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(doc));
    return f;
  };
  const driver = [process.execPath, FAKE, 'good'];
  it.each([
    [{ stacks: [] }, /"stacks" must be an object mapping stack names/],
    [{ stacks: { s: { command: driver, colour: 1 } } }, /stacks\.s: unknown field "colour"/],
    [{ stacks: { s: { command: driver, cwd: 5 } } }, /stacks\.s\.cwd must be a folder path string/],
    [{ stacks: { s: { command: driver, cwd: '/no/such' } } }, /stacks\.s\.cwd: folder \/no\/such does not exist/],
    [
      { stacks: { s: { command: driver, profile: { rtoMin: 5000, rtoInitial: 0, rtoMax: 1e308 } } } },
      /profile\.rtoMax must be/,
    ],
    [{ stacks: { s: { command: driver, profile: { timeWaitSyn: 'legacy', ackRateLimitMs: 10 } } } }, null],
    [{ stacks: { s: { command: driver } }, extra: 1 }, /unknown field "extra"/],
  ])('config %j', (doc, re) => {
    const r = run(['run', '--stack', 's', '--config', config(doc), '--only', 'fig06']);
    if (re === null) {
      expect(r.err).toBe('');
      expect(r.out).toMatch(/against stack s/);
    } else {
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
    }
  });
  it('a driver that writes its hello without a newline: the timeout says so', () => {
    const f = join(tmp, 'no-newline.mjs');
    writeFileSync(f, "process.stdin.on('data', () => process.stdout.write('ok hello 1 clock=virtual'));\n");
    const r = run(['check-driver', '--stack', `process:${process.execPath} ${f}`]);
    expect(r.out).toMatch(/wrote 24 characters without a newline/);
  });
  it('a driver that floods stderr before its hello: its first stderr line is shown', () => {
    const f = join(tmp, 'stderr-flood.mjs');
    writeFileSync(
      f,
      "const line = 'fatal: no device\\n'; const go = () => process.stderr.write(line.repeat(1000), go); go();\n",
    );
    const r = run(['check-driver', '--stack', `process:${process.execPath} ${f}`]);
    expect(r.out).toMatch(/first stderr line: "fatal: no device"/);
  });
});

describe('vector fields out of range are named, never loaded silently', () => {
  const base = (step: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: 'v',
    steps: [{ call: 'listen' }, step],
    ...extra,
  });
  it.each([
    [base({ inject: { flags: 'S', seq: 1e300 } }), /steps\[1\]\.inject\.seq: 1e\+300 is out of range/],
    [
      base({ inject: { flags: 'S', seq: '12345678901234567890123456' } }),
      /steps\[1\]\.inject\.seq: 12345678901234567890 is out of range/,
    ],
    [
      base({ inject: { flags: 'S', seq: 1, win: 1_000_000 } }),
      /steps\[1\]\.inject\.win: 1000000 does not fit the 16-bit window/,
    ],
    [base({ advance: -1000 }), /steps\[1\]\.advance: -1000 ms is out of range/],
    [base({ expect: { flags: 'SA' }, within: -5 }), /steps\[1\]\.within: -5 ms is out of range/],
    [base({ call: 'write', data: 'x'.repeat(70_000) }), /steps\[1\]\.data: 70000 octets, more than 65495/],
    [base({ advance: 1 }, { requires: { rfc5691: true } }), /requires\.rfc5691: not a profile field/],
    [base({ advance: 1 }, { stack: { addr: '999.1.1.1' } }), /stack\.addr: not an IPv4 address: 999\.1\.1\.1/],
    [
      base({ inject: { flags: 'S', seq: 1, options: [{ raw: '01'.repeat(100) }] } }),
      /inject\.options: 100 octets of options, more than the 40/,
    ],
  ])('%#: %s', (doc, re) => {
    expect(() => parseVector(doc, 'v.json')).toThrow(re);
  });
  it('a 10,000-character expression is not echoed whole', () => {
    let msg = '';
    try {
      parseVector(base({ advance: `a${'+b'.repeat(5000)}` }), 'v.json');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/expression too long/);
    expect(msg.length).toBeLessThan(300);
  });
  it('a garbage perturbation in a counterexample is named, not blamed on the adapter', () => {
    const f = join(tmp, 'garbage-detail.json');
    const doc = {
      name: 'g',
      steps: [{ call: 'listen' }],
      origin: { stack: 'reference-perturbed', stackDetail: { rcvBuf: 'big' } },
    };
    writeFileSync(f, JSON.stringify(doc));
    const r = run(['replay', f, '--stack', 'reference-perturbed']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/origin\.stackDetail\.isnKey must be an integer/);
  });
});
