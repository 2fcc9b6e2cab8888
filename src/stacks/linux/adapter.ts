import type { StackAdapter } from '../adapter.js';
import { UsageError } from '../usage.js';
export function linuxAdapter(): StackAdapter {
  throw new UsageError('linux: not yet');
}
