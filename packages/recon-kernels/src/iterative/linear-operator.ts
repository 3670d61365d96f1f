/**
 * The contract between the iterative solvers and the measurement models they invert: a linear
 * map A from an image vector (complex, interleaved re/im in a Float32Array) to a data vector.
 * The solvers only ever need A^H y once and the normal operator A^H A repeatedly, so an operator
 * may implement `normal` directly (e.g. frame by frame, never holding all of A x in memory).
 */
export interface LinearOperator {
  /** complex values in the image (domain) vector */
  readonly inputLength: number;
  /** complex values in the data (range) vector */
  readonly outputLength: number;
  /** out = A x */
  forward(x: Float32Array, out: Float32Array): void;
  /** out = A^H y */
  adjoint(y: Float32Array, out: Float32Array): void;
  /** out = A^H A x (optional; defaults to adjoint(forward(x))) */
  normal?(x: Float32Array, out: Float32Array): void;
  /**
   * The same on other threads (optional: an operator on the worker pool). The solvers then keep
   * their vectors on SharedArrayBuffers and call these from their async runs.
   */
  adjointAsync?(y: Float32Array, out: Float32Array): Promise<void>;
  normalAsync?(x: Float32Array, out: Float32Array): Promise<void>;
}

/** out = A^H A x through the operator's own `normal` or forward then adjoint. */
export function applyNormal(op: LinearOperator, x: Float32Array, out: Float32Array, scratch?: Float32Array): void {
  if (op.normal) {
    op.normal(x, out);
    return;
  }
  const tmp = scratch ?? new Float32Array(2 * op.outputLength);
  op.forward(x, tmp);
  op.adjoint(tmp, out);
}

/**
 * A dense complex matrix (rows x cols, row-major, interleaved) as a LinearOperator: the
 * reference model the solvers are tested against.
 */
export class DenseOperator implements LinearOperator {
  constructor(readonly matrix: Float64Array, readonly outputLength: number, readonly inputLength: number) {
    if (matrix.length !== 2 * outputLength * inputLength) throw new Error(`dense operator: ${matrix.length / 2} entries for ${outputLength} x ${inputLength}`);
  }

  forward(x: Float32Array, out: Float32Array): void {
    const { matrix: m, inputLength: n } = this;
    for (let r = 0; r < this.outputLength; r++) {
      let re = 0, im = 0;
      const o = 2 * r * n;
      for (let c = 0; c < n; c++) {
        const ar = m[o + 2 * c], ai = m[o + 2 * c + 1], xr = x[2 * c], xi = x[2 * c + 1];
        re += ar * xr - ai * xi;
        im += ar * xi + ai * xr;
      }
      out[2 * r] = re;
      out[2 * r + 1] = im;
    }
  }

  adjoint(y: Float32Array, out: Float32Array): void {
    const { matrix: m, inputLength: n } = this;
    const acc = new Float64Array(2 * n);
    for (let r = 0; r < this.outputLength; r++) {
      const yr = y[2 * r], yi = y[2 * r + 1];
      const o = 2 * r * n;
      for (let c = 0; c < n; c++) {
        const ar = m[o + 2 * c], ai = m[o + 2 * c + 1];
        acc[2 * c] += ar * yr + ai * yi;
        acc[2 * c + 1] += ar * yi - ai * yr;
      }
    }
    for (let i = 0; i < 2 * n; i++) out[i] = acc[i];
  }
}
