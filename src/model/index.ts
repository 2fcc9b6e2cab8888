export * from './types.js';
export * from './config.js';
export { createTcb } from './tcb.js';
export { step, nextDeadline } from './step.js';
export { acceptableSeq } from './arrive.js';
export { rstReply } from './output.js';
