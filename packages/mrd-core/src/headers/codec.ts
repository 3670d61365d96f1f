/**
 * Byte-exact binary codecs of the ISMRMRD header records (little endian, layouts of
 * `include/ismrmrd/ismrmrd.h` and `waveform.h`, pinned by their static_asserts):
 * - AcquisitionHeader: 340 bytes packed (#pragma pack(2)).
 * - ImageHeader: 198 bytes packed.
 * - WaveformHeader: 40 bytes natural alignment: version @0, 6 padding bytes, flags @8,
 *   measurement_uid @16, scan_counter @20, time_stamp @24, number_of_samples @28, channels @30,
 *   sample_time_us @32, waveform_id @36, 2 padding bytes. Padding is written as zeros (as the C
 *   library's memset-initialised structs, and as every reference stream carries it) and ignored on
 *   reading.
 * - EncodingCounters: 34 bytes.
 *
 * Hand-written on DataView: the layouts are fixed C structs and the codecs sit on the hot path
 * of the stream decoder (one header per readout), where a generic struct library costs too much.
 */
import {
  ACQUISITION_HEADER_SIZE,
  IMAGE_HEADER_SIZE,
  WAVEFORM_HEADER_SIZE,
  type AcquisitionHeader,
  type EncodingCounters,
  type ImageHeader,
  type WaveformHeader,
} from './types.js';

export const ENCODING_COUNTERS_SIZE = 34;

function u16s(v: DataView, o: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = v.getUint16(o + 2 * i, true);
  return a;
}
function u32s(v: DataView, o: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = v.getUint32(o + 4 * i, true);
  return a;
}
function i32s(v: DataView, o: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = v.getInt32(o + 4 * i, true);
  return a;
}
function f32s(v: DataView, o: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = v.getFloat32(o + 4 * i, true);
  return a;
}
function f32x3(v: DataView, o: number): number[] {
  return [v.getFloat32(o, true), v.getFloat32(o + 4, true), v.getFloat32(o + 8, true)];
}

function putU16s(v: DataView, o: number, a: readonly number[], n: number): void {
  for (let i = 0; i < n; i++) v.setUint16(o + 2 * i, a[i] ?? 0, true);
}
function putU32s(v: DataView, o: number, a: readonly number[], n: number): void {
  for (let i = 0; i < n; i++) v.setUint32(o + 4 * i, a[i] ?? 0, true);
}
function putI32s(v: DataView, o: number, a: readonly number[], n: number): void {
  for (let i = 0; i < n; i++) v.setInt32(o + 4 * i, a[i] ?? 0, true);
}
function putF32s(v: DataView, o: number, a: readonly number[], n: number): void {
  for (let i = 0; i < n; i++) v.setFloat32(o + 4 * i, a[i] ?? 0, true);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function need(view: DataView, offset: number, size: number, what: string): void {
  if (offset < 0 || offset + size > view.byteLength) {
    throw new RangeError(`${what}: needs ${size} bytes at offset ${offset}, have ${view.byteLength - offset}`);
  }
}

// ---------------------------------------------------------------- EncodingCounters (34 bytes)

export function readEncodingCounters(v: DataView, o = 0): EncodingCounters {
  return {
    kspace_encode_step_1: v.getUint16(o, true),
    kspace_encode_step_2: v.getUint16(o + 2, true),
    average: v.getUint16(o + 4, true),
    slice: v.getUint16(o + 6, true),
    contrast: v.getUint16(o + 8, true),
    phase: v.getUint16(o + 10, true),
    repetition: v.getUint16(o + 12, true),
    set: v.getUint16(o + 14, true),
    segment: v.getUint16(o + 16, true),
    user: u16s(v, o + 18, 8),
  };
}

export function writeEncodingCounters(c: EncodingCounters, v: DataView, o = 0): void {
  v.setUint16(o, c.kspace_encode_step_1, true);
  v.setUint16(o + 2, c.kspace_encode_step_2, true);
  v.setUint16(o + 4, c.average, true);
  v.setUint16(o + 6, c.slice, true);
  v.setUint16(o + 8, c.contrast, true);
  v.setUint16(o + 10, c.phase, true);
  v.setUint16(o + 12, c.repetition, true);
  v.setUint16(o + 14, c.set, true);
  v.setUint16(o + 16, c.segment, true);
  putU16s(v, o + 18, c.user, 8);
}

// ---------------------------------------------------------------- AcquisitionHeader (340 bytes)

/** A u64 as bigint; zero words (most channel_mask words) reuse the 0n constant instead of allocating. */
function u64(v: DataView, o: number): bigint {
  return v.getUint32(o, true) === 0 && v.getUint32(o + 4, true) === 0 ? 0n : v.getBigUint64(o, true);
}

/** Reads an AcquisitionHeader at `o` of `v` (no bounds check beyond DataView's own). */
export function readAcquisitionHeader(v: DataView, o = 0): AcquisitionHeader {
  const channel_mask = new Array<bigint>(16);
  for (let i = 0; i < 16; i++) channel_mask[i] = u64(v, o + 40 + 8 * i);
  return {
    version: v.getUint16(o, true),
    flags: u64(v, o + 2),
    measurement_uid: v.getUint32(o + 10, true),
    scan_counter: v.getUint32(o + 14, true),
    acquisition_time_stamp: v.getUint32(o + 18, true),
    physiology_time_stamp: u32s(v, o + 22, 3),
    number_of_samples: v.getUint16(o + 34, true),
    available_channels: v.getUint16(o + 36, true),
    active_channels: v.getUint16(o + 38, true),
    channel_mask,
    discard_pre: v.getUint16(o + 168, true),
    discard_post: v.getUint16(o + 170, true),
    center_sample: v.getUint16(o + 172, true),
    encoding_space_ref: v.getUint16(o + 174, true),
    trajectory_dimensions: v.getUint16(o + 176, true),
    sample_time_us: v.getFloat32(o + 178, true),
    position: f32x3(v, o + 182),
    read_dir: f32x3(v, o + 194),
    phase_dir: f32x3(v, o + 206),
    slice_dir: f32x3(v, o + 218),
    patient_table_position: f32x3(v, o + 230),
    idx: readEncodingCounters(v, o + 242),
    user_int: i32s(v, o + 276, 8),
    user_float: f32s(v, o + 308, 8),
  };
}

export function writeAcquisitionHeader(h: AcquisitionHeader, v: DataView, o = 0): void {
  v.setUint16(o, h.version, true);
  v.setBigUint64(o + 2, BigInt.asUintN(64, h.flags), true);
  v.setUint32(o + 10, h.measurement_uid, true);
  v.setUint32(o + 14, h.scan_counter, true);
  v.setUint32(o + 18, h.acquisition_time_stamp, true);
  putU32s(v, o + 22, h.physiology_time_stamp, 3);
  v.setUint16(o + 34, h.number_of_samples, true);
  v.setUint16(o + 36, h.available_channels, true);
  v.setUint16(o + 38, h.active_channels, true);
  for (let i = 0; i < 16; i++) v.setBigUint64(o + 40 + 8 * i, BigInt.asUintN(64, h.channel_mask[i] ?? 0n), true);
  v.setUint16(o + 168, h.discard_pre, true);
  v.setUint16(o + 170, h.discard_post, true);
  v.setUint16(o + 172, h.center_sample, true);
  v.setUint16(o + 174, h.encoding_space_ref, true);
  v.setUint16(o + 176, h.trajectory_dimensions, true);
  v.setFloat32(o + 178, h.sample_time_us, true);
  putF32s(v, o + 182, h.position, 3);
  putF32s(v, o + 194, h.read_dir, 3);
  putF32s(v, o + 206, h.phase_dir, 3);
  putF32s(v, o + 218, h.slice_dir, 3);
  putF32s(v, o + 230, h.patient_table_position, 3);
  writeEncodingCounters(h.idx, v, o + 242);
  putI32s(v, o + 276, h.user_int, 8);
  putF32s(v, o + 308, h.user_float, 8);
}

/** Decodes the 340 header bytes starting at `offset` of `bytes`. */
export function decodeAcquisitionHeader(bytes: Uint8Array, offset = 0): AcquisitionHeader {
  const v = viewOf(bytes);
  need(v, offset, ACQUISITION_HEADER_SIZE, 'decodeAcquisitionHeader');
  return readAcquisitionHeader(v, offset);
}

/** Encodes into a new 340-byte array, or into `out` at `offset`. */
export function encodeAcquisitionHeader(h: AcquisitionHeader, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(ACQUISITION_HEADER_SIZE);
  const v = viewOf(dst);
  need(v, offset, ACQUISITION_HEADER_SIZE, 'encodeAcquisitionHeader');
  writeAcquisitionHeader(h, v, offset);
  return dst;
}

// ---------------------------------------------------------------- ImageHeader (198 bytes)

export function readImageHeader(v: DataView, o = 0): ImageHeader {
  return {
    version: v.getUint16(o, true),
    data_type: v.getUint16(o + 2, true),
    flags: u64(v, o + 4),
    measurement_uid: v.getUint32(o + 12, true),
    matrix_size: u16s(v, o + 16, 3),
    field_of_view: f32x3(v, o + 22),
    channels: v.getUint16(o + 34, true),
    position: f32x3(v, o + 36),
    read_dir: f32x3(v, o + 48),
    phase_dir: f32x3(v, o + 60),
    slice_dir: f32x3(v, o + 72),
    patient_table_position: f32x3(v, o + 84),
    average: v.getUint16(o + 96, true),
    slice: v.getUint16(o + 98, true),
    contrast: v.getUint16(o + 100, true),
    phase: v.getUint16(o + 102, true),
    repetition: v.getUint16(o + 104, true),
    set: v.getUint16(o + 106, true),
    acquisition_time_stamp: v.getUint32(o + 108, true),
    physiology_time_stamp: u32s(v, o + 112, 3),
    image_type: v.getUint16(o + 124, true),
    image_index: v.getUint16(o + 126, true),
    image_series_index: v.getUint16(o + 128, true),
    user_int: i32s(v, o + 130, 8),
    user_float: f32s(v, o + 162, 8),
    attribute_string_len: v.getUint32(o + 194, true),
  };
}

export function writeImageHeader(h: ImageHeader, v: DataView, o = 0): void {
  v.setUint16(o, h.version, true);
  v.setUint16(o + 2, h.data_type, true);
  v.setBigUint64(o + 4, BigInt.asUintN(64, h.flags), true);
  v.setUint32(o + 12, h.measurement_uid, true);
  putU16s(v, o + 16, h.matrix_size, 3);
  putF32s(v, o + 22, h.field_of_view, 3);
  v.setUint16(o + 34, h.channels, true);
  putF32s(v, o + 36, h.position, 3);
  putF32s(v, o + 48, h.read_dir, 3);
  putF32s(v, o + 60, h.phase_dir, 3);
  putF32s(v, o + 72, h.slice_dir, 3);
  putF32s(v, o + 84, h.patient_table_position, 3);
  v.setUint16(o + 96, h.average, true);
  v.setUint16(o + 98, h.slice, true);
  v.setUint16(o + 100, h.contrast, true);
  v.setUint16(o + 102, h.phase, true);
  v.setUint16(o + 104, h.repetition, true);
  v.setUint16(o + 106, h.set, true);
  v.setUint32(o + 108, h.acquisition_time_stamp, true);
  putU32s(v, o + 112, h.physiology_time_stamp, 3);
  v.setUint16(o + 124, h.image_type, true);
  v.setUint16(o + 126, h.image_index, true);
  v.setUint16(o + 128, h.image_series_index, true);
  putI32s(v, o + 130, h.user_int, 8);
  putF32s(v, o + 162, h.user_float, 8);
  v.setUint32(o + 194, h.attribute_string_len, true);
}

export function decodeImageHeader(bytes: Uint8Array, offset = 0): ImageHeader {
  const v = viewOf(bytes);
  need(v, offset, IMAGE_HEADER_SIZE, 'decodeImageHeader');
  return readImageHeader(v, offset);
}

export function encodeImageHeader(h: ImageHeader, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(IMAGE_HEADER_SIZE);
  const v = viewOf(dst);
  need(v, offset, IMAGE_HEADER_SIZE, 'encodeImageHeader');
  writeImageHeader(h, v, offset);
  return dst;
}

// ---------------------------------------------------------------- WaveformHeader (40 bytes)

export function readWaveformHeader(v: DataView, o = 0): WaveformHeader {
  return {
    version: v.getUint16(o, true),
    flags: u64(v, o + 8),
    measurement_uid: v.getUint32(o + 16, true),
    scan_counter: v.getUint32(o + 20, true),
    time_stamp: v.getUint32(o + 24, true),
    number_of_samples: v.getUint16(o + 28, true),
    channels: v.getUint16(o + 30, true),
    sample_time_us: v.getFloat32(o + 32, true),
    waveform_id: v.getUint16(o + 36, true),
  };
}

/** Writes the 40 bytes including the zeroed padding (bytes 2..7 and 38..39). */
export function writeWaveformHeader(h: WaveformHeader, v: DataView, o = 0): void {
  v.setUint16(o, h.version, true);
  v.setUint16(o + 2, 0, true);
  v.setUint32(o + 4, 0, true);
  v.setBigUint64(o + 8, BigInt.asUintN(64, h.flags), true);
  v.setUint32(o + 16, h.measurement_uid, true);
  v.setUint32(o + 20, h.scan_counter, true);
  v.setUint32(o + 24, h.time_stamp, true);
  v.setUint16(o + 28, h.number_of_samples, true);
  v.setUint16(o + 30, h.channels, true);
  v.setFloat32(o + 32, h.sample_time_us, true);
  v.setUint16(o + 36, h.waveform_id, true);
  v.setUint16(o + 38, 0, true);
}

export function decodeWaveformHeader(bytes: Uint8Array, offset = 0): WaveformHeader {
  const v = viewOf(bytes);
  need(v, offset, WAVEFORM_HEADER_SIZE, 'decodeWaveformHeader');
  return readWaveformHeader(v, offset);
}

export function encodeWaveformHeader(h: WaveformHeader, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(WAVEFORM_HEADER_SIZE);
  const v = viewOf(dst);
  need(v, offset, WAVEFORM_HEADER_SIZE, 'encodeWaveformHeader');
  writeWaveformHeader(h, v, offset);
  return dst;
}

export function decodeEncodingCounters(bytes: Uint8Array, offset = 0): EncodingCounters {
  const v = viewOf(bytes);
  need(v, offset, ENCODING_COUNTERS_SIZE, 'decodeEncodingCounters');
  return readEncodingCounters(v, offset);
}

export function encodeEncodingCounters(c: EncodingCounters, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(ENCODING_COUNTERS_SIZE);
  const v = viewOf(dst);
  need(v, offset, ENCODING_COUNTERS_SIZE, 'encodeEncodingCounters');
  writeEncodingCounters(c, v, offset);
  return dst;
}

// ---------------------------------------------------------------- copies

export function cloneEncodingCounters(c: EncodingCounters): EncodingCounters {
  return { ...c, user: c.user.slice() };
}

export function cloneAcquisitionHeader(h: AcquisitionHeader): AcquisitionHeader {
  return {
    ...h,
    physiology_time_stamp: h.physiology_time_stamp.slice(),
    channel_mask: h.channel_mask.slice(),
    position: h.position.slice(),
    read_dir: h.read_dir.slice(),
    phase_dir: h.phase_dir.slice(),
    slice_dir: h.slice_dir.slice(),
    patient_table_position: h.patient_table_position.slice(),
    idx: cloneEncodingCounters(h.idx),
    user_int: h.user_int.slice(),
    user_float: h.user_float.slice(),
  };
}

export function cloneImageHeader(h: ImageHeader): ImageHeader {
  return {
    ...h,
    matrix_size: h.matrix_size.slice(),
    field_of_view: h.field_of_view.slice(),
    position: h.position.slice(),
    read_dir: h.read_dir.slice(),
    phase_dir: h.phase_dir.slice(),
    slice_dir: h.slice_dir.slice(),
    patient_table_position: h.patient_table_position.slice(),
    physiology_time_stamp: h.physiology_time_stamp.slice(),
    user_int: h.user_int.slice(),
    user_float: h.user_float.slice(),
  };
}

export function cloneWaveformHeader(h: WaveformHeader): WaveformHeader {
  return { ...h };
}
