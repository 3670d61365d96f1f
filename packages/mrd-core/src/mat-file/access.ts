/** Convenience constructors and accessors for MAT values (./types.ts). */
import { MatFileError, type MatChar, type MatNumeric, type MatStruct, type MatValue } from './types.js';

/** A real double matrix from column-major values. */
export function matDouble(dims: number[], values: ArrayLike<number>): MatNumeric {
  return { kind: 'numeric', class: 'double', dims: [...dims], real: Float64Array.from(values) };
}

/** A 1 x 1 double. */
export function matScalar(v: number): MatNumeric {
  return matDouble([1, 1], [v]);
}

export function matString(text: string): MatChar {
  return { kind: 'char', dims: [1, text.length], text };
}

/** A 1 x 1 struct. */
export function matStruct(fields: Record<string, MatValue>): MatStruct {
  return { kind: 'struct', dims: [1, 1], fieldNames: Object.keys(fields), elements: [fields] };
}

/** The numeric array's values as float64 (real part), column-major. */
export function matReal(v: MatValue, what = 'value'): Float64Array {
  if (v.kind !== 'numeric') throw new MatFileError(`${what} is a ${v.kind}, not a numeric array`);
  return Float64Array.from(v.real as ArrayLike<number | bigint>, Number);
}

/** The single number of a numeric array (first element; scipy's loadmat wraps scalars as 1 x 1). */
export function matNumber(v: MatValue, what = 'value'): number {
  if (v.kind !== 'numeric' || v.real.length < 1) throw new MatFileError(`${what} is not a non-empty numeric array`);
  return Number(v.real[0]);
}

/** Field `name` of the first element of a struct. */
export function matField(v: MatValue, name: string, what = 'struct'): MatValue | undefined {
  if (v.kind !== 'struct') throw new MatFileError(`${what} is a ${v.kind}, not a struct`);
  return v.elements[0]?.[name];
}
