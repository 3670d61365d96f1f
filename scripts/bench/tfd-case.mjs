// The synthetic TFD case that threads.bench and tvrecon.bench both solve (and hand to BART):
// golden-angle variable-density spiral arms, smooth coil maps with unit root-sum-of-squares, a
// moving two-disc phantom, and the phantom's data laid out as BART's arrays. One definition, so
// the two benchmarks measure the same problem. Not a benchmark itself (run-all.mjs runs only
// *.bench.mjs).

const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));

/** `arms` golden-angle variable-density spiral arms from arm k0, `ns` samples each, in grid units (|k| <= n/2). */
export function goldenAngleSpirals(n, k0, arms, ns) {
  const c = new Float64Array(2 * arms * ns);
  for (let a = 0; a < arms; a++) {
    const phi0 = (k0 + a) * GOLDEN_ANGLE;
    for (let i = 0; i < ns; i++) {
      const t = i / (ns - 1), r = (n / 2) * t ** 1.3, phi = phi0 + 2 * Math.PI * 12 * t;
      c[2 * (a * ns + i)] = r * Math.cos(phi);
      c[2 * (a * ns + i) + 1] = r * Math.sin(phi);
    }
  }
  return c;
}

/** Smooth complex coil maps [coil][n][n] (interleaved), unit root-sum-of-squares at every pixel. */
export function smoothCoilMaps(n, coils) {
  const npix = n * n, maps = new Float32Array(2 * coils * npix);
  for (let i = 0; i < npix; i++) {
    const y = Math.floor(i / n) / n - 0.5, x = (i % n) / n - 0.5;
    let s = 0;
    for (let c = 0; c < coils; c++) {
      const ang = (2 * Math.PI * c) / coils, d2 = (y - 0.5 * Math.cos(ang)) ** 2 + (x - 0.5 * Math.sin(ang)) ** 2;
      const m = Math.exp(-d2 * 2), ph = c * 0.7 + 2 * x;
      maps[2 * (c * npix + i)] = m * Math.cos(ph); maps[2 * (c * npix + i) + 1] = m * Math.sin(ph);
      s += m * m;
    }
    s = Math.sqrt(s);
    for (let c = 0; c < coils; c++) { maps[2 * (c * npix + i)] /= s; maps[2 * (c * npix + i) + 1] /= s; }
  }
  return maps;
}

/** A disc of radius 90 and a smaller one moving along y over the frames: [frame][n][n] complex (real). */
export function movingDiscs(frames, n) {
  const npix = n * n, truth = new Float32Array(2 * frames * npix);
  for (let f = 0; f < frames; f++) for (let i = 0; i < npix; i++) {
    const y = Math.floor(i / n) - n / 2, x = (i % n) - n / 2, cy = 20 * Math.sin((2 * Math.PI * f) / 50);
    truth[2 * (f * npix + i)] = (x * x + y * y < 90 * 90 ? 0.5 : 0) + ((x - 30) ** 2 + (y - cy) ** 2 < 25 * 25 ? 0.5 : 0);
  }
  return truth;
}

/**
 * The case's trajectory and k-space as BART's arrays: traj [3][ns][apf][...frames in dim 10]
 * (components swapped so BART's images have our layout) and ksp [1][ns][apf][coil][...frames],
 * from `coords` per frame and the operator's data `y` (frame f's coil k block at frameOffset[f]).
 */
export function bartTfdArrays(coords, y, frameOffset, { ns, apf, coils }) {
  const frames = coords.length;
  const traj = new Float32Array(2 * 3 * ns * apf * frames), ksp = new Float32Array(2 * ns * apf * coils * frames);
  for (let f = 0; f < frames; f++) for (let a = 0; a < apf; a++) for (let i = 0; i < ns; i++) {
    const o = 2 * 3 * (i + ns * (a + apf * f)), c = 2 * (a * ns + i);
    traj[o] = coords[f][c + 1]; traj[o + 2] = coords[f][c];
    for (let k = 0; k < coils; k++) {
      const src = 2 * (frameOffset[f] + k * apf * ns + a * ns + i), dst = 2 * (i + ns * (a + apf * (k + coils * f)));
      ksp[dst] = y[src]; ksp[dst + 1] = y[src + 1];
    }
  }
  return { traj, ksp };
}

/** BART's 16 dimensions with `lead` first and the frames in dimension 10. */
export function bartDims(lead, frames) {
  const d = new Array(16).fill(1);
  lead.forEach((v, i) => { d[i] = v; });
  d[10] = frames;
  return d;
}
