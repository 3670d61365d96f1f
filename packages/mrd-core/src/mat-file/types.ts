/**
 * MATLAB v5 MAT-file values as read and written by this folder. Arrays keep MATLAB's dimensions
 * and column-major (Fortran) element order, exactly as stored: `dims` [rows, cols, ...].
 */
export type MatNumericClass = 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

export type MatNumericData =
  | Float64Array | Float32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

export interface MatNumeric {
  kind: 'numeric';
  class: MatNumericClass;
  dims: number[];
  /** column-major real part, typed as the array class */
  real: MatNumericData;
  /** column-major imaginary part when the array is complex */
  imag?: MatNumericData;
  logical?: boolean;
}

export interface MatChar {
  kind: 'char';
  dims: number[];
  /** the characters in column-major order (for a 1 x n char array: the string itself) */
  text: string;
}

export interface MatStruct {
  kind: 'struct';
  dims: number[];
  fieldNames: string[];
  /** one record per struct element (column-major) */
  elements: Record<string, MatValue>[];
}

export interface MatCell {
  kind: 'cell';
  dims: number[];
  elements: MatValue[];
}

export type MatValue = MatNumeric | MatChar | MatStruct | MatCell;

/** A MAT file's variables, in file order. */
export interface MatFile {
  headerText: string;
  variables: Map<string, MatValue>;
}

export class MatFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatFileError';
  }
}
