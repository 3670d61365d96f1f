/**
 * The cheap part of choosing how a large input is read: on the main thread with its reads made
 * ahead on libuv's thread pool (`LocalInputSource.readingAhead`, input-file-reader.ts), or by the
 * reader worker. Reading ahead needs a file of one group whose acquisitions are stored one record
 * per chunk (the ISMRMRD C library's layout); that much is answered from the file's object
 * headers alone, with mrd-core's HDF5 decoders (NativeMrdIndex) and before the reading code is
 * loaded, so that files of other layouts (h5py's, mrd-core's writer's: many records per chunk)
 * start the worker without loading that code or walking their chunk index on this thread.
 */
import type { NativeMrdIndex } from '@mrd-tools/core/hdf5/native-index';

/** The group whose acquisitions may be read ahead (the file's only group, its records one per chunk), else null. */
export async function readAheadGroup(native: NativeMrdIndex): Promise<string | null> {
  const groups = native.groups();
  if (groups.length !== 1) return null;
  return (await native.rowsPerChunk(groups[0]!, 'data')) === 1 ? groups[0]! : null;
}
