/**
 * A temporary-name clash on demand, for the tests of every writer that builds its output under a
 * temporary name: the next name drawn for a path is made one that someone else's file already
 * has, so a test can check that the writer neither opens, publishes nor removes that file.
 */
import { writeFileSync } from 'node:fs';
import { temporaryNameFor } from '../file-output/index.js';

export interface TakenTemporaryName {
  /** The name the writer will draw first; a file with other content is there. */
  readonly taken: string;
  /** How many random draws were made since the name was taken (>= 2 once the writer drew another). */
  draws(): number;
  /** Gives Date.now and Math.random back. */
  restore(): void;
}

/**
 * Holds the clock and makes the next temporaryNameFor(path) draw a name that is taken (the file
 * holds 'not yours'); later draws are random again. Call restore() when the test ends.
 */
export function occupyNextTemporaryName(path: string): TakenTemporaryName {
  const now = Date.now;
  const random = Math.random;
  const held = now.call(Date);
  const repeated = random();
  let draws = -1;
  Date.now = () => held;
  Math.random = () => (++draws <= 1 ? repeated : random());
  const taken = temporaryNameFor(path);
  writeFileSync(taken, 'not yours');
  return {
    taken,
    draws: () => draws,
    restore() {
      Date.now = now;
      Math.random = random;
    },
  };
}
