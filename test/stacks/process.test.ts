// The child-process adapter: every way a driver can go wrong gives a clear verdict naming the frame
// or the exit status, and the child is always reaped.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProperty } from '../../src/oracle/engine.js';
import { processAdapter } from '../../src/stacks/process/adapter.js';
import { FrameError, formatCommand, parseFrame, parseHello } from '../../src/stacks/process/protocol.js';
import { checkDriver } from '../../src/stacks/process/selftest.js';
import { GENERIC_PROFILE, profileFromJson, resolveStack, splitCommand, UsageError } from '../../src/stacks/registry.js';
import { AdapterError, StackCrashed } from '../../src/harness/bounded.js';
import { LWIP_DRIVER } from '../../src/stacks/lwip/adapter.js';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { runVector } from '../../src/trace/runner.js';
import { parseVector } from '../../src/trace/vector.js';

const FAKE = fileURLToPath(new URL('../fixtures/drivers/fake-driver.mjs', import.meta.url));
const PY = fileURLToPath(new URL('../../examples/python-driver/driver.py', import.meta.url));
const fake = (mode: string, commandTimeoutMs = 3000) =>
  processAdapter({
    name: `fake-${mode}`,
    command: [process.execPath, FAKE, mode],
    profile: GENERIC_PROFILE('fake'),
    commandTimeoutMs,
  });

/** Run create + listen (and one more command) on a misbehaving driver; return the error. */
async function failure(mode: string, timeout?: number): Promise<{ err: Error }> {
  const a = fake(mode, timeout);
  let err: Error | undefined;
  try {
    const inst = await a.create({ addr: '10.0.0.1' });
    await inst.listen(80);
    await new Promise((r) => setTimeout(r, 100));
    await inst.nextTimer?.();
  } catch (e) {
    err = e as Error;
  }
  await a.dispose?.();
  if (!err) throw new Error(`driver mode ${mode} did not fail`);
  return { err };
}

describe('protocol frames', () => {
  it('parses every event and names what is wrong with a bad one', () => {
    expect(parseFrame('accepted c1 80 10.0.0.2 40000')).toEqual({
      kind: 'event',
      event: { type: 'accepted', conn: 'c1', localPort: 80, remote: { addr: '10.0.0.2', port: 40000 } },
    });
    expect(parseFrame('reset c1 refused')).toEqual({
      kind: 'event',
      event: { type: 'reset', conn: 'c1', refused: true },
    });
    expect(parseFrame('data c2 0102')).toMatchObject({
      kind: 'event',
      event: { type: 'data', conn: 'c2', data: Uint8Array.of(1, 2) },
    });
    expect(parseFrame('data c2 0102 push')).toEqual({
      kind: 'event',
      event: { type: 'data', conn: 'c2', data: Uint8Array.of(1, 2), push: true },
    });
    expect(parseFrame('urgent-pending c1 1')).toEqual({
      kind: 'event',
      event: { type: 'urgent-pending', conn: 'c1', pending: true },
    });
    expect(parseFrame('error c1 connection timed out')).toMatchObject({
      event: { type: 'error', message: 'connection timed out' },
    });
    expect(parseFrame('ok 1500')).toEqual({ kind: 'ok', args: ['1500'] });
    const bad: Array<[string, RegExp]> = [
      ['accepted c1 99999 10.0.0.2 1', /port 0..65535, got "99999"/],
      ['accepted c1 80 10.0.0.300 1', /IPv4 address, got "10.0.0.300"/],
      ['packet 4500abc', /not an even-length hex string/],
      ['data c1', /takes 2-3 arguments, got 1/],
      ['reset c1 later', /must be "refused"/],
      ['data c1 01 pushed', /third argument must be "push", got "pushed"/],
      ['urgent-pending c1 yes', /second argument must be 0 or 1, got "yes"/],
      ['frobnicate', /unknown frame keyword "frobnicate"/],
      ['x'.repeat(150_000), /exceeds the limit/],
    ];
    for (const [line, msg] of bad) expect(() => parseFrame(line), line.slice(0, 30)).toThrow(msg);
    expect(() => parseFrame('end')).toThrow(FrameError);
  });

  it('checks the hello and its capabilities', () => {
    expect(parseHello(['hello', '1', 'name=x', 'clock=real', 'state=1'])).toMatchObject({
      name: 'x',
      clock: 'real',
      state: true,
      stderr: 'fail',
    });
    expect(() => parseHello(['hello', '3', 'clock=virtual'])).toThrow(
      /speaks protocol version 3, tcp-conform speaks 1 and 2/,
    );
    // version 2 adds the application controls; a version 1 driver has none and cannot claim any
    expect(parseHello(['hello', '1', 'clock=virtual']).controls).toEqual([]);
    expect(parseHello(['hello', '2', 'clock=virtual', 'controls=keepalive,reading']).controls).toEqual([
      'keepalive',
      'reading',
    ]);
    expect(() => parseHello(['hello', '1', 'clock=virtual', 'controls=keepalive'])).toThrow(
      /unknown capability controls/,
    );
    expect(() => parseHello(['hello', '2', 'clock=virtual', 'controls=nagle'])).toThrow(/unknown control "nagle"/);
    expect(() => parseHello(['hello', '1'])).toThrow(/clock must be virtual or real/);
    expect(() => parseHello(['hello', '1', 'clock=virtual', 'colour=blue'])).toThrow(/unknown capability colour/);
    expect(() => parseHello(['hello', '1', 'clock=virtual', 'ipv4=0'])).toThrow(/IPv4/);
  });

  it('formats commands as documented', () => {
    expect(formatCommand({ c: 'connect', localPort: 80, addr: '10.0.0.2', port: 40000 })).toBe(
      'connect 80 10.0.0.2 40000',
    );
    expect(formatCommand({ c: 'write', conn: 'c1', data: Uint8Array.of(0xab, 1) })).toBe('write c1 ab01');
    expect(formatCommand({ c: 'write', conn: 'c1', data: Uint8Array.of(1), push: false })).toBe('write c1 01 more');
    expect(formatCommand({ c: 'deliver-batch', packets: [Uint8Array.of(0x45), Uint8Array.of(1, 2)] })).toBe(
      'deliver-batch 45 0102',
    );
    expect(formatCommand({ c: 'reset', addr: '10.0.0.1', seed: -1 })).toBe('reset 10.0.0.1 4294967295');
    const on = { name: 'keepalive', on: true, idleMs: 30_000, intervalMs: 5000, probes: 4 } as const;
    expect(formatCommand({ c: 'control', conn: 'c1', control: on })).toBe(
      'control c1 keepalive on idle=30000 interval=5000 probes=4',
    );
    expect(formatCommand({ c: 'control', conn: 'c1', control: { name: 'keepalive', on: false } })).toBe(
      'control c1 keepalive off',
    );
    expect(formatCommand({ c: 'control', conn: 'c1', control: { name: 'reading', paused: true } })).toBe(
      'control c1 reading pause',
    );
    expect(formatCommand({ c: 'control', conn: 'c1', control: { name: 'read', octets: 300 } })).toBe(
      'control c1 read 300',
    );
  });
});

describe('a misbehaving driver gives a clear adapter error and is reaped', () => {
  const cases: Array<[string, RegExp]> = [
    ['garbage', /malformed frame "hello there, this is debug output": unknown frame keyword "hello"/],
    ['badfield', /malformed frame "accepted c1 99999 10.0.0.2 40000": accepted local port: expected a port 0..65535/],
    ['oddhex', /malformed frame "packet 4500abc": packet: .* not an even-length hex string/],
    ['die', /exited with status 3/],
    ['stderr', /driver wrote to stderr .*"debug: listening"/],
    ['twice', /unexpected frame "ok": no command was waiting/],
    ['badhello', /bad hello: .*protocol version 3/],
    ['noclock', /bad hello: .*clock must be virtual or real/],
    ['nohello', /exited with status 1[\s\S]*boom: cannot open device/],
  ];
  it.each(cases)('%s', async (mode, msg) => {
    const { err } = await failure(mode);
    expect(err).toBeInstanceOf(AdapterError);
    expect(err.message).toMatch(msg);
    expect(err.message).toContain(`stack fake-${mode}`);
  });

  it('run answering more time than asked, or never moving the clock, is an adapter error', async () => {
    const a = fake('runlies');
    const inst = await a.create({ addr: '10.0.0.1' });
    await expect(Promise.resolve(inst.run?.(100))).rejects.toThrow(
      /run 100 answered "ok 999999", expected "ok MS", MS from 0 to 100/,
    );
    await a.dispose?.();
    const stalls = fake('runstalls');
    const v = parseVector({ name: 'idle', title: 't', source: 's', steps: [{ advance: 1000 }] }, 'idle');
    const r = await runVector(v, stalls);
    expect(r.status).toBe('error');
    expect(r.failure?.message).toMatch(/run\(\) advanced 0 ms 1000 times in a row/);
    await stalls.dispose?.();
  });

  it('a driver that stops answering is killed after the command timeout', async () => {
    const t0 = Date.now();
    const { err } = await failure('hang', 300);
    expect(err.message).toMatch(/did not answer `listen 80` within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a line without end is cut off, not buffered forever', async () => {
    const { err } = await failure('longline');
    expect(err.message).toMatch(/longer than 140000 characters without a newline/);
  });

  it('a driver that cannot be started is named', async () => {
    const a = processAdapter({ name: 'missing', command: ['/nonexistent/driver'], profile: GENERIC_PROFILE('x') });
    await expect(Promise.resolve(a.create({ addr: '10.0.0.1' }))).rejects.toThrow(
      /cannot run driver `\/nonexistent\/driver`: .*ENOENT|exited with status/,
    );
    await a.dispose?.();
  });

  it('every child is reaped: after errors and after dispose', async () => {
    const count = (): number => {
      try {
        return execFileSync('pgrep', ['-f', 'fake-driver.mjs']).toString().trim().split('\n').filter(Boolean).length;
      } catch {
        return 0; // pgrep exits 1 when nothing matches
      }
    };
    const before = count();
    for (const mode of ['garbage', 'die', 'stderr', 'twice', 'hang']) await failure(mode, 200).catch(() => undefined);
    const a = fake('good');
    const inst = await a.create({ addr: '10.0.0.1' });
    await inst.listen(80);
    await a.dispose?.();
    await new Promise((r) => setTimeout(r, 100));
    expect(count()).toBe(before);
  });
});

describe('the pool of drivers', () => {
  const pool = (modes: string[], maxConcurrency: number) => {
    const spawned: number[] = [];
    const a = processAdapter({
      name: 'fake-pool',
      command: (i) => {
        spawned.push(i);
        return [process.execPath, FAKE, modes[i] ?? 'good'];
      },
      profile: GENERIC_PROFILE('fake'),
      maxConcurrency,
      commandTimeoutMs: 3000,
    });
    return { a, spawned };
  };

  it('a start that fails frees its slot: the next create starts a driver again', async () => {
    const { a, spawned } = pool(['good', 'nohello', 'good'], 2);
    const first = await a.create({ addr: '10.0.0.1' });
    await expect(a.create({ addr: '10.0.0.1' })).rejects.toThrow(/exited with status 1/);
    const third = await a.create({ addr: '10.0.0.1' });
    await third.listen(80);
    expect(spawned).toEqual([0, 1, 2]);
    first.destroy();
    third.destroy();
    await a.dispose?.();
  });

  it('a driver that never starts is reported with the same error, without starting it again', async () => {
    const { a, spawned } = pool(['nohello', 'nohello', 'nohello'], 4);
    const errors = await Promise.all(
      [1, 2].map(() => Promise.resolve(a.create({ addr: '10.0.0.1' })).catch((e: Error) => e)),
    );
    const later = await Promise.resolve(a.create({ addr: '10.0.0.1' })).catch((e: Error) => e);
    expect(errors[0]).toBeInstanceOf(AdapterError);
    expect(errors).toContain(later);
    expect(spawned.length).toBeLessThanOrEqual(2);
    await a.dispose?.();
  });

  it('idle drivers are reused across scenarios', async () => {
    const { a, spawned } = pool([], 2);
    for (let i = 0; i < 3; i++) (await a.create({ addr: '10.0.0.1' })).destroy();
    expect(spawned).toEqual([0]);
    await a.dispose?.();
  });
});

describe('calls the stack refuses and stacks that crash', () => {
  it('err to a write becomes an application error event, not an adapter error', async () => {
    const a = fake('refuse');
    const inst = await a.create({ addr: '10.0.0.1' });
    const c = await inst.connect(80, { addr: '10.0.0.2', port: 40000 });
    await inst.write(c, Uint8Array.of(1));
    expect((await inst.drain()).events).toEqual([
      { type: 'error', conn: c, message: 'write: connection reset by peer' },
    ]);
    await a.dispose?.();
  });

  it('busy to a write is an error event marked busy (a full buffer, not a refusal)', async () => {
    const a = fake('busy');
    const inst = await a.create({ addr: '10.0.0.1' });
    const c = await inst.connect(80, { addr: '10.0.0.2', port: 40000 });
    await inst.write(c, Uint8Array.of(1));
    expect((await inst.drain()).events).toEqual([
      { type: 'error', conn: c, message: 'write: send buffer full', busy: true },
    ]);
    await a.dispose?.();
  });

  it('a driver that dies during a scenario fails the property with a shrunk, replayable stack-crashed trace', async () => {
    const p = ALL_PROPERTIES.find((x) => x.name === 'three-way-handshake')!;
    const a = fake('crash');
    const r = await runProperty(p, a, { runs: 5, seed: 1 });
    await a.dispose?.();
    expect(r.status).toBe('fail');
    const v = r.counterexample!.violations.find((x) => x.property === 'stack-crashed')!;
    expect(v.message).toMatch(/killed by signal SIGSEGV/);
    expect(r.counterexample!.trace.at(-1)!.text).toMatch(/^stack crashed/);
  });

  it('StackCrashed is only used once the driver said hello', async () => {
    const { err } = await failure('nohello');
    expect(err).not.toBeInstanceOf(StackCrashed);
  });
});

describe('naming a process stack', () => {
  it('splits a command line with quotes', () => {
    expect(splitCommand(`python3 "my driver.py" --flag 'a b'`)).toEqual(['python3', 'my driver.py', '--flag', 'a b']);
  });

  it('validates a profile from a config file field by field', () => {
    expect(
      profileFromJson('x', { msl: 30000, deviations: [{ requirement: 'MUST-13', reason: 'fixed' }] }, 'cfg').msl,
    ).toBe(30000);
    expect(() => profileFromJson('x', { msl: 'long' }, 'cfg')).toThrow(/profile.msl must be a number/);
    expect(() => profileFromJson('x', { colour: 1 }, 'cfg')).toThrow(/cfg: profile: unknown field "colour"/);
    expect(() => profileFromJson('x', { deviations: [{ requirement: 'MUST-13' }] }, 'cfg')).toThrow(
      /profile\.deviations\[0\]\.reason must be a non-empty string/,
    );
  });

  it('process:CMD and a config entry resolve to process adapters', async () => {
    const a = await resolveStack(`process:${process.execPath} ${FAKE} good`);
    expect(a.name).toContain('fake-driver.mjs');
    await expect(resolveStack('process:')).rejects.toThrow(UsageError);
  });
});

describe('the example driver in another language', () => {
  it('passes the protocol checks (examples/python-driver)', async () => {
    const checks = await checkDriver(['python3', PY]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.length).toBeGreaterThanOrEqual(10);
  });

  it('the checks fail a driver that breaks the protocol', async () => {
    const checks = await checkDriver([process.execPath, FAKE, 'twice'], { timeoutMs: 500 });
    expect(checks.some((c) => !c.ok && /unexpected frame/.test(c.detail))).toBe(true);
  });

  it.runIf(existsSync(LWIP_DRIVER))('the lwIP driver passes them too', async () => {
    const checks = await checkDriver([LWIP_DRIVER]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });
});
