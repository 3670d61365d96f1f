/**
 * The ISMRMRD HDF5 datatypes, member for member as `libsrc/dataset.c` of the ISMRMRD C library
 * defines them (names, order, offsets, array shapes, base types), and the record encoders that
 * fill them. The header compounds have exactly the byte layout of the C structs (the acquisition
 * and image headers packed, the waveform header naturally aligned), so records are encoded with
 * the wire layer's header codecs.
 */
import { DataType } from '../../constants/index.js';
import { writeAcquisitionHeader, writeImageHeader, writeWaveformHeader } from '../../headers/codec.js';
import type { Acquisition, Image, Waveform } from '../../messages/types.js';
import { arrayOf, f32, f64, i16, i32, packedCompound, u16, u32, u64, type Datatype } from '../format/datatype.js';
import type { RecordEncoder } from './hdf5-file-writer.js';

export const encodingCountersType = packedCompound([
  ['kspace_encode_step_1', u16],
  ['kspace_encode_step_2', u16],
  ['average', u16],
  ['slice', u16],
  ['contrast', u16],
  ['phase', u16],
  ['repetition', u16],
  ['set', u16],
  ['segment', u16],
  ['user', arrayOf(u16, 8)],
]);

export const acquisitionHeaderType = packedCompound([
  ['version', u16],
  ['flags', u64],
  ['measurement_uid', u32],
  ['scan_counter', u32],
  ['acquisition_time_stamp', u32],
  ['physiology_time_stamp', arrayOf(u32, 3)],
  ['number_of_samples', u16],
  ['available_channels', u16],
  ['active_channels', u16],
  ['channel_mask', arrayOf(u64, 16)],
  ['discard_pre', u16],
  ['discard_post', u16],
  ['center_sample', u16],
  ['encoding_space_ref', u16],
  ['trajectory_dimensions', u16],
  ['sample_time_us', f32],
  ['position', arrayOf(f32, 3)],
  ['read_dir', arrayOf(f32, 3)],
  ['phase_dir', arrayOf(f32, 3)],
  ['slice_dir', arrayOf(f32, 3)],
  ['patient_table_position', arrayOf(f32, 3)],
  ['idx', encodingCountersType],
  ['user_int', arrayOf(i32, 8)],
  ['user_float', arrayOf(f32, 8)],
]);

/**
 * The acquisition record as the C library defines it: `HDF5_Acquisition` is a naturally aligned
 * struct, so `traj` and `data` sit at 344 and 360 (376 bytes).
 */
export const acquisitionType: Datatype = {
  kind: 'compound',
  size: 376,
  members: [
    { name: 'head', offset: 0, type: acquisitionHeaderType },
    { name: 'traj', offset: 344, type: { kind: 'vlen', base: f32 } },
    { name: 'data', offset: 360, type: { kind: 'vlen', base: f32 } },
  ],
};

/** The packed variant ismrmrd-python/h5py write (372 bytes); accepted when appending. */
export const acquisitionTypePacked = packedCompound([
  ['head', acquisitionHeaderType],
  ['traj', { kind: 'vlen', base: f32 }],
  ['data', { kind: 'vlen', base: f32 }],
]);

export const imageHeaderType = packedCompound([
  ['version', u16],
  ['data_type', u16],
  ['flags', u64],
  ['measurement_uid', u32],
  ['matrix_size', arrayOf(u16, 3)],
  ['field_of_view', arrayOf(f32, 3)],
  ['channels', u16],
  ['position', arrayOf(f32, 3)],
  ['read_dir', arrayOf(f32, 3)],
  ['phase_dir', arrayOf(f32, 3)],
  ['slice_dir', arrayOf(f32, 3)],
  ['patient_table_position', arrayOf(f32, 3)],
  ['average', u16],
  ['slice', u16],
  ['contrast', u16],
  ['phase', u16],
  ['repetition', u16],
  ['set', u16],
  ['acquisition_time_stamp', u32],
  ['physiology_time_stamp', arrayOf(u32, 3)],
  ['image_type', u16],
  ['image_index', u16],
  ['image_series_index', u16],
  ['user_int', arrayOf(i32, 8)],
  ['user_float', arrayOf(f32, 8)],
  ['attribute_string_len', u32],
]);

/** The waveform header keeps the C struct's natural alignment (40 bytes). */
export const waveformHeaderType: Datatype = {
  kind: 'compound',
  size: 40,
  members: [
    { name: 'version', offset: 0, type: u16 },
    { name: 'flags', offset: 8, type: u64 },
    { name: 'measurement_uid', offset: 16, type: u32 },
    { name: 'scan_counter', offset: 20, type: u32 },
    { name: 'time_stamp', offset: 24, type: u32 },
    { name: 'number_of_samples', offset: 28, type: u16 },
    { name: 'channels', offset: 30, type: u16 },
    { name: 'sample_time_us', offset: 32, type: f32 },
    { name: 'waveform_id', offset: 36, type: u16 },
  ],
};

export const waveformType = packedCompound([
  ['head', waveformHeaderType],
  ['data', { kind: 'vlen', base: u32 }],
]);

export const imageAttributeType: Datatype = { kind: 'vlen-string', cset: 'utf8' };

export const complexFloatType = packedCompound([
  ['real', f32],
  ['imag', f32],
]);
export const complexDoubleType = packedCompound([
  ['real', f64],
  ['imag', f64],
]);

/** The HDF5 element type of image pixels for an ISMRMRD data_type. */
export function imagePixelType(dataType: number): Datatype {
  switch (dataType) {
    case DataType.USHORT:
      return u16;
    case DataType.SHORT:
      return i16;
    case DataType.UINT:
      return u32;
    case DataType.INT:
      return i32;
    case DataType.FLOAT:
      return f32;
    case DataType.DOUBLE:
      return f64;
    case DataType.CXFLOAT:
      return complexFloatType;
    case DataType.CXDOUBLE:
      return complexDoubleType;
    default:
      throw new Error(`image data_type ${dataType} is not an ISMRMRD data type`);
  }
}

/** The typed array class each data_type's pixels come in (complex: interleaved re/im). */
export const PIXEL_ARRAY: Record<number, { name: string; new (n: number): ArrayBufferView }> = {
  [DataType.USHORT]: Uint16Array,
  [DataType.SHORT]: Int16Array,
  [DataType.UINT]: Uint32Array,
  [DataType.INT]: Int32Array,
  [DataType.FLOAT]: Float32Array,
  [DataType.DOUBLE]: Float64Array,
  [DataType.CXFLOAT]: Float32Array,
  [DataType.CXDOUBLE]: Float64Array,
};

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function memberOffset(t: Datatype, name: string): number {
  if (t.kind !== 'compound') throw new Error('not a compound type');
  const m = t.members.find((x) => x.name === name);
  if (!m) throw new Error(`compound has no member '${name}'`);
  return m.offset;
}

/** Encoder for acquisition records of type `t` (either layout). */
export function acquisitionEncoder(t: Datatype): RecordEncoder<Acquisition> {
  const trajAt = memberOffset(t, 'traj');
  const dataAt = memberOffset(t, 'data');
  return (acq, buf, view, offset, heap) => {
    writeAcquisitionHeader(acq.head, view, offset);
    heap.ref(buf, offset + trajAt, bytesOf(acq.traj), acq.traj.length);
    heap.ref(buf, offset + dataAt, bytesOf(acq.data), acq.data.length);
  };
}

/** Encoder for waveform records of type `t`. */
export function waveformEncoder(t: Datatype): RecordEncoder<Waveform> {
  const dataAt = memberOffset(t, 'data');
  return (wf, buf, view, offset, heap) => {
    writeWaveformHeader(wf.head, view, offset);
    heap.ref(buf, offset + dataAt, bytesOf(wf.data), wf.data.length);
  };
}

export const encodeImageHeaderRecord: RecordEncoder<Image> = (img, _buf, view, offset) => {
  writeImageHeader(img.head, view, offset);
};

const utf8 = new TextEncoder();
export const encodeImageAttribute: RecordEncoder<Image> = (img, buf, _view, offset, heap) => {
  const b = utf8.encode(img.attribute ?? '');
  heap.ref(buf, offset, b, b.length);
};

export const encodeImageData: RecordEncoder<Image> = (img, buf, _view, offset) => {
  buf.set(bytesOf(img.data), offset);
};
