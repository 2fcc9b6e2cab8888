// tcp-conform check-driver --stack process:"CMD": the adapter protocol's own checks for a driver.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { untilInterrupted } from '../../harness/interrupt.js';
import { LWIP_DRIVER } from '../../stacks/lwip/adapter.js';
import { checkDriver } from '../../stacks/process/selftest.js';
import { CONFIG_FILE, splitCommand } from '../../stacks/registry.js';
import { UsageError } from '../../stacks/usage.js';
import { type OptionSpec, parseCommand, str } from '../args.js';
import type { Out } from '../vectors.js';

const CHECK_DRIVER_OPTIONS: OptionSpec = { stack: { type: 'string' }, config: { type: 'string' } };

function driverArgv(stack: string, config: string | undefined): string[] {
  if (stack.startsWith('process:')) return splitCommand(stack.slice('process:'.length));
  if (stack === 'lwip') return [LWIP_DRIVER];
  const cfg = resolve(config ?? CONFIG_FILE);
  let entry: { command?: string | string[] } | undefined;
  if (existsSync(cfg)) {
    try {
      entry = (JSON.parse(readFileSync(cfg, 'utf8')) as { stacks?: Record<string, { command?: string | string[] }> })
        .stacks?.[stack];
    } catch (e) {
      throw new UsageError(`cannot read config ${cfg}: ${(e as Error).message}`);
    }
  }
  const cmd = entry?.command;
  if (!cmd)
    throw new UsageError(`check-driver needs --stack process:"CMD ARGS", lwip, or a stack named in ${CONFIG_FILE}`);
  return typeof cmd === 'string' ? splitCommand(cmd) : cmd;
}

export async function checkDriverCommand(argv: string[], out: Out): Promise<number> {
  const { values: o, positionals } = parseCommand('check-driver', argv, CHECK_DRIVER_OPTIONS);
  if (positionals.length)
    throw new UsageError(`check-driver takes no positional arguments (got ${positionals.join(' ')})`);
  const stack = str(o, 'stack');
  if (!stack)
    throw new UsageError('check-driver needs --stack process:"CMD ARGS" (or lwip, or a stack named in the config)');
  const argvDriver = driverArgv(stack, str(o, 'config'));
  if (argvDriver.length === 0) throw new UsageError('check-driver: empty driver command');
  out(`tcp-conform: adapter protocol checks for driver \`${argvDriver.join(' ')}\``);
  const checks = await untilInterrupted(checkDriver(argvDriver));
  for (const c of checks) out(`${(c.ok ? 'PASS' : 'FAIL').padEnd(9)} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  const failed = checks.filter((c) => !c.ok).length;
  out(`${checks.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}
