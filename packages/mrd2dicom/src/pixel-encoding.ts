/**
 * MRD pixels -> DICOM Pixel Data.
 *
 * The MR Image IOD allows only 16-bit monochrome pixels, so:
 * - USHORT / SHORT data are written as they are (PixelRepresentation 0 / 1).
 * - UINT / INT / FLOAT / DOUBLE data whose values are all integers that fit 16 bits are written
 *   exactly as 16-bit (unsigned when none is negative).
 * - Anything else (fractional or out-of-range values, complex data as its magnitude) is mapped
 *   linearly onto 0..65535 with RescaleSlope / RescaleIntercept, so the DICOM values
 *   (stored * slope + intercept) are the MRD values to within (max - min) / 65535 / 2. The exact
 *   MRD values are also kept in the private block of mrd-core `dicom/mrd-private.ts`, so
 *   dicom2mrd restores them bit for bit (only while the Pixel Data still matches them).
 * - RGB images (image_type 6, 3 channels) become 8-bit RGB when every value is 0..255, else
 *   16-bit RGB.
 */
import { DataType } from '@mrd-tools/core/constants';

export interface EncodedPixels {
  bytes: Uint8Array;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometric: 'MONOCHROME2' | 'RGB';
  rescale?: { slope: number; intercept: number };
  /** When the Pixel Data is not the MRD data exactly: the MRD data type and bytes to keep privately. */
  exact?: { dataType: number; bytes: Uint8Array };
  /** When the Pixel Data is exact but of another type than the MRD data. */
  originalDataType?: number;
  /** Smallest/largest stored value when known (always for rescaled/converted data). */
  minValue?: number;
  maxValue?: number;
}

type Numeric = ArrayLike<number>;

function range(v: Numeric): { min: number; max: number; integral: boolean } {
  let min = Infinity, max = -Infinity, integral = true;
  if (!(v instanceof Float32Array || v instanceof Float64Array)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    if (v.length === 0) { min = 0; max = 0; }
    return { min, max, integral };
  }
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
    if (integral && !Number.isInteger(x)) integral = false;
  }
  if (v.length === 0) { min = 0; max = 0; }
  return { min, max, integral };
}

/** Range of 16-bit data (monomorphic loops: this runs over every pixel). */
export function range16(v: Uint16Array | Int16Array): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  if (v instanceof Uint16Array) {
    for (let i = 0; i < v.length; i++) { const x = v[i]!; if (x < min) min = x; if (x > max) max = x; }
  } else {
    for (let i = 0; i < v.length; i++) { const x = v[i]!; if (x < min) min = x; if (x > max) max = x; }
  }
  return v.length ? { min, max } : { min: 0, max: 0 };
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function toLittleEndianBytes(a: ArrayBufferView): Uint8Array {
  // Node runs on little-endian hosts only (x64, arm64), so the typed-array bytes are LE.
  return new Uint8Array(bytesOf(a));
}

/** Bits needed to hold the values (for BitsStored), at least `min`. */
function bitsFor(min: number, max: number, signed: boolean): number {
  for (let b = 1; b <= 16; b++) {
    if (signed ? min >= -(2 ** (b - 1)) && max <= 2 ** (b - 1) - 1 : min >= 0 && max <= 2 ** b - 1) return b;
  }
  return 16;
}

/**
 * One monochrome plane (`[y][x]`, the part of an MRD image for one channel and slice).
 * `complex`: interleaved re/im (the magnitude is written). `bitsStoredHint`: the original
 * BitsStored to keep when the values fit.
 */
export function encodeMonochrome(plane: Float32Array | Float64Array | Uint16Array | Int16Array | Uint32Array | Int32Array, dataType: number, bitsStoredHint?: number): EncodedPixels {
  const complex = dataType === DataType.CXFLOAT || dataType === DataType.CXDOUBLE;
  let values: Numeric = plane;
  if (complex) {
    const n = plane.length / 2;
    const mag = new Float64Array(n);
    for (let i = 0; i < n; i++) mag[i] = Math.hypot(plane[2 * i]!, plane[2 * i + 1]!);
    values = mag;
  }
  if (dataType === DataType.USHORT || dataType === DataType.SHORT) {
    // 16-bit data is written as it is; its range is needed only to keep a smaller BitsStored.
    const signed = dataType === DataType.SHORT;
    let bs = 16;
    if (bitsStoredHint !== undefined && bitsStoredHint >= 1 && bitsStoredHint < 16) {
      const r = signed ? range16(plane as Int16Array) : range16(plane as Uint16Array);
      if (bitsFor(r.min, r.max, signed) <= bitsStoredHint) bs = bitsStoredHint;
    }
    return { bytes: toLittleEndianBytes(plane), bitsAllocated: 16, bitsStored: bs, pixelRepresentation: signed ? 1 : 0, samplesPerPixel: 1, photometric: 'MONOCHROME2' };
  }
  const { min, max, integral } = range(values);
  const hintOk = (signed: boolean) => bitsStoredHint !== undefined && bitsStoredHint >= 1 && bitsStoredHint <= 16 && bitsFor(min, max, signed) <= bitsStoredHint;
  if (!complex && integral && min >= -32768 && max <= 65535) {
    const signed = min < 0;
    if (!signed || max <= 32767) {
      const out = signed ? new Int16Array(values.length) : new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = values[i]!;
      const bs = hintOk(signed) ? bitsStoredHint! : 16;
      return { bytes: bytesOf(out), bitsAllocated: 16, bitsStored: bs, pixelRepresentation: signed ? 1 : 0, samplesPerPixel: 1, photometric: 'MONOCHROME2', originalDataType: dataType, minValue: min, maxValue: max };
    }
  }
  // Rescaled 16-bit, exact values kept privately.
  const out = new Uint16Array(values.length);
  let slope = (max - min) / 65535;
  if (!(slope > 0) || !Number.isFinite(slope)) slope = 1;
  const intercept = Number.isFinite(min) ? min : 0;
  for (let i = 0; i < values.length; i++) {
    const s = Math.round((values[i]! - intercept) / slope);
    out[i] = s < 0 ? 0 : s > 65535 ? 65535 : s;
  }
  return {
    bytes: bytesOf(out), bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, samplesPerPixel: 1, photometric: 'MONOCHROME2',
    rescale: { slope, intercept }, exact: { dataType, bytes: toLittleEndianBytes(plane) }, minValue: 0, maxValue: 65535,
  };
}

/** An RGB image: three planes `[3][y][x]` -> interleaved RGB samples. */
export function encodeRgb(planes: Numeric, pixels: number, dataType: number): EncodedPixels {
  const { min, max, integral } = range(planes);
  const eight = integral && min >= 0 && max <= 255;
  const sixteen = integral && min >= 0 && max <= 65535;
  const out = eight ? new Uint8Array(pixels * 3) : new Uint16Array(pixels * 3);
  let slope = 1;
  let intercept = 0;
  if (!eight && !sixteen) {
    slope = (max - min) / 65535 || 1;
    intercept = min;
  }
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < pixels; i++) {
      const v = planes[c * pixels + i]!;
      out[i * 3 + c] = eight || sixteen ? v : Math.max(0, Math.min(65535, Math.round((v - intercept) / slope)));
    }
  }
  const res: EncodedPixels = {
    bytes: bytesOf(out), bitsAllocated: eight ? 8 : 16, bitsStored: eight ? 8 : 16, pixelRepresentation: 0, samplesPerPixel: 3, photometric: 'RGB',
    minValue: eight || sixteen ? min : 0, maxValue: eight || sixteen ? max : 65535,
  };
  if (!eight && !sixteen) {
    const exact = planes instanceof Float32Array || planes instanceof Float64Array || planes instanceof Int32Array || planes instanceof Uint32Array || planes instanceof Int16Array ? toLittleEndianBytes(planes as ArrayBufferView) : new Uint8Array(0);
    res.exact = { dataType, bytes: exact };
  } else if (dataType !== DataType.USHORT) {
    res.originalDataType = dataType;
  }
  return res;
}
