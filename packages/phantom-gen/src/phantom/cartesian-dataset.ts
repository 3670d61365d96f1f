/**
 * The Cartesian Shepp-Logan raw dataset of the reference generator
 * (`generate_cartesian_shepp_logan_dataset.py`, on ismrmrd-python-tools), optionally in the
 * undersampled layout of the ISMRMRD C++ tool (`ismrmrd_generate_cartesian_shepp_logan -a R -w W`).
 *
 * Physics: modified Shepp-Logan phantom x birdcage coil maps (relative radius 1.5, RSS
 * normalised), zero padded along the readout for oversampling, transformed by a centred
 * orthonormal 2-D FFT (`fftshift(fftn(ifftshift(img))) / sqrt(N)`) once; each repetition then
 * adds fresh complex Gaussian noise (real and imaginary parts of standard deviation
 * `noiseLevel`; one stream per pass and coil, ../readouts/fill.ts, so the imaging data can be
 * generated on the worker pool with the same bits). 32 noise readouts flagged
 * IS_NOISE_MEASUREMENT come first.
 *
 * Layouts:
 * - reference (default): per repetition, lines acc, acc+R, acc+2R, ... for acc = 0..R-1 (every
 *   line written); line 0 flagged FIRST_IN_ENCODE_STEP1/SLICE/REPETITION, line ny-1 the LAST
 *   ones; `repetition` counter = repetition.
 * - C++ undersampled (`calibrationWidth` given): per repetition r and pass a = 0..R-1, fresh
 *   noise, lines with (i - a) % R == 0 plus the central calibration region of W lines
 *   [ny/2 - W/2, ny/2 + W/2 - 1]; flags FIRST_IN_SLICE on line a, LAST_IN_SLICE on lines
 *   >= ny - R, IS_PARALLEL_CALIBRATION(_AND_IMAGING) in the calibration region, as the C++ tool;
 *   `repetition` counter = r * R + a.
 *
 * Header fields as the Python reference (version 1, available/active channels, center_sample =
 * round(nkx/2), unit read/phase/slice directions, scan_counter from 0). With `kCoordinates` the
 * imaging readouts carry the C++ tool's 2-D trajectory (kx, ky in cycles per FOV / matrix).
 *
 * The XML header is the reference's, corrected where it is wrong: the Python script sets
 * `limits.kspaceEncodingStep2` (a misspelling, silently dropped), so its header lacks the
 * `kspace_encoding_step_2` limit; ours has it.
 */
import { emptyAcquisitionHeader, type AcquisitionHeader } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { withFlag } from '@mrd-tools/core/headers';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { fftshift, ifftshift } from '@mrd-tools/recon-kernels/centred-fft';
import type { IsmrmrdHeader, Limit } from '@mrd-tools/core/xml-header';
import { sheppLoganPhantom } from './shepp-logan.js';
import { birdcageSensitivities } from './birdcage.js';
import { GaussianNoise } from './gaussian-noise.js';
import { asShared, sharedFloat32, splitRange, type ReconPool } from '@mrd-tools/recon-kernels/pool';
import { fillReadouts, type ReadoutFillTask } from '../readouts/fill.js';

export interface CartesianPhantomOptions {
  /** Image matrix (square), default 256. */
  matrixSize?: number;
  /** Receiver coils, default 8. */
  coils?: number;
  /** Readout oversampling factor, default 2. */
  oversampling?: number;
  /** Repetitions, default 1. */
  repetitions?: number;
  /** Acceleration (line interleaving / undersampling) factor, default 1. */
  acceleration?: number;
  /** Standard deviation of the real and imaginary noise, default 0.05. */
  noiseLevel?: number;
  /** Given: the C++ tool's undersampled layout with a calibration region of this many lines. */
  calibrationWidth?: number;
  /** Write the 32 noise readouts first (default true). */
  noiseCalibration?: boolean;
  /** Store k-space coordinates (2-D trajectory) with the imaging readouts (default false). */
  kCoordinates?: boolean;
  /** Noise seed; random when absent. */
  seed?: number;
}

export type ResolvedCartesianPhantomOptions = Required<Omit<CartesianPhantomOptions, 'calibrationWidth' | 'seed'>> & {
  calibrationWidth: number | undefined;
  seed: number;
};

/** Number of noise readouts the reference writes. */
export const PHANTOM_NOISE_READOUTS = 32;

/** Python's round() (half to even) for the values the reference rounds. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export function resolveCartesianPhantomOptions(o: CartesianPhantomOptions = {}): ResolvedCartesianPhantomOptions {
  const r: ResolvedCartesianPhantomOptions = {
    matrixSize: positiveInt('matrix size', o.matrixSize ?? 256, 2),
    coils: positiveInt('number of coils', o.coils ?? 8),
    oversampling: positiveInt('oversampling', o.oversampling ?? 2),
    repetitions: positiveInt('repetitions', o.repetitions ?? 1),
    acceleration: positiveInt('acceleration', o.acceleration ?? 1),
    noiseLevel: o.noiseLevel ?? 0.05,
    calibrationWidth: o.calibrationWidth === undefined ? undefined : positiveInt('calibration width', o.calibrationWidth, 0),
    noiseCalibration: o.noiseCalibration ?? true,
    kCoordinates: o.kCoordinates ?? false,
    seed: o.seed ?? new GaussianNoise().seed,
  };
  if (!(Number.isFinite(r.noiseLevel) && r.noiseLevel >= 0)) throw new RangeError(`noise level must be a finite number >= 0, got ${o.noiseLevel}`);
  if (r.acceleration > r.matrixSize) throw new RangeError(`acceleration ${r.acceleration} exceeds the matrix size ${r.matrixSize}`);
  if (r.coils > 65535 || r.matrixSize * r.oversampling > 65535 || r.matrixSize > 65536) {
    throw new RangeError('matrix size x oversampling and coils must fit the 16-bit header fields');
  }
  if (r.calibrationWidth !== undefined && r.calibrationWidth > r.matrixSize) {
    throw new RangeError(`calibration width ${r.calibrationWidth} exceeds the matrix size ${r.matrixSize}`);
  }
  const reps = r.calibrationWidth === undefined ? r.repetitions : r.repetitions * r.acceleration;
  if (reps > 65536) throw new RangeError('the repetition counter must fit 16 bits');
  return r;
}

/** One imaging line to write: its phase-encoding line, repetition counter, flags, noise pass. */
export interface PhantomLine {
  line: number;
  repetition: number;
  flags: bigint;
  /** Lines of one pass share the noise realisation of that pass (0, 1, ...). */
  pass: number;
}

function flagsOf(...ids: number[]): bigint {
  let f = 0n;
  for (const id of ids) f = withFlag(f, id);
  return f;
}

/** The imaging lines, in write order, for the options' layout. */
export function phantomLineOrder(o: ResolvedCartesianPhantomOptions): PhantomLine[] {
  const ny = o.matrixSize;
  const R = o.acceleration;
  const out: PhantomLine[] = [];
  if (o.calibrationWidth === undefined) {
    const first = flagsOf(AcquisitionFlag.FIRST_IN_ENCODE_STEP1, AcquisitionFlag.FIRST_IN_SLICE, AcquisitionFlag.FIRST_IN_REPETITION);
    const last = flagsOf(AcquisitionFlag.LAST_IN_ENCODE_STEP1, AcquisitionFlag.LAST_IN_SLICE, AcquisitionFlag.LAST_IN_REPETITION);
    for (let rep = 0; rep < o.repetitions; rep++) {
      for (let acc = 0; acc < R; acc++) {
        for (let line = acc; line < ny; line += R) {
          out.push({ line, repetition: rep, flags: line === 0 ? first : line === ny - 1 ? last : 0n, pass: rep });
        }
      }
    }
    return out;
  }
  const hw = Math.trunc(o.calibrationWidth / 2);
  const from = Math.trunc(ny / 2) - hw;
  const till = Math.trunc(ny / 2) + hw - 1;
  const firstInSlice = flagsOf(AcquisitionFlag.FIRST_IN_SLICE);
  const lastInSlice = flagsOf(AcquisitionFlag.LAST_IN_SLICE);
  const calib = flagsOf(AcquisitionFlag.IS_PARALLEL_CALIBRATION);
  const calibImaging = flagsOf(AcquisitionFlag.IS_PARALLEL_CALIBRATION_AND_IMAGING);
  let pass = 0;
  for (let r = 0; r < o.repetitions; r++) {
    for (let a = 0; a < R; a++, pass++) {
      for (let i = 0; i < ny; i++) {
        const inCalib = i >= from && i <= till;
        const off = (i - a) % R !== 0;
        if (off && !inCalib) continue;
        let flags = 0n;
        if (i === a) flags = firstInSlice;
        else if (i >= ny - R) flags = lastInSlice;
        else if (inCalib) flags = off ? calib : calibImaging;
        out.push({ line: i, repetition: r * R + a, flags, pass });
      }
    }
  }
  return out;
}

function limit(minimum: number, maximum: number, center: number): Limit {
  return { minimum, maximum, center };
}

/** The XML header model of the dataset (the reference's, with the kspace_encoding_step_2 limit). */
export function cartesianPhantomHeader(o: ResolvedCartesianPhantomOptions): IsmrmrdHeader {
  const nx = o.matrixSize;
  const ny = o.matrixSize;
  const nkx = o.oversampling * nx;
  const zero = () => limit(0, 0, 0);
  const cppLayout = o.calibrationWidth !== undefined;
  const repetitionLimit = cppLayout
    ? limit(0, o.repetitions * o.acceleration - 1, 0)
    : limit(0, o.repetitions - 1, roundHalfEven(o.repetitions / 2));
  const header: IsmrmrdHeader = {
    acquisitionSystemInformation: { receiverChannels: o.coils },
    experimentalConditions: { H1resonanceFrequency_Hz: 128000000 },
    encoding: [{
      encodedSpace: { matrixSize: { x: nkx, y: ny, z: 1 }, fieldOfView_mm: { x: o.oversampling * 256, y: 256, z: 5 } },
      reconSpace: { matrixSize: { x: nx, y: ny, z: 1 }, fieldOfView_mm: { x: 256, y: 256, z: 5 } },
      encodingLimits: {
        kspace_encoding_step_0: zero(),
        kspace_encoding_step_1: limit(0, ny - 1, roundHalfEven(ny / 2)),
        kspace_encoding_step_2: zero(),
        average: zero(),
        slice: zero(),
        contrast: zero(),
        phase: zero(),
        repetition: repetitionLimit,
        set: zero(),
        segment: zero(),
      },
      trajectory: 'cartesian',
    }],
    userParameters: {
      userParameterLong: [{ name: 'TestLong', value: 42 }],
      userParameterDouble: [{ name: 'TestDouble', value: 3.14159 }],
      userParameterString: [{ name: 'TestString', value: 'This is a test' }],
      userParameterBase64: [{ name: 'TestBase64', value: 'QWxsIHlvdXIgYmFzZSBhcmUgYmVsb25nIHRvIHVz' }],
    },
  };
  if (cppLayout && o.acceleration > 1) {
    header.encoding[0].parallelImaging = {
      accelerationFactor: { kspace_encoding_step_1: o.acceleration, kspace_encoding_step_2: 1 },
      calibrationMode: 'interleaved',
    };
  }
  return header;
}

/**
 * Which simulation: ismrmrd-python-tools' (v1 reference: linspace grid, RSS-normalised coil maps)
 * or MRD v2's `mrd.tools.simulation` (pixel grid `n >> 1`, coil maps not normalised).
 */
export type PhantomSimulation = 'ismrmrd-python-tools' | 'mrd-v2';

/**
 * Noise-free k-space of the coil images: complex64 [coil][ky][kx] with kx = oversampling * n,
 * centred orthonormal FFT of the zero-padded coil images.
 */
/** The simulation's intermediate images (complex64 interleaved, C order): phantom [n][n], coil maps [coil][n][n], zero-padded coil images [coil][n][nkx]. */
export interface PhantomSimulationImages {
  phantom: Float32Array;
  csm: Float32Array;
  coilImages: Float32Array;
}

export async function cartesianPhantomKspace(matrixSize: number, coils: number, oversampling: number, simulation: PhantomSimulation = 'ismrmrd-python-tools', capture?: (images: PhantomSimulationImages) => void): Promise<Float32Array> {
  const n = matrixSize;
  const nkx = oversampling * n;
  const v2 = simulation === 'mrd-v2';
  const phantom = v2 ? sheppLoganPhantom(n, undefined, 'pixel') : sheppLoganPhantom(n);
  const csm = v2 ? birdcageSensitivities(n, coils, { normalize: false, integerHalf: true }) : birdcageSensitivities(n, coils);
  const pad = Math.floor((nkx - n) / 2);
  // coil images, complex64 * float32 products as numpy, zero padded along x
  const img = new Float32Array(2 * coils * n * nkx);
  for (let c = 0; c < coils; c++) {
    for (let y = 0; y < n; y++) {
      const src = c * n * n + y * n;
      const dst = (c * n + y) * nkx + pad;
      for (let x = 0; x < n; x++) {
        const p = phantom[y * n + x];
        img[2 * (dst + x)] = csm[2 * (src + x)] * p;
        img[2 * (dst + x) + 1] = csm[2 * (src + x) + 1] * p;
      }
    }
  }
  if (capture) {
    const ph = new Float32Array(2 * n * n);
    for (let k = 0; k < n * n; k++) ph[2 * k] = phantom[k]!;
    capture({ phantom: ph, csm, coilImages: img });
  }
  const shape = [coils, n, nkx];
  const shifted = ifftshift(img, shape, [1, 2], 2);
  const engine = await getFftEngine();
  engine.fftn(shifted, shape, [1, 2], false);
  const k = fftshift(shifted, shape, [1, 2], 2);
  const scale = 1 / Math.sqrt(n * nkx);
  for (let i = 0; i < k.length; i++) k[i] *= scale;
  return k;
}

/** The acquisition header shared by every readout (as the reference's reused Acquisition). */
function baseHeader(o: ResolvedCartesianPhantomOptions): AcquisitionHeader {
  const nkx = o.oversampling * o.matrixSize;
  const h = emptyAcquisitionHeader();
  h.version = 1;
  h.number_of_samples = nkx;
  h.available_channels = o.coils;
  h.active_channels = o.coils;
  h.center_sample = roundHalfEven(nkx / 2);
  h.read_dir = [1, 0, 0];
  h.phase_dir = [0, 1, 0];
  h.slice_dir = [0, 0, 1];
  return h;
}

function cloneHeader(h: AcquisitionHeader): AcquisitionHeader {
  return {
    ...h,
    physiology_time_stamp: [...h.physiology_time_stamp],
    channel_mask: [...h.channel_mask],
    position: [...h.position],
    read_dir: [...h.read_dir],
    phase_dir: [...h.phase_dir],
    slice_dir: [...h.slice_dir],
    patient_table_position: [...h.patient_table_position],
    idx: { ...h.idx, user: [...h.idx.user] },
    user_int: [...h.user_int],
    user_float: [...h.user_float],
  };
}

/**
 * A generated dataset: the header model and the readouts, produced in batches (so that a
 * large dataset never needs to be in memory at once).
 */
export class CartesianPhantomDataset {
  readonly options: ResolvedCartesianPhantomOptions;
  readonly header: IsmrmrdHeader;
  readonly lines: PhantomLine[];
  private readonly kspace: Float32Array;

  private constructor(options: ResolvedCartesianPhantomOptions, kspace: Float32Array) {
    this.options = options;
    this.kspace = kspace;
    this.header = cartesianPhantomHeader(options);
    this.lines = phantomLineOrder(options);
  }

  static async create(options: CartesianPhantomOptions = {}): Promise<CartesianPhantomDataset> {
    const o = resolveCartesianPhantomOptions(options);
    const k = await cartesianPhantomKspace(o.matrixSize, o.coils, o.oversampling);
    return new CartesianPhantomDataset(o, k);
  }

  /** Number of readouts (noise + imaging). */
  get count(): number {
    return (this.options.noiseCalibration ? PHANTOM_NOISE_READOUTS : 0) + this.lines.length;
  }

  /** The noise-free k-space, complex64 [coil][ky][kx]. */
  get noiseFreeKspace(): Float32Array {
    return this.kspace;
  }

  /**
   * All readouts in write order, `batchSize` at a time (a batch never spans two chunks of
   * passes), generated on this thread. Each chunk's payloads share one freshly allocated buffer
   * (the caller may keep them).
   */
  *acquisitions(batchSize = 256): Generator<Acquisition[]> {
    yield* this.noiseAcquisitions(batchSize);
    for (const chunk of this.chunks()) {
      const out = new Float32Array(chunk.readouts * this.perReadout);
      fillReadouts(this.fillTask(chunk, this.kspace, out, 0, chunk.units));
      yield* this.imagingAcquisitions(chunk, out, batchSize);
    }
  }

  /**
   * The same readouts, the same bits, with the imaging data generated on `pool` (null: this
   * thread), split over passes and coils (units of one pass and one coil), on shared memory:
   * the noise-free k-space is shared once, each chunk's output is one shared buffer the workers
   * write in place. The next chunk is generated while the caller writes the current one.
   */
  async *acquisitionsAsync(pool: ReconPool | null, batchSize = 256): AsyncGenerator<Acquisition[]> {
    if (pool === null) {
      yield* this.acquisitions(batchSize);
      return;
    }
    yield* this.noiseAcquisitions(batchSize);
    const kspace = asShared(this.kspace);
    const start = (chunk: PassChunk): { chunk: PassChunk; out: Float32Array; done: Promise<void> } => {
      const out = sharedFloat32(chunk.readouts * this.perReadout);
      const tasks = splitRange(chunk.units, pool.threads).map(([u0, u1]) => this.fillTask(chunk, kspace, out, u0, u1));
      const done = pool.runAll(tasks);
      done.catch(() => undefined); // awaited below; a consumer that stops early leaves it settled
      return { chunk, out, done };
    };
    const chunks = this.chunks();
    let next = chunks.length > 0 ? start(chunks[0]) : null;
    for (let i = 0; next !== null; i++) {
      const current = next;
      await current.done;
      next = i + 1 < chunks.length ? start(chunks[i + 1]) : null;
      yield* this.imagingAcquisitions(current.chunk, current.out, batchSize);
    }
  }

  /** Floats of one readout's data. */
  private get perReadout(): number {
    return 2 * this.options.coils * this.options.oversampling * this.options.matrixSize;
  }

  /** The imaging lines in chunks of whole passes, about CHUNK_FLOATS floats each (at least one pass). */
  private chunks(): PassChunk[] {
    const lines = this.lines;
    const perChunk = Math.max(1, Math.floor(CHUNK_FLOATS / this.perReadout));
    const out: PassChunk[] = [];
    let i = 0;
    while (i < lines.length) {
      const first = i, firstPass = lines[i].pass;
      const starts = [0];
      while (i < lines.length) {
        const pass = lines[i];
        let end = i;
        while (end < lines.length && lines[end].pass === pass.pass) end++;
        if (starts.length > 1 && end - first > perChunk) break;
        i = end;
        starts.push(end - first);
      }
      const passes = starts.length - 1;
      out.push({ first, readouts: i - first, firstPass, passStarts: Int32Array.from(starts), units: passes * this.options.coils });
    }
    return out;
  }

  private fillTask(chunk: PassChunk, kspace: Float32Array, out: Float32Array, u0: number, u1: number): ReadoutFillTask {
    const o = this.options;
    const lines = new Int32Array(chunk.readouts);
    for (let r = 0; r < chunk.readouts; r++) lines[r] = this.lines[chunk.first + r].line;
    return {
      kind: 'phantom-readouts', kspace, out, lines, passStarts: chunk.passStarts, firstPass: chunk.firstPass,
      coils: o.coils, ny: o.matrixSize, nkx: o.oversampling * o.matrixSize, sigma: o.noiseLevel, seed: o.seed, u0, u1,
    };
  }

  /** The 32 noise readouts (when written), from the seed's own generator. */
  private *noiseAcquisitions(batchSize: number): Generator<Acquisition[]> {
    const o = this.options;
    if (!o.noiseCalibration) return;
    const noise = new GaussianNoise(o.seed);
    const base = baseHeader(o);
    const buf = new Float32Array(PHANTOM_NOISE_READOUTS * this.perReadout);
    let batch: Acquisition[] = [];
    for (let n = 0; n < PHANTOM_NOISE_READOUTS; n++) {
      const data = buf.subarray(n * this.perReadout, (n + 1) * this.perReadout);
      if (o.noiseLevel > 0) noise.fill(data, o.noiseLevel);
      const head = cloneHeader(base);
      head.scan_counter = n;
      head.flags = flagsOf(AcquisitionFlag.IS_NOISE_MEASUREMENT);
      batch.push({ head, traj: new Float32Array(0), data });
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** A chunk's imaging readouts (data: `out`, filled) with their headers and trajectories. */
  private *imagingAcquisitions(chunk: PassChunk, out: Float32Array, batchSize: number): Generator<Acquisition[]> {
    const o = this.options;
    const nkx = o.oversampling * o.matrixSize;
    const ny = o.matrixSize;
    const base = baseHeader(o);
    const emptyTraj = new Float32Array(0);
    const f = Math.fround;
    // Trajectory per line (C++ tool formula, float32 arithmetic).
    const kxs = new Float32Array(nkx);
    for (let x = 0; x < nkx; x++) kxs[x] = f(f(f(x) - (nkx >> 1)) / f(nkx));
    let counter = (o.noiseCalibration ? PHANTOM_NOISE_READOUTS : 0) + chunk.first;
    let batch: Acquisition[] = [];
    for (let r = 0; r < chunk.readouts; r++) {
      const L = this.lines[chunk.first + r];
      const data = out.subarray(r * this.perReadout, (r + 1) * this.perReadout);
      const head = cloneHeader(base);
      head.scan_counter = counter++;
      head.flags = L.flags;
      head.idx.kspace_encode_step_1 = L.line;
      head.idx.repetition = L.repetition;
      let traj = emptyTraj;
      if (o.kCoordinates) {
        head.trajectory_dimensions = 2;
        traj = new Float32Array(2 * nkx);
        const ky = f(f(f(L.line) - (ny >> 1)) / f(ny));
        for (let x = 0; x < nkx; x++) {
          traj[2 * x] = kxs[x];
          traj[2 * x + 1] = ky;
        }
      }
      batch.push({ head, traj, data });
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
}

/** Floats of imaging data generated at once (a chunk of whole passes; 16 MB). */
const CHUNK_FLOATS = 1 << 22;

/** Whole passes of imaging readouts generated together. */
interface PassChunk {
  /** index of the chunk's first readout among the imaging lines */
  first: number;
  readouts: number;
  firstPass: number;
  /** chunk-relative first readout of each pass, and the end */
  passStarts: Int32Array;
  /** (pass, coil) units: passes x coils */
  units: number;
}
