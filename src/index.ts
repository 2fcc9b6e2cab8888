// tcp-conform's library API, as the package exports it (`import … from 'tcp-conform'`): the adapter
// interface a stack implements, the wire codec to build and read its packets, the embedded stacks, and
// the engine that runs one property or vector against an adapter. `tcp-conform/vitest` builds on it.
export type {
  AppControl,
  ConnId,
  ControlName,
  Deviation,
  Drain,
  KnownFinding,
  MaybePromise,
  StackAdapter,
  StackEvent,
  StackInstance,
  StackProfile,
  TupleRef,
} from './stacks/adapter.js';
export { CONTROL_NAMES } from './stacks/adapter.js';
export type { Endpoint, Segment, TcpOption } from './wire/segment.js';
export { ACK, FIN, PSH, RST, SYN, URG, describe as describeSegment } from './wire/segment.js';
export { decode, encode } from './wire/codec.js';
/** Throw it from listen() (or any call) to refuse it: the trace records the refusal, the run goes on. */
export { RefusedCall } from './harness/bounded.js';
export { referenceAdapter } from './stacks/reference/adapter.js';
export { type ProcessStackSpec, processAdapter } from './stacks/process/adapter.js';
export { resolveStack } from './stacks/registry.js';
export { type PropertyResult, runProperty } from './oracle/engine.js';
export { ALL_PROPERTIES } from '../properties/index.js';
