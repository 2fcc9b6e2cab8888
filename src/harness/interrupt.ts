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
const current: { signal: string; controller: AbortController } = { signal: '', controller: fresh() };

/** Mark the run interrupted; pending bounded calls and waits end with Interrupted. */
export function interrupt(signal: string): void {
  if (current.controller.signal.aborted) return;
  current.signal = signal;
  current.controller.abort(new Interrupted(signal));
}

export const interruptSignal = (): AbortSignal => current.controller.signal;
export const interruptedBy = (): string | undefined => (current.controller.signal.aborted ? current.signal : undefined);

/** Throw Interrupted if the run was interrupted. */
export function checkpoint(): void {
  if (current.controller.signal.aborted) throw new Interrupted(current.signal);
}

let lastYield = 0;

/**
 * A virtual-clock stack answers in microtasks only, so a run never returns to the event loop, where signals
 * are delivered. Let the loop turn (setImmediate) at most every 20 ms, then look for an interrupt.
 */
export async function yieldToLoop(): Promise<void> {
  const now = performance.now();
  if (now - lastYield >= 20) {
    lastYield = now;
    await new Promise<void>((r) => setImmediate(r));
  }
  checkpoint();
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

/** A promise that rejects with Interrupted as soon as the run is interrupted (for work that has no loop of ours). */
export function untilInterrupted<T>(p: Promise<T>): Promise<T> {
  const signal = interruptSignal();
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    }),
  ]);
}
