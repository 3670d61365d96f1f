/**
 * The ISMRMRD binary header records, field for field as in `include/ismrmrd/ismrmrd.h`
 * (ISMRMRD 1.x). Field names are the C names. 64-bit fields (`flags`, `channel_mask`) are bigint;
 * fixed-size C arrays are plain number arrays of the C length.
 *
 * Their fields and byte layouts are described once, in ./fields.ts.
 */
import { ACQUISITION_HEADER_LAYOUT, IMAGE_HEADER_LAYOUT, WAVEFORM_HEADER_LAYOUT } from './fields.js';

export interface EncodingCounters {
  kspace_encode_step_1: number; // u16
  kspace_encode_step_2: number; // u16
  average: number; // u16
  slice: number; // u16
  contrast: number; // u16
  phase: number; // u16
  repetition: number; // u16
  set: number; // u16
  segment: number; // u16
  user: number[]; // u16[8]
}

export interface AcquisitionHeader {
  version: number; // u16
  flags: bigint; // u64
  measurement_uid: number; // u32
  scan_counter: number; // u32
  acquisition_time_stamp: number; // u32
  physiology_time_stamp: number[]; // u32[3]
  number_of_samples: number; // u16
  available_channels: number; // u16
  active_channels: number; // u16
  channel_mask: bigint[]; // u64[16]
  discard_pre: number; // u16
  discard_post: number; // u16
  center_sample: number; // u16
  encoding_space_ref: number; // u16
  trajectory_dimensions: number; // u16
  sample_time_us: number; // f32
  position: number[]; // f32[3]
  read_dir: number[]; // f32[3]
  phase_dir: number[]; // f32[3]
  slice_dir: number[]; // f32[3]
  patient_table_position: number[]; // f32[3]
  idx: EncodingCounters;
  user_int: number[]; // i32[8]
  user_float: number[]; // f32[8]
}

export interface ImageHeader {
  version: number; // u16
  data_type: number; // u16, see DataType
  flags: bigint; // u64
  measurement_uid: number; // u32
  matrix_size: number[]; // u16[3]
  field_of_view: number[]; // f32[3]
  channels: number; // u16
  position: number[]; // f32[3]
  read_dir: number[]; // f32[3]
  phase_dir: number[]; // f32[3]
  slice_dir: number[]; // f32[3]
  patient_table_position: number[]; // f32[3]
  average: number; // u16
  slice: number; // u16
  contrast: number; // u16
  phase: number; // u16
  repetition: number; // u16
  set: number; // u16
  acquisition_time_stamp: number; // u32
  physiology_time_stamp: number[]; // u32[3]
  image_type: number; // u16, see ImageType
  image_index: number; // u16
  image_series_index: number; // u16
  user_int: number[]; // i32[8]
  user_float: number[]; // f32[8]
  attribute_string_len: number; // u32
}

export interface WaveformHeader {
  version: number; // u16
  flags: bigint; // u64
  measurement_uid: number; // u32
  scan_counter: number; // u32
  time_stamp: number; // u32
  number_of_samples: number; // u16
  channels: number; // u16
  sample_time_us: number; // f32
  waveform_id: number; // u16
}

/** Bytes of each record on the wire and in HDF5 (./fields.ts lays them out): 340, 198, 40. */
export const ACQUISITION_HEADER_SIZE = ACQUISITION_HEADER_LAYOUT.size;
export const IMAGE_HEADER_SIZE = IMAGE_HEADER_LAYOUT.size;
export const WAVEFORM_HEADER_SIZE = WAVEFORM_HEADER_LAYOUT.size;

export function emptyEncodingCounters(): EncodingCounters {
  return {
    kspace_encode_step_1: 0, kspace_encode_step_2: 0, average: 0, slice: 0, contrast: 0,
    phase: 0, repetition: 0, set: 0, segment: 0, user: [0, 0, 0, 0, 0, 0, 0, 0],
  };
}

/** A zeroed AcquisitionHeader with `version` 1, as ismrmrd_init_acquisition_header. */
export function emptyAcquisitionHeader(): AcquisitionHeader {
  return {
    version: 1, flags: 0n, measurement_uid: 0, scan_counter: 0, acquisition_time_stamp: 0,
    physiology_time_stamp: [0, 0, 0], number_of_samples: 0, available_channels: 0, active_channels: 0,
    channel_mask: new Array<bigint>(16).fill(0n), discard_pre: 0, discard_post: 0, center_sample: 0,
    encoding_space_ref: 0, trajectory_dimensions: 0, sample_time_us: 0,
    position: [0, 0, 0], read_dir: [0, 0, 0], phase_dir: [0, 0, 0], slice_dir: [0, 0, 0],
    patient_table_position: [0, 0, 0], idx: emptyEncodingCounters(),
    user_int: [0, 0, 0, 0, 0, 0, 0, 0], user_float: [0, 0, 0, 0, 0, 0, 0, 0],
  };
}

/** A zeroed ImageHeader with `version` 1, as ismrmrd_init_image_header. */
export function emptyImageHeader(): ImageHeader {
  return {
    version: 1, data_type: 0, flags: 0n, measurement_uid: 0, matrix_size: [0, 0, 0],
    field_of_view: [0, 0, 0], channels: 0, position: [0, 0, 0], read_dir: [0, 0, 0],
    phase_dir: [0, 0, 0], slice_dir: [0, 0, 0], patient_table_position: [0, 0, 0],
    average: 0, slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0,
    acquisition_time_stamp: 0, physiology_time_stamp: [0, 0, 0], image_type: 0, image_index: 0,
    image_series_index: 0, user_int: [0, 0, 0, 0, 0, 0, 0, 0], user_float: [0, 0, 0, 0, 0, 0, 0, 0],
    attribute_string_len: 0,
  };
}

/** A zeroed WaveformHeader with `version` 1. */
export function emptyWaveformHeader(): WaveformHeader {
  return {
    version: 1, flags: 0n, measurement_uid: 0, scan_counter: 0, time_stamp: 0,
    number_of_samples: 0, channels: 0, sample_time_us: 0, waveform_id: 0,
  };
}
