#!/usr/bin/env node
// The CLI. The packed package runs its compiled JavaScript (dist/, built by `npm run build` at pack time);
// a development checkout runs the TypeScript source through tsx, so an edit needs no build step.
// TCP_CONFORM_COMPILED=1 makes a checkout run its dist/ build instead.
import { existsSync } from 'node:fs';

// Output piped into `head` and closed early is not an error worth a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const fromSource =
  process.env.TCP_CONFORM_COMPILED !== '1' && existsSync(new URL('../src/cli/main.ts', import.meta.url));
let main;
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} else if (existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) {
  ({ main } = await import('../dist/src/cli/main.js'));
} else {
  process.stderr.write('tcp-conform: dist/ is missing; run `npm run build` in the package folder\n');
  process.exit(2);
}
let code;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`tcp-conform: internal error (please report it): ${e?.stack ?? e}\n`);
  code = 2;
}
// Leave now: a child that keeps a pipe open, or a stray timer, must not hold the exit status hostage.
process.exit(code);
