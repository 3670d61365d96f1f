/**
 * MATLAB v5 MAT-file writer (little endian, each variable optionally zlib-compressed as MATLAB
 * and scipy.io.savemat(do_compression=True) do). Writes the values of ./types.ts.
 */
import { deflateSync } from 'node:zlib';
import { MI, MX } from './read.js';
import { MatFileError, type MatNumeric, type MatNumericClass, type MatValue } from './types.js';

const CLASS_CODES: Record<MatNumericClass, { mx: number; mi: number; size: number }> = {
  double: { mx: MX.DOUBLE, mi: MI.DOUBLE, size: 8 }, single: { mx: MX.SINGLE, mi: MI.SINGLE, size: 4 },
  int8: { mx: MX.INT8, mi: MI.INT8, size: 1 }, uint8: { mx: MX.UINT8, mi: MI.UINT8, size: 1 },
  int16: { mx: MX.INT16, mi: MI.INT16, size: 2 }, uint16: { mx: MX.UINT16, mi: MI.UINT16, size: 2 },
  int32: { mx: MX.INT32, mi: MI.INT32, size: 4 }, uint32: { mx: MX.UINT32, mi: MI.UINT32, size: 4 },
  int64: { mx: MX.INT64, mi: MI.INT64, size: 8 }, uint64: { mx: MX.UINT64, mi: MI.UINT64, size: 8 },
};

function tagged(type: number, payload: Uint8Array): Buffer {
  const padded = Math.ceil(payload.length / 8) * 8;
  const out = Buffer.alloc(8 + padded);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(payload.length, 4);
  out.set(payload, 8);
  return out;
}

function typedBytes(a: ArrayBufferView): Uint8Array {
  // typed arrays are in platform order; Node on every supported platform is little endian
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function matrixElement(name: string, value: MatValue): Buffer {
  const parts: Buffer[] = [];
  const flags = Buffer.alloc(8);
  const dims = Int32Array.from(value.dims);
  let cls: number;
  let complex = false;
  let logical = false;
  switch (value.kind) {
    case 'numeric': cls = CLASS_CODES[value.class].mx; complex = value.imag !== undefined; logical = value.logical === true; break;
    case 'char': cls = MX.CHAR; break;
    case 'struct': cls = MX.STRUCT; break;
    case 'cell': cls = MX.CELL; break;
  }
  flags.writeUInt32LE(cls | (complex ? 0x800 : 0) | (logical ? 0x200 : 0), 0);
  parts.push(tagged(MI.UINT32, flags), tagged(MI.INT32, typedBytes(dims)), tagged(MI.INT8, Buffer.from(name, 'latin1')));
  const count = value.dims.reduce((a, b) => a * b, 1);
  if (value.kind === 'numeric') {
    checkCount(name, value, count);
    const c = CLASS_CODES[value.class];
    parts.push(tagged(c.mi, typedBytes(value.real)));
    if (value.imag) parts.push(tagged(c.mi, typedBytes(value.imag)));
  } else if (value.kind === 'char') {
    if (value.text.length !== count) throw new MatFileError(`${name}: char array of ${value.text.length} characters for dimensions ${value.dims.join('x')}`);
    const u16 = new Uint16Array(count);
    for (let i = 0; i < count; i++) u16[i] = value.text.charCodeAt(i);
    parts.push(tagged(MI.UINT16, typedBytes(u16)));
  } else if (value.kind === 'struct') {
    const len = Math.max(...value.fieldNames.map((f) => f.length + 1), 1);
    if (len > 64) throw new MatFileError(`${name}: struct field names are limited to 63 characters`);
    const lenBuf = Buffer.alloc(4);
    lenBuf.writeInt32LE(len, 0);
    const small = Buffer.alloc(8);
    small.writeUInt32LE((4 << 16) | MI.INT32, 0);
    small.set(lenBuf, 4);
    parts.push(small);
    const names = Buffer.alloc(len * value.fieldNames.length);
    value.fieldNames.forEach((f, i) => names.write(f, i * len, 'latin1'));
    parts.push(tagged(MI.INT8, names));
    if (value.elements.length !== count) throw new MatFileError(`${name}: ${value.elements.length} struct elements for dimensions ${value.dims.join('x')}`);
    for (const rec of value.elements) for (const f of value.fieldNames) parts.push(matrixElement('', rec[f]));
  } else {
    if (value.elements.length !== count) throw new MatFileError(`${name}: ${value.elements.length} cells for dimensions ${value.dims.join('x')}`);
    for (const e of value.elements) parts.push(matrixElement('', e));
  }
  return tagged(MI.MATRIX, Buffer.concat(parts));
}

function checkCount(name: string, v: MatNumeric, count: number): void {
  if (v.real.length !== count) throw new MatFileError(`${name}: ${v.real.length} values for dimensions ${v.dims.join('x')}`);
  if (v.imag && v.imag.length !== count) throw new MatFileError(`${name}: ${v.imag.length} imaginary values for dimensions ${v.dims.join('x')}`);
}

export interface MatWriteOptions {
  /** zlib-compress each variable (default true) */
  compress?: boolean;
  /** header text (default names this writer) */
  headerText?: string;
}

/** Encodes variables (name -> value, in order) as a MATLAB v5 MAT file. */
export function encodeMatFile(variables: Iterable<[string, MatValue]> | Record<string, MatValue>, options: MatWriteOptions = {}): Uint8Array {
  const entries = Symbol.iterator in Object(variables) ? [...(variables as Iterable<[string, MatValue]>)] : Object.entries(variables);
  const header = Buffer.alloc(128, 0x20);
  const text = (options.headerText ?? `MATLAB 5.0 MAT-file, written by mrd-tools, Created on: ${new Date().toUTCString()}`).slice(0, 116);
  header.write(text, 0, 'latin1');
  header.fill(0, 116, 124); // no subsystem data
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const parts: Buffer[] = [header];
  for (const [name, value] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new MatFileError(`invalid MATLAB variable name ${JSON.stringify(name)}`);
    const m = matrixElement(name, value);
    if (options.compress === false) parts.push(m);
    else {
      const z = deflateSync(m);
      const tag = Buffer.alloc(8);
      tag.writeUInt32LE(MI.COMPRESSED, 0);
      tag.writeUInt32LE(z.length, 4);
      parts.push(tag, z);
    }
  }
  return new Uint8Array(Buffer.concat(parts));
}
