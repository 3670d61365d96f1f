/**
 * Multi-dimensional arrays (yardl `T[dims]`, `T[]`): the dimensions as varints (the count first
 * when the number of dimensions is not fixed by the model), then the elements in row-major order.
 *
 * Element kinds: float32/float64 and their complex pairs are raw little-endian bytes, read as
 * typed-array views into the stream bytes when aligned (else one copy: see BinaryReader.bulk);
 * the integer kinds (uint16 ... int32) are one varint per element in the encoding, so decoding
 * them always builds a new typed array (a copy is unavoidable). Arrays of records (the header
 * arrays of ReconBuffer and ImageArray) hold plain arrays.
 *
 * NDJSON: `{"shape":[...],"data":[...]}` with complex elements as `[re,im]`.
 */
import type { NDArray } from '../model/types.js';
import { NEED_MORE, type BinaryReader } from './binary-reader.js';
import type { BinaryWriter } from './binary-writer.js';
import { ValueFault, withPath, type Codec } from './codec.js';
import { describeJson, jsonFloat, type JsonValue } from './json.js';

/** The most dimensions an array may have (numpy's limit). */
export const MAX_NDIMS = 32;

type TypedArray = Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
type TypedArrayConstructor<A> = { new (n: number): A; BYTES_PER_ELEMENT: number; name: string };

export interface ElementKind<A extends TypedArray> {
  readonly type: string;
  readonly complex: boolean;
  /** Fewest bytes one element takes in the stream. */
  readonly minBytes: number;
  /** Bytes one decoded element takes in memory. */
  readonly allocBytes: number;
  readonly C: TypedArrayConstructor<A>;
  read(r: BinaryReader, count: number): A;
  write(w: BinaryWriter, a: A): void;
  json(a: A): string;
  fromJson(data: JsonValue[], count: number): A;
}

function floatKind<A extends Float32Array | Float64Array>(type: string, C: TypedArrayConstructor<A> & { new (b: ArrayBuffer, o: number, n: number): A }, complex: boolean): ElementKind<A> {
  const per = complex ? 2 : 1;
  return {
    type, complex, minBytes: per * C.BYTES_PER_ELEMENT, allocBytes: 0, C,
    read: (r, count) => r.bulk(C, count * per),
    write: (w, a) => w.bulk(a),
    json: (a) => {
      let s = '';
      if (complex) {
        for (let i = 0; i < a.length; i += 2) s += `${i ? ',' : ''}[${jsonFloat(a[i]!)},${jsonFloat(a[i + 1]!)}]`;
      } else {
        for (let i = 0; i < a.length; i++) s += (i ? ',' : '') + jsonFloat(a[i]!);
      }
      return s;
    },
    fromJson: (data, count) => {
      const a = new C(count * per);
      for (let i = 0; i < count; i++) {
        const x = data[i];
        if (complex) {
          if (!Array.isArray(x) || x.length !== 2) throw new ValueFault(`data[${i}]: expected [re, im], got ${describeJson(x)}`);
          a[2 * i] = toFloat(x[0], i);
          a[2 * i + 1] = toFloat(x[1], i);
        } else a[i] = toFloat(x, i);
      }
      return a;
    },
  };
}

function toFloat(x: JsonValue | undefined, i: number): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  throw new ValueFault(`data[${i}]: expected a number, got ${describeJson(x)}`);
}

function intKind<A extends Uint16Array | Int16Array | Uint32Array | Int32Array>(type: string, C: TypedArrayConstructor<A>, min: number, max: number,
  readOne: (r: BinaryReader) => number, signed: boolean): ElementKind<A> {
  const owner = {};
  return {
    type, complex: false, minBytes: 1, allocBytes: C.BYTES_PER_ELEMENT, C,
    read: (r, count) => {
      const key = r.base + r.pos;
      let a: A;
      let i = 0;
      const saved = r.resume.size ? r.resume.get(key) : undefined;
      if (saved?.owner === owner) {
        a = saved.value as A;
        i = saved.i;
        r.pos = saved.at - r.base;
      } else {
        // At least a byte per element: wait for that many before allocating.
        if (r.pos + count > r.end) r.ensure(count);
        r.noteAllocation(count * C.BYTES_PER_ELEMENT);
        a = new C(count);
      }
      let at = r.pos;
      try {
        for (; i < count; i++) {
          at = r.pos;
          a[i] = readOne(r);
        }
      } catch (e) {
        if (e === NEED_MORE && r.resumable) r.resume.set(key, { owner, value: a, i, at: r.base + at });
        throw e;
      }
      return a;
    },
    write: signed
      ? (w, a) => { for (let i = 0; i < a.length; i++) w.i32(a[i]!); }
      : (w, a) => { for (let i = 0; i < a.length; i++) w.u(a[i]!); },
    json: (a) => {
      let s = '';
      for (let i = 0; i < a.length; i++) s += (i ? ',' : '') + String(a[i]);
      return s;
    },
    fromJson: (data, count) => {
      const a = new C(count);
      for (let i = 0; i < count; i++) {
        const x = data[i];
        if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) throw new ValueFault(`data[${i}]: expected ${type}, got ${describeJson(x)}`);
        a[i] = x;
      }
      return a;
    },
  };
}

export const FLOAT32: ElementKind<Float32Array> = floatKind<Float32Array>('float32', Float32Array, false);
export const FLOAT64: ElementKind<Float64Array> = floatKind<Float64Array>('float64', Float64Array, false);
export const COMPLEX_FLOAT32: ElementKind<Float32Array> = floatKind<Float32Array>('complexfloat32', Float32Array, true);
export const COMPLEX_FLOAT64: ElementKind<Float64Array> = floatKind<Float64Array>('complexfloat64', Float64Array, true);
export const UINT16: ElementKind<Uint16Array> = intKind<Uint16Array>('uint16', Uint16Array, 0, 0xffff, (r) => r.u16(), false);
export const INT16: ElementKind<Int16Array> = intKind<Int16Array>('int16', Int16Array, -32768, 32767, (r) => r.i16(), true);
export const UINT32: ElementKind<Uint32Array> = intKind<Uint32Array>('uint32', Uint32Array, 0, 0xffffffff, (r) => r.u32(), false);
export const INT32: ElementKind<Int32Array> = intKind<Int32Array>('int32', Int32Array, -2147483648, 2147483647, (r) => r.i32(), true);

/** Reads `ndims` dimensions (or the count first when null) and returns [shape, element count]. */
function readShape(r: BinaryReader, ndims: number | null, what: string): [number[], number] {
  const at = r.pos;
  let nd = ndims;
  if (nd === null) {
    nd = r.size();
    if (nd > MAX_NDIMS) throw r.fault('invalid-field', `${what} has ${nd} dimensions, more than ${MAX_NDIMS}`, at);
  }
  const shape = new Array<number>(nd);
  let count = 1;
  for (let i = 0; i < nd; i++) {
    const d = r.size();
    if (d > r.limit) throw r.fault('message-too-large', `${what} dimension ${i} of ${d} exceeds the maximum item size of ${r.limit} bytes`, at);
    shape[i] = d;
    count *= d;
  }
  // Each dimension is below the limit, so the product of up to 32 of them is finite.
  return [shape, count];
}

function writeShape(w: BinaryWriter, shape: number[], ndims: number | null, type: string): number {
  if (!Array.isArray(shape)) throw new ValueFault(`${type}: shape is not an array`);
  if (ndims !== null && shape.length !== ndims) throw new ValueFault(`${type}: shape has ${shape.length} dimensions, the model has ${ndims}`);
  if (ndims === null) w.u(shape.length);
  let count = 1;
  for (const d of shape) {
    if (!(Number.isSafeInteger(d) && d >= 0)) throw new ValueFault(`${type}: dimension ${String(d)} is not a non-negative integer`);
    w.u(d);
    count *= d;
  }
  return count;
}

function shapeFromJson(j: JsonValue | undefined, ndims: number | null, type: string): [number[], JsonValue[]] {
  if (!(j instanceof Map)) throw new ValueFault(`expected {"shape": [...], "data": [...]} for ${type}, got ${describeJson(j)}`);
  const shape = j.get('shape');
  const data = j.get('data');
  if (!Array.isArray(shape) || !Array.isArray(data)) throw new ValueFault(`expected {"shape": [...], "data": [...]} for ${type}`);
  if (ndims !== null && shape.length !== ndims) throw new ValueFault(`${type}: shape has ${shape.length} dimensions, the model has ${ndims}`);
  if (shape.length > MAX_NDIMS) throw new ValueFault(`${type}: more than ${MAX_NDIMS} dimensions`);
  let count = 1;
  const dims = shape.map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new ValueFault(`${type}: dimension ${describeJson(d)} is not a non-negative integer`);
    count *= d;
    return d;
  });
  if (data.length !== count) throw new ValueFault(`${type}: shape [${dims.join(', ')}] needs ${count} elements, data has ${data.length}`);
  return [dims, data];
}

/** An array of numbers: `ndims` dimensions (null: any number, stored first). */
export function ndarray<A extends TypedArray>(kind: ElementKind<A>, ndims: number | null): Codec<NDArray<A>> {
  const type = `${kind.type}[${ndims === null ? '' : ','.repeat(Math.max(0, ndims - 1))}]`;
  const per = kind.complex ? 2 : 1;
  return {
    type, minSize: ndims ?? 1,
    read: (r) => {
      const [shape, count] = readShape(r, ndims, type);
      r.checkCount(count, kind.minBytes, type, kind.allocBytes);
      return { shape, data: kind.read(r, count) };
    },
    write: (w, v) => {
      if (!v || typeof v !== 'object') throw new ValueFault(`expected an NDArray of ${kind.type}`);
      if (!(v.data instanceof kind.C)) throw new ValueFault(`${type}: data is ${(v.data as object)?.constructor?.name ?? typeof v.data}, expected ${kind.C.name}`);
      const count = writeShape(w, v.shape, ndims, type);
      if (v.data.length !== count * per) throw new ValueFault(`${type}: shape [${v.shape.join(', ')}] needs ${count * per} numbers, data has ${v.data.length}`);
      kind.write(w, v.data);
    },
    json: (v) => `{"shape":[${v.shape.join(',')}],"data":[${kind.json(v.data)}]}`,
    fromJson: (j) => {
      const [shape, data] = shapeFromJson(j, ndims, type);
      return { shape, data: kind.fromJson(data, data.length) };
    },
  };
}

/** An array of records (or other non-numeric elements): `NDArray` of a plain array. */
export function elementArray<T>(c: Codec<T>, ndims: number): Codec<NDArray<T[]>> {
  const type = `${c.type}[${','.repeat(ndims - 1)}]`;
  const owner = {};
  return {
    type, minSize: ndims,
    read: (r) => {
      const key = r.base + r.pos;
      const [shape, count] = readShape(r, ndims, type);
      r.checkCount(count, Math.max(1, c.minSize), type);
      let data: T[];
      let i = 0;
      const saved = r.resume.size ? r.resume.get(key) : undefined;
      if (saved?.owner === owner) {
        data = saved.value as T[];
        i = saved.i;
        r.pos = saved.at - r.base;
      } else data = new Array<T>(count);
      let at = r.pos;
      try {
        for (; i < count; i++) {
          at = r.pos;
          data[i] = c.read(r);
        }
      } catch (e) {
        if (e === NEED_MORE) {
          if (r.resumable) r.resume.set(key, { owner, value: data, i, at: r.base + at });
          throw e;
        }
        throw withPath(e, `[${i}]`);
      }
      return { shape, data };
    },
    write: (w, v) => {
      if (!v || typeof v !== 'object' || !Array.isArray(v.data)) throw new ValueFault(`expected an NDArray of ${c.type}`);
      const count = writeShape(w, v.shape, ndims, type);
      if (v.data.length !== count) throw new ValueFault(`${type}: shape [${v.shape.join(', ')}] needs ${count} elements, data has ${v.data.length}`);
      let i = 0;
      try {
        for (; i < count; i++) c.write(w, v.data[i]!);
      } catch (e) {
        throw withPath(e, `[${i}]`);
      }
    },
    json: (v) => `{"shape":[${v.shape.join(',')}],"data":[${v.data.map((x) => c.json(x)).join(',')}]}`,
    fromJson: (j) => {
      const [shape, data] = shapeFromJson(j, ndims, type);
      let i = 0;
      try {
        const out = new Array<T>(data.length);
        for (; i < data.length; i++) out[i] = c.fromJson(data[i]);
        return { shape, data: out };
      } catch (e) {
        throw withPath(e, `[${i}]`);
      }
    },
  };
}
