/**
 * The one description of the ISMRMRD header records (`include/ismrmrd/ismrmrd.h` and
 * `waveform.h`, ISMRMRD 1.x): every field's C name, type and array length, in C order. The byte
 * layouts follow from it: the acquisition and image headers and the encoding counters are packed
 * (the C header's `#pragma pack(2)`: 340, 198 and 34 bytes), the waveform header keeps the C
 * struct's natural alignment (40 bytes: 6 padding bytes after `version`, 2 after `waveform_id`).
 *
 * This table drives the stream codecs (./codec.ts, generated code), the HDF5 writer's compound
 * datatypes (../hdf5/writer/mrd-datatypes.ts) and the HDF5 reader's record decoders
 * (../hdf5/reader/record-layout.ts).
 */

/** A field's C type: unsigned/signed integers of 16, 32 or 64 bits, float, or the nested counters. */
export type FieldType = 'u16' | 'u32' | 'i32' | 'u64' | 'f32' | 'counters';

export interface Field {
  /** the C name, also the property name of the TypeScript header object */
  name: string;
  type: FieldType;
  /** C array length (absent for a scalar) */
  count?: number;
}

/** A field with its byte offset in a record. */
export interface LaidOutField extends Field {
  offset: number;
}

export interface RecordLayout {
  /** what the record is, for error messages */
  name: string;
  /** bytes of one record */
  size: number;
  fields: LaidOutField[];
  /** byte ranges not covered by any field (padding), written as zeros */
  padding: [offset: number, length: number][];
}

/** The slice geometry both the acquisition and the image header carry, in the same order. */
const GEOMETRY: readonly Field[] = [
  { name: 'position', type: 'f32', count: 3 },
  { name: 'read_dir', type: 'f32', count: 3 },
  { name: 'phase_dir', type: 'f32', count: 3 },
  { name: 'slice_dir', type: 'f32', count: 3 },
  { name: 'patient_table_position', type: 'f32', count: 3 },
];

/** The user values both the acquisition and the image header carry. */
const USER_VALUES: readonly Field[] = [
  { name: 'user_int', type: 'i32', count: 8 },
  { name: 'user_float', type: 'f32', count: 8 },
];

export const ENCODING_COUNTERS_FIELDS: readonly Field[] = [
  { name: 'kspace_encode_step_1', type: 'u16' },
  { name: 'kspace_encode_step_2', type: 'u16' },
  { name: 'average', type: 'u16' },
  { name: 'slice', type: 'u16' },
  { name: 'contrast', type: 'u16' },
  { name: 'phase', type: 'u16' },
  { name: 'repetition', type: 'u16' },
  { name: 'set', type: 'u16' },
  { name: 'segment', type: 'u16' },
  { name: 'user', type: 'u16', count: 8 },
];

export const ACQUISITION_HEADER_FIELDS: readonly Field[] = [
  { name: 'version', type: 'u16' },
  { name: 'flags', type: 'u64' },
  { name: 'measurement_uid', type: 'u32' },
  { name: 'scan_counter', type: 'u32' },
  { name: 'acquisition_time_stamp', type: 'u32' },
  { name: 'physiology_time_stamp', type: 'u32', count: 3 },
  { name: 'number_of_samples', type: 'u16' },
  { name: 'available_channels', type: 'u16' },
  { name: 'active_channels', type: 'u16' },
  { name: 'channel_mask', type: 'u64', count: 16 },
  { name: 'discard_pre', type: 'u16' },
  { name: 'discard_post', type: 'u16' },
  { name: 'center_sample', type: 'u16' },
  { name: 'encoding_space_ref', type: 'u16' },
  { name: 'trajectory_dimensions', type: 'u16' },
  { name: 'sample_time_us', type: 'f32' },
  ...GEOMETRY,
  { name: 'idx', type: 'counters' },
  ...USER_VALUES,
];

export const IMAGE_HEADER_FIELDS: readonly Field[] = [
  { name: 'version', type: 'u16' },
  { name: 'data_type', type: 'u16' },
  { name: 'flags', type: 'u64' },
  { name: 'measurement_uid', type: 'u32' },
  { name: 'matrix_size', type: 'u16', count: 3 },
  { name: 'field_of_view', type: 'f32', count: 3 },
  { name: 'channels', type: 'u16' },
  ...GEOMETRY,
  { name: 'average', type: 'u16' },
  { name: 'slice', type: 'u16' },
  { name: 'contrast', type: 'u16' },
  { name: 'phase', type: 'u16' },
  { name: 'repetition', type: 'u16' },
  { name: 'set', type: 'u16' },
  { name: 'acquisition_time_stamp', type: 'u32' },
  { name: 'physiology_time_stamp', type: 'u32', count: 3 },
  { name: 'image_type', type: 'u16' },
  { name: 'image_index', type: 'u16' },
  { name: 'image_series_index', type: 'u16' },
  ...USER_VALUES,
  { name: 'attribute_string_len', type: 'u32' },
];

export const WAVEFORM_HEADER_FIELDS: readonly Field[] = [
  { name: 'version', type: 'u16' },
  { name: 'flags', type: 'u64' },
  { name: 'measurement_uid', type: 'u32' },
  { name: 'scan_counter', type: 'u32' },
  { name: 'time_stamp', type: 'u32' },
  { name: 'number_of_samples', type: 'u16' },
  { name: 'channels', type: 'u16' },
  { name: 'sample_time_us', type: 'f32' },
  { name: 'waveform_id', type: 'u16' },
];

const ELEMENT_SIZE: Record<Exclude<FieldType, 'counters'>, number> = { u16: 2, u32: 4, i32: 4, u64: 8, f32: 4 };

/** Bytes of one element of a field (the counters: their packed size). */
export function elementSize(type: FieldType): number {
  return type === 'counters' ? ENCODING_COUNTERS_LAYOUT.size : ELEMENT_SIZE[type];
}

/** Offsets of `fields`: packed (each field right after the previous), or with C's natural alignment. */
function layOut(name: string, fields: readonly Field[], natural: boolean): RecordLayout {
  const out: LaidOutField[] = [];
  const padding: [number, number][] = [];
  let at = 0, align = 1;
  for (const f of fields) {
    const e = elementSize(f.type);
    const a = natural ? (f.type === 'counters' ? 2 : e) : 1;
    align = Math.max(align, a);
    const start = Math.ceil(at / a) * a;
    if (start > at) padding.push([at, start - at]);
    out.push({ ...f, offset: start });
    at = start + e * (f.count ?? 1);
  }
  const size = Math.ceil(at / align) * align;
  if (size > at) padding.push([at, size - at]);
  return { name, size, fields: out, padding };
}

export const ENCODING_COUNTERS_LAYOUT: RecordLayout = layOut('EncodingCounters', ENCODING_COUNTERS_FIELDS, false);
export const ACQUISITION_HEADER_LAYOUT: RecordLayout = layOut('AcquisitionHeader', ACQUISITION_HEADER_FIELDS, false);
export const IMAGE_HEADER_LAYOUT: RecordLayout = layOut('ImageHeader', IMAGE_HEADER_FIELDS, false);
export const WAVEFORM_HEADER_LAYOUT: RecordLayout = layOut('WaveformHeader', WAVEFORM_HEADER_FIELDS, true);
