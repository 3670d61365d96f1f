/**
 * Decoding of the ISMRMRD header compounds (AcquisitionHeader, EncodingCounters, ImageHeader,
 * WaveformHeader; their fields: ../../headers/fields.ts) from raw records, by member NAME with the
 * offsets and base types the file declares, not by a fixed byte layout. Writers disagree on layouts: the C library and h5py
 * put the acquisition `traj`/`data` vlen members at different offsets, MATLAB packs the waveform
 * header into 38 bytes (the C library pads it to 40), and integer widths could differ. Each
 * dataset's layout is compiled once into generated code, one object literal of DataView reads
 * at the offsets found (a million headers are scanned when a viewer indexes a large file;
 * docs/hdf5-writer.md has the measurement).
 */
import type { AcquisitionHeader, ImageHeader, WaveformHeader } from '../../headers/types.js';
import {
  ACQUISITION_HEADER_FIELDS, ENCODING_COUNTERS_FIELDS, IMAGE_HEADER_FIELDS, WAVEFORM_HEADER_FIELDS, type Field,
} from '../../headers/fields.js';
import { H5T, type Metadata } from './h5wasm-runtime.js';

/** How one header field is stored: its C name, kind, and (for arrays) C length. */
interface FieldSpec {
  key: string;
  kind: 'num' | 'big' | 'counters';
  count?: number;
}

/** A compiled decoder: `decode(view, byteOffsetOfRecord)`. */
export interface RecordDecoder<T> {
  decode(dv: DataView, base: number): T;
}

/** The fields of a header record of the wire layer's table, as this decoder reads them. */
function specsOf(fields: readonly Field[]): FieldSpec[] {
  return fields.map((f) => ({ key: f.name, kind: f.type === 'counters' ? 'counters' : f.type === 'u64' ? 'big' : 'num', count: f.count }));
}

const COUNTERS = specsOf(ENCODING_COUNTERS_FIELDS);
const ACQUISITION = specsOf(ACQUISITION_HEADER_FIELDS);
const IMAGE = specsOf(IMAGE_HEADER_FIELDS);
const WAVEFORM = specsOf(WAVEFORM_HEADER_FIELDS);

/** A layout problem; the caller adds file and dataset path. */
export class LayoutError extends Error {}

/** The JS expression reading a number of type `md` at byte `at` of DataView `dv`. */
function numExpr(md: Metadata, where: string): (at: string) => string {
  if (md.type === H5T.INTEGER) {
    switch (md.size) {
      case 1: return (at) => `dv.get${md.signed ? 'Int8' : 'Uint8'}(${at})`;
      case 2: return (at) => `dv.get${md.signed ? 'Int16' : 'Uint16'}(${at}, true)`;
      case 4: return (at) => `dv.get${md.signed ? 'Int32' : 'Uint32'}(${at}, true)`;
      case 8: return (at) => `Number(dv.get${md.signed ? 'BigInt64' : 'BigUint64'}(${at}, true))`;
    }
  } else if (md.type === H5T.FLOAT) {
    if (md.size === 4) return (at) => `dv.getFloat32(${at}, true)`;
    if (md.size === 8) return (at) => `dv.getFloat64(${at}, true)`;
  }
  throw new LayoutError(`member '${where}' is not an integer or float (HDF5 class ${md.type}, ${md.size} bytes)`);
}

/** The JS expression reading a bigint (u64 fields) of type `md`. */
function bigExpr(md: Metadata, where: string): (at: string) => string {
  if (md.type === H5T.INTEGER) {
    if (md.size === 8) return (at) => `dv.get${md.signed ? 'BigInt64' : 'BigUint64'}(${at}, true)`;
    const n = numExpr(md, where);
    return (at) => `BigInt(${n(at)})`;
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

/**
 * The object-literal expression decoding the specs' members of compound `md` at byte `at`:
 * field by field DataView reads at the offsets the file declares.
 */
function recordExpr(md: Metadata, specs: FieldSpec[], prefix: string, at: string): string {
  if (md.type !== H5T.COMPOUND) throw new LayoutError(`${prefix ? `member '${prefix}'` : 'the record type'} is not a compound (HDF5 class ${md.type})`);
  const members = compoundMembers(md);
  const parts = specs.map((spec) => {
    const where = prefix ? `${prefix}.${spec.key}` : spec.key;
    const m = members.get(spec.key);
    if (!m) throw new LayoutError(`member '${where}' missing`);
    const here = `${at} + ${m.offset}`;
    if (spec.kind === 'counters') return `${spec.key}: ${recordExpr(m, COUNTERS, where, `(${here})`)}`;
    if (spec.count === undefined) return `${spec.key}: ${(spec.kind === 'big' ? bigExpr(m, where) : numExpr(m, where))(here)}`;
    if (m.type !== H5T.ARRAY || !m.array_type) throw new LayoutError(`member '${where}' is not an array of ${spec.count}`);
    const base = m.array_type;
    const n = (m.array_type.shape ?? []).reduce((x, y) => x * y, 1);
    if (n !== spec.count) throw new LayoutError(`member '${where}' has ${n} elements, expected ${spec.count}`);
    const read = spec.kind === 'big' ? bigExpr(base, where) : numExpr(base, where);
    return `${spec.key}: [${Array.from({ length: n }, (_, k) => read(`${here} + ${k * base.size}`)).join(', ')}]`;
  });
  return `{ ${parts.join(', ')} }`;
}

/**
 * Compiles a decoder for the members `specs` of compound `md`. The decoder is generated code
 * (one object literal of DataView reads at constant offsets): a few times faster than walking a
 * field list, which matters when a million headers are read.
 */
function compile<T>(md: Metadata, specs: FieldSpec[], prefix: string): RecordDecoder<T> {
  const body = `return ${recordExpr(md, specs, prefix, 'at')};`;
  const decode = new Function('dv', 'at', body) as (dv: DataView, at: number) => T;
  return { decode };
}

/**
 * The acquisition header decoder; with `fields`, one that decodes only those members (the
 * others are absent from its objects): scanning a million headers for their flags and counters
 * then skips making 16 BigInts of channel mask and a dozen arrays per header.
 */
export function acquisitionHeaderDecoder(md: Metadata, fields?: readonly string[]): RecordDecoder<AcquisitionHeader> {
  return compile<AcquisitionHeader>(md, fields ? ACQUISITION.filter((f) => fields.includes(f.key)) : ACQUISITION, 'head');
}

/** The image header decoder; with `fields`, one that decodes only those members (as `acquisitionHeaderDecoder`). */
export function imageHeaderDecoder(md: Metadata, fields?: readonly string[]): RecordDecoder<ImageHeader> {
  return compile<ImageHeader>(md, fields ? IMAGE.filter((f) => fields.includes(f.key)) : IMAGE, '');
}

export function waveformHeaderDecoder(md: Metadata): RecordDecoder<WaveformHeader> {
  return compile<WaveformHeader>(md, WAVEFORM, 'head');
}
