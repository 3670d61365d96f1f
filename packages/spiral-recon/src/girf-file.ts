/** Reading a GIRF measurement (MAT v5, variable `GIRF`, lGirf x 3 complex) for girf.ts. */
import { readMatFile } from '@mrd-tools/core/mat-file';
import type { GirfTable } from '@mrd-tools/recon-kernels/mri/girf';

export function girfTableFromMat(path: string): GirfTable {
  const mat = readMatFile(path);
  const v = mat.variables.get('GIRF');
  if (v === undefined) throw new Error(`${path}: no variable GIRF (found ${[...mat.variables.keys()].join(', ') || 'none'})`);
  if (v.kind !== 'numeric' || v.dims.length !== 2 || v.dims[1] !== 3) {
    throw new Error(`${path}: GIRF must be a numeric N x 3 array, got ${v.kind} ${v.dims.join('x')}`);
  }
  const n = v.dims[0];
  const values = new Float64Array(2 * n * 3);
  for (let a = 0; a < 3; a++) for (let i = 0; i < n; i++) {
    values[2 * (i * 3 + a)] = Number(v.real[a * n + i]);
    values[2 * (i * 3 + a) + 1] = v.imag ? Number(v.imag[a * n + i]) : 0;
  }
  return { length: n, values };
}
