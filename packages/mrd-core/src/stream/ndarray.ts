/**
 * The NDARRAY message (id 1030) as ISMRMRD `serialization.cpp` defines it: u16 data_type, u16
 * version, u16 ndim, ndim x u64 dims (size_t; dims[0] varies fastest), then the elements.
 * The stream carries the payload as bytes (`{ type: 'ndarray', bytes }`); these helpers read and
 * build it.
 */
import { isDataType, NDARRAY_MAXDIM, sizeofDataType, dataTypeName } from '../constants/index.js';
import type { ImagePixels } from '../messages/types.js';
import { elementsPerPixel, pixelArrayConstructor } from '../messages/create.js';

export interface NdArray {
  data_type: number;
  /** NDArray version (ISMRMRD_VERSION_MAJOR, 1, by default). */
  version: number;
  /** Dimensions, dims[0] fastest (as the C++ NDArray). */
  dims: number[];
  /** Elements; complex types interleaved re/im. */
  data: ImagePixels;
}

/** Reads an NDARRAY payload (the bytes after the message id). */
export function decodeNdArray(bytes: Uint8Array): NdArray {
  if (bytes.length < 6) throw new RangeError(`NDARRAY payload of ${bytes.length} bytes is shorter than its 6-byte prefix`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data_type = dv.getUint16(0, true);
  const version = dv.getUint16(2, true);
  const ndim = dv.getUint16(4, true);
  if (!isDataType(data_type)) throw new RangeError(`NDARRAY data_type ${data_type} is not one of 1..8`);
  if (ndim < 1 || ndim > NDARRAY_MAXDIM) throw new RangeError(`NDARRAY ndim ${ndim} is not in 1..${NDARRAY_MAXDIM}`);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = dv.getUint32(6 + 8 * i, true) + dv.getUint32(10 + 8 * i, true) * 4294967296;
    dims.push(d);
    count *= d;
  }
  const start = 6 + 8 * ndim;
  const nbytes = count * sizeofDataType(data_type);
  if (bytes.length !== start + nbytes) {
    throw new RangeError(`NDARRAY ${dataTypeName(data_type)} [${dims.join(', ')}] needs ${start + nbytes} bytes, payload has ${bytes.length}`);
  }
  const C = pixelArrayConstructor(data_type);
  const n = count * elementsPerPixel(data_type);
  const off = bytes.byteOffset + start;
  let data: ImagePixels;
  if (off % C.BYTES_PER_ELEMENT === 0) data = new C(bytes.buffer as ArrayBuffer, off, n);
  else {
    data = new C(n);
    new Uint8Array(data.buffer).set(bytes.subarray(start));
  }
  return { data_type, version, dims, data };
}

/** Builds an NDARRAY payload. */
export function encodeNdArray(arr: { data_type: number; version?: number; dims: number[]; data: ImagePixels }): Uint8Array {
  const { data_type, dims, data } = arr;
  if (!isDataType(data_type)) throw new RangeError(`NDARRAY data_type ${data_type} is not one of 1..8`);
  if (dims.length < 1 || dims.length > NDARRAY_MAXDIM) throw new RangeError(`NDARRAY ndim ${dims.length} is not in 1..${NDARRAY_MAXDIM}`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.byteLength !== count * sizeofDataType(data_type)) {
    throw new RangeError(`NDARRAY ${dataTypeName(data_type)} [${dims.join(', ')}] needs ${count * sizeofDataType(data_type)} data bytes, got ${data.byteLength}`);
  }
  const start = 6 + 8 * dims.length;
  const out = new Uint8Array(start + data.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, data_type, true);
  dv.setUint16(2, arr.version ?? 1, true);
  dv.setUint16(4, dims.length, true);
  dims.forEach((d, i) => dv.setBigUint64(6 + 8 * i, BigInt(d), true));
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), start);
  return out;
}
