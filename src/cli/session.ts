// What a command holds open (adapters with their children and namespaces) and how an interrupt ends it.
import { interrupt, interruptedBy } from '../harness/interrupt.js';
import type { StackAdapter } from '../stacks/adapter.js';
import type { ResolveOptions } from '../stacks/registry.js';

const opened: StackAdapter[] = [];

/** Resolve a stack and keep it for disposal however the command ends. */
export async function openStack(spec: string, opts: ResolveOptions = {}): Promise<StackAdapter> {
  const { resolveStack } = await import('../stacks/registry.js');
  const a = await resolveStack(spec, opts);
  opened.push(a);
  return a;
}

let disposing: Promise<void> | undefined;

/** Stop drivers and remove namespaces; each adapter gets a bounded time. Callers during a disposal share it. */
export function disposeAll(): Promise<void> {
  disposing ??= disposeEach().finally(() => {
    disposing = undefined;
  });
  return disposing;
}

async function disposeEach(): Promise<void> {
  for (const a of opened.splice(0)) {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((r) => {
      timer = setTimeout(r, 3000);
    });
    await Promise.race([Promise.resolve(a.dispose?.()).catch(() => undefined), bound]);
    clearTimeout(timer);
  }
}

export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
let hooked = false;

/**
 * First signal: mark the run interrupted (every wait and adapter call ends at once, finished results are
 * written, the command exits 128+n). A second signal, or a command that has not ended within 0.9 s:
 * clean up and leave.
 */
export function hookSignals(errOut: (s: string) => void): void {
  if (hooked) return;
  hooked = true;
  for (const sig of Object.keys(SIGNAL_EXIT)) {
    process.on(sig, () => {
      const code = SIGNAL_EXIT[sig]!;
      const leave = (): void => {
        void disposeAll().finally(() => process.exit(code));
      };
      if (interruptedBy()) return leave();
      errOut(`\ntcp-conform: ${sig}: stopping; writing what finished`);
      interrupt(sig);
      setTimeout(leave, 900).unref();
    });
  }
}
