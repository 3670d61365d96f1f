/** The `saved` session fact for a file the session has just closed: its path and size. */
import { statSync } from 'node:fs';
import type { SessionFact } from './session-facts.js';

export function savedFileFact(path: string): SessionFact {
  return { fact: 'saved', path, bytes: statSync(path, { throwIfNoEntry: false })?.size ?? 0 };
}
