import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/tcp-conform.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), 'tcpc-cli-'));

describe('tcp-conform CLI', () => {
  it('run: every property and vector passes on the reference stack, closing line N passed, 0 failed', () => {
    const r = run('run', '--runs', '20', '--seed', '1', '--json', join(tmp, 'out.json'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+ passed, 0 failed$/m);
    const doc = JSON.parse(readFileSync(join(tmp, 'out.json'), 'utf8'));
    expect(doc).toMatchObject({ stack: 'reference', failed: 0, seed: 1, runs: 20 });
    expect(doc.timeWait).toMatchObject({ status: 'pass', measuredMs: 240_000, expectedMs: 240_000 });
    expect(doc.properties.length + doc.vectors.length + 1).toBe(doc.passed); // + the time-wait-length check
    expect(doc.requirements).toHaveLength(119);
    expect(doc.properties[0]).toMatchObject({ status: 'pass', requirements: expect.any(Array), section: expect.any(String) });
    expect(doc.vectors.every((v: { status: string }) => v.status === 'pass')).toBe(true);
  });
  it('replay: a broken vector exits 1 and shows step, expected and actual', () => {
    const v = JSON.parse(readFileSync('vectors/fig06-basic-3whs.json', 'utf8'));
    v.steps[3].expect.ack = 102;
    const f = join(tmp, 'broken.json');
    writeFileSync(f, JSON.stringify(v));
    const r = run('replay', f);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL at step 3');
    expect(r.out).toContain('ack: expected 102, got 101');
    expect(r.out).toMatch(/^0 passed, 1 failed$/m);
  });
  it('a malformed vector file exits 2 naming the file and field', () => {
    const f = join(tmp, 'malformed.json');
    writeFileSync(f, '{"name":"x","steps":[{"inject":{"flags":"Q","seq":1}}]}');
    const r = run('replay', f);
    expect(r.code).toBe(2);
    expect(r.err).toContain('malformed.json: steps[0].inject.flags: bad flags "Q"');
    expect(r.out).toMatch(/^0 passed, 1 failed$/m);
  });
  it.each([
    [['run', '--stack', 'nonesuch'], /unknown stack "nonesuch"/],
    [['run', '--stack', './no/such/file.ts'], /does not exist/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['replay'], /replay needs at least one/],
    [['run', '--only', 'zzzz-no-match'], /no property or vector matches --only/],
    [['run', '--vectors', '/nonexistent-dir'], /cannot read vectors folder/],
    [['run', 'extra'], /run takes no positional arguments/],
  ])('bad usage %j exits 2 with a clear message', (args, re) => {
    const r = run(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(re);
  });
  it('help exits 0; no command exits 2 with usage', () => {
    expect(run('help').code).toBe(0);
    const r = run();
    expect(r.code).toBe(2);
    expect(r.out).toContain('usage:');
  });
  it('--stack PATH loads an adapter module', () => {
    const f = join(tmp, 'my-stack.ts');
    writeFileSync(f, `import { referenceAdapter } from '${resolve('src/stacks/reference/adapter.ts')}';\nexport default referenceAdapter('my-stack');\n`);
    const r = run('run', '--stack', f, '--only', 'fig07');
    expect(r.code).toBe(0);
    expect(r.out).toContain('against stack my-stack');
    expect(r.out).toMatch(/^1 passed, 0 failed$/m);
    const p = run('run', '--stack', f, '--only', 'simultaneous-open', '--runs', '10');
    expect(p.code).toBe(0);
    expect(p.out).toMatch(/PASS +handshake\/simultaneous-open \[MUST-10\]/);
  });
  it('a module that does not export an adapter is refused', () => {
    const f = join(tmp, 'not-a-stack.ts');
    writeFileSync(f, 'export const x = 1;\n');
    const r = run('run', '--stack', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/must export/);
  });
});
