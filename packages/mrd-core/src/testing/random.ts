/**
 * Seeded random values for tests, so a failure reproduces from its seed: the mulberry32 PRNG,
 * random values over the whole range of each MRD header field type, random headers with every
 * field set, and random image pixels of each MRD data type.
 */
import type { AcquisitionHeader, ImageHeader, WaveformHeader } from '../headers/types.js';
import type { ImagePixels } from '../messages/types.js';

/** mulberry32: a small seeded PRNG giving numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomFieldsOptions {
  /**
   * How `f32()` spreads its values: a number `s` gives uniform values in (-s/2, s/2); `'wide'`
   * (the default) multiplies by 10^e with e uniform in -10..9, so values of very different
   * magnitudes appear.
   */
  f32?: number | 'wide';
}

/** Random values of the MRD header field types, drawn from one seeded source. */
export class RandomFields {
  readonly next: () => number;
  private readonly f32Scale: number | 'wide';

  constructor(source: number | (() => number), options: RandomFieldsOptions = {}) {
    this.next = typeof source === 'number' ? mulberry32(source) : source;
    this.f32Scale = options.f32 ?? 'wide';
  }

  /** An integer in [0, n). */
  int = (n: number): number => Math.floor(this.next() * n);
  u16 = (): number => this.int(65536);
  u32 = (): number => this.int(4294967296);
  i32 = (): number => this.int(4294967296) - 2147483648;
  u64 = (): bigint => (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  /** A float32-representable number, spread as the options say. */
  f32 = (): number => {
    const s = this.f32Scale;
    return Math.fround((this.next() - 0.5) * (s === 'wide' ? 10 ** Math.floor(this.next() * 20 - 10) : s));
  };
  arr = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
}

/** An acquisition header with every field random over its range, then `fixed` laid over it. */
export function randomAcquisitionHeader(g: RandomFields, fixed: Partial<AcquisitionHeader> = {}): AcquisitionHeader {
  const { u16, u32, i32, u64, f32, arr } = g;
  return {
    version: u16(), flags: u64(), measurement_uid: u32(), scan_counter: u32(), acquisition_time_stamp: u32(),
    physiology_time_stamp: arr(3, u32), number_of_samples: u16(), available_channels: u16(), active_channels: u16(),
    channel_mask: arr(16, u64), discard_pre: u16(), discard_post: u16(), center_sample: u16(), encoding_space_ref: u16(),
    trajectory_dimensions: u16(), sample_time_us: f32(), position: arr(3, f32), read_dir: arr(3, f32), phase_dir: arr(3, f32),
    slice_dir: arr(3, f32), patient_table_position: arr(3, f32),
    idx: {
      kspace_encode_step_1: u16(), kspace_encode_step_2: u16(), average: u16(), slice: u16(), contrast: u16(), phase: u16(),
      repetition: u16(), set: u16(), segment: u16(), user: arr(8, u16),
    },
    user_int: arr(8, i32), user_float: arr(8, f32),
    ...fixed,
  };
}

/** An image header with every field random over its range, then `fixed` laid over it. */
export function randomImageHeader(g: RandomFields, fixed: Partial<ImageHeader> = {}): ImageHeader {
  const { u16, u32, i32, u64, f32, arr } = g;
  return {
    version: u16(), data_type: u16(), flags: u64(), measurement_uid: u32(), matrix_size: arr(3, u16), field_of_view: arr(3, f32),
    channels: u16(), position: arr(3, f32), read_dir: arr(3, f32), phase_dir: arr(3, f32), slice_dir: arr(3, f32),
    patient_table_position: arr(3, f32), average: u16(), slice: u16(), contrast: u16(), phase: u16(), repetition: u16(), set: u16(),
    acquisition_time_stamp: u32(), physiology_time_stamp: arr(3, u32), image_type: u16(), image_index: u16(),
    image_series_index: u16(), user_int: arr(8, i32), user_float: arr(8, f32), attribute_string_len: u32(),
    ...fixed,
  };
}

/** A waveform header with every field random over its range, then `fixed` laid over it. */
export function randomWaveformHeader(g: RandomFields, fixed: Partial<WaveformHeader> = {}): WaveformHeader {
  const { u16, u32, u64, f32 } = g;
  return {
    version: u16(), flags: u64(), measurement_uid: u32(), scan_counter: u32(), time_stamp: u32(), number_of_samples: u16(),
    channels: u16(), sample_time_us: f32(), waveform_id: u16(),
    ...fixed,
  };
}

/**
 * `n` random pixels of MRD data type `dataType` (1 USHORT .. 8 CXDOUBLE; complex types give 2n
 * numbers). DOUBLE pixels reach 1e300, beyond float32.
 */
export function randomImagePixels(g: RandomFields, dataType: number, n: number): ImagePixels {
  const { u16, u32, i32, f32, arr, next } = g;
  switch (dataType) {
    case 1: return Uint16Array.from(arr(n, u16));
    case 2: return Int16Array.from(arr(n, () => u16() - 32768));
    case 3: return Uint32Array.from(arr(n, u32));
    case 4: return Int32Array.from(arr(n, i32));
    case 5: return Float32Array.from(arr(n, f32));
    case 6: return Float64Array.from(arr(n, () => (next() - 0.5) * 1e300));
    case 7: return Float32Array.from(arr(2 * n, f32));
    case 8: return Float64Array.from(arr(2 * n, () => next() - 0.5));
    default: throw new Error(`randomImagePixels: no MRD data type ${dataType}`);
  }
}
