/** Reading MRD files whole in tests. */
import type { Acquisition } from '../messages/types.js';
import type { MrdMessage } from '../connection/types.js';
import { parseIsmrmrdHeader, type IsmrmrdHeader } from '../xml-header/index.js';

/**
 * Every acquisition of `group` in the MRD file at `path`. (The HDF5 reader is imported on first
 * use, so tests that only need reference paths do not load h5wasm.)
 */
export async function readAcquisitions(path: string, group = 'dataset'): Promise<Acquisition[]> {
  const { MrdFile } = await import('../hdf5/reader/index.js');
  const f = await MrdFile.open(path);
  try {
    const out: Acquisition[] = [];
    for await (const a of f.acquisitions(group)) out.push(a);
    return out;
  } finally {
    f.close();
  }
}

/**
 * The parsed XML header of `group` and its acquisitions then waveforms as the messages a client
 * sends (waveforms when the group has them), for replaying a recorded session into a module
 * (ReplayConnection).
 */
export async function readSessionMessages(path: string, group = 'dataset'): Promise<{ header: IsmrmrdHeader; messages: MrdMessage[] }> {
  const { MrdFile } = await import('../hdf5/reader/index.js');
  const f = await MrdFile.open(path);
  try {
    const xml = f.readHeader(group);
    if (xml === undefined) throw new Error(`${path}: no XML header in group ${group}`);
    const messages: MrdMessage[] = [];
    for await (const a of f.acquisitions(group)) messages.push({ type: 'acquisition', acquisition: { head: a.head, traj: a.traj, data: a.data.slice() } });
    if (f.has(`/${group}/waveforms`)) for await (const w of f.waveforms(group)) messages.push({ type: 'waveform', waveform: w });
    return { header: parseIsmrmrdHeader(xml), messages };
  } finally {
    f.close();
  }
}
