/** Reading MRD files whole in tests. */
import type { Acquisition } from '../messages/types.js';

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
