/**
 * Coil combination for 2-D multi-coil images ([coil][ny][nx] complex, interleaved re/im):
 * root sum of squares, and the adaptive method of Inati et al. (ISMRM 2014, p. 4407) as the
 * reference's coils.calculate_csm_inati_iter (smoothing by a Tukey(alpha 0.8) window of
 * min(32, n) samples on the centred 2-D spectrum, at most 5 iterations, early stop when the
 * relative change of the combined image falls under 1e-3).
 */
import type { FftEngine } from '../../fft/index.js';

/** Root sum of squares over coils: |.| combined image [ny][nx]. */
export function rootSumOfSquares(images: ArrayLike<number>, ncoils: number, npix: number, out = new Float32Array(npix)): Float32Array {
  if (images.length < 2 * ncoils * npix) throw new Error(`root sum of squares: ${images.length / 2} values for ${ncoils} coils x ${npix} pixels`);
  rootSumOfSquaresRange(images, ncoils, npix, out, 0, npix);
  return out;
}

/** rootSumOfSquares of pixels [p0, p1) only (out[p0..p1) written): the same values, for a split over threads. */
export function rootSumOfSquaresRange(images: ArrayLike<number>, ncoils: number, npix: number, out: Float32Array, p0: number, p1: number): void {
  let i = p0;
  // two pixels a step (each summed over coils in the same order): less loop overhead
  for (; i + 1 < p1; i += 2) {
    let s0 = 0, s1 = 0;
    for (let c = 0, k = 2 * i; c < ncoils; c++, k += 2 * npix) {
      s0 += images[k] * images[k] + images[k + 1] * images[k + 1];
      s1 += images[k + 2] * images[k + 2] + images[k + 3] * images[k + 3];
    }
    out[i] = Math.sqrt(s0);
    out[i + 1] = Math.sqrt(s1);
  }
  for (; i < p1; i++) {
    let s = 0;
    for (let c = 0, k = 2 * i; c < ncoils; c++, k += 2 * npix) s += images[k] * images[k] + images[k + 1] * images[k + 1];
    out[i] = Math.sqrt(s);
  }
}

/** scipy.signal.windows.tukey(m, alpha) (symmetric). */
export function tukeyWindow(m: number, alpha: number): Float64Array {
  const w = new Float64Array(m).fill(1);
  if (m <= 1 || alpha <= 0) return w;
  if (alpha >= 1) {
    for (let n = 0; n < m; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (m - 1));
    return w;
  }
  const width = Math.floor((alpha * (m - 1)) / 2);
  for (let n = 0; n <= width; n++) w[n] = 0.5 * (1 + Math.cos(Math.PI * (-1 + (2 * n) / alpha / (m - 1))));
  for (let n = m - width - 1; n < m; n++) w[n] = 0.5 * (1 + Math.cos(Math.PI * (-2 / alpha + 1 + (2 * n) / alpha / (m - 1))));
  return w;
}

/** numpy roll of each [ny][nx] plane by (sy, sx) (fftshift: n//2, ifftshift: -(n//2)). */
function roll2(src: Float32Array, dst: Float32Array, planes: number, ny: number, nx: number, sy: number, sx: number): void {
  for (let p = 0; p < planes; p++) {
    const o = 2 * p * ny * nx;
    for (let y = 0; y < ny; y++) {
      const yy = (((y + sy) % ny) + ny) % ny;
      for (let x = 0; x < nx; x++) {
        const xx = (((x + sx) % nx) + nx) % nx;
        const s = o + 2 * (y * nx + x), d = o + 2 * (yy * nx + xx);
        dst[d] = src[s];
        dst[d + 1] = src[s + 1];
      }
    }
  }
}

/**
 * The reference's coils.smooth on 2-D planes: cifftn(cfftn(img) * tukey window, centred), with
 * cfftn = fftshift(fftn(ifftshift(.))). For even ny and nx the shifts cancel (the window's product
 * is a circular convolution, which commutes with the half-size shifts, and two ifftshifts are the
 * identity), so the smoothing is ifftn(ifftshift(window) * fftn(img)) without the four copies;
 * odd sizes take the shifted path literally.
 */
export function smoothCoilImages(
  fft: FftEngine, img: Float64Array, ncoils: number, ny: number, nx: number, box = 32, pause?: () => void, scratch?: InatiScratch, out?: Float64Array,
): Float64Array {
  if (ny % 2 !== 0 || nx % 2 !== 0) {
    const r = smoothCoilImagesShifted(fft, img, ncoils, ny, nx, box);
    if (out === undefined) return r;
    out.set(r);
    return out;
  }
  let a: Float32Array;
  if (scratch !== undefined) {
    a = scratch.f32('smooth', img.length);
    a.set(img);
  } else a = new Float32Array(img);
  const w = uncentredWindow(ny, nx, box);
  const np = ny * nx;
  if (pause === undefined) {
    fft.fftn(a, [ncoils, ny, nx], [1, 2], false);
    for (let c = 0; c < ncoils; c++) windowPlane(a, 2 * c * np, w, np);
    fft.fftn(a, [ncoils, ny, nx], [1, 2], true);
  } else {
    // a coil at a time, a checkpoint between (fftn transforms the planes independently: same values)
    for (let c = 0; c < ncoils; c++) {
      pause();
      const plane = a.subarray(2 * c * np, 2 * (c + 1) * np);
      fft.fftn(plane, [ny, nx], [0, 1], false);
      windowPlane(plane, 0, w, np);
      fft.fftn(plane, [ny, nx], [0, 1], true);
    }
  }
  if (out === undefined) return new Float64Array(a);
  out.set(a);
  return out;
}

/**
 * Work arrays of inatiCoilMaps kept between calls (a background thread that estimates maps of
 * the same size again allocates nothing: no garbage collection, whose concurrent marking would
 * take cores from a frame path). The maps a call returns live here: valid until the next call.
 */
export class InatiScratch {
  private readonly f64s = new Map<string, Float64Array>();
  private readonly f32s = new Map<string, Float32Array>();

  /** A Float64Array of `length` named `name` (its values are the last user's). */
  f64(name: string, length: number): Float64Array {
    return kept(this.f64s, Float64Array, name, length);
  }

  /** A Float32Array of `length` named `name` (its values are the last user's). */
  f32(name: string, length: number): Float32Array {
    return kept(this.f32s, Float32Array, name, length);
  }
}

/** The array of `length` kept in `arrays` under `name`, made (and kept) when missing or of another length. */
function kept<T extends Float64Array | Float32Array>(arrays: Map<string, T>, type: new (length: number) => T, name: string, length: number): T {
  let a = arrays.get(name);
  if (a === undefined || a.length !== length) {
    a = new type(length);
    arrays.set(name, a);
  }
  return a;
}

function windowPlane(a: Float32Array, o: number, w: Float32Array, np: number): void {
  for (let i = 0; i < np; i++) {
    const f = w[i];
    a[o + 2 * i] *= f;
    a[o + 2 * i + 1] *= f;
  }
}

/** The centred Tukey box window (as applied to the centred spectrum) of smoothCoilImages. */
function centredWindow(ny: number, nx: number, box: number): Float32Array {
  const my = Math.min(box, ny), mx = Math.min(box, nx);
  const wy = tukeyWindow(my, 0.8), wx = tukeyWindow(mx, 0.8);
  const py = Math.floor((ny - my) / 2), px = Math.floor((nx - mx) / 2);
  const w = new Float32Array(ny * nx);
  for (let y = py; y < py + my; y++) for (let x = px; x < px + mx; x++) w[y * nx + x] = wy[y - py] * wx[x - px];
  return w;
}

const uncentredWindows = new Map<string, Float32Array>();

/** ifftshift of the centred window (for the unshifted spectrum), cached per size. */
function uncentredWindow(ny: number, nx: number, box: number): Float32Array {
  const key = `${ny}x${nx}/${box}`;
  let w = uncentredWindows.get(key);
  if (w === undefined) {
    const c = centredWindow(ny, nx, box);
    w = new Float32Array(ny * nx);
    const hy = Math.floor(ny / 2), hx = Math.floor(nx / 2);
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) w[y * nx + x] = c[((y + hy) % ny) * nx + ((x + hx) % nx)];
    if (uncentredWindows.size > 16) uncentredWindows.clear();
    uncentredWindows.set(key, w);
  }
  return w;
}

/** smoothCoilImages with the shifts done literally (any size). */
export function smoothCoilImagesShifted(fft: FftEngine, img: Float64Array, ncoils: number, ny: number, nx: number, box = 32): Float64Array {
  const n = ncoils * ny * nx;
  const a = new Float32Array(img);
  const b = new Float32Array(2 * n);
  const hy = Math.floor(ny / 2), hx = Math.floor(nx / 2);
  // cfftn = fftshift(fftn(ifftshift(x)))
  roll2(a, b, ncoils, ny, nx, -hy, -hx);
  fft.fftn(b, [ncoils, ny, nx], [1, 2], false);
  roll2(b, a, ncoils, ny, nx, hy, hx);
  const w = centredWindow(ny, nx, box);
  const np = ny * nx;
  for (let c = 0; c < ncoils; c++) {
    for (let i = 0; i < np; i++) {
      const k = 2 * (c * np + i);
      a[k] *= w[i];
      a[k + 1] *= w[i];
    }
  }
  // cifftn = ifftshift(ifftn(fftshift(x)))
  roll2(a, b, ncoils, ny, nx, hy, hx);
  fft.fftn(b, [ncoils, ny, nx], [1, 2], true);
  roll2(b, a, ncoils, ny, nx, -hy, -hx);
  return new Float64Array(a);
}

export interface InatiOptions {
  smoothing?: number;
  iterations?: number;
  threshold?: number;
}

/**
 * coils.calculate_csm_inati_iter for [coil][ny][nx] complex images: the coil maps (same layout)
 * and the combined image [ny][nx] complex. `pause`, when given, is called between the steps (per
 * coil of every pass and of the smoothing): a background caller may block in it while a
 * frame path needs the cores (PauseGate, ../../pool); the maps are the same bits either way.
 * With `scratch` the work arrays (and the returned maps and combined image) are the scratch's
 * (InatiScratch): the same values as without.
 */
export function inatiCoilMaps(
  fft: FftEngine, images: ArrayLike<number>, ncoils: number, ny: number, nx: number, options: InatiOptions = {}, pause?: () => void, scratch?: InatiScratch,
): { maps: Float64Array; combined: Float64Array } {
  const smoothing = options.smoothing ?? 32, niter = options.iterations ?? 5, thresh = options.threshold ?? 1e-3;
  const np = ny * nx;
  if (images.length !== 2 * ncoils * np) throw new Error(`Inati coil maps: ${images.length / 2} values for ${ncoils} coils x ${ny} x ${nx}`);
  // a work array: the scratch's (zeroed when `zero`) or a new one
  const work = (name: string, length: number, zero: boolean): Float64Array => {
    if (scratch === undefined) return new Float64Array(length);
    const a = scratch.f64(name, length);
    if (zero) a.fill(0);
    return a;
  };
  pause?.();
  const im = work('im', images.length, false);
  im.set(images);
  // D_sum = sum over pixels per coil, normalised
  const dsum = new Float64Array(2 * ncoils);
  let meanAbs = 0;
  for (let c = 0; c < ncoils; c++) {
    pause?.();
    let re = 0, imv = 0;
    for (let i = 0; i < np; i++) {
      const k = 2 * (c * np + i);
      re += im[k];
      imv += im[k + 1];
      meanAbs += Math.hypot(im[k], im[k + 1]);
    }
    dsum[2 * c] = re;
    dsum[2 * c + 1] = imv;
  }
  const normalise = (v: Float64Array): void => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    const f = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= f;
  };
  normalise(dsum);
  pause?.();
  const eps = 2.220446049250313e-16 * (meanAbs / (ncoils * np));
  // R = sum_c conj(D_sum[c]) * im[c]
  const R = work('R', 2 * np, true);
  for (let c = 0; c < ncoils; c++) {
    pause?.();
    const dr = dsum[2 * c], di = -dsum[2 * c + 1];
    for (let i = 0; i < np; i++) {
      const k = 2 * (c * np + i);
      R[2 * i] += dr * im[k] - di * im[k + 1];
      R[2 * i + 1] += dr * im[k + 1] + di * im[k];
    }
  }
  const coilMap = work('coilMap', 2 * ncoils * np, true);
  const prevR = thresh > 0 ? work('prevR', 2 * np, false) : R;
  const inv = work('inv', np, false);
  for (let it = 0; it < niter; it++) {
    pause?.();
    if (thresh > 0) prevR.set(R);
    // coil_map = im * conj(R)
    for (let c = 0; c < ncoils; c++) {
      pause?.();
      for (let i = 0; i < np; i++) {
        const k = 2 * (c * np + i), rr = R[2 * i], ri = -R[2 * i + 1];
        coilMap[k] = im[k] * rr - im[k + 1] * ri;
        coilMap[k + 1] = im[k] * ri + im[k + 1] * rr;
      }
    }
    pause?.();
    // (coil_map is not read again: the smoothed maps are written over it)
    const conv = smoothCoilImages(fft, coilMap, ncoils, ny, nx, smoothing, pause, scratch, coilMap);
    pause?.();
    // R = 1 / (sqrt(sum |conv|^2) + eps); coil_map = conv * R
    for (let i = 0; i < np; i++) {
      let s = 0;
      for (let c = 0; c < ncoils; c++) { const k = 2 * (c * np + i); s += conv[k] * conv[k] + conv[k + 1] * conv[k + 1]; }
      inv[i] = 1 / (Math.sqrt(s) + eps);
    }
    for (let c = 0; c < ncoils; c++) {
      pause?.();
      for (let i = 0; i < np; i++) { const k = 2 * (c * np + i); conv[k] *= inv[i]; conv[k + 1] *= inv[i]; }
    }
    pause?.();
    // R = sum_c im * conj(coil_map); D = coil_map * R; D_sum = sum over pixels of D, normalised
    R.fill(0);
    for (let c = 0; c < ncoils; c++) {
      pause?.();
      for (let i = 0; i < np; i++) {
        const k = 2 * (c * np + i), mr = coilMap[k], mi = -coilMap[k + 1];
        R[2 * i] += im[k] * mr - im[k + 1] * mi;
        R[2 * i + 1] += im[k] * mi + im[k + 1] * mr;
      }
    }
    pause?.();
    dsum.fill(0);
    for (let c = 0; c < ncoils; c++) {
      pause?.();
      for (let i = 0; i < np; i++) {
        const k = 2 * (c * np + i), mr = coilMap[k], mi = coilMap[k + 1], rr = R[2 * i], ri = R[2 * i + 1];
        dsum[2 * c] += mr * rr - mi * ri;
        dsum[2 * c + 1] += mr * ri + mi * rr;
      }
    }
    normalise(dsum);
    pause?.();
    // imT = sum_c conj(D_sum[c]) * coil_map[c]; imT /= |imT| + eps; R *= imT; coil_map *= conj(imT)
    for (let i = 0; i < np; i++) {
      let tr = 0, ti = 0;
      for (let c = 0; c < ncoils; c++) {
        const k = 2 * (c * np + i), dr = dsum[2 * c], di = -dsum[2 * c + 1];
        tr += dr * coilMap[k] - di * coilMap[k + 1];
        ti += dr * coilMap[k + 1] + di * coilMap[k];
      }
      const mag = Math.hypot(tr, ti) + eps;
      tr /= mag;
      ti /= mag;
      const rr = R[2 * i], ri = R[2 * i + 1];
      R[2 * i] = rr * tr - ri * ti;
      R[2 * i + 1] = rr * ti + ri * tr;
      for (let c = 0; c < ncoils; c++) {
        const k = 2 * (c * np + i), mr = coilMap[k], mi = coilMap[k + 1];
        coilMap[k] = mr * tr + mi * ti;
        coilMap[k + 1] = mi * tr - mr * ti;
      }
    }
    pause?.();
    if (thresh > 0) {
      let dn = 0, rn = 0;
      for (let i = 0; i < 2 * np; i++) { dn += (R[i] - prevR[i]) ** 2; rn += R[i] * R[i]; }
      if (Math.sqrt(dn) / Math.sqrt(rn) < thresh) break;
    }
  }
  pause?.();
  const combined = work('combined', 2 * np, true);
  for (let c = 0; c < ncoils; c++) for (let i = 0; i < np; i++) {
    const k = 2 * (c * np + i), mr = coilMap[k], mi = -coilMap[k + 1];
    combined[2 * i] += im[k] * mr - im[k + 1] * mi;
    combined[2 * i + 1] += im[k] * mi + im[k + 1] * mr;
  }
  return { maps: coilMap, combined };
}

/** |sum_c conj(maps[c]) * images[c]| (the reference's adaptive combination of a frame). */
export function combineWithMaps(images: ArrayLike<number>, maps: ArrayLike<number>, ncoils: number, npix: number, out = new Float32Array(npix)): Float32Array {
  combineWithMapsRange(images, maps, ncoils, npix, out, 0, npix);
  return out;
}

/** combineWithMaps of pixels [p0, p1) only (out[p0..p1) written): the same values, for a split over threads. */
export function combineWithMapsRange(images: ArrayLike<number>, maps: ArrayLike<number>, ncoils: number, npix: number, out: Float32Array, p0: number, p1: number): void {
  let i = p0;
  // two pixels a step (each summed over coils in the same order): less loop overhead
  for (; i + 1 < p1; i += 2) {
    let re0 = 0, im0 = 0, re1 = 0, im1 = 0;
    for (let c = 0, k = 2 * i; c < ncoils; c++, k += 2 * npix) {
      const mr0 = maps[k], mi0 = -maps[k + 1], a0 = images[k], b0 = images[k + 1];
      const mr1 = maps[k + 2], mi1 = -maps[k + 3], a1 = images[k + 2], b1 = images[k + 3];
      re0 += a0 * mr0 - b0 * mi0;
      im0 += a0 * mi0 + b0 * mr0;
      re1 += a1 * mr1 - b1 * mi1;
      im1 += a1 * mi1 + b1 * mr1;
    }
    out[i] = Math.sqrt(re0 * re0 + im0 * im0);
    out[i + 1] = Math.sqrt(re1 * re1 + im1 * im1);
  }
  for (; i < p1; i++) {
    let re = 0, im = 0;
    for (let c = 0, k = 2 * i; c < ncoils; c++, k += 2 * npix) {
      const mr = maps[k], mi = -maps[k + 1], a = images[k], b = images[k + 1];
      re += a * mr - b * mi;
      im += a * mi + b * mr;
    }
    out[i] = Math.sqrt(re * re + im * im);
  }
}

/** sum_c conj(maps[c]) * images[c] as complex [npix] (save_complex with adaptive maps). */
export function combineWithMapsComplex(images: ArrayLike<number>, maps: ArrayLike<number>, ncoils: number, npix: number, out = new Float32Array(2 * npix)): Float32Array {
  for (let i = 0; i < npix; i++) {
    let re = 0, im = 0;
    for (let c = 0, k = 2 * i; c < ncoils; c++, k += 2 * npix) {
      const mr = maps[k], mi = -maps[k + 1], a = images[k], b = images[k + 1];
      re += a * mr - b * mi;
      im += a * mi + b * mr;
    }
    out[2 * i] = re;
    out[2 * i + 1] = im;
  }
  return out;
}

/**
 * The per-coil sums over all pixels of [coil][npix] complex images, normalised to unit norm over
 * the coils: the spatially constant coil weights Inati's iteration starts from (D_sum), a cheap
 * phase-preserving combination when no maps are available yet.
 */
export function coilSumWeights(images: ArrayLike<number>, ncoils: number, npix: number): Float64Array {
  const w = new Float64Array(2 * ncoils);
  for (let c = 0; c < ncoils; c++) {
    let re = 0, im = 0;
    for (let i = 0, k = 2 * c * npix; i < npix; i++, k += 2) { re += images[k]; im += images[k + 1]; }
    w[2 * c] = re;
    w[2 * c + 1] = im;
  }
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * w[i];
  const f = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < w.length; i++) w[i] *= f;
  return w;
}

/** sum_c conj(weights[c]) * images[c] as complex [npix]: combineWithMapsComplex with maps constant over the image. */
export function combineWithCoilWeightsComplex(images: ArrayLike<number>, weights: ArrayLike<number>, ncoils: number, npix: number, out = new Float32Array(2 * npix)): Float32Array {
  for (let i = 0; i < npix; i++) {
    let re = 0, im = 0;
    for (let c = 0, k = 2 * i; c < ncoils; c++, k += 2 * npix) {
      const wr = weights[2 * c], wi = -weights[2 * c + 1], a = images[k], b = images[k + 1];
      re += a * wr - b * wi;
      im += a * wi + b * wr;
    }
    out[2 * i] = re;
    out[2 * i + 1] = im;
  }
  return out;
}
