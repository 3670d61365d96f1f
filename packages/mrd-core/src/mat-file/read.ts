/**
 * MATLAB v5 MAT-file reader (Level 5 format: 128-byte header, tagged data elements, zlib
 * compressed elements, small-element packing, either byte order).
 *
 * Hand-written because the maintained npm reader tested (`mat-for-js` 1.1.0) reads these files
 * but returns nested plain arrays with singleton dimensions dropped (a 1 x N and an N x 1 array
 * come out alike, so the metafile layout `w` 1 x N cannot be told from N x 1) and complex values
 * as {r, i} objects per element; it has no writer either (`matfile`, the other name suggested,
 * is not on the npm registry). Here arrays keep their MATLAB
 * dimensions and are typed arrays (column-major, as stored), and the writer beside this file
 * produces the same structures.
 */
import { inflateSync } from 'node:zlib';
import { MatFileError, type MatCell, type MatChar, type MatFile, type MatNumeric, type MatNumericClass, type MatNumericData, type MatStruct, type MatValue } from './types.js';

export const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13,
  MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;

export const MX = {
  CELL: 1, STRUCT: 2, OBJECT: 3, CHAR: 4, SPARSE: 5, DOUBLE: 6, SINGLE: 7, INT8: 8, UINT8: 9, INT16: 10, UINT16: 11,
  INT32: 12, UINT32: 13, INT64: 14, UINT64: 15,
} as const;

const CLASS_NAMES: Record<number, MatNumericClass> = {
  6: 'double', 7: 'single', 8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64',
};

const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

interface Element {
  type: number;
  view: DataView;
  /** offset of the data in `view` */
  offset: number;
  bytes: number;
}

class Reader {
  constructor(readonly view: DataView, readonly le: boolean, readonly where: string) {}

  /** The element at `pos`, and the position after it (padded to 8 bytes). */
  element(pos: number): { el: Element; next: number } {
    const v = this.view;
    if (pos + 8 > v.byteLength) throw new MatFileError(`${this.where}: truncated data element tag at byte ${pos}`);
    const first = v.getUint32(pos, this.le);
    const small = first >>> 16;
    if (small !== 0) {
      // small data element: type in the low 16 bits, size in the high 16, data in the next 4 bytes
      const type = first & 0xffff;
      if (small > 4) throw new MatFileError(`${this.where}: small data element of ${small} bytes at byte ${pos}`);
      return { el: { type, view: v, offset: pos + 4, bytes: small }, next: pos + 8 };
    }
    const type = first;
    const bytes = v.getUint32(pos + 4, this.le);
    const start = pos + 8;
    if (start + bytes > v.byteLength) throw new MatFileError(`${this.where}: data element of ${bytes} bytes at byte ${pos} runs past the end (${v.byteLength})`);
    const next = type === MI.COMPRESSED ? start + bytes : start + Math.ceil(bytes / 8) * 8;
    return { el: { type, view: v, offset: start, bytes }, next };
  }
}

function readNumbers(el: Element, le: boolean, where: string): number[] | bigint[] {
  const size = MI_SIZE[el.type];
  if (size === undefined) throw new MatFileError(`${where}: unsupported data type ${el.type}`);
  const n = el.bytes / size;
  const v = el.view;
  const o = el.offset;
  const out: number[] = new Array(n);
  switch (el.type) {
    case MI.INT8: for (let i = 0; i < n; i++) out[i] = v.getInt8(o + i); break;
    case MI.UINT8: case MI.UTF8: for (let i = 0; i < n; i++) out[i] = v.getUint8(o + i); break;
    case MI.INT16: for (let i = 0; i < n; i++) out[i] = v.getInt16(o + 2 * i, le); break;
    case MI.UINT16: case MI.UTF16: for (let i = 0; i < n; i++) out[i] = v.getUint16(o + 2 * i, le); break;
    case MI.INT32: for (let i = 0; i < n; i++) out[i] = v.getInt32(o + 4 * i, le); break;
    case MI.UINT32: case MI.UTF32: for (let i = 0; i < n; i++) out[i] = v.getUint32(o + 4 * i, le); break;
    case MI.SINGLE: for (let i = 0; i < n; i++) out[i] = v.getFloat32(o + 4 * i, le); break;
    case MI.DOUBLE: for (let i = 0; i < n; i++) out[i] = v.getFloat64(o + 8 * i, le); break;
    case MI.INT64: { const b: bigint[] = new Array(n); for (let i = 0; i < n; i++) b[i] = v.getBigInt64(o + 8 * i, le); return b; }
    case MI.UINT64: { const b: bigint[] = new Array(n); for (let i = 0; i < n; i++) b[i] = v.getBigUint64(o + 8 * i, le); return b; }
    default: throw new MatFileError(`${where}: unsupported data type ${el.type}`);
  }
  return out;
}

function toClassArray(cls: MatNumericClass, values: number[] | bigint[]): MatNumericData {
  const n = values.length;
  const num = (i: number): number => Number(values[i]);
  const big = (i: number): bigint => (typeof values[i] === 'bigint' ? (values[i] as bigint) : BigInt(Math.trunc(values[i] as number)));
  switch (cls) {
    case 'double': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = num(i); return a; }
    case 'single': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = num(i); return a; }
    case 'int8': return Int8Array.from(values as number[], Number);
    case 'uint8': return Uint8Array.from(values as number[], Number);
    case 'int16': return Int16Array.from(values as number[], Number);
    case 'uint16': return Uint16Array.from(values as number[], Number);
    case 'int32': return Int32Array.from(values as number[], Number);
    case 'uint32': return Uint32Array.from(values as number[], Number);
    case 'int64': { const a = new BigInt64Array(n); for (let i = 0; i < n; i++) a[i] = big(i); return a; }
    case 'uint64': { const a = new BigUint64Array(n); for (let i = 0; i < n; i++) a[i] = big(i); return a; }
  }
}

function parseMatrix(r: Reader, el: Element, where: string): { name: string; value: MatValue } {
  const end = el.offset + el.bytes;
  let pos = el.offset;
  const next = (): Element => {
    const { el: e, next: n } = r.element(pos);
    pos = n;
    return e;
  };
  const flagsEl = next();
  if (flagsEl.type !== MI.UINT32 || flagsEl.bytes < 8) throw new MatFileError(`${where}: array flags missing`);
  const flagsWord = flagsEl.view.getUint32(flagsEl.offset, r.le);
  const cls = flagsWord & 0xff;
  const complex = (flagsWord & 0x800) !== 0;
  const logical = (flagsWord & 0x200) !== 0;
  const dimsEl = next();
  const dims = (readNumbers(dimsEl, r.le, where) as number[]).map(Number);
  const nameEl = next();
  const name = Buffer.from(nameEl.view.buffer, nameEl.view.byteOffset + nameEl.offset, nameEl.bytes).toString('latin1');
  const label = name === '' ? where : `${where}.${name}`;
  const count = dims.reduce((a, b) => a * b, 1);
  if (cls === MX.CHAR) {
    if (count === 0 || pos >= end) return { name, value: { kind: 'char', dims, text: '' } satisfies MatChar };
    const d = next();
    let text: string;
    if (d.type === MI.UTF8) text = Buffer.from(d.view.buffer, d.view.byteOffset + d.offset, d.bytes).toString('utf8');
    else text = String.fromCodePoint(...(readNumbers(d, r.le, label) as number[]));
    return { name, value: { kind: 'char', dims, text } };
  }
  if (cls === MX.STRUCT || cls === MX.OBJECT) {
    if (cls === MX.OBJECT) next(); // class name
    const lenEl = next();
    const fieldLen = Number((readNumbers(lenEl, r.le, label) as number[])[0]);
    const namesEl = next();
    const fieldNames: string[] = [];
    const raw = Buffer.from(namesEl.view.buffer, namesEl.view.byteOffset + namesEl.offset, namesEl.bytes);
    for (let off = 0; off + fieldLen <= raw.length; off += fieldLen) {
      const chunk = raw.subarray(off, off + fieldLen);
      const z = chunk.indexOf(0);
      fieldNames.push(chunk.subarray(0, z < 0 ? chunk.length : z).toString('latin1'));
    }
    const elements: Record<string, MatValue>[] = [];
    for (let i = 0; i < count; i++) {
      const rec: Record<string, MatValue> = {};
      for (const f of fieldNames) {
        const e = next();
        if (e.type !== MI.MATRIX) throw new MatFileError(`${label}: field ${f} is not a matrix element (type ${e.type})`);
        rec[f] = e.bytes === 0 ? emptyDouble() : parseMatrix(r, e, `${label}.${f}`).value;
      }
      elements.push(rec);
    }
    return { name, value: { kind: 'struct', dims, fieldNames, elements } satisfies MatStruct };
  }
  if (cls === MX.CELL) {
    const elements: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const e = next();
      elements.push(e.bytes === 0 ? emptyDouble() : parseMatrix(r, e, `${label}{${i}}`).value);
    }
    return { name, value: { kind: 'cell', dims, elements } satisfies MatCell };
  }
  const className = CLASS_NAMES[cls];
  if (className === undefined) throw new MatFileError(`${label}: unsupported array class ${cls}${cls === MX.SPARSE ? ' (sparse)' : ''}`);
  const realEl = pos < end ? next() : undefined;
  const real = toClassArray(className, realEl ? readNumbers(realEl, r.le, label) : []);
  if (real.length !== count) throw new MatFileError(`${label}: ${real.length} values for dimensions ${dims.join('x')}`);
  const value: MatNumeric = { kind: 'numeric', class: className, dims, real };
  if (complex) {
    const imEl = next();
    value.imag = toClassArray(className, readNumbers(imEl, r.le, label));
    if (value.imag.length !== count) throw new MatFileError(`${label}: ${value.imag.length} imaginary values for dimensions ${dims.join('x')}`);
  }
  if (logical) value.logical = true;
  return { name, value };
}

function emptyDouble(): MatNumeric {
  return { kind: 'numeric', class: 'double', dims: [0, 0], real: new Float64Array(0) };
}

/** Parses a MATLAB v5 MAT file. `where` names the file in errors. */
export function parseMatFile(bytes: Uint8Array, where = 'MAT file'): MatFile {
  if (bytes.length < 128) throw new MatFileError(`${where}: not a MATLAB v5 MAT file (shorter than its 128-byte header)`);
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset, 116).toString('latin1').replace(/[\s\0]+$/, '');
  if (headerText.startsWith('MATLAB 7.3')) throw new MatFileError(`${where}: MATLAB 7.3 (HDF5) MAT files are not v5; read it as HDF5`);
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== 'IM' && endian !== 'MI') throw new MatFileError(`${where}: not a MATLAB v5 MAT file (endian indicator ${JSON.stringify(endian)})`);
  const le = endian === 'IM';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(124, le);
  if (version !== 0x0100) throw new MatFileError(`${where}: MAT version 0x${version.toString(16)} is not 0x0100 (v5)`);
  const variables = new Map<string, MatValue>();
  const top = new Reader(view, le, where);
  let pos = 128;
  while (pos < view.byteLength) {
    if (view.byteLength - pos < 8) break; // trailing padding
    const { el, next } = top.element(pos);
    pos = next;
    let r = top;
    let m = el;
    if (el.type === MI.COMPRESSED) {
      let inflated: Buffer;
      try {
        inflated = inflateSync(Buffer.from(el.view.buffer, el.view.byteOffset + el.offset, el.bytes));
      } catch (e) {
        throw new MatFileError(`${where}: compressed element at byte ${el.offset - 8} does not inflate: ${(e as Error).message}`);
      }
      r = new Reader(new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength), le, where);
      m = r.element(0).el;
    }
    if (m.type !== MI.MATRIX) continue; // other top-level element types carry no variable
    if (m.bytes === 0) continue;
    const { name, value } = parseMatrix(r, m, where);
    variables.set(name, value);
  }
  return { headerText, variables };
}
