/**
 * The ISMRMRD HDF5 datatypes, member for member as `libsrc/dataset.c` of the ISMRMRD C library
 * defines them (names, order, offsets, array shapes, base types), and the record encoders that
 * fill them. The header compounds are made from the field table of the wire layer
 * (../../headers/fields.ts): they have exactly the byte layout of the C structs (the acquisition
 * and image headers packed, the waveform header naturally aligned), so records are encoded with
 * the wire layer's header codecs.
 */
import { DataType } from '../../constants/index.js';
import { writeAcquisitionHeader, writeImageHeader, writeWaveformHeader } from '../../headers/codec.js';
import {
  ACQUISITION_HEADER_LAYOUT, ENCODING_COUNTERS_LAYOUT, IMAGE_HEADER_LAYOUT, WAVEFORM_HEADER_LAYOUT, type RecordLayout,
} from '../../headers/fields.js';
import type { Acquisition, Image, Waveform } from '../../messages/types.js';
import { arrayOf, f32, f64, i16, i32, packedCompound, u16, u32, u64, type Datatype } from '../format/datatype.js';
import type { RecordEncoder } from './hdf5-file-writer.js';

const BASE = { u16, u32, i32, u64, f32 };

/** The compound datatype of a header record of the field table, members at the table's offsets. */
function headerType(layout: RecordLayout): Datatype {
  return {
    kind: 'compound',
    size: layout.size,
    members: layout.fields.map((f) => {
      const base = f.type === 'counters' ? encodingCountersType : BASE[f.type];
      return { name: f.name, offset: f.offset, type: f.count === undefined ? base : arrayOf(base, f.count) };
    }),
  };
}

const encodingCountersType: Datatype = headerType(ENCODING_COUNTERS_LAYOUT);
const acquisitionHeaderType: Datatype = headerType(ACQUISITION_HEADER_LAYOUT);

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

export const imageHeaderType: Datatype = headerType(IMAGE_HEADER_LAYOUT);

/** The waveform header keeps the C struct's natural alignment (40 bytes). */
const waveformHeaderType: Datatype = headerType(WAVEFORM_HEADER_LAYOUT);

export const waveformType = packedCompound([
  ['head', waveformHeaderType],
  ['data', { kind: 'vlen', base: u32 }],
]);

export const imageAttributeType: Datatype = { kind: 'vlen-string', cset: 'utf8' };

const complexFloatType = packedCompound([
  ['real', f32],
  ['imag', f32],
]);
const complexDoubleType = packedCompound([
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
