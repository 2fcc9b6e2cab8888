// The HTML report card as a browser shows it: a real run writes the card, headless Chromium (Debian's
// `chromium`) parses it (--dump-dom gives the DOM it built) and takes a screenshot. Under CI a missing
// Chromium fails; elsewhere the test is skipped with the reason.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIREMENTS } from '../../src/oracle/requirements.js';
import { VERDICTS } from '../../src/report/card.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
if (!HAVE && process.env.CI) throw new Error(`CI: Chromium not found at ${CHROMIUM} (.ci/run installs chromium)`);

const KNOWN_VERDICTS = new Set<string>(VERDICTS);

let dir = '';

function chromium(args: string[]): SpawnSyncReturns<string> {
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${mkdtempSync(join(dir, 'profile-'))}`,
  ];
  return spawnSync(CHROMIUM, [...flags, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tcpc-card-'));
  // A mutant that reports resets as an orderly end: the card then has a failed requirement with a counterexample.
  const args = ['run', '--stack', 'mutant:reset-reported-as-end', '--only', 'rst', '--runs', '30', '--seed', '1'];
  const out = ['--report', join(dir, 'card.html'), '--json', join(dir, 'card.json'), '--out', join(dir, 'cx')];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/tcp-conform.js'), ...args, ...out], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stdout + r.stderr).toBe(1); // the mutant fails, as it must
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('the HTML report card in headless Chromium', () => {
  it('has all 119 rows with their verdicts, the counterexample links and the chart', () => {
    const r = chromium(['--dump-dom', `file://${join(dir, 'card.html')}`]);
    expect(r.status, r.stderr).toBe(0);
    const dom = r.stdout;
    const rows = [...dom.matchAll(/<tr id="([^"]+)" data-verdict="([^"]+)"[^>]*>(.*?)<\/tr>/gs)];
    expect(rows.map((m) => m[1]).sort()).toEqual(REQUIREMENTS.map((q) => q.id).sort());
    const json = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')) as {
      requirements: Array<{ id: string; verdict: string }>;
    };
    const want = new Map(json.requirements.map((q) => [q.id, q.verdict]));
    for (const [, id, verdict, cells] of rows) {
      expect(KNOWN_VERDICTS.has(verdict!), `${id}: ${verdict}`).toBe(true);
      expect(verdict, id).toBe(want.get(id!));
      expect(cells, id).toContain(`<td>${verdict}</td>`); // the verdict is shown, not only an attribute
    }
    const failed = rows.filter((m) => m[2] === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    for (const [, id, , cells] of failed) {
      const link = cells!.match(/<a class="counterexample" href="([^"]+)">/)?.[1];
      expect(link, `${id} has no counterexample link`).toBeDefined();
      expect(existsSync(join(dir, link!)), `${id}: ${link} does not exist`).toBe(true);
    }
    // The chart: one bar segment per verdict and part, adding up to every requirement.
    const counts = [...dom.matchAll(/<rect data-verdict="([^"]+)" data-count="(\d+)"/g)];
    expect(counts.reduce((n, m) => n + Number(m[2]), 0)).toBe(REQUIREMENTS.length);
    expect(counts.some((m) => m[1] === 'fail')).toBe(true);
  });

  it('renders to a screenshot', () => {
    const shot = join(dir, 'card.png');
    const r = chromium([
      '--hide-scrollbars',
      '--window-size=1280,1000',
      `--screenshot=${shot}`,
      `file://${dir}/card.html`,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(statSync(shot).size).toBeGreaterThan(20_000); // a blank page is a few kB
  });
});
