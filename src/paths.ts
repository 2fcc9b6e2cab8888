// Where the package's own files are, whether this code runs from source (src/…, through tsx) or compiled
// (dist/src/…, as the packed package ships it).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** True when running the compiled JavaScript of the packed package. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The package's root folder (holding package.json, vectors/, build/). */
export const PACKAGE_ROOT = COMPILED ? resolve(here, '../..') : resolve(here, '..');

/** A file in the package, by its path from the package root. */
export const packageFile = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);

/** A module of this package by its source path (`src/…/x.ts`): the .ts file, or its compiled .js under dist. */
export const moduleFile = (sourcePath: string): string =>
  COMPILED ? packageFile('dist', sourcePath.replace(/\.ts$/, '.js')) : packageFile(sourcePath);
