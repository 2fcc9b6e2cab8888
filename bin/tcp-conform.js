#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so nothing needs building or installing globally.
import { register } from 'tsx/esm/api';

// Output piped into `head` and closed early is not an error worth a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
register();
const { main } = await import('../src/cli/main.ts');
let code;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`tcp-conform: internal error (please report it): ${e?.stack ?? e}\n`);
  code = 2;
}
// Leave now: a child that keeps a pipe open, or a stray timer, must not hold the exit status hostage.
process.exit(code);
