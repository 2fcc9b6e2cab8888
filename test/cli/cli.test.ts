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
    expect(doc.properties[0]).toMatchObject({
      status: 'pass',
      requirements: expect.any(Array),
      section: expect.any(String),
      elapsedMs: expect.any(Number),
    });
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
    [['run', '--bogus'], /run does not take --bogus/],
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
    writeFileSync(
      f,
      `import { referenceAdapter } from '${resolve('src/stacks/reference/adapter.ts')}';\nexport default referenceAdapter('my-stack');\n`,
    );
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

describe('what users see: report card, JUnit, shards, progress', () => {
  it('a mutant run: the violated requirement fails with a link to the counterexample, all 119 ids appear', () => {
    const card = join(tmp, 'card.md');
    const html = join(tmp, 'card.html');
    const json = join(tmp, 'card.json');
    const r = run(
      'run',
      '--stack',
      'mutant:time-wait-1msl',
      '--only',
      'time-wait',
      '--runs',
      '50',
      '--seed',
      '3',
      '--report',
      card,
      '--json',
      json,
      '--out',
      join(tmp, 'cx-card'),
    );
    expect(r.code).toBe(1);
    const md = readFileSync(card, 'utf8');
    const ids = [...md.matchAll(/^\| ((?:MUST|SHLD|MAY|REC)-\d+) \|/gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(119);
    const row = md.split('\n').find((l) => l.startsWith('| MUST-13 |'))!;
    expect(row).toContain('❌ fail');
    expect(row).toMatch(/\[counterexample\]\(cx-card\/time-wait-mutant_time-wait-1msl-3\.json\)/);
    expect(md.split('\n').find((l) => l.startsWith('| MUST-9 |'))).toContain('not observable');
    expect(md.split('\n').find((l) => l.startsWith('| MUST-20 |'))).toContain('not covered');
    // Judged only by a property left out of this run (--only): not run, never "not exercised".
    expect(md.split('\n').find((l) => l.startsWith('| MUST-32 |'))).toContain('not run');
    expect(md).toMatch(/- \*\*Stack\*\* mutant:time-wait-1msl — MSL \d+ s · RTO/);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.requirements).toHaveLength(119);
    expect(doc.requirements.find((x: { id: string }) => x.id === 'MUST-13')).toMatchObject({
      verdict: 'fail',
      decidedBy: expect.arrayContaining(['property time-wait']),
    });
    run(
      'run',
      '--stack',
      'mutant:time-wait-1msl',
      '--only',
      'time-wait',
      '--runs',
      '50',
      '--seed',
      '3',
      '--report',
      html,
      '--out',
      join(tmp, 'cx-card'),
    );
    const h = readFileSync(html, 'utf8');
    expect(h).toMatch(/^<!doctype html>/);
    expect(h).toContain(
      '<a class="counterexample" href="cx-card/time-wait-mutant_time-wait-1msl-3.json">counterexample</a>',
    );
    expect(h).not.toMatch(/<td>[^<]*[<>][^<]*<\/td>/); // text is escaped
  });

  it('a declared deviation shows as such on the card', () => {
    const f = join(tmp, 'dev-stack.ts');
    writeFileSync(
      f,
      `import { mutantAdapter } from '${resolve('src/stacks/mutants.ts')}';\nconst m = mutantAdapter('time-wait-1msl')!;\nexport default { ...m, name: 'declared', profile: { ...m.profile, deviations: [{ requirement: 'MUST-13', reason: 'short TIME-WAIT on purpose' }] } };\n`,
    );
    const card = join(tmp, 'dev.md');
    const none = mkdtempSync(join(tmpdir(), 'tcpc-novec-'));
    const r = run(
      'run',
      '--stack',
      f,
      '--only',
      'time-wait',
      '--runs',
      '50',
      '--seed',
      '3',
      '--report',
      card,
      '--vectors',
      none,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('declared deviation: time-wait [MUST-13]: short TIME-WAIT on purpose');
    expect(
      readFileSync(card, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('| MUST-13 |')),
    ).toContain('declared deviation');
  });

  it('JUnit XML: one test case per property, check and vector; failures carry the message', async () => {
    const { XMLParser } = await import('fast-xml-parser');
    const file = join(tmp, 'junit.xml');
    run(
      'run',
      '--stack',
      'mutant:time-wait-1msl',
      '--only',
      'time',
      '--runs',
      '50',
      '--seed',
      '3',
      '--junit',
      file,
      '--out',
      join(tmp, 'cx-j'),
    );
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(file, 'utf8'));
    const suites = [xml.testsuites.testsuite].flat();
    const cases = suites.flatMap((s: { testcase: unknown }) => [s.testcase].flat()) as Array<Record<string, unknown>>;
    expect(cases.length).toBeGreaterThanOrEqual(5);
    const tw = cases.find((c) => String(c['@_name']).startsWith('time-wait [MUST-13]'))!;
    expect(JSON.stringify(tw.failure)).toMatch(/TIME-WAIT/);
    expect(cases.some((c) => c['@_classname'] === 'tcp-conform.vector')).toBe(true);
    expect(cases.some((c) => String(c['@_name']).startsWith('time-wait-length'))).toBe(true);
    // one case per requirement, with its earned verdict
    const must13 = cases.find((c) => String(c['@_name']).startsWith('MUST-13 '))!;
    expect(must13['@_classname']).toBe('tcp-conform.requirement.MUST');
    expect(JSON.stringify(must13.failure)).toMatch(/TIME-WAIT/);
    const must2 = cases.find((c) => String(c['@_name']).startsWith('MUST-2 '))!;
    expect(String(must2['system-out'])).toMatch(/verdict: pass\nwire-checksum: \d+ runs/);
  });

  it('--shard i/n splits properties and vectors without overlap; progress stays quiet off a terminal', () => {
    const names = (i: number) =>
      run('run', '--runs', '3', '--seed', '1', '--shard', `${i}/3`)
        .out.split('\n')
        .filter((l) => /^(PASS|FAIL|SKIP|KNOWN) /.test(l))
        .map((l) => l.split(/\s+/).slice(1).join(' '));
    const all = [1, 2, 3].map(names);
    const flat = all.flat();
    expect(new Set(flat).size).toBe(flat.length);
    const whole = run('run', '--runs', '3', '--seed', '1');
    expect(flat.length).toBe(whole.out.split('\n').filter((l) => /^(PASS|FAIL|SKIP|KNOWN) /.test(l)).length);
    expect(whole.err).not.toMatch(/\r|\[\d+\/\d+ done\]/);
  });
});
