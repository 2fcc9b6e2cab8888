import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { judge, runProperty } from '../../src/oracle/engine.js';
import { execute } from '../../src/oracle/execute.js';
import type { StackAdapter } from '../../src/stacks/adapter.js';
import { mutantAdapter } from '../../src/stacks/mutants.js';
import { referenceAdapter, referenceInstance } from '../../src/stacks/reference/adapter.js';
import { ReferenceHost } from '../../src/stacks/reference/host.js';
import { traceToVector } from '../../src/trace/export.js';
import { runVector } from '../../src/trace/runner.js';
import { parseVector } from '../../src/trace/vector.js';

const prop = (n: string) => ALL_PROPERTIES.find((p) => p.name === n)!;

describe('counterexamples replay', () => {
  it('a shrunk counterexample, exported as a vector, reproduces the violation on the mutant and passes on the reference', async () => {
    const p = prop('time-wait');
    const mutant = mutantAdapter('time-wait-none')!;
    const r = await runProperty(p, mutant, { runs: 50, seed: 5 });
    expect(r.status).toBe('fail');
    const c = r.counterexample!;
    const v = parseVector(JSON.parse(JSON.stringify(traceToVector(c.trace, { name: 'cx', check: [p.name] }))));
    const again = await runVector(v, mutant);
    expect(judge(p, again.trace, mutant.profile).map((x) => x.property)).toEqual(c.violations.map((x) => x.property));
    const twice = await runVector(v, mutant);
    expect(twice.trace.map((e) => [e.t, e.dir, e.text])).toEqual(again.trace.map((e) => [e.t, e.dir, e.text]));
    const ref = await runVector(v, referenceAdapter());
    expect(judge(p, ref.trace, referenceAdapter().profile)).toEqual([]);
  });
  it('the replayed trace equals the executed one on a virtual-clock stack', async () => {
    const p = prop('data-transfer');
    const r = await runProperty(p, mutantAdapter('mss-ignored')!, { runs: 100, seed: 8 });
    const c = r.counterexample!;
    const v = parseVector(JSON.parse(JSON.stringify(traceToVector(c.trace, { name: 'cx', check: [p.name] }))));
    const again = await runVector(v, mutantAdapter('mss-ignored')!);
    const strip = (t: typeof c.trace) =>
      t.filter((e) => e.dir === 'in' || e.dir === 'out').map((e) => `${e.t} ${e.text}`);
    expect(strip(again.trace)).toEqual(strip(c.trace));
  });
});

describe('the CLI loop: run -> counterexample file -> replay', () => {
  const BIN = join(process.cwd(), 'bin/tcp-conform.js');
  const cwd = mkdtempSync(join(tmpdir(), 'tcpc-cx-'));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  it('prints the replay command; replay exits 1 on the mutant, 0 on the reference', () => {
    const run = cli('run', '--stack', 'mutant:second-fin', '--only', 'four-way-close', '--runs', '100', '--seed', '4');
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/violated: seq-space/);
    const m = run.stdout.match(/replay: npx tcp-conform replay (\S+) --stack mutant:second-fin/);
    expect(m).not.toBeNull();
    const file = m![1]!;
    const doc = JSON.parse(readFileSync(join(cwd, file), 'utf8'));
    expect(doc.origin).toMatchObject({ stack: 'mutant:second-fin', property: 'four-way-close', seed: 4 });
    expect(doc.check).toEqual(['four-way-close']);
    expect(typeof doc.origin.path).toBe('string');
    const bad = cli('replay', file, '--stack', 'mutant:second-fin');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/violated: seq-space/);
    expect(bad.stdout).toMatch(/^0 passed, 1 failed$/m);
    const good = cli('replay', file);
    expect(good.status).toBe(0);
    const promoted = cli('promote', file, '--name', 'test-promoted-tmp');
    expect(promoted.status).toBe(0);
    const regressions = join(process.cwd(), 'vectors/regressions');
    expect(readdirSync(regressions)).toContain('test-promoted-tmp.json');
    rmSync(join(regressions, 'test-promoted-tmp.json'));
  });
  it('mutants --json writes the kill matrix', () => {
    const r = cli('mutants', '--only', 'time-wait', '--json', 'm.json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(readFileSync(join(cwd, 'm.json'), 'utf8'));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows)
      expect(row).toMatchObject({
        killed: true,
        property: expect.any(String),
        msToFirstFailure: expect.any(Number),
        shrunkActions: expect.any(Number),
      });
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed/m);
  });
  it('rejects bad numbers and unknown mutants', () => {
    expect(cli('run', '--runs', 'many').stderr).toMatch(/--runs must be an integer/);
    expect(cli('run', '--stack', 'mutant:nope').stderr).toMatch(/unknown mutant "nope"/);
  });
});

describe('adapter errors during generated runs', () => {
  const profile = referenceAdapter().profile;
  const broken = (patch: Record<string, unknown>): StackAdapter => ({
    name: 'broken',
    profile,
    create: ({ addr }) => ({ ...referenceInstance(new ReferenceHost({ addr })), ...patch }),
  });
  it('connect() throwing gives an adapter-error verdict, not a failure', async () => {
    const r = await runProperty(
      prop('syn-retransmission'),
      broken({
        connect: () => {
          throw new Error('boom');
        },
      }),
      { runs: 20, seed: 1, callTimeoutMs: 200 },
    );
    expect(r.status).toBe('error');
    expect(r.error).toBe('connect() threw: boom');
  });
  it('a stack that never answers is cut off by the call timeout', async () => {
    const t0 = Date.now();
    const r = await runProperty(prop('rst-listen'), broken({ deliver: () => new Promise(() => undefined) }), {
      runs: 20,
      seed: 1,
      callTimeoutMs: 150,
    });
    expect(r.status).toBe('error');
    expect(r.error).toMatch(/deliver\(\) did not answer within 150 ms/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
  it('a stack emitting random bytes fails with a wire-format violation', async () => {
    const r = await runProperty(
      prop('rst-listen'),
      broken({ drain: () => ({ packets: [Uint8Array.of(0x45, 0, 0, 7, 1, 2, 3)], events: [] }) }),
      { runs: 5, seed: 1 },
    );
    expect(r.status).toBe('fail');
    expect(r.counterexample!.violations.some((v) => v.property === 'wire-format')).toBe(true);
  });
  it('execute() always destroys the instance', async () => {
    let destroyed = 0;
    const a = broken({
      listen: () => {
        throw new Error('x');
      },
      destroy: () => {
        destroyed++;
      },
    });
    await expect(
      execute({ peerIsn: 1, peerWindow: 100, peerMss: undefined, actions: [{ a: 'stackListen' }] }, a),
    ).rejects.toThrow(/listen\(\) threw: x/);
    expect(destroyed).toBe(1);
  });
});
