/**
 * matplotlib's 'jet' colormap (256 entries, as `plt.get_cmap('jet')`), rebuilt from its
 * segment data the way matplotlib's LinearSegmentedColormap builds its lookup table, and the
 * reference invertcontrast's RGB conversion: normalise to [0, 1] in float32, look up, drop
 * alpha, `* 255` and truncate to uint16. Hand-written because no maintained npm package
 * reproduces matplotlib's table bit for bit, and the reference output depends on it.
 */

type Segment = readonly (readonly [number, number, number])[];

const JET: { red: Segment; green: Segment; blue: Segment } = {
  red: [[0, 0, 0], [0.35, 0, 0], [0.66, 1, 1], [0.89, 1, 1], [1, 0.5, 0.5]],
  green: [[0, 0, 0], [0.125, 0, 0], [0.375, 1, 1], [0.64, 1, 1], [0.91, 0, 0], [1, 0, 0]],
  blue: [[0, 0.5, 0.5], [0.11, 1, 1], [0.34, 1, 1], [0.65, 0, 0], [1, 0, 0]],
};

/** matplotlib.colors._create_lookup_table(N, data) with gamma 1. */
function lookupTable(n: number, seg: Segment): Float64Array {
  const x = seg.map((s) => s[0]);
  const y0 = seg.map((s) => s[1]);
  const y1 = seg.map((s) => s[2]);
  const lut = new Float64Array(n);
  if (n === 1) {
    lut[0] = y0[y0.length - 1];
    return lut;
  }
  // xind = linspace(0, 1, n)
  for (let i = 0; i < n; i++) {
    if (i === 0) { lut[i] = y1[0]; continue; }
    if (i === n - 1) { lut[i] = y0[y0.length - 1]; continue; }
    const xi = i / (n - 1);
    // searchsorted(x, xi) (side left): first index with x[ind] >= xi
    let ind = 0;
    while (ind < x.length && x[ind] < xi) ind++;
    const distance = (xi - x[ind - 1]) / (x[ind] - x[ind - 1]);
    const v = distance * (y0[ind] - y1[ind - 1]) + y1[ind - 1];
    lut[i] = Math.min(1, Math.max(0, v));
  }
  return lut;
}

let jetTable: [Float64Array, Float64Array, Float64Array] | null = null;

/** The 256-entry jet table as [red, green, blue], values in [0, 1]. */
export function jetLookupTable(): [Float64Array, Float64Array, Float64Array] {
  if (jetTable === null) jetTable = [lookupTable(256, JET.red), lookupTable(256, JET.green), lookupTable(256, JET.blue)];
  return jetTable;
}

/**
 * The reference's RGB conversion of one group of images (all values together):
 * `data = float32(data); data -= min; data *= 1/max; rgb = jet(data)[..., :3] * 255 -> uint16`.
 * Returns, per input array, a uint16 array of 3 planes [R, G, B] each the input's length.
 */
export function applyJetColormap(planes: readonly ArrayLike<number>[]): Uint16Array[] {
  const f32 = Math.fround;
  let min = Infinity;
  for (const p of planes) for (let i = 0; i < p.length; i++) { const v = f32(p[i]); if (v < min) min = v; }
  let max = -Infinity;
  for (const p of planes) for (let i = 0; i < p.length; i++) { const v = f32(f32(p[i]) - min); if (v > max) max = v; }
  const inv = f32(1 / max);
  const [r, g, b] = jetLookupTable();
  const N = 256;
  return planes.map((p) => {
    const n = p.length;
    const out = new Uint16Array(3 * n);
    for (let i = 0; i < n; i++) {
      const v = f32(f32(f32(p[i]) - min) * inv);
      // matplotlib Colormap.__call__: xa = X * N; xa[xa == N] = N - 1; under/over/bad handling; int cast
      let xa = f32(v * N);
      let k: number;
      if (Number.isNaN(xa)) k = 0; // 'bad' is transparent black (0,0,0,0) in matplotlib
      else {
        if (xa === N) xa = N - 1;
        k = xa < 0 ? -1 : xa >= N ? N : Math.trunc(xa);
      }
      let cr: number, cg: number, cb: number;
      if (Number.isNaN(xa)) { cr = 0; cg = 0; cb = 0; }
      else if (k < 0) { cr = r[0]; cg = g[0]; cb = b[0]; } // under -> first colour
      else if (k >= N) { cr = r[N - 1]; cg = g[N - 1]; cb = b[N - 1]; } // over -> last colour
      else { cr = r[k]; cg = g[k]; cb = b[k]; }
      out[i] = Math.trunc(cr * 255);
      out[n + i] = Math.trunc(cg * 255);
      out[2 * n + i] = Math.trunc(cb * 255);
    }
    return out;
  });
}
