export * from './seq.js';
export * from './segment.js';
export * from './codec.js';
