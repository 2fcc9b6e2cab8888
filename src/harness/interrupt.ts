// A run stops promptly when the user interrupts it: every harness loop and bounded call observes this.
import { setMaxListeners } from 'node:events';

/** The run was interrupted (SIGINT/SIGTERM): not a verdict on the stack. */
export class Interrupted extends Error {
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
  }
}

const fresh = (): AbortController => {
  const c = new AbortController();
  setMaxListeners(0, c.signal); // every pending bounded call listens; concurrent scenarios are many
  return c;
};
let current: { signal: string; controller: AbortController } = { signal: '', controller: fresh() };

/** Mark the run interrupted; pending bounded calls and waits end with Interrupted. */
export function interrupt(signal: string): void {
  if (current.controller.signal.aborted) return;
  current.signal = signal;
  current.controller.abort(new Interrupted(signal));
}

/** Start afresh (tests, or a library user running several suites in one process). */
export function resetInterrupt(): void {
  current = { signal: '', controller: fresh() };
}

export const interruptSignal = (): AbortSignal => current.controller.signal;
export const interruptedBy = (): string | undefined => (current.controller.signal.aborted ? current.signal : undefined);

/** Throw Interrupted if the run was interrupted. */
export function checkpoint(): void {
  if (current.controller.signal.aborted) throw new Interrupted(current.signal);
}

/** setTimeout as a promise that ends early (with Interrupted) on an interrupt. */
export function sleep(ms: number): Promise<void> {
  checkpoint();
  const signal = interruptSignal();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Interrupted(current.signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
