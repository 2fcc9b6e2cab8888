// Every call into an adapter is bounded in time; whatever goes wrong in it is named.
import { Interrupted, interruptSignal } from './interrupt.js';

/** A stack adapter that threw, hung, or answered nonsense. */
export class AdapterError extends Error {}

/**
 * The stack turned the call away and is healthy (a driver's `err` answer; an adapter may throw it too): a LISTEN
 * refused is an outcome the properties judge, not a broken adapter.
 */
export class RefusedCall extends AdapterError {
  constructor(
    readonly reason: string,
    message: string,
    readonly busy = false,
  ) {
    super(message);
  }
}

/** The stack under test died (its process exited or was killed): a failure of the stack, not of the suite. */
export class StackCrashed extends AdapterError {}

/** Run one adapter call with a time bound; a throw (sync or async) or a hang becomes an AdapterError. */
export async function guard<T>(call: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const signal = interruptSignal();
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(call),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AdapterError(`${what} did not answer within ${ms} ms`)), ms);
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch (e) {
    if (e instanceof AdapterError || e instanceof Interrupted) throw e;
    throw new AdapterError(`${what} threw: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
