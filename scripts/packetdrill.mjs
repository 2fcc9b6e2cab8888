#!/usr/bin/env node
// Finds or builds packetdrill, for the test that runs exported scripts under it and for the bench.
//   PACKETDRILL=path          use that binary
//   PACKETDRILL_TARBALL=path  build from that source tarball
//   otherwise the tarball packetdrill-*.tar.gz is looked for in ../shared/tools and /work/shared/tools.
// Built once (needs bison, flex and cc) into build/packetdrill. Run as a script it prints the binary's path.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = [resolve(root, '../shared/tools'), '/work/shared/tools'];

function tarball() {
  if (process.env.PACKETDRILL_TARBALL) return process.env.PACKETDRILL_TARBALL;
  for (const dir of TOOLS) {
    const f = existsSync(dir) ? readdirSync(dir).find((n) => /^packetdrill-.*\.tar\.gz$/.test(n)) : undefined;
    if (f) return join(dir, f);
  }
  return undefined;
}

/** { path } of a runnable packetdrill, or { missing } saying what was looked for and what failed. */
export function findPacketdrill() {
  if (process.env.PACKETDRILL) {
    return existsSync(process.env.PACKETDRILL)
      ? { path: process.env.PACKETDRILL }
      : { missing: `PACKETDRILL=${process.env.PACKETDRILL} does not exist` };
  }
  const src = tarball();
  if (!src) return { missing: `no packetdrill source tarball in ${TOOLS.join(' or ')} (set PACKETDRILL_TARBALL)` };
  const name = src.replace(/^.*\//, '').replace(/\.tar\.gz$/, '');
  const home = join(root, 'build', name);
  const dir = join(home, 'packetdrill', 'gtests', 'net', 'packetdrill');
  const bin = join(dir, 'packetdrill');
  if (existsSync(bin)) return { path: bin };
  for (const tool of ['bison', 'flex', 'cc', 'make']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return { missing: `building packetdrill needs ${tool} (apt-get install bison flex gcc make)` };
  }
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const log = join(home, 'build.log');
  const run = (cmd, args, cwd) => spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  const steps = [
    ['tar', ['xzf', src, '-C', home], root],
    ['sh', ['./configure'], dir],
    ['make', ['-j2'], dir],
  ];
  let text = '';
  for (const [cmd, args, cwd] of steps) {
    const r = run(cmd, args, cwd);
    text += `$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0 || !existsSync(cwd)) {
      writeFileSync(log, text);
      return { missing: `building packetdrill from ${src} failed at \`${cmd} ${args.join(' ')}\` (log: ${log})` };
    }
  }
  writeFileSync(log, text);
  return existsSync(bin) ? { path: bin } : { missing: `the build of ${src} made no ${bin} (log: ${log})` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = findPacketdrill();
  if (r.path) console.log(r.path);
  else {
    console.error(`packetdrill: ${r.missing}`);
    process.exit(1);
  }
}
