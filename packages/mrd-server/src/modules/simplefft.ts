/**
 * Built-in module `simplefft` (reference simplefft.py): readouts other than phase correction are
 * grouped until ACQ_LAST_IN_SLICE (a trailing group without it is dropped, as there); each group
 * is stacked [cha, RO, PE] in arrival order, centred-2-D-inverse-FFT'd (scaled by prod(shape)),
 * root-sum-of-squares combined, normalised to BitsStored (before the crop), cropped, and sent as
 * one int16 image with the header of the group's first readout.
 *
 * Internally the readouts are the rows of each coil's plane [PE][RO] (read straight from the
 * acquisitions, no stacking copy); the 2-D transform is the same, and the result comes out as
 * the image's [y = PE][x = RO]. With mrd-server --threads > 1 a group of at least half a million
 * samples is transformed on the numerics' worker pool, split over coils (the same image bits).
 */
import { AcquisitionFlag, DataType } from '@mrd-tools/core/constants';
import { isFlagSet } from '@mrd-tools/core/headers';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { logger } from '@mrd-tools/core/logging';
import type { Acquisition, Image } from '@mrd-tools/core/messages';
import type { MrdConnection } from '@mrd-tools/core/connection';
import ndarray from 'ndarray';
import {
  DebugDumper, contiguous, getUserParameterLong, stack, imageHeaderFromArray, logModuleConfig, requireEncodedHeader, standardImageMeta, type ModuleConfig,
} from '@mrd-tools/recon-api';
import { getFftEngine, type FftEngine } from '@mrd-tools/recon-kernels/fft';
import { DEFAULT_BITS_STORED, cropCentre, maxValueForBitsStored, normaliseToInt16 } from '@mrd-tools/recon-kernels/image';
import { centredIfft2RootSumOfSquares } from '@mrd-tools/recon-kernels/centred-fft';
import { CENTRED_RSS_POOL_MIN_SAMPLES, centredIfft2RootSumOfSquaresParallel, reconPool, sharedFloat32, type ReconPool } from '@mrd-tools/recon-kernels/pool';
import { numericsThreads } from '@mrd-tools/recon-api/threads';

/** [a][b] -> [b][a] of a plane (for the reference's [RO, PE] debug layout). */
function transposePlane(p: Float32Array | Int16Array, rows: number, cols: number): Float32Array | Int16Array {
  return contiguous(ndarray(p, [rows, cols]).transpose(1, 0)).data;
}

/** The group's shape [cha, RO, PE], checked: every readout as the first. */
function groupShape(group: readonly Acquisition[]): { cha: number; ro: number; pe: number } {
  const first = group[0].head;
  const cha = first.active_channels, ro = first.number_of_samples, pe = group.length;
  for (const a of group) {
    if (a.head.active_channels !== cha || a.head.number_of_samples !== ro) {
      throw new Error(`all input arrays must have the same shape: readout ${a.head.scan_counter} is ${a.head.active_channels} x ${a.head.number_of_samples}, the group started with ${cha} x ${ro}`);
    }
  }
  logger.debug(`Raw data is size (${cha}, ${ro}, ${pe})`);
  return { cha, ro, pe };
}

/**
 * The numerics of the reference's process_group for one group of readouts: returns the image.
 */
export function reconstructSimpleFft(
  group: readonly Acquisition[], header: IsmrmrdHeader, fft: FftEngine, debug?: DebugDumper,
): Image {
  const { cha, ro, pe } = groupShape(group);
  const rowLen = 2 * ro;
  // raw.npy as the reference's [cha, RO, PE] stack
  debug?.save('raw.npy', () => contiguous(stack(group.map((a) => a.data), [cha, ro, 2]).transpose(1, 2, 0, 3)).data, [cha, ro, pe], true);
  // rows straight from the readouts: plane = coil, row = phase encode (readout index)
  const img = centredIfft2RootSumOfSquares(fft, (c, p) => group[p].data.subarray(c * rowLen, (c + 1) * rowLen), cha, pe, ro, cha * ro * pe); // [PE][RO]
  return simpleFftImage(group, header, img, debug);
}

/**
 * The same with the transforms on the numerics' worker pool, split over coils (the same image,
 * bit for bit); a group too small to pay for it, or no pool, runs here.
 */
export async function reconstructSimpleFftParallel(
  group: readonly Acquisition[], header: IsmrmrdHeader, fft: FftEngine, pool: ReconPool | null, debug?: DebugDumper,
): Promise<Image> {
  const size = group[0].head.active_channels * group[0].head.number_of_samples * group.length;
  if (pool === null || group[0].head.active_channels < 2 || size < CENTRED_RSS_POOL_MIN_SAMPLES) return reconstructSimpleFft(group, header, fft, debug);
  const { cha, ro, pe } = groupShape(group);
  debug?.save('raw.npy', () => contiguous(stack(group.map((a) => a.data), [cha, ro, 2]).transpose(1, 2, 0, 3)).data, [cha, ro, pe], true);
  // the planes [cha][PE][RO] in shared memory (one copy, read in place by the workers)
  const k = sharedFloat32(2 * cha * pe * ro);
  const rowLen = 2 * ro;
  for (let c = 0; c < cha; c++) for (let p = 0; p < pe; p++) k.set(group[p].data.subarray(c * rowLen, (c + 1) * rowLen), (c * pe + p) * rowLen);
  const img = await centredIfft2RootSumOfSquaresParallel(fft, pool, k, cha, pe, ro, cha * ro * pe);
  return simpleFftImage(group, header, img, debug);
}

/** The image [PE][RO] normalised, cropped and given the reference's header and meta. */
function simpleFftImage(group: readonly Acquisition[], header: IsmrmrdHeader, img: Float32Array, debug?: DebugDumper): Image {
  const first = group[0].head;
  const ro = first.number_of_samples, pe = group.length;
  logger.debug(`Image data is size (${ro}, ${pe})`);
  debug?.save('img.npy', () => transposePlane(img, pe, ro), [ro, pe]);

  const bits = getUserParameterLong(header, 'BitsStored') ?? DEFAULT_BITS_STORED;
  const maxVal = maxValueForBitsStored(bits);
  const [norm] = normaliseToInt16([img], maxVal);

  const enc = header.encoding[0];
  const c = cropCentre(norm, pe, ro, enc.reconSpace.matrixSize.y, enc.reconSpace.matrixSize.x);
  logger.debug(`Image without oversampling is size (${c.nx}, ${c.ny})`);
  debug?.save('imgCrop.npy', () => transposePlane(c.data, c.ny, c.nx), [c.nx, c.ny]);

  const head = imageHeaderFromArray({ dataType: DataType.SHORT, channels: 1, x: c.nx, y: c.ny, z: 1 }, first);
  head.image_index = 1;
  const fov = enc.reconSpace.fieldOfView_mm;
  head.field_of_view = [Math.fround(fov.x), Math.fround(fov.y), Math.fround(fov.z)];
  return { head, attribute: standardImageMeta(head, maxVal), data: c.data };
}

export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown): Promise<void> {
  logModuleConfig(config);
  const fft = await getFftEngine();
  const pool = reconPool(numericsThreads());
  const debug = new DebugDumper();
  let group: Acquisition[] = [];
  for await (const item of connection) {
    if (item.type !== 'acquisition') {
      logger.error(`simplefft: ignoring a ${item.type} message (only raw data is reconstructed)`);
      continue;
    }
    const acq = item.acquisition;
    if (!isFlagSet(acq.head.flags, AcquisitionFlag.IS_PHASECORR_DATA)) group.push({ head: acq.head, traj: acq.traj, data: acq.data.slice() });
    if (isFlagSet(acq.head.flags, AcquisitionFlag.LAST_IN_SLICE)) {
      if (group.length > 0) {
        logger.info('-------------------------------------------------');
        logger.info(`     process_group called with ${group.length} readouts`);
        logger.info('-------------------------------------------------');
        const image = await reconstructSimpleFftParallel(group, requireEncodedHeader(header, 'simplefft'), fft, pool, debug);
        logger.debug('Sending image to client');
        await connection.sendImage(image);
      }
      group = [];
    }
  }
}
