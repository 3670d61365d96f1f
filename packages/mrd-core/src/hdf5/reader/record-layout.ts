/**
 * Decoding of the ISMRMRD header compounds (AcquisitionHeader, EncodingCounters, ImageHeader,
 * WaveformHeader) from raw records, by member NAME with the offsets and base types the file
 * declares, not by a fixed byte layout. Writers disagree on layouts: the C library and h5py
 * put the acquisition `traj`/`data` vlen members at different offsets, MATLAB packs the waveform
 * header into 38 bytes (the C library pads it to 40), and integer widths could differ. Each
 * dataset's layout is compiled once into a list of field reads; decoding a record is then a flat
 * loop of DataView reads.
 */
import type { AcquisitionHeader, EncodingCounters, ImageHeader, WaveformHeader } from '../../headers/types.js';
import { H5T, type Metadata } from './h5wasm-runtime.js';

type NumRead = (dv: DataView, at: number) => number;
type BigRead = (dv: DataView, at: number) => bigint;

/** How one header field is stored: its C name, kind, and (for arrays) C length. */
interface FieldSpec {
  key: string;
  kind: 'num' | 'big' | 'counters';
  count?: number;
}

interface CompiledField {
  key: string;
  /** 0: scalar; n: array of n. */
  count: number;
  off: number;
  stride: number;
  num?: NumRead;
  big?: BigRead;
  nested?: RecordDecoder<EncodingCounters>;
}

/** A compiled decoder: `decode(view, byteOffsetOfRecord)`. */
export interface RecordDecoder<T> {
  decode(dv: DataView, base: number): T;
}

const COUNTERS: FieldSpec[] = [
  { key: 'kspace_encode_step_1', kind: 'num' },
  { key: 'kspace_encode_step_2', kind: 'num' },
  { key: 'average', kind: 'num' },
  { key: 'slice', kind: 'num' },
  { key: 'contrast', kind: 'num' },
  { key: 'phase', kind: 'num' },
  { key: 'repetition', kind: 'num' },
  { key: 'set', kind: 'num' },
  { key: 'segment', kind: 'num' },
  { key: 'user', kind: 'num', count: 8 },
];

const ACQUISITION: FieldSpec[] = [
  { key: 'version', kind: 'num' },
  { key: 'flags', kind: 'big' },
  { key: 'measurement_uid', kind: 'num' },
  { key: 'scan_counter', kind: 'num' },
  { key: 'acquisition_time_stamp', kind: 'num' },
  { key: 'physiology_time_stamp', kind: 'num', count: 3 },
  { key: 'number_of_samples', kind: 'num' },
  { key: 'available_channels', kind: 'num' },
  { key: 'active_channels', kind: 'num' },
  { key: 'channel_mask', kind: 'big', count: 16 },
  { key: 'discard_pre', kind: 'num' },
  { key: 'discard_post', kind: 'num' },
  { key: 'center_sample', kind: 'num' },
  { key: 'encoding_space_ref', kind: 'num' },
  { key: 'trajectory_dimensions', kind: 'num' },
  { key: 'sample_time_us', kind: 'num' },
  { key: 'position', kind: 'num', count: 3 },
  { key: 'read_dir', kind: 'num', count: 3 },
  { key: 'phase_dir', kind: 'num', count: 3 },
  { key: 'slice_dir', kind: 'num', count: 3 },
  { key: 'patient_table_position', kind: 'num', count: 3 },
  { key: 'idx', kind: 'counters' },
  { key: 'user_int', kind: 'num', count: 8 },
  { key: 'user_float', kind: 'num', count: 8 },
];

const IMAGE: FieldSpec[] = [
  { key: 'version', kind: 'num' },
  { key: 'data_type', kind: 'num' },
  { key: 'flags', kind: 'big' },
  { key: 'measurement_uid', kind: 'num' },
  { key: 'matrix_size', kind: 'num', count: 3 },
  { key: 'field_of_view', kind: 'num', count: 3 },
  { key: 'channels', kind: 'num' },
  { key: 'position', kind: 'num', count: 3 },
  { key: 'read_dir', kind: 'num', count: 3 },
  { key: 'phase_dir', kind: 'num', count: 3 },
  { key: 'slice_dir', kind: 'num', count: 3 },
  { key: 'patient_table_position', kind: 'num', count: 3 },
  { key: 'average', kind: 'num' },
  { key: 'slice', kind: 'num' },
  { key: 'contrast', kind: 'num' },
  { key: 'phase', kind: 'num' },
  { key: 'repetition', kind: 'num' },
  { key: 'set', kind: 'num' },
  { key: 'acquisition_time_stamp', kind: 'num' },
  { key: 'physiology_time_stamp', kind: 'num', count: 3 },
  { key: 'image_type', kind: 'num' },
  { key: 'image_index', kind: 'num' },
  { key: 'image_series_index', kind: 'num' },
  { key: 'user_int', kind: 'num', count: 8 },
  { key: 'user_float', kind: 'num', count: 8 },
  { key: 'attribute_string_len', kind: 'num' },
];

const WAVEFORM: FieldSpec[] = [
  { key: 'version', kind: 'num' },
  { key: 'flags', kind: 'big' },
  { key: 'measurement_uid', kind: 'num' },
  { key: 'scan_counter', kind: 'num' },
  { key: 'time_stamp', kind: 'num' },
  { key: 'number_of_samples', kind: 'num' },
  { key: 'channels', kind: 'num' },
  { key: 'sample_time_us', kind: 'num' },
  { key: 'waveform_id', kind: 'num' },
];

/** A layout problem; the caller adds file and dataset path. */
export class LayoutError extends Error {}

function numReader(md: Metadata, where: string): NumRead {
  if (md.type === H5T.INTEGER) {
    switch (md.size) {
      case 1: return md.signed ? (dv, at) => dv.getInt8(at) : (dv, at) => dv.getUint8(at);
      case 2: return md.signed ? (dv, at) => dv.getInt16(at, true) : (dv, at) => dv.getUint16(at, true);
      case 4: return md.signed ? (dv, at) => dv.getInt32(at, true) : (dv, at) => dv.getUint32(at, true);
      case 8: return md.signed ? (dv, at) => Number(dv.getBigInt64(at, true)) : (dv, at) => Number(dv.getBigUint64(at, true));
    }
  } else if (md.type === H5T.FLOAT) {
    if (md.size === 4) return (dv, at) => dv.getFloat32(at, true);
    if (md.size === 8) return (dv, at) => dv.getFloat64(at, true);
  }
  throw new LayoutError(`member '${where}' is not an integer or float (HDF5 class ${md.type}, ${md.size} bytes)`);
}

function bigReader(md: Metadata, where: string): BigRead {
  if (md.type === H5T.INTEGER) {
    if (md.size === 8) return md.signed ? (dv, at) => dv.getBigInt64(at, true) : (dv, at) => dv.getBigUint64(at, true);
    const n = numReader(md, where);
    return (dv, at) => BigInt(n(dv, at));
  }
  throw new LayoutError(`member '${where}' is not an integer (HDF5 class ${md.type}, ${md.size} bytes)`);
}

/** The members of a compound datatype by name, with their offsets. */
export function compoundMembers(md: Metadata): Map<string, Metadata & { offset: number }> {
  const out = new Map<string, Metadata & { offset: number }>();
  if (md.type !== H5T.COMPOUND || !md.compound_type) return out;
  for (const m of md.compound_type.members) out.set(m.name, m);
  return out;
}

function compile<T>(md: Metadata, specs: FieldSpec[], prefix: string): RecordDecoder<T> {
  if (md.type !== H5T.COMPOUND) throw new LayoutError(`${prefix ? `member '${prefix}'` : 'the record type'} is not a compound (HDF5 class ${md.type})`);
  const members = compoundMembers(md);
  const fields: CompiledField[] = specs.map((spec) => {
    const where = prefix ? `${prefix}.${spec.key}` : spec.key;
    const m = members.get(spec.key);
    if (!m) throw new LayoutError(`member '${where}' missing`);
    if (spec.kind === 'counters') {
      return { key: spec.key, count: 0, off: m.offset, stride: 0, nested: compile<EncodingCounters>(m, COUNTERS, where) };
    }
    let count = 0;
    let base: Metadata = m;
    if (spec.count !== undefined) {
      if (m.type !== H5T.ARRAY || !m.array_type) throw new LayoutError(`member '${where}' is not an array of ${spec.count}`);
      base = m.array_type;
      const n = (m.array_type.shape ?? []).reduce((a, b) => a * b, 1);
      if (n !== spec.count) throw new LayoutError(`member '${where}' has ${n} elements, expected ${spec.count}`);
      count = n;
    }
    const f: CompiledField = { key: spec.key, count, off: m.offset, stride: base.size };
    if (spec.kind === 'big') f.big = bigReader(base, where);
    else f.num = numReader(base, where);
    return f;
  });
  return {
    decode(dv: DataView, at: number): T {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i]!;
        const p = at + f.off;
        if (f.nested) {
          o[f.key] = f.nested.decode(dv, p);
        } else if (f.count === 0) {
          o[f.key] = f.num ? f.num(dv, p) : f.big!(dv, p);
        } else if (f.num) {
          const a = new Array<number>(f.count);
          for (let k = 0; k < f.count; k++) a[k] = f.num(dv, p + k * f.stride);
          o[f.key] = a;
        } else {
          const a = new Array<bigint>(f.count);
          for (let k = 0; k < f.count; k++) a[k] = f.big!(dv, p + k * f.stride);
          o[f.key] = a;
        }
      }
      return o as T;
    },
  };
}

/**
 * The acquisition header decoder; with `fields`, one that decodes only those members (the
 * others are absent from its objects): scanning a million headers for their flags and counters
 * then skips making 16 BigInts of channel mask and a dozen arrays per header.
 */
export function acquisitionHeaderDecoder(md: Metadata, fields?: readonly string[]): RecordDecoder<AcquisitionHeader> {
  return compile<AcquisitionHeader>(md, fields ? ACQUISITION.filter((f) => fields.includes(f.key)) : ACQUISITION, 'head');
}

export function imageHeaderDecoder(md: Metadata): RecordDecoder<ImageHeader> {
  return compile<ImageHeader>(md, IMAGE, '');
}

export function waveformHeaderDecoder(md: Metadata): RecordDecoder<WaveformHeader> {
  return compile<WaveformHeader>(md, WAVEFORM, 'head');
}
