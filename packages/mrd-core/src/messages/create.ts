/**
 * Constructors and helpers for Acquisition, Image and Waveform: payloads sized from their
 * headers, deep clones (which also detach payload views from the stream buffers they point
 * into), byte sizes, and the mapping between an image `data_type` and its typed array.
 */
import { DataType, dataTypeName, isDataType, sizeofDataType } from '../constants/index.js';
import {
  cloneAcquisitionHeader,
  cloneImageHeader,
  cloneWaveformHeader,
} from '../headers/codec.js';
import {
  ACQUISITION_HEADER_SIZE,
  IMAGE_HEADER_SIZE,
  WAVEFORM_HEADER_SIZE,
  emptyAcquisitionHeader,
  emptyImageHeader,
  emptyWaveformHeader,
  type AcquisitionHeader,
  type ImageHeader,
  type WaveformHeader,
} from '../headers/types.js';
import type { Acquisition, Image, ImagePixels, Waveform } from './types.js';

type PixelArrayConstructor =
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

const PIXEL_CTORS: (PixelArrayConstructor | undefined)[] = [
  undefined, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array, Float32Array, Float64Array,
];

/** The typed array class holding pixels of `dataType` (complex types: Float32Array/Float64Array, interleaved). */
export function pixelArrayConstructor(dataType: number): PixelArrayConstructor {
  const c = isDataType(dataType) ? PIXEL_CTORS[dataType] : undefined;
  if (!c) throw new RangeError(`image data_type ${dataType} is not one of the ISMRMRD data types 1..8`);
  return c;
}

/** Whether `dataType` is CXFLOAT or CXDOUBLE (two array elements per pixel). */
export function isComplexDataType(dataType: number): boolean {
  return dataType === DataType.CXFLOAT || dataType === DataType.CXDOUBLE;
}

/** Array elements per pixel: 2 for complex types, else 1. */
export function elementsPerPixel(dataType: number): number {
  return isComplexDataType(dataType) ? 2 : 1;
}

/**
 * The data_type a typed array holds; for Float32Array/Float64Array, `complex` selects
 * CXFLOAT/CXDOUBLE.
 */
export function dataTypeOfPixels(data: ImagePixels, complex = false): DataType {
  if (data instanceof Uint16Array) return DataType.USHORT;
  if (data instanceof Int16Array) return DataType.SHORT;
  if (data instanceof Uint32Array) return DataType.UINT;
  if (data instanceof Int32Array) return DataType.INT;
  if (data instanceof Float32Array) return complex ? DataType.CXFLOAT : DataType.FLOAT;
  if (data instanceof Float64Array) return complex ? DataType.CXDOUBLE : DataType.DOUBLE;
  throw new TypeError('unsupported pixel array type');
}

// ---------------------------------------------------------------- sizes

/** Pixels of an image: channels * x * y * z. */
function imagePixelCount(head: ImageHeader): number {
  return head.channels * (head.matrix_size[0] ?? 0) * (head.matrix_size[1] ?? 0) * (head.matrix_size[2] ?? 0);
}
/** Bytes of the pixel data implied by the header (0 for an unknown data_type). */
export function imageDataBytes(head: ImageHeader): number {
  return imagePixelCount(head) * sizeofDataType(head.data_type);
}
/** Bytes of the trajectory: float32 samples * trajectory_dimensions. */
function acquisitionTrajBytes(head: AcquisitionHeader): number {
  return 4 * head.number_of_samples * head.trajectory_dimensions;
}
/** Bytes of the data: complex64 active_channels * samples. */
function acquisitionDataBytes(head: AcquisitionHeader): number {
  return 8 * head.number_of_samples * head.active_channels;
}
function waveformDataBytes(head: WaveformHeader): number {
  return 4 * head.number_of_samples * head.channels;
}

/** Bytes of a whole ACQUISITION message on the wire, id included. */
export function acquisitionMessageBytes(head: AcquisitionHeader): number {
  return 2 + ACQUISITION_HEADER_SIZE + acquisitionTrajBytes(head) + acquisitionDataBytes(head);
}
/** Bytes of a whole IMAGE message on the wire, id included, for an attribute of `attributeBytes` bytes. */
export function imageMessageBytes(head: ImageHeader, attributeBytes: number): number {
  return 2 + IMAGE_HEADER_SIZE + 8 + attributeBytes + imageDataBytes(head);
}
export function waveformMessageBytes(head: WaveformHeader): number {
  return 2 + WAVEFORM_HEADER_SIZE + waveformDataBytes(head);
}

// ---------------------------------------------------------------- constructors

export interface CreateAcquisitionOptions {
  head?: Partial<AcquisitionHeader>;
  /** complex64 [channels][samples] interleaved; length must match the header. Used as is (no copy). */
  data?: Float32Array;
  /** float32 [samples][dims]; used as is (no copy). */
  traj?: Float32Array;
}

/** An acquisition whose payloads are sized from number_of_samples, active_channels, trajectory_dimensions. */
export function createAcquisition(opts: CreateAcquisitionOptions = {}): Acquisition {
  const head = { ...emptyAcquisitionHeader(), ...opts.head };
  const nData = 2 * head.number_of_samples * head.active_channels;
  const nTraj = head.number_of_samples * head.trajectory_dimensions;
  const data = opts.data ?? new Float32Array(nData);
  const traj = opts.traj ?? new Float32Array(nTraj);
  if (data.length !== nData) throw new RangeError(`acquisition data has ${data.length} floats, header implies ${nData} (2 x ${head.active_channels} channels x ${head.number_of_samples} samples)`);
  if (traj.length !== nTraj) throw new RangeError(`acquisition traj has ${traj.length} floats, header implies ${nTraj} (${head.number_of_samples} samples x ${head.trajectory_dimensions} dims)`);
  return { head, traj, data };
}

export interface CreateImageOptions {
  /** data_type (default: from `data`, else FLOAT). */
  dataType?: number;
  /** [x, y, z] (default [1,1,1] or head.matrix_size). */
  matrixSize?: number[];
  channels?: number;
  head?: Partial<ImageHeader>;
  attribute?: string;
  /** [channels][z][y][x] pixels; length must match. Used as is (no copy). */
  data?: ImagePixels;
  /** With Float32Array/Float64Array `data` and no dataType: treat it as complex interleaved. */
  complex?: boolean;
}

/** An image with pixels sized from matrix_size, channels and data_type; attribute_string_len kept consistent. */
export function createImage(opts: CreateImageOptions = {}): Image {
  const head = { ...emptyImageHeader(), ...opts.head };
  if (opts.matrixSize) head.matrix_size = [opts.matrixSize[0] ?? 1, opts.matrixSize[1] ?? 1, opts.matrixSize[2] ?? 1];
  else if (!opts.head?.matrix_size) head.matrix_size = [1, 1, 1];
  else head.matrix_size = head.matrix_size.slice();
  if (opts.channels !== undefined) head.channels = opts.channels;
  else if (opts.head?.channels === undefined) head.channels = 1;
  head.data_type = opts.dataType ?? opts.head?.data_type ?? (opts.data ? dataTypeOfPixels(opts.data, opts.complex) : DataType.FLOAT);
  const C = pixelArrayConstructor(head.data_type);
  const n = imagePixelCount(head) * elementsPerPixel(head.data_type);
  const data = opts.data ?? new C(n);
  if (!(data instanceof C)) throw new TypeError(`image data is a ${data.constructor.name}, data_type ${dataTypeName(head.data_type)} needs ${C.name}`);
  if (data.length !== n) throw new RangeError(`image data has ${data.length} elements, header implies ${n} (${dataTypeName(head.data_type)} ${head.channels}x${head.matrix_size.join('x')})`);
  const attribute = opts.attribute ?? '';
  head.attribute_string_len = utf8Length(attribute);
  return { head, attribute, data };
}

/** Sets an image's attribute text and keeps head.attribute_string_len equal to its UTF-8 length. */
export function setImageAttribute(image: Image, attribute: string): void {
  image.attribute = attribute;
  image.head.attribute_string_len = utf8Length(attribute);
}

export interface CreateWaveformOptions {
  head?: Partial<WaveformHeader>;
  /** uint32 [channels][samples]; used as is. */
  data?: Uint32Array;
}

export function createWaveform(opts: CreateWaveformOptions = {}): Waveform {
  const head = { ...emptyWaveformHeader(), ...opts.head };
  const n = head.number_of_samples * head.channels;
  const data = opts.data ?? new Uint32Array(n);
  if (data.length !== n) throw new RangeError(`waveform data has ${data.length} values, header implies ${n} (${head.channels} channels x ${head.number_of_samples} samples)`);
  return { head, data };
}

// ---------------------------------------------------------------- clones

/** Deep copy; the payloads get their own buffers (detached from any stream chunk). */
export function cloneAcquisition(a: Acquisition): Acquisition {
  return { head: cloneAcquisitionHeader(a.head), traj: a.traj.slice(), data: a.data.slice() };
}
export function cloneImage(i: Image): Image {
  return { head: cloneImageHeader(i.head), attribute: i.attribute, data: i.data.slice() };
}
export function cloneWaveform(w: Waveform): Waveform {
  return { head: cloneWaveformHeader(w.head), data: w.data.slice() };
}

/** Bytes of `s` in UTF-8 without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
