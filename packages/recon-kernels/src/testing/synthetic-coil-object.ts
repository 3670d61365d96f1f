/**
 * A synthetic multi-coil object with known smooth complex coil maps, and the measures the nlinv
 * tests (unit and interop) use to compare estimated maps with it. Test fixture, not exported from
 * the subpath index.
 */
/** an ellipse object with smooth texture seen by `nc` smooth complex coils on an n x n grid */
export function syntheticCoilObject(n: number, nc: number): { rho: Float64Array; maps: Float64Array; inside: Uint8Array } {
  const npix = n * n;
  const rho = new Float64Array(2 * npix), maps = new Float64Array(2 * nc * npix), inside = new Uint8Array(npix);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const u = (i - n / 2) / n, v = (j - n / 2) / n, p = i * n + j;
    if ((u / 0.32) ** 2 + (v / 0.26) ** 2 < 1) {
      inside[p] = 1;
      rho[2 * p] = 1 + 0.4 * Math.cos(6 * u) + ((u / 0.1) ** 2 + ((v - 0.05) / 0.08) ** 2 < 1 ? 0.8 : 0);
    }
    for (let c = 0; c < nc; c++) {
      const t = (2 * Math.PI * c) / nc, cu = 0.5 * Math.cos(t), cv = 0.5 * Math.sin(t);
      const mag = Math.exp(-((u - cu) ** 2 + (v - cv) ** 2) / 0.3), ph = 1.5 * (u * Math.cos(t) + v * Math.sin(t)) + c;
      maps[2 * (c * npix + p)] = mag * Math.cos(ph);
      maps[2 * (c * npix + p) + 1] = mag * Math.sin(ph);
    }
  }
  return { rho, maps, inside };
}

/** |maps| normalised to unit RSS over coils per pixel */
export function normalisedMagnitudes(maps: ArrayLike<number>, nc: number, npix: number): Float64Array {
  const out = new Float64Array(nc * npix);
  for (let p = 0; p < npix; p++) {
    let s = 0;
    for (let c = 0; c < nc; c++) s += maps[2 * (c * npix + p)] ** 2 + maps[2 * (c * npix + p) + 1] ** 2;
    for (let c = 0; c < nc; c++) out[c * npix + p] = s > 0 ? Math.hypot(maps[2 * (c * npix + p)], maps[2 * (c * npix + p) + 1]) / Math.sqrt(s) : 0;
  }
  return out;
}

/** NRMSE of a against b over the pixels where `inside` is set (per coil plane) */
export function nrmseInside(a: Float64Array, b: Float64Array, inside: Uint8Array, planes: number): number {
  const npix = inside.length;
  let num = 0, den = 0;
  for (let c = 0; c < planes; c++) for (let p = 0; p < npix; p++) if (inside[p]) {
    num += (a[c * npix + p] - b[c * npix + p]) ** 2;
    den += b[c * npix + p] ** 2;
  }
  return Math.sqrt(num / den);
}
