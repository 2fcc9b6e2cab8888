#!/usr/bin/env node
// Builds the native parts at `npm install`: the lwIP driver (needs Debian's liblwip-dev) and the
// TUN addon for the Linux stack (needs node-gyp, which npm ships). A part whose prerequisites are
// missing is skipped with a note; the stack that needs it then refuses to start and says why.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');
mkdirSync(build, { recursive: true });
const note = (s) => console.error(`tcp-conform build: ${s}`);
let failed = false;

// lwIP driver
const hasLwip = spawnSync('pkg-config', ['--exists', 'lwip']).status === 0;
if (!hasLwip)
  note(
    'liblwip-dev not found (pkg-config lwip): skipping the lwIP driver; --stack lwip needs `apt-get install liblwip-dev`',
  );
else {
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'lwip']).toString().trim().split(/\s+/);
  const cc = process.env.CC ?? 'cc';
  const r = spawnSync(
    cc,
    ['-O2', '-Wall', '-o', join(build, 'lwip-driver'), join(root, 'src/stacks/lwip/driver.c'), ...flags],
    { stdio: 'inherit' },
  );
  if (r.status === 0) note('built build/lwip-driver');
  else {
    note(`compiling the lwIP driver failed (${cc} exit ${r.status ?? r.error?.message})`);
    failed = true;
  }
}

// TUN addon (Linux only)
const gypFile = join(root, 'src/stacks/linux/native/binding.gyp');
if (process.platform !== 'linux') note('not Linux: skipping the TUN addon (--stack linux is Linux-only)');
else if (existsSync(gypFile)) {
  // npm passes its bundled node-gyp to install scripts; run by hand, look for it next to node.
  const bundled = join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
  // Build against the headers installed with this node (no download: the machine may be offline).
  const prefix = join(dirname(process.execPath), '..');
  const nodedir =
    process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  const args = ['rebuild', `--directory=${dirname(gypFile)}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = gyp
    ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
    : spawnSync('npx', ['--no-install', 'node-gyp', ...args], { stdio: 'inherit' });
  if (r.status === 0) note('built the TUN addon');
  else {
    note('building the TUN addon failed: --stack linux will be unavailable');
    failed = true;
  }
}

// A missing optional part never fails the install; a broken build under CI does.
if (failed && process.env.CI) process.exit(1);
