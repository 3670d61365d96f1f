/**
 * The three MRD data objects as they travel and are stored: a header plus a typed-array payload.
 * Payloads may be views into a larger buffer (the stream decoder does not copy); callers that keep
 * an object beyond the buffer's life must `clone()` it.
 *
 * Layouts (C order, as the ISMRMRD libraries):
 * - Acquisition.data: complex64 [active_channels][number_of_samples], interleaved re/im in a
 *   Float32Array of length 2 * channels * samples.
 * - Acquisition.traj: float32 [number_of_samples][trajectory_dimensions].
 * - Image.data: [channels][z][y][x] of the type given by head.data_type; complex types are
 *   interleaved re/im (Float32Array for CXFLOAT, Float64Array for CXDOUBLE).
 * - Waveform.data: uint32 [channels][number_of_samples].
 */
import type { AcquisitionHeader, ImageHeader, WaveformHeader } from '../headers/types.js';

export type ImagePixels = Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface Acquisition {
  head: AcquisitionHeader;
  traj: Float32Array;
  data: Float32Array;
}

export interface Image {
  head: ImageHeader;
  /** The meta attribute XML text (`ismrmrdMeta`), '' when none. */
  attribute: string;
  data: ImagePixels;
}

export interface Waveform {
  head: WaveformHeader;
  data: Uint32Array;
}
