// The package as a user gets it: `npm pack` (which compiles dist/), installed into an empty project with
// vitest and a small TypeScript adapter of the user's own (test/fixtures/packed), then `vitest run` there.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_PROPERTIES } from '../../properties/index.js';
import { VECTORS_DIR, loadVectors, vectorFiles } from '../../src/cli/vectors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/packed');
const VITEST_VERSION = '4.1.11';

// The child vitest must not think it is a worker of this one.
const env = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'),
  ),
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

const run = (cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });

const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

let dir = '';
let project = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tcpc-packed-'));
  const pack = run('npm', ['pack', '--silent', '--pack-destination', dir], ROOT);
  expect(pack.status, show(pack)).toBe(0);
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  expect(tgz, 'npm pack wrote no tarball').toBeDefined();
  project = join(dir, 'project');
  cpSync(FIXTURES, project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-stack', private: true, type: 'module' }));
  const args = ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tgz!), `vitest@${VITEST_VERSION}`];
  const inst = run('npm', args, project, 240_000);
  expect(inst.status, show(inst)).toBe(0);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships compiled JavaScript and no TypeScript source; the CLI runs from it', () => {
    const pkg = join(project, 'node_modules/tcp-conform');
    expect(existsSync(join(pkg, 'dist/src/cli/main.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist/src/vitest.d.ts'))).toBe(true);
    expect(existsSync(join(pkg, 'src/cli/main.ts'))).toBe(false);
    const help = run(join(project, 'node_modules/.bin/tcp-conform'), ['help'], project);
    expect(help.status, show(help)).toBe(0);
    expect(help.stdout).toContain('tcp-conform run');
  });

  it("runs the suite inside the user's vitest: one test per property and vector, all passing", () => {
    const r = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'conformance.spec.ts'], project);
    expect(r.status, show(r)).toBe(0);
    // the fixture's only: 'handshake' takes the handshake area's properties and the vectors named for it
    const props = ALL_PROPERTIES.filter((p) => `${p.name} ${p.area}`.includes('handshake')).length;
    const want = props + loadVectors(vectorFiles(VECTORS_DIR), 'handshake').vectors.length;
    expect(r.stdout).toMatch(new RegExp(`Tests\\s+${want} passed`));
  });

  it('a faulty adapter fails its tests with the ladder, the seed and the replay command', () => {
    const r = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'broken.spec.ts'], project);
    expect(r.status, show(r)).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain('rst/rst-closed-port');
    expect(out).toContain('TCP Peer A (stack)');
    expect(out).toMatch(/seed 7, path/);
    const replay = out.match(/replay: npx tcp-conform replay (\S+) --stack \.\/broken-stack\.ts/);
    expect(replay, out).not.toBeNull();
    // The replay command it prints works, and fails the same way.
    const again = run(
      join(project, 'node_modules/.bin/tcp-conform'),
      ['replay', replay![1]!, '--stack', './broken-stack.ts'],
      project,
    );
    expect(again.status, show(again)).toBe(1);
    expect(again.stdout).toContain('0 passed, 1 failed');
  });
});
