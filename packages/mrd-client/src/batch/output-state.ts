/**
 * Whether a batch output is already done (`--skip-existing`, to resume an interrupted batch): the
 * file exists and its result group (the `-G` name, else any group) is complete, i.e. it has the
 * XML header (written when a session ends) and no `incomplete` dataset (written when it failed).
 */
import { existsSync } from 'node:fs';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { INCOMPLETE_DATASET } from '../results-writer.js';

export type OutputState =
  | { kind: 'absent' }
  | { kind: 'complete'; group: string }
  | { kind: 'incomplete'; groups: string[] }
  | { kind: 'unreadable'; message: string };

export async function outputState(path: string, group?: string): Promise<OutputState> {
  if (!existsSync(path)) return { kind: 'absent' };
  let f: MrdFile;
  try {
    f = await MrdFile.open(path);
  } catch (err) {
    return { kind: 'unreadable', message: (err as Error).message };
  }
  try {
    const groups = group ? f.groups().filter((g) => g === group) : f.groups();
    for (const g of groups) {
      if (f.has(`${g}/xml`) && !f.has(`${g}/${INCOMPLETE_DATASET}`)) return { kind: 'complete', group: g };
    }
    return { kind: 'incomplete', groups };
  } finally {
    f.close();
  }
}
