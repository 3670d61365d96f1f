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

/**
 * An MRD image file whose one image declares `x` x `y` pixels (int16) while the file stays small:
 * a 61 x 59 image is written, then its header's matrix_size and its data dataset's dataspace
 * (dims and max dims) are patched to x and y. The data chunks beyond the first are unallocated
 * (HDF5 reads them as the fill value), so reading the image needs x * y * 2 bytes of memory:
 * the file a reader meets when a header declares enormous dimensions.
 */
export async function writeImageFileDeclaring(path: string, x: number, y: number): Promise<void> {
  const { MrdWriter } = await import('../hdf5/writer/index.js');
  const { createImage } = await import('../messages/create.js');
  const { DataType } = await import('../constants/index.js');
  const { readFileSync, writeFileSync } = await import('node:fs');
  const w = await MrdWriter.create(path, { overwrite: true });
  await w.writeHeader('<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions><encoding><encodedSpace><matrixSize><x>61</x><y>59</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>240</y><z>5</z></fieldOfView_mm></encodedSpace><reconSpace><matrixSize><x>61</x><y>59</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>240</y><z>5</z></fieldOfView_mm></reconSpace><encodingLimits/><trajectory>cartesian</trajectory></encoding></ismrmrdHeader>');
  await w.appendImages([createImage({ matrixSize: [61, 59, 1], data: new Int16Array(61 * 59), head: { data_type: DataType.SHORT, field_of_view: [240, 240, 5] } })]);
  await w.close();
  const bytes = readFileSync(path);
  const u64 = (vals: number[]) => Buffer.concat(vals.map((v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v < 0 ? 0xffffffffffffffffn : BigInt(v)); return b; }));
  const u16 = (vals: number[]) => Buffer.concat(vals.map((v) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; }));
  const replace = (from: Buffer, to: Buffer, what: string) => {
    const at = bytes.indexOf(from);
    if (at < 0 || bytes.indexOf(from, at + 1) >= 0) throw new Error(`writeImageFileDeclaring: ${what} not found exactly once`);
    to.copy(bytes, at);
  };
  replace(u64([1, 1, 1, 59, 61, -1, 1, 1, 59, 61]), u64([1, 1, 1, y, x, -1, 1, 1, y, x]), 'the data dataspace');
  replace(u16([61, 59, 1]), u16([x, y, 1]), 'the header matrix_size');
  writeFileSync(path, bytes);
}
