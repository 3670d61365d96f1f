/**
 * NumPy .npy (format 1.0) encoding of C-order typed arrays, for the reference's debug dumps
 * (`np.save(debugFolder + "/raw.npy", data)`), readable by numpy.load.
 */
export type NpyDtype = '<c8' | '<c16' | '<f4' | '<f8' | '<i2' | '<u2' | '<i4' | '<u4';

export function npyDtypeOf(data: ArrayBufferView, complex = false): NpyDtype {
  if (data instanceof Float32Array) return complex ? '<c8' : '<f4';
  if (data instanceof Float64Array) return complex ? '<c16' : '<f8';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  throw new Error('npy: unsupported array type');
}

/** The bytes of a .npy file holding `data` with `shape` (C order). */
export function encodeNpy(data: ArrayBufferView, shape: readonly number[], complex = false): Uint8Array {
  const descr = npyDtypeOf(data, complex);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic(6) + version(2) + len(2) + header + '\n' padded to a multiple of 64
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
