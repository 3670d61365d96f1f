/**
 * Built-in module `invertcontrast` (reference invertcontrast.py), self-contained so that it can
 * be copied into a modules folder as the start of a user module (it imports only what a user
 * module may import: ../core-namespaces.ts). The reference's `custom/filter.py` is the same
 * module with a median filter instead of the inversion: filter.ts runs `processContrast` with
 * the FILTER variant.
 *
 * Raw path: imaging readouts (not noise, calibration, phase correction or navigator) accumulate
 * until ACQ_LAST_IN_SLICE, each placed at once into the zero-filled, flipped k-space [ch, y, x,
 * phase] by encode step (only its header is kept, so the connection may reuse the readout's
 * memory: `borrowPayloads`); then the k-space is centred-2-D-inverse-FFT'd (scaled by
 * prod(shape) as the reference), root-sum-of-squares combined, cropped (readout then phase
 * oversampling; only the kept window is transformed along y and combined unless the debug
 * dump wants the whole images), and each phase becomes an image whose header comes from the
 * readout nearest the k-space centre. With mrd-server --threads n > 1 and a group of at least half a million
 * samples, the k-space lives in shared memory and the transforms (and the exact maximum's
 * direct sums) run on the numerics' worker pool of n - 1 threads (split over coils when more
 * than one; the same image bits); the session thread meanwhile places the next group into a
 * second k-space (a pipeline: on 2 cores, one places while the other transforms), and the
 * images go back in order. Image path: images are grouped
 * by image_series_index; non-magnitude images go straight back with Keep_image_geometry.
 *
 * Options from the JSON config (`parameters`): options = complex | rgb | roi | colormap,
 * sendOriginal (bool), and for filter: filterSize (int), comments (str).
 */
import { AcquisitionFlag, DataType, ImageType } from '@mrd-tools/core/constants';
import { MetaAttributes, createRoi, formatPythonComplex, formatPythonFixed, formatPythonFloat, parseMeta, serializeMeta } from '@mrd-tools/core/meta';
import { cloneImageHeader, isFlagSet, type ImageHeader } from '@mrd-tools/core/headers';
import { cloneImage, type Acquisition, type Image, type ImagePixels } from '@mrd-tools/core/messages';
import type { MrdConnection } from '@mrd-tools/core/connection';
import { logger } from '@mrd-tools/core/logging';
import {
  DebugDumper, KspaceAssembler, applyJetColormap, contiguous, dataTypeOf, getJsonConfigParam, getUserParameterLong, imageHeaderFromArray,
  kspaceArray, logModuleConfig, moduleHeader, requireEncodedHeader, sendModuleError, stack, updateImageHeaderFromRaw,
  type AssembledKspace, type ModuleConfig,
} from '@mrd-tools/recon-api';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { DEFAULT_BITS_STORED, centredCropRange, cropCentre, maxValueForBitsStored, medianFilter, normaliseToInt16 } from '@mrd-tools/recon-kernels/image';
import { centredIfft2RootSumOfSquaresAtPoints, centredIfft2RootSumOfSquaresCropped } from '@mrd-tools/recon-kernels/centred-fft';
import {
  CENTRED_RSS_POOL_MIN_SAMPLES, centredIfft2RootSumOfSquaresAtPointsParallel, centredIfft2RootSumOfSquaresParallel, reconPoolBeside,
  type CentredRssScratch, type ReconPool,
} from '@mrd-tools/recon-kernels/pool';
import { numericsThreads } from '@mrd-tools/recon-api/threads';

export interface ContrastVariant {
  /** invertcontrast: abs(maxVal - data); filter: no inversion */
  invert: boolean;
  /** filter: scipy median filter with `filterSize`, and `comments` */
  filter: boolean;
  history: string[];
  sequenceDescription: string;
}

const INVERTCONTRAST: ContrastVariant = { invert: true, filter: false, history: ['PYTHON', 'INVERT'], sequenceDescription: 'FIRE' };
export const FILTER: ContrastVariant = { invert: false, filter: true, history: ['PYTHON', 'FILT'], sequenceDescription: 'FILT' };

interface Context {
  connection: MrdConnection;
  config: ModuleConfig;
  header: unknown;
  variant: ContrastVariant;
  debug: DebugDumper;
  /**
   * The group's readouts placed into k-space as they arrive; its storage is kept from group to
   * group, and released at the end for the thread's next session (fresh memory's first touch
   * costs more than the copy). Made at the first imaging readout, from the MRD header's encoded
   * matrix.
   */
  kspace?: KspaceAssembler;
  /** The header could not give the encoded matrix: raised when the group is processed, as before. */
  kspaceError?: unknown;
  /** Imaging readouts of the current group (counted also when the k-space could not be made). */
  readouts: number;
  /** The numerics' pool beside this thread (--threads - 1 threads), or null for --threads 1: everything on this thread. */
  pool: ReconPool | null;
  /**
   * Pool path (chosen at the group's first readout when it is big enough): two assemblers on
   * this thread's shared k-spaces, `kspace` the one being filled; the other's group may be
   * still reconstructing (`pending`).
   */
  assemblers?: KspaceAssembler[];
  slot: number;
  /** The previous group's reconstruction and send, when it runs while this group arrives. */
  pending: Promise<void> | null;
}

/**
 * Per thread (a session worker serves session after session): the two shared k-spaces of the
 * pool path and the pool's power planes, kept from session to session (the first touch of fresh
 * memory costs more than placing the readouts), up to SHARED_KEEP_MAX_BYTES each.
 */
const sharedKspaces: (Float32Array | null)[] = [null, null];
const SHARED_KEEP_MAX_BYTES = 128 * 1024 * 1024;
const rssScratch: CentredRssScratch = {};

function sharedKspace(slot: number, length: number): Float32Array {
  const kept = sharedKspaces[slot];
  if (kept !== null && kept.length >= length) return kept;
  const s = new Float32Array(new SharedArrayBuffer(4 * length));
  sharedKspaces[slot] = 4 * length <= SHARED_KEEP_MAX_BYTES ? s : null;
  return s;
}

/** The k-space assembler for the group whose first readout is `acq`: on shared memory when its transforms go to the pool. */
function makeAssembler(ctx: Context, acq: Acquisition, ny: number, nx: number): KspaceAssembler {
  if (ctx.pool !== null && acq.head.active_channels >= 2 && acq.head.active_channels * ny * nx >= CENTRED_RSS_POOL_MIN_SAMPLES) {
    ctx.pool.start(); // its threads boot while the group arrives
    ctx.assemblers = [0, 1].map((slot) => new KspaceAssembler(ny, nx, (n) => sharedKspace(slot, n)));
    return ctx.assemblers[ctx.slot];
  }
  return new KspaceAssembler(ny, nx);
}

/** Waits for the previous group's reconstruction and send (its failure is raised here). */
async function settle(ctx: Context): Promise<void> {
  const p = ctx.pending;
  if (p === null) return;
  ctx.pending = null;
  await p;
}

/** Places an imaging readout into the group's k-space (copied: the connection may reuse its memory). */
function addReadout(ctx: Context, acq: Acquisition): void {
  ctx.readouts++;
  if (ctx.kspaceError !== undefined) return;
  if (!ctx.kspace) {
    try {
      const enc = requireEncodedHeader(ctx.header, 'raw data').encoding[0];
      ctx.kspace = makeAssembler(ctx, acq, enc.encodedSpace.matrixSize.y, enc.encodedSpace.matrixSize.x);
    } catch (err) {
      ctx.kspaceError = err;
      return;
    }
  }
  ctx.kspace.add(acq);
}

function isComplexType(t: number): boolean {
  return t === DataType.CXFLOAT || t === DataType.CXDOUBLE;
}

/** Number of values (complex counted once) of an image. */
function pixelCount(h: ImageHeader): number {
  return h.channels * h.matrix_size[0] * h.matrix_size[1] * h.matrix_size[2];
}

export async function processContrast(connection: MrdConnection, config: ModuleConfig, header: unknown, variant: ContrastVariant): Promise<void> {
  logModuleConfig(config);
  const h = moduleHeader(header);
  if (h && Array.isArray(h.encoding) && h.encoding.length > 0) {
    const e = h.encoding[0];
    logger.info(`Incoming dataset contains ${h.encoding.length} encodings`);
    logger.info(`First encoding is of type '${e.trajectory}', with a matrix size of (${e.encodedSpace.matrixSize.x} x ${e.encodedSpace.matrixSize.y} x ${e.encodedSpace.matrixSize.z}) and a field of view of (${e.encodedSpace.fieldOfView_mm.x} x ${e.encodedSpace.fieldOfView_mm.y} x ${e.encodedSpace.fieldOfView_mm.z})mm^3`);
  } else {
    logger.info(`Improperly formatted MRD header: \n${String(header)}`);
  }
  const ctx: Context = {
    connection, config, header, variant, debug: new DebugDumper(), readouts: 0, pool: reconPoolBeside(numericsThreads()), slot: 0, pending: null,
  };
  let currentSeries = 0;
  let imgGroup: Image[] = [];
  // Every message is done with before the next is read (readouts are copied into k-space,
  // images cloned, images sent back awaited): the connection may reuse their memory. (A group
  // reconstructing on the pool reads only its own k-space.)
  connection.borrowPayloads?.();
  try {
    for await (const item of connection) {
      if (item.type === 'acquisition') {
        const acq = item.acquisition;
        const f = acq.head.flags;
        if (!isFlagSet(f, AcquisitionFlag.IS_NOISE_MEASUREMENT) && !isFlagSet(f, AcquisitionFlag.IS_PARALLEL_CALIBRATION)
          && !isFlagSet(f, AcquisitionFlag.IS_PHASECORR_DATA) && !isFlagSet(f, AcquisitionFlag.IS_NAVIGATION_DATA)) {
          addReadout(ctx, acq);
        }
        if (isFlagSet(f, AcquisitionFlag.LAST_IN_SLICE)) {
          await settle(ctx);
          logger.info('Processing a group of k-space data');
          if (ctx.assemblers && ctx.kspaceError === undefined && ctx.readouts > 0) {
            // on the pool: the next group is placed meanwhile (processRaw takes this group's
            // k-space and switches to the other one before its first await)
            const job = processRaw(ctx).then((images) => connection.sendImage(images));
            job.catch(() => undefined); // (raised by settle)
            ctx.pending = job;
          } else {
            const images = await processRaw(ctx);
            await connection.sendImage(images);
          }
        }
      } else if (item.type === 'image') {
        await settle(ctx);
        const img = item.image;
        if (img.head.image_series_index !== currentSeries) {
          logger.info(`Processing a group of images because series index changed to ${img.head.image_series_index}`);
          currentSeries = img.head.image_series_index;
          const images = await processImage(imgGroup, ctx, false);
          await connection.sendImage(images);
          imgGroup = [];
        }
        if (img.head.image_type === ImageType.MAGNITUDE || img.head.image_type === 0) {
          imgGroup.push(cloneImage(img));
        } else {
          const meta = parseMeta(img.attribute);
          meta.set('Keep_image_geometry', 1);
          await connection.sendImage({ head: img.head, attribute: serializeMeta(meta), data: img.data });
        }
      } else if (item.type === 'waveform') {
        // The reference collects waveforms (ECG) without using them in the output.
      } else {
        logger.error(`Unsupported data type ${item.type}`);
      }
    }
    await settle(ctx);
    if (ctx.readouts > 0) {
      logger.info('Processing a group of k-space data (untriggered)');
      await connection.sendImage(await processRaw(ctx));
    }
    if (imgGroup.length > 0) {
      logger.info('Processing a group of images (untriggered)');
      await connection.sendImage(await processImage(imgGroup, ctx, false));
      imgGroup = [];
    }
  } catch (err) {
    // a group still reconstructing finishes first (its sends, and the pool reading its k-space)
    await ctx.pending?.catch(() => undefined);
    ctx.pending = null;
    await sendModuleError(connection, variant.filter ? 'filter' : 'invertcontrast', err);
  } finally {
    // its storage serves this thread's next session (a fresh k-space's first touch costs more than the placing)
    ctx.kspace?.release();
  }
}

/** The k-space as the reference's raw.npy: `data` [cha][y][x][phs] (complex64), C order. */
function rawDumpLayout(k: AssembledKspace): Float32Array {
  return contiguous(kspaceArray(k)).data;
}

/** Per-phase planes [y][x] as the reference's [y][x][phs] (np.stack(planes, axis=-1)). */
function stackLast(planes: Float32Array[], ny: number, nx: number): Float32Array {
  return contiguous(stack(planes, [ny, nx]).transpose(1, 2, 0)).data;
}

/**
 * Recomputes in float64 the pixels that may hold the maximum of the group (within 1e-5 of it),
 * so that the maximum, which the reference prints (complex option) and divides by, carries the
 * reference's float64 digits rather than float32 FFT rounding. Skipped for flat images (more
 * than 64 candidates), where it would cost and not matter.
 */
async function refineMaximum(
  planes: Float32Array[], ny: number, nx: number, exact: (plane: number, points: [number, number][]) => number[] | Promise<number[]>,
): Promise<void> {
  let max = -Infinity;
  for (const p of planes) for (let i = 0; i < p.length; i++) if (p[i] > max) max = p[i];
  if (!(max > 0)) return;
  const limit = max * (1 - 1e-5);
  const candidates: [number, number][] = [];
  for (let pi = 0; pi < planes.length; pi++) {
    const p = planes[pi];
    for (let i = 0; i < p.length; i++) {
      if (p[i] >= limit) {
        candidates.push([pi, i]);
        if (candidates.length > 64) return;
      }
    }
  }
  for (let pi = 0; pi < planes.length; pi++) {
    const mine = candidates.filter(([p]) => p === pi).map(([, i]) => i);
    if (mine.length === 0) continue;
    const values = await exact(pi, mine.map((i) => [Math.floor(i / nx), i % nx]));
    mine.forEach((i, k) => { planes[pi][i] = values[k]; });
  }
}

async function processRaw(ctx: Context): Promise<Image[]> {
  const readouts = ctx.readouts;
  if (readouts === 0) return [];
  ctx.readouts = 0;
  logger.info('-----------------------------------------------');
  logger.info(`     process_raw called with ${readouts} readouts`);
  logger.info('-----------------------------------------------');
  const tic = performance.now();
  const header = requireEncodedHeader(ctx.header, 'raw data');
  const enc = header.encoding[0];
  const ny = enc.encodedSpace.matrixSize.y, nx = enc.encodedSpace.matrixSize.x;
  // k.data is a view of the assembler's storage, overwritten by the next group's readouts (none
  // arrive before this group is sent: the loop awaits it).
  const k = ctx.kspace!.finish();
  // pool path: the next group goes into the other k-space (this one is read until the images are made)
  const pool = ctx.assemblers ? ctx.pool : null;
  if (ctx.assemblers) {
    ctx.slot ^= 1;
    ctx.kspace = ctx.assemblers[ctx.slot];
  }
  // k.data is the zero-filled, flipped k-space, [phase][channel][y][x] complex64 (re, im
  // interleaved): the place to filter k-space (e.g. a Hanning window) before the FFT.
  logger.debug(`Raw data is size (${k.channels}, ${ny}, ${nx}, ${k.phases})`);
  ctx.debug.save('raw.npy', () => rawDumpLayout(k), [k.channels, ny, nx, k.phases], true);

  const fft = await getFftEngine();
  const scale = k.channels * ny * nx * k.phases; // data *= np.prod(data.shape)
  const planeLen = 2 * k.channels * ny * nx;
  const acc = new Float64Array(ny * nx);
  // the crop of the oversampling (readout, then phase): [y0, y1) x [x0, x1) of each image
  const rx = enc.reconSpace.matrixSize.x, ry = enc.reconSpace.matrixSize.y;
  const [y0, y1] = ry !== 0 ? centredCropRange(ny, ry) : [0, ny];
  const [x0, x1] = rx !== 0 ? centredCropRange(nx, rx) : [0, nx];
  // Without the debug dump of the whole images, only the window is transformed and combined
  // (the same bits as cropping the whole image: about half the column transforms are saved).
  const window = ctx.debug.enabled ? { y0: 0, y1: ny, x0: 0, x1: nx } : { y0, y1, x0, x1 };
  let planes: Float32Array[] = [];
  for (let p = 0; p < k.phases; p++) {
    const plane = k.data.subarray(p * planeLen, (p + 1) * planeLen);
    planes.push(pool
      ? await centredIfft2RootSumOfSquaresParallel(fft, pool, plane, k.channels, ny, nx, scale, rssScratch, window)
      : centredIfft2RootSumOfSquaresCropped(fft, plane, k.channels, ny, nx, scale, window, undefined, acc));
  }
  const cy = y1 - y0, cx = x1 - x0;
  logger.debug(`Image data is size (${ny}, ${nx}, ${k.phases})`);
  if (ctx.debug.enabled) {
    ctx.debug.save('img.npy', () => stackLast(planes, ny, nx), [ny, nx, k.phases]);
    planes = planes.map((pl) => cropCentre(pl, ny, nx, ry, rx).data);
  }
  await refineMaximum(planes, cy, cx, (p, points) => {
    const plane = k.data.subarray(p * planeLen, (p + 1) * planeLen);
    const at = points.map(([y, x]): [number, number] => [y + y0, x + x0]);
    return pool ? centredIfft2RootSumOfSquaresAtPointsParallel(pool, plane, k.channels, ny, nx, scale, at, fft) : centredIfft2RootSumOfSquaresAtPoints(plane, k.channels, ny, nx, scale, at, fft);
  });
  logger.debug(`Image without oversampling is size (${cy}, ${cx}, ${k.phases})`);
  ctx.debug.save('imgCrop.npy', () => stackLast(planes, cy, cx), [cy, cx, k.phases]);

  const strProcessTime = `Total processing time: ${(performance.now() - tic).toFixed(2)} ms`;
  logger.info(strProcessTime);
  await ctx.connection.sendLogging('INFO', strProcessTime);

  const fov = enc.reconSpace.fieldOfView_mm;
  const images: Image[] = planes.map((data, phs) => {
    let head = imageHeaderFromArray({ dataType: DataType.FLOAT, channels: 1, x: cx, y: cy, z: 1 });
    head = updateImageHeaderFromRaw(head, k.centreHeaders[phs]);
    head.field_of_view = [Math.fround(fov.x), Math.fround(fov.y), Math.fround(fov.z)];
    head.image_index = phs;
    const meta = new MetaAttributes([
      ['DataRole', 'Image'], ['ImageProcessingHistory', ['FIRE', 'PYTHON']], ['Keep_image_geometry', 1],
    ]);
    return { head, attribute: serializeMeta(meta), data };
  });
  return processImage(images, ctx, true);
}

/** Float64 copy of an image's values, real part only for complex data (numpy astype). */
function realValues(img: Image): Float64Array {
  const n = pixelCount(img.head);
  const out = new Float64Array(n);
  const d = img.data;
  if (isComplexType(img.head.data_type)) for (let i = 0; i < n; i++) out[i] = d[2 * i];
  else for (let i = 0; i < n; i++) out[i] = d[i];
  return out;
}

/**
 * The reference's debug layout [y, x, z, cha, img] of a group of [cha][z][y][x] arrays (np.stack +
 * transpose); int16 and float32 groups keep their type, others are dumped as float64.
 */
function groupDumpLayout(arrays: readonly ImagePixels[], ch: number, nz: number, ny: number, nx: number, complex: boolean): ArrayBufferView {
  const keep = arrays[0] instanceof Int16Array || arrays[0] instanceof Float32Array;
  const stacked = stack(keep ? arrays : arrays.map((a) => Float64Array.from(a)), complex ? [ch, nz, ny, nx, 2] : [ch, nz, ny, nx]);
  return contiguous(complex ? stacked.transpose(3, 4, 2, 1, 0, 5) : stacked.transpose(3, 4, 2, 1, 0)).data;
}

/** The reference's create_example_roi (a heart in the bottom right, 10% of the image). */
function createExampleRoi(ny: number, nx: number): string[] {
  const num = 50;
  const t = new Float64Array(num);
  const step = (2 * Math.PI) / (num - 1);
  for (let i = 0; i < num; i++) t[i] = i * step;
  t[num - 1] = 2 * Math.PI;
  const x = new Float64Array(num), y = new Float64Array(num);
  for (let i = 0; i < num; i++) {
    x[i] = 16 * Math.pow(Math.sin(t[i]), 3);
    y[i] = -13 * Math.cos(t[i]) + 5 * Math.cos(2 * t[i]) + 2 * Math.cos(3 * t[i]) + Math.cos(4 * t[i]);
  }
  const norm = (a: Float64Array): void => {
    let lo = Infinity, hi = -Infinity;
    for (const v of a) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    for (let i = 0; i < a.length; i++) a[i] = (a[i] - lo) / (hi - lo);
  };
  norm(x);
  norm(y);
  const m = Math.min(ny, nx);
  for (let i = 0; i < num; i++) {
    x[i] = x[i] * 0.1 * m + (nx - 0.2 * m);
    y[i] = y[i] * 0.1 * m + (ny - 0.2 * m);
  }
  return createRoi(x, y, { rgb: [1, 0, 0], thickness: 1, style: 0, visibility: 1 });
}

async function processImage(group: Image[], ctx: Context, fromRaw: boolean): Promise<Image[]> {
  if (group.length === 0) return [];
  logger.info('-----------------------------------------------');
  logger.info(`     process_image called with ${group.length} images`);
  logger.info('-----------------------------------------------');
  const { config, variant } = ctx;
  const h0 = group[0].head;
  const ch = h0.channels, nx = h0.matrix_size[0], ny = h0.matrix_size[1], nz = h0.matrix_size[2];
  for (const img of group) {
    const m = img.head.matrix_size;
    if (img.head.channels !== ch || m[0] !== nx || m[1] !== ny || m[2] !== nz) {
      throw new Error(`all input array must have the same shape: image ${img.head.image_index} is ${img.head.channels}x${m[2]}x${m[1]}x${m[0]}, the group started with ${ch}x${nz}x${ny}x${nx}`);
    }
  }
  const heads = group.map((img) => cloneImageHeader(img.head));
  const metas = group.map((img) => parseMeta(img.attribute));
  const inComplex = isComplexType(h0.data_type);
  ctx.debug.save('imgOrig.npy', () => groupDumpLayout(group.map((g) => g.data), ch, nz, ny, nx, inComplex), [ny, nx, nz, ch, group.length], inComplex);

  const options = getJsonConfigParam(config, 'options');
  let data: (Int16Array | Float32Array | Uint16Array)[];
  let complexOut = false;
  let windowCenter: string, windowWidth: string;
  let maxValInt = 0;
  if (options === 'complex') {
    // data.astype(complex64); maxVal = data.max() (lexicographic on (re, im))
    const f32 = Math.fround;
    let mRe = -Infinity, mIm = -Infinity;
    const cplx = group.map((img) => {
      const n = pixelCount(img.head);
      const out = new Float32Array(2 * n);
      const d = img.data;
      if (isComplexType(img.head.data_type)) for (let i = 0; i < 2 * n; i++) out[i] = d[i];
      else for (let i = 0; i < n; i++) out[2 * i] = d[i];
      for (let i = 0; i < n; i++) {
        const re = out[2 * i], im = out[2 * i + 1];
        if (re > mRe || (re === mRe && im > mIm)) { mRe = re; mIm = im; }
      }
      return out;
    });
    windowCenter = formatPythonComplex((mRe + 1) / 2, mIm / 2);
    windowWidth = formatPythonComplex(mRe + 1, mIm);
    if (variant.invert) {
      // abs(maxVal - data) of complex64: float32
      data = cplx.map((c) => {
        const n = c.length / 2;
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const re = f32(mRe - c[2 * i]), im = f32(mIm - c[2 * i + 1]);
          out[i] = f32(Math.hypot(re, im));
        }
        return out;
      });
    } else {
      data = cplx;
      complexOut = true;
    }
  } else {
    const bits = getUserParameterLong(moduleHeader(ctx.header), 'BitsStored') ?? DEFAULT_BITS_STORED;
    maxValInt = maxValueForBitsStored(bits);
    windowCenter = formatPythonFloat((maxValInt + 1) / 2);
    windowWidth = String(maxValInt + 1);
    const normalised = normaliseToInt16(group.map(realValues), maxValInt);
    if (variant.invert) {
      data = normalised.map((d) => {
        const out = new Int16Array(d.length);
        for (let i = 0; i < d.length; i++) {
          const v = (maxValInt - d[i]) << 16 >> 16;
          out[i] = v < 0 ? -v : v;
        }
        return out;
      });
    } else data = normalised;
  }
  if (variant.invert) {
    ctx.debug.save('imgInverted.npy', () => groupDumpLayout(data, ch, nz, ny, nx, false), [ny, nx, nz, ch, group.length]);
  }

  let filterSize = 0;
  if (variant.filter) {
    filterSize = getJsonConfigParam(config, 'filterSize', 0, 'int');
    if (filterSize > 0) {
      logger.info(`Applying median filter with size ${filterSize}`);
      if (complexOut) throw new Error('Complex type not supported (median filter)');
      // the stacked [y x z cha img] array, filtered with the same window on every axis: the
      // result does not depend on axis order, so filter the [img][cha][z][y][x] stack directly
      const stack = new (data[0].constructor as { new (n: number): Int16Array | Float32Array })(data.length * data[0].length);
      data.forEach((d, i) => stack.set(d, i * d.length));
      const filtered = medianFilter(stack, [data.length, ch, nz, ny, nx], filterSize);
      const len = data[0].length;
      data = data.map((_, i) => filtered.slice(i * len, (i + 1) * len));
      ctx.debug.save('imgFiltered.npy', () => groupDumpLayout(data, ch, nz, ny, nx, false), [ny, nx, nz, ch, group.length]);
    }
  }

  let rgb = false;
  if (options === 'rgb') {
    logger.info('Converting data into RGB');
    if (ch !== 1) {
      logger.error('Multi-channel data is not supported');
      return [];
    }
    if (complexOut) throw new Error('RGB conversion of complex data is not supported');
    data = applyJetColormap(data);
    rgb = true;
    ctx.debug.save('imgRGB.npy', () => groupDumpLayout(data, 3, nz, ny, nx, false), [ny, nx, nz, 3, group.length]);
  }

  const out: Image[] = data.map((d, i) => {
    const head = heads[i];
    head.data_type = dataTypeOf(d, complexOut);
    if (head.data_type === DataType.CXFLOAT || head.data_type === DataType.CXDOUBLE) head.image_type = ImageType.COMPLEX;
    if (rgb) {
      head.image_type = ImageType.RGB;
      head.channels = 3;
    }
    const meta = metas[i];
    meta.set('DataRole', 'Image');
    meta.set('ImageProcessingHistory', [...variant.history]);
    meta.set('WindowCenter', windowCenter);
    meta.set('WindowWidth', windowWidth);
    meta.set('SequenceDescriptionAdditional', variant.sequenceDescription);
    meta.set('Keep_image_geometry', 1);
    if (options === 'roi') {
      logger.info('Creating ROI_example');
      meta.set('ROI_example', createExampleRoi(ny, nx));
    }
    if (options === 'colormap') meta.set('LUTFileName', 'MicroDeltaHotMetal.pal');
    if (rgb) {
      meta.set('SequenceDescriptionAdditional', 'FIRE_RGB');
      meta.set('ImageProcessingHistory', [...variant.history, 'RGB']);
      meta.delete('WindowCenter');
      meta.delete('WindowWidth');
      meta.set('InternalSend', 1);
    }
    if (variant.filter) {
      if (filterSize > 0) meta.set('ImageComments', `Median filter size ${filterSize}`);
      const comments = getJsonConfigParam(config, 'comments', '');
      if (comments !== '') {
        const prev = meta.getAll('ImageComments');
        if (prev === undefined) meta.set('ImageComments', comments);
        else if (prev.length === 1) meta.set('ImageComments', `${prev[0]}\n${comments}`);
        else throw new Error('TypeError: can only concatenate list (not "str") to list (ImageComments has several values)');
      }
    }
    if (!meta.has('ImageRowDir')) meta.set('ImageRowDir', head.read_dir.map((v) => formatPythonFixed(v, 18)));
    if (!meta.has('ImageColumnDir')) meta.set('ImageColumnDir', head.phase_dir.map((v) => formatPythonFixed(v, 18)));
    return { head, attribute: serializeMeta(meta), data: d };
  });

  if (getJsonConfigParam(config, 'sendOriginal', false, 'bool') === true) {
    if (fromRaw) {
      logger.warning('sendOriginal is true, but input was raw data, so no original images to return!');
    } else {
      logger.info('Sending a copy of original unmodified images due to sendOriginal set to True');
      const originals = group.map((img) => {
        const meta = parseMeta(img.attribute);
        meta.set('Keep_image_geometry', 1);
        return { head: { ...cloneImageHeader(img.head), image_series_index: 99 }, attribute: serializeMeta(meta), data: img.data };
      });
      out.unshift(...originals);
    }
  }
  return out;
}

export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown): Promise<void> {
  await processContrast(connection, config, header, INVERTCONTRAST);
}
