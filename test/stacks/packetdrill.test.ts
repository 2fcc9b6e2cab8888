// Every vector replayed on Linux, exported as a packetdrill script, and run under real packetdrill (built from its
// source tarball by scripts/packetdrill.mjs) in a namespace of its own. Real time: runs in the real-time group.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TUN_ADDON, linuxAdapter } from '../../src/stacks/linux/adapter.js';
import { preflight } from '../../src/stacks/linux/netns.js';
import { NotExportable, toPacketdrill } from '../../src/trace/packetdrill.js';
import { runVector } from '../../src/trace/runner.js';
import { loadVector } from '../../src/trace/vector.js';
import { findPacketdrill, runPacketdrill } from '../fixtures/packetdrill.js';

const VECTORS = fileURLToPath(new URL('../../vectors/', import.meta.url));

/** What packetdrill's grammar or its one-socket model cannot express, and why (the exporter says so). */
const NOT_EXPORTABLE: Record<string, RegExp> = {
  'bad-checksum-dropped': /bad checksum; packetdrill computes every checksum itself/,
  'fig08-old-duplicate-syn': /learns the stack's ISN once per script/,
  'fig09-half-open-discovery': /learns the stack's ISN once per script/,
  'unknown-option-skipped': /TCP option kind \d+ has no packetdrill syntax/,
};

const missingLinux = preflight(TUN_ADDON);
const built = missingLinux.length ? undefined : findPacketdrill();
const packetdrill = built?.path;
const missing = missingLinux.length ? missingLinux.join('; ') : (built?.missing ?? '');
if (missing) {
  const msg = `PACKETDRILL TESTS CANNOT RUN: ${missing}`;
  if (process.env.CI) throw new Error(msg); // under CI a missing packetdrill is a failure, never a silent skip
  console.warn(`WARNING: ${msg}`);
}

async function runScript(bin: string, script: string): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tcpc-pd-'));
  const file = join(dir, 'script.pkt');
  writeFileSync(file, script);
  try {
    return await runPacketdrill(bin, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf(!missing)('exported packetdrill scripts pass under real packetdrill on this kernel', () => {
  const linux = missing ? undefined! : linuxAdapter();
  afterAll(async () => {
    await linux?.dispose?.();
  });
  const names = readdirSync(VECTORS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''));

  it('every vector: Linux passes it, and its script passes packetdrill or says why it cannot be written', async () => {
    const outcomes: string[] = [];
    const queue = [...names];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) outcomes.push(await oneVector(n));
      }),
    );
    const expected = names.map((n) => `${n}: ${NOT_EXPORTABLE[n] ? 'not exportable (as expected)' : 'pass'}`);
    expect(outcomes.sort()).toEqual(expected.sort());
  }, 400_000);

  async function oneVector(n: string): Promise<string> {
    const r = await runVector(loadVector(join(VECTORS, `${n}.json`)), linux, { callTimeoutMs: 10_000 });
    if (r.status !== 'pass') return `${n}: Linux replay ${r.status} ${r.failure?.message ?? ''}`;
    let script: string;
    try {
      script = toPacketdrill(r.trace, { title: n });
    } catch (e) {
      if (!(e instanceof NotExportable)) throw e;
      const ok = NOT_EXPORTABLE[n]?.test(e.message);
      return `${n}: not exportable${ok ? ' (as expected)' : `: ${e.message}`}`;
    }
    const run = await runScript(packetdrill!, script);
    return run.code === 0 ? `${n}: pass` : `${n}: packetdrill exit ${run.code}: ${run.output.trim()}\n${script}`;
  }
});
