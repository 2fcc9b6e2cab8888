/** A mistake in how tcp-conform was called (bad argument, missing stack); the CLI prints it and exits 2. */
export class UsageError extends Error {}
