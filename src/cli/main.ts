// tcp-conform command line: one module per command under commands/, each with its own options.
// I/O lives in the CLI and the stacks; everything else is a library.
import { AdapterError } from '../harness/bounded.js';
import { Interrupted, interruptedBy } from '../harness/interrupt.js';
import { UsageError } from '../stacks/usage.js';
import { SIGNAL_EXIT, disposeAll, hookSignals } from './session.js';
import type { Out } from './vectors.js';

const HELP = `tcp-conform — property-based TCP conformance against an executable RFC 9293 model

usage:
  tcp-conform run [--stack NAME|PATH] [--runs N] [--seed N] [--only PATTERN] [--strict] [--slow]
                  [--report FILE.md|.html] [--junit FILE] [--json FILE] [--out DIR] [--vectors DIR] [--shard i/n]
  tcp-conform replay FILE... [--stack NAME|PATH] [--only PATTERN] [--json FILE]
  tcp-conform mutants [--runs N] [--seed N] [--only PATTERN] [--json FILE]
  tcp-conform promote FILE [--name NAME] [--force]
  tcp-conform export FILE [--pcap OUT.pcap] [--pkt OUT.pkt] [--ladder] [--mermaid OUT.md] [--stack NAME]
  tcp-conform check-driver --stack process:"CMD ARGS"|NAME   (the adapter protocol's own checks for a driver)
  tcp-conform help

  --stack    reference (default), reference-perturbed, mutant:NAME, lwip, linux, process:"CMD ARGS",
             a stack named in tcp-conform.config.json, or a path to a module exporting a StackAdapter
  --config   config file naming process stacks (default ./tcp-conform.config.json)
  --strict   count the stack's known findings (docs/findings.md) as failures
  --slow     on a real-clock stack, also run the vectors marked slow (minutes of waiting)
  --runs     generated scenarios per property (default 100; 20 on real-clock stacks such as linux)
  --seed     fast-check seed, 0 to 2147483647 (default: random, printed)
  --only     run only properties and vectors whose name contains PATTERN
  --json     write every verdict to FILE as JSON (with the per-requirement verdicts)
  --report   write a report card by RFC 9293 requirement to FILE (.md, or .html)
  --junit    write JUnit XML to FILE (one test case per property, check and vector)
  --shard    i/n: run the i-th of n slices of the properties and vectors (one per CI machine; same --seed on all)
  --out      folder for counterexample files (default ./counterexamples; created when missing)
  --vectors  folder of vector files (default: the vectors shipped with tcp-conform, recursively)
  --force    promote: overwrite a regression vector of the same name

  Output files are written whole (or not at all) into folders that must exist; a flag a command does not
  take is refused.

exit status: 0 nothing failed, 1 a property or vector failed, 2 bad usage, a broken vector file or an
adapter error, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (what finished is written, marked interrupted)`;

type Command = (argv: string[], out: Out, errOut: Out) => number | Promise<number>;

// Each command's module is loaded only when it runs, so `help` and usage errors start fast.
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  replay: async () => (await import('./commands/replay.js')).replayCommand,
  mutants: async () => (await import('./commands/mutants.js')).mutantsCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
  'check-driver': async () => (await import('./commands/check-driver.js')).checkDriverCommand,
  promote: async () => {
    const { promoteCommand } = await import('./commands/promote.js');
    return (argv, out) => promoteCommand(argv, out);
  },
};

const stdout: Out = (s) => process.stdout.write(`${s}\n`);
const stderr: Out = (s) => process.stderr.write(`${s}\n`);

export async function main(argv: string[], out: Out = stdout, errOut: Out = stderr): Promise<number> {
  hookSignals(errOut);
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      out(HELP);
      return cmd === undefined ? 2 : 0;
    }
    const f = COMMANDS[cmd];
    if (!f) {
      const what = cmd.startsWith('-')
        ? `a command comes first (got ${JSON.stringify(cmd)})`
        : `unknown command ${JSON.stringify(cmd)}`;
      throw new UsageError(`${what} (expected run, replay, mutants, promote, export, check-driver or help)`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      out(HELP);
      return 0;
    }
    return await (await f())(rest, out, errOut);
  } catch (e) {
    if (e instanceof UsageError) {
      errOut(`tcp-conform: ${e.message}`);
      errOut(`run 'tcp-conform help' for usage`);
      return 2;
    }
    if (e instanceof Interrupted) {
      errOut(`tcp-conform: ${e.message}`);
      return SIGNAL_EXIT[e.signal] ?? 130;
    }
    if (e instanceof AdapterError) {
      errOut(`tcp-conform: adapter error: ${e.message}`);
      return 2;
    }
    const sig = interruptedBy();
    if (sig) return SIGNAL_EXIT[sig] ?? 130;
    throw e;
  } finally {
    await disposeAll();
  }
}
