/**
 * The Shepp-Logan head phantom as ismrmrd-python-tools' `simulation.phantom` draws it: ellipses
 * on a `linspace(-1, 1, n)` grid in both directions (numpy `mgrid[-1:1:n*1j]`, i.e. the grid
 * value of index i is `i * (2 / (n - 1)) - 1`, computed in double precision exactly as numpy does
 * so that boundary pixels fall on the same side), intensities accumulated in float32.
 *
 * The image is returned row-major `[y][x]` (numpy's `[row, col]`): y is the first grid axis.
 *
 * The `'pixel'` grid is the one of MRD v2's `mrd.tools.simulation.generate_phantom`: pixel i at
 * `(i - (n >> 1)) / (n >> 1)`, each intensity added in double precision to the float32 value
 * (a complex64 scalar plus a Python complex) and rounded back to float32.
 */

/** One ellipse: additive intensity, semi-axes a (along x) and b (along y), centre, rotation in degrees. */
export interface PhantomEllipse {
  intensity: number;
  a: number;
  b: number;
  x0: number;
  y0: number;
  /** Counter-clockwise rotation in degrees. */
  phiDeg: number;
}

function ellipse(intensity: number, a: number, b: number, x0: number, y0: number, phiDeg: number): PhantomEllipse {
  return { intensity, a, b, x0, y0, phiDeg };
}

/** The modified Shepp-Logan phantom (contrast improved, after Toft): the generator's default. */
export const MODIFIED_SHEPP_LOGAN_ELLIPSES: readonly PhantomEllipse[] = Object.freeze([
  ellipse(1, 0.69, 0.92, 0, 0, 0),
  ellipse(-0.8, 0.6624, 0.874, 0, -0.0184, 0),
  ellipse(-0.2, 0.11, 0.31, 0.22, 0, -18),
  ellipse(-0.2, 0.16, 0.41, -0.22, 0, 18),
  ellipse(0.1, 0.21, 0.25, 0, 0.35, 0),
  ellipse(0.1, 0.046, 0.046, 0, 0.1, 0),
  ellipse(0.1, 0.046, 0.046, 0, -0.1, 0),
  ellipse(0.1, 0.046, 0.023, -0.08, -0.605, 0),
  ellipse(0.1, 0.023, 0.023, 0, -0.606, 0),
  ellipse(0.1, 0.023, 0.046, 0.06, -0.605, 0),
]);

/** The original Shepp-Logan phantom (Shepp & Logan 1974), as ismrmrd-python-tools lists it. */
export const SHEPP_LOGAN_ELLIPSES: readonly PhantomEllipse[] = Object.freeze([
  ellipse(2, 0.69, 0.92, 0, 0, 0),
  ellipse(-0.98, 0.6624, 0.874, 0, -0.0184, 0),
  ellipse(-0.02, 0.11, 0.31, 0.22, 0, -18),
  ellipse(-0.02, 0.16, 0.41, -0.22, 0, 18),
  ellipse(0.01, 0.21, 0.25, 0, 0.35, 0),
  ellipse(0.01, 0.046, 0.046, 0, 0.1, 0),
  ellipse(0.02, 0.046, 0.046, 0, -0.1, 0),
  ellipse(0.01, 0.046, 0.023, -0.08, -0.605, 0),
  ellipse(0.01, 0.023, 0.023, 0, -0.606, 0),
  ellipse(0.01, 0.023, 0.046, 0.06, -0.605, 0),
]);

/** numpy's `mgrid[-1:1:n*1j]` axis: `i * step + start` with `step = 2 / (n - 1)`. */
export function linspaceGrid(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`phantom matrix size must be an integer >= 2, got ${n}`);
  const step = (1 - -1) / (n - 1);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = i * step + -1;
  return g;
}

/** MRD v2's pixel grid: `(i - (n >> 1)) / (n >> 1)`. */
export function pixelGrid(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`phantom matrix size must be an integer >= 2, got ${n}`);
  const h = n >> 1;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) g[i] = (i - h) / h;
  return g;
}

/** Which generator's pixel grid and accumulation: ismrmrd-python-tools' (v1) or MRD v2's. */
export type PhantomGrid = 'linspace' | 'pixel';

/**
 * The phantom image, n x n, float32, row-major [y][x].
 * @param n matrix size (>= 2)
 * @param ellipses defaults to the modified Shepp-Logan set
 * @param gridKind 'linspace' (default, ismrmrd-python-tools) or 'pixel' (MRD v2's simulation)
 */
export function sheppLoganPhantom(n: number, ellipses: readonly PhantomEllipse[] = MODIFIED_SHEPP_LOGAN_ELLIPSES, gridKind: PhantomGrid = 'linspace'): Float32Array {
  const pixel = gridKind === 'pixel';
  const grid = pixel ? pixelGrid(n) : linspaceGrid(n);
  const ph = new Float32Array(n * n);
  for (const e of ellipses) {
    const a2 = e.a * e.a;
    const b2 = e.b * e.b;
    const phi = (e.phiDeg * Math.PI) / 180;
    const cosP = Math.cos(phi);
    const sinP = Math.sin(phi);
    const add = pixel ? e.intensity : Math.fround(e.intensity);
    // Bounding box pre-check would change nothing numerically; the full test is cheap (n^2 * 10).
    for (let iy = 0; iy < n; iy++) {
      const y = grid[iy] - e.y0;
      const row = iy * n;
      for (let ix = 0; ix < n; ix++) {
        const x = grid[ix] - e.x0;
        const u = x * cosP + y * sinP;
        const v = y * cosP - x * sinP;
        if ((u * u) / a2 + (v * v) / b2 <= 1) ph[row + ix] = ph[row + ix] + add;
      }
    }
  }
  return ph;
}
