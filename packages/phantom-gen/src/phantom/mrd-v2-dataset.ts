/**
 * The Cartesian phantom of MRD v2's `mrd.tools.phantom` (ismrmrd/mrd 2.2.1, python/mrd/tools):
 * the same header, readout order, flags and acquisition headers, and the same simulation
 * (`mrd.tools.simulation`: modified Shepp-Logan on the pixel grid `(i - (n >> 1)) / (n >> 1)`,
 * birdcage maps at relative radius 1.5 not normalised, zero padding along the readout, centred
 * orthonormal 2-D FFT), as an MRD v2 Header and a generator of StreamItem acquisitions.
 *
 * Layout (upstream's "T-SENSE type" scan): optional 32 noise readouts (IS_NOISE_MEASUREMENT)
 * first; then per repetition r the lines with `(line - r % R) % R == 0` plus the central
 * calibration region of W lines starting at `ny / 2 - W / 2`, flagged as upstream does. Each
 * repetition has fresh complex Gaussian noise (our seeded generator: upstream's is numpy's,
 * unseeded, so only noise-free runs can be compared value for value).
 */
import type { Acquisition, AcquisitionHeader, Header, StreamItem } from '@mrd-tools/core/mrd-v2';
import { ACQUISITION_FLAGS } from '@mrd-tools/core/mrd-v2';
import { cartesianPhantomKspace, roundHalfEven, type PhantomSimulationImages } from './cartesian-dataset.js';
import { GaussianNoise } from './gaussian-noise.js';

export interface MrdV2PhantomOptions {
  /** Image matrix (square), default 256. */
  matrixSize?: number;
  /** Receiver coils, default 8. */
  coils?: number;
  /** Repetitions, default 1. */
  repetitions?: number;
  /** Acceleration, default 1 (every line). */
  acceleration?: number;
  /** Readout oversampling, default 2. */
  oversampling?: number;
  /** Standard deviation of the real and imaginary noise, default 0.05. */
  noiseLevel?: number;
  /** Fully sampled central lines, default 0. */
  calibrationWidth?: number;
  /** 32 noise readouts first (default false, as upstream). */
  noiseCalibration?: boolean;
  /** Store the 2-D k-space coordinates with each readout (default false). */
  storeCoordinates?: boolean;
  /** Noise seed; random when absent. */
  seed?: number;
}

export type ResolvedMrdV2PhantomOptions = Required<Omit<MrdV2PhantomOptions, 'seed'>> & { seed: number };

const NOISE_READOUTS = 32;

function int(name: string, v: number, min: number, max = 65535): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

export function resolveMrdV2PhantomOptions(o: MrdV2PhantomOptions = {}): ResolvedMrdV2PhantomOptions {
  const r: ResolvedMrdV2PhantomOptions = {
    matrixSize: int('matrix size', o.matrixSize ?? 256, 2),
    coils: int('number of coils', o.coils ?? 8, 1),
    repetitions: int('repetitions', o.repetitions ?? 1, 1, 2 ** 31),
    acceleration: int('acceleration', o.acceleration ?? 1, 1),
    oversampling: int('oversampling', o.oversampling ?? 2, 1),
    noiseLevel: o.noiseLevel ?? 0.05,
    calibrationWidth: int('calibration width', o.calibrationWidth ?? 0, 0),
    noiseCalibration: o.noiseCalibration ?? false,
    storeCoordinates: o.storeCoordinates ?? false,
    seed: o.seed ?? new GaussianNoise().seed,
  };
  if (!(Number.isFinite(r.noiseLevel) && r.noiseLevel >= 0)) throw new RangeError(`noise level must be a finite number >= 0, got ${o.noiseLevel}`);
  if (r.acceleration > r.matrixSize) throw new RangeError(`acceleration ${r.acceleration} exceeds the matrix size ${r.matrixSize}`);
  if (r.calibrationWidth > r.matrixSize) throw new RangeError(`calibration width ${r.calibrationWidth} exceeds the matrix size ${r.matrixSize}`);
  // Upstream pads round((s - 1) * n / 2) samples on each side and then fails on a width other than s * n.
  if (((r.oversampling - 1) * r.matrixSize) % 2 !== 0) throw new RangeError(`oversampling ${r.oversampling} x matrix size ${r.matrixSize}: the padding (s - 1) * n must be even (upstream fails there too)`);
  return r;
}

/** The MRD v2 header upstream's phantom writes. */
export function mrdV2PhantomHeader(o: ResolvedMrdV2PhantomOptions): Header {
  const nx = o.matrixSize;
  const ny = o.matrixSize;
  const fov = 300;
  const sliceThickness = 5;
  const header: Header = {
    subjectInformation: { patientName: 'John Doe', patientID: '1234BGVF' },
    measurementInformation: { patientPosition: 'hFS', measurementDependency: [] },
    acquisitionSystemInformation: {
      receiverChannels: o.coils,
      coilLabel: Array.from({ length: o.coils }, (_, c) => ({ coilNumber: c, coilName: `Channel ${c}` })),
    },
    experimentalConditions: { h1resonanceFrequencyHz: 128000000n },
    encoding: [{
      encodedSpace: { matrixSize: { x: o.oversampling * nx, y: ny, z: 1 }, fieldOfViewMm: { x: o.oversampling * fov, y: fov, z: sliceThickness } },
      reconSpace: { matrixSize: { x: nx, y: ny, z: 1 }, fieldOfViewMm: { x: fov, y: fov, z: sliceThickness } },
      encodingLimits: {
        kspaceEncodingStep1: { minimum: 0, maximum: ny - 1, center: roundHalfEven(ny / 2) },
        repetition: { minimum: 0, maximum: o.repetitions - 1, center: roundHalfEven(o.repetitions / 2) },
      },
      trajectory: 'cartesian',
    }],
    waveformInformation: [],
  };
  if (o.acceleration > 1) {
    header.encoding[0]!.parallelImaging = {
      accelerationFactor: { kspaceEncodingStep1: o.acceleration, kspaceEncodingStep2: 1 },
      calibrationMode: 'embedded',
    };
  }
  return header;
}

/** One imaging readout: its line, repetition and flags. */
export interface MrdV2PhantomLine {
  line: number;
  repetition: number;
  flags: bigint;
}

/** The imaging readouts in write order (upstream's loop). */
export function mrdV2PhantomLines(o: ResolvedMrdV2PhantomOptions): MrdV2PhantomLine[] {
  const ny = o.matrixSize;
  const R = o.acceleration;
  const W = o.calibrationWidth;
  const F = ACQUISITION_FLAGS;
  const calibStart = Math.floor(ny / 2) - Math.floor(W / 2);
  const out: MrdV2PhantomLine[] = [];
  for (let r = 0; r < o.repetitions; r++) {
    const a = r % R;
    for (let line = 0; line < ny; line++) {
      const sampled = (line - a) % R === 0;
      const inCalib = line >= calibStart && line < calibStart + W;
      if (!sampled && !inCalib) continue;
      let flags = 0n;
      if (line === a) flags = F.firstInEncodeStep1 | F.firstInSlice | F.firstInRepetition;
      else if (line >= ny - R) flags = F.lastInEncodeStep1 | F.lastInSlice | F.lastInRepetition;
      else if (inCalib) flags = sampled ? F.isParallelCalibrationAndImaging : F.isParallelCalibration;
      out.push({ line, repetition: r, flags });
    }
  }
  return out;
}

function acquisitionHeader(o: ResolvedMrdV2PhantomOptions, scanCounter: number, flags: bigint): AcquisitionHeader {
  return {
    flags,
    idx: { user: [] },
    measurementUid: 0,
    scanCounter,
    physiologyTimeStampNs: [],
    channelOrder: Array.from({ length: o.coils }, (_, i) => i),
    centerSample: roundHalfEven((o.oversampling * o.matrixSize) / 2),
    encodingSpaceRef: 0,
    sampleTimeNs: 5000n,
    position: [0, 0, 0],
    readDir: [1, 0, 0],
    phaseDir: [0, 1, 0],
    sliceDir: [0, 0, 1],
    patientTablePosition: [0, 0, 0],
    userInt: [],
    userFloat: [],
  };
}

/** The dataset: header and readouts (generated one at a time, so any size streams). */
export class MrdV2PhantomDataset {
  readonly header: Header;
  readonly lines: MrdV2PhantomLine[];

  private constructor(readonly options: ResolvedMrdV2PhantomOptions, private readonly kspace: Float32Array, private readonly images: PhantomSimulationImages) {
    this.header = mrdV2PhantomHeader(options);
    this.lines = mrdV2PhantomLines(options);
  }

  static async create(options: MrdV2PhantomOptions = {}): Promise<MrdV2PhantomDataset> {
    const o = resolveMrdV2PhantomOptions(options);
    let images: PhantomSimulationImages | undefined;
    const k = await cartesianPhantomKspace(o.matrixSize, o.coils, o.oversampling, 'mrd-v2', (i) => (images = i));
    return new MrdV2PhantomDataset(o, k, images!);
  }

  /**
   * The simulation's arrays as upstream's --output-phantom / --output-csm / --output-coils write
   * them (one ArrayComplexFloat each): phantom [1, 1, n, n], coil maps [coils, 1, n, n], coil
   * images zero-padded along the readout [coils, 1, n, oversampling * n].
   */
  simulationArray(which: 'phantom' | 'csm' | 'coils'): StreamItem {
    const o = this.options;
    const n = o.matrixSize;
    if (which === 'phantom') return { type: 'arrayComplexFloat', value: { shape: [1, 1, n, n], data: this.images.phantom } };
    if (which === 'csm') return { type: 'arrayComplexFloat', value: { shape: [o.coils, 1, n, n], data: this.images.csm } };
    return { type: 'arrayComplexFloat', value: { shape: [o.coils, 1, n, o.oversampling * n], data: this.images.coilImages } };
  }

  /** Number of readouts (noise + imaging). */
  get count(): number {
    return (this.options.noiseCalibration ? NOISE_READOUTS : 0) + this.lines.length;
  }

  /** All readouts in write order; each has its own arrays (the caller may keep them). */
  *items(): Generator<StreamItem> {
    const o = this.options;
    const nkx = o.oversampling * o.matrixSize;
    const ny = o.matrixSize;
    const nc = o.coils;
    const noise = new GaussianNoise(o.seed);
    const sigma = o.noiseLevel;
    const noTrajectory = () => ({ shape: [0, 0], data: new Float32Array(0) });
    let counter = 0;
    if (o.noiseCalibration) {
      for (let n = 0; n < NOISE_READOUTS; n++) {
        const data = new Float32Array(2 * nc * nkx);
        if (sigma > 0) noise.fill(data, sigma);
        const acq: Acquisition = {
          head: acquisitionHeader(o, counter++, ACQUISITION_FLAGS.isNoiseMeasurement),
          data: { shape: [nc, nkx], data },
          trajectory: noTrajectory(),
        };
        yield { type: 'acquisition', value: acq };
      }
    }
    // Upstream computes the coordinates in double precision and stores them as float32.
    const kx = new Float32Array(nkx);
    for (let x = 0; x < nkx; x++) kx[x] = (x - nkx / 2) / nkx;
    const k = this.kspace;
    for (const L of this.lines) {
      const data = new Float32Array(2 * nc * nkx);
      for (let c = 0; c < nc; c++) {
        const src = 2 * (c * ny + L.line) * nkx;
        data.set(k.subarray(src, src + 2 * nkx), 2 * c * nkx);
      }
      if (sigma > 0) noise.fill(data, sigma, 0, data.length, true);
      const head = acquisitionHeader(o, counter++, L.flags);
      head.idx = { kspaceEncodeStep1: L.line, slice: 0, repetition: L.repetition, user: [] };
      let trajectory = noTrajectory();
      if (o.storeCoordinates) {
        const t = new Float32Array(2 * nkx);
        t.set(kx, 0);
        t.fill((L.line - ny / 2) / ny, nkx);
        trajectory = { shape: [2, nkx], data: t };
      }
      yield { type: 'acquisition', value: { head, data: { shape: [nc, nkx], data }, trajectory } };
    }
  }
}
