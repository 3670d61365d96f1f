/**
 * The Toeplitz embedding of a non-Cartesian normal operator: for a trajectory k_p on an ny x nx
 * image, F^H F (SigPy-scaled NUFFT forward then adjoint, ../../nufft) is the convolution
 *   (F^H F x)(r) = sum_r' T(r - r') x(r'),  T(d) = 1/(ny nx) sum_p exp(+2 pi i k_p . d / n)
 * with offsets d in (-n, n) per axis. Zero-padding x to 2ny x 2nx makes it a circular convolution,
 * so F^H F x = crop(IFFT(K . FFT(pad x))) with K the 2-D FFT of T laid out circularly: one FFT pair
 * on the 2x grid per coil and no gridding (BART's nufft normal operator does the same).
 *
 * T is computed once per trajectory with the NUFFT adjoint of ones on the 2ny x 2nx image (the
 * coordinates doubled; BART computes its PSF the same way). K is kept real (its real part: T is
 * Hermitian, T(-d) = conj T(d), up to the NUFFT's error), so the operator stays self-adjoint for
 * conjugate gradients. Being real, K is kept with one float per bin (also in PFFFT's internal
 * order, whose 8-float blocks hold 4 bins' real parts then the same bins' imaginary parts): the
 * multiply, a large part of the solve, reads K once for both lanes. Where it pays (prunePays),
 * the lines of the 2x grid are pruned: half of each one's input is zero (forward) or half of its
 * output dropped (inverse), so it is transformed as two lines of half the length, its even and
 * odd bins (X[2m] = FFT_n(x)[m], X[2m+1] = FFT_n(x w^j)[m], w = exp(-i pi / n); the first half of
 * the inverse IFFT_n(Y_even) + conj(w^j) IFFT_n(Y_odd)), with K kept in that order. The result
 * differs from forward-then-adjoint through the NUFFT by the two NUFFTs' approximation error
 * (about 1e-3 relative; the tests bound it against both).
 */
import { pffftPasses, type FftEngine } from '../../fft/index.js';
import { Nufft, type NufftOptions } from '../../nufft/index.js';
import { itemSource } from '../../pool/shared-memory.js';

/** Reused buffers of one operator (per thread). */
export interface ToeplitzScratch {
  /** float64 coil-combination sums of one frame [ny][nx] complex */
  acc: Float64Array;
}

/** The heap slot of the padded grid (the NUFFT uses 4 and 5, fftn 0 and 1, centred FFTs 2). */
const GRID_SLOT = 6;
const LINES_SLOT = 7;
const K_SLOT = 8;
const MAPS_SLOT = 9;
const IMAGE_SLOT = 10;
const REORDER_SLOT = 12;

/**
 * True when the column spectra stay in the FFT's internal order (PFFFT's SIMD build for the 2ny
 * column length, with the SIMD kernel): K is then kept per float in that order and the column
 * transforms skip the reordering pass (the same values, bit for bit).
 */
function internalColumns(fft: FftEngine, ny: number, nx: number): boolean {
  return fft.kernel !== null && nx % 2 === 0 && fft.hasInternalOrder(2 * ny);
}

/**
 * True when a line of 2n points, half of whose input is zero or half of whose output is dropped,
 * is transformed faster as two lines of n (its even and odd bins) plus the twiddle passes: n
 * from PRUNE_FROM on, by PFFFT's SIMD build, whose transform of 2n points has one more radix pass
 * than that of n (2n / 4 with an odd power of two: a radix-2 pass that n / 4 has not, so two
 * lines of n cost about (passes + 1) / (passes + 2) of one of 2n). Otherwise the two of n cost
 * about one of 2n and the twiddle passes make the pruned lines slower (measured: docs/numerics.md,
 * "Issue 18, fifth pass").
 */
function prunePays(fft: FftEngine, n: number): boolean {
  return n >= PRUNE_FROM && fft.simd && fft.hasInternalOrder(n) && fft.hasInternalOrder(2 * n) && pffftPasses(2 * n) > pffftPasses(n);
}

/** Below this, the per-line costs eat the saved pass (measured at n = 64 and 80). */
const PRUNE_FROM = 128;

/**
 * True when the line transforms can be pruned (the SIMD kernel, nx even, the rows' nx and the
 * columns' ny points with an internal order): each line of the 2x grid, half of whose input is
 * zero or half of whose output is dropped, transformed as two lines of half the length (its even
 * and odd bins) with twiddle passes, the spectra of rows and columns in PFFFT's internal order. The operator's layout where
 * prunePays for both axes.
 */
function prunedLines(fft: FftEngine, ny: number, nx: number): boolean {
  return fft.kernel !== null && nx % 2 === 0 && fft.hasInternalOrder(ny) && fft.hasInternalOrder(nx);
}

/**
 * How a spectrum K is laid out, per column of the transposed [2nx][2ny] grid:
 * - 'ordered': 2ny floats, one per bin in natural order (the multiply by complex times real);
 * - 'internal-compact': 2ny floats, one per bin in PFFFT's internal order of the real slots (per
 *   8-float block of the spectrum, its 4 real slots; the 4 imaginary slots after them belong to
 *   the same bins), read once for both lanes;
 * - 'pruned': the pruned line transforms' order: the columns are the even row bins 0, 2, ..,
 *   2nx - 2, then the odd ones 1, 3, .., 2nx - 1, each half in PFFFT's internal order of nx
 *   points (the rows' spectra stay in it: internalBins); in each column, the ny even column bins
 *   then the ny odd ones, each half of ny floats compact in PFFFT's internal order of ny points
 *   (as 'internal-compact' for 2ny).
 * All have the same length: the layout is told by this flag.
 */
export type ToeplitzLayout = 'ordered' | 'internal-compact' | 'pruned';

/** The layout the operator applies on this engine for an ny x nx image (the fastest it supports). */
export function toeplitzLayout(fft: FftEngine, ny: number, nx: number): ToeplitzLayout {
  if (prunedLines(fft, ny, nx) && prunePays(fft, ny) && prunePays(fft, nx)) return 'pruned';
  return internalColumns(fft, ny, nx) ? 'internal-compact' : 'ordered';
}

/** True when this engine can apply a spectrum of `layout` for an ny x nx image. */
function supportsLayout(fft: FftEngine, layout: ToeplitzLayout, ny: number, nx: number): boolean {
  if (layout === 'pruned') return prunedLines(fft, ny, nx);
  return layout === 'ordered' || internalColumns(fft, ny, nx);
}

/** A spectrum K with its layout (toeplitzSpectrum). */
export interface ToeplitzSpectrum {
  layout: ToeplitzLayout;
  values: Float32Array;
}

/** K in natural order, real, stored transposed [2nx][2ny], the 1/(4 ny nx) of the inverse FFT folded in. */
function orderedKernel(fft: FftEngine, coord: ArrayLike<number>, ny: number, nx: number, nufft: NufftOptions): Float32Array {
  const L0 = 2 * ny, L1 = 2 * nx, n = coord.length / 2;
  const c2 = new Float64Array(coord.length);
  for (let i = 0; i < coord.length; i++) c2[i] = 2 * coord[i];
  const plan = Nufft.withEngine(fft, c2, [L0, L1], { ...nufft, sharedHeapBlocks: false });
  const ones = new Float32Array(2 * n);
  for (let p = 0; p < n; p++) ones[2 * p] = 1;
  const psf = plan.adjoint(ones, 1);
  plan.dispose();
  // T(d) = psf at centred index d + n, times sqrt(4 ny nx) / (ny nx); circular layout, d = -n left out
  const t = 2 / Math.sqrt(ny * nx);
  const c = new Float32Array(2 * L0 * L1);
  for (let a = 1; a < L0; a++) {
    const i = (a - ny + L0) % L0;
    for (let b = 1; b < L1; b++) {
      const j = (b - nx + L1) % L1;
      const s = 2 * (a * L1 + b), d = 2 * (i * L1 + j);
      c[d] = psf[s] * t;
      c[d + 1] = psf[s + 1] * t;
    }
  }
  fft.fftn(c, [L0, L1], [0, 1], false);
  // stored transposed, [column][row]: the iterations multiply column lines
  const k = new Float32Array(L0 * L1);
  const norm = 1 / (L0 * L1);
  for (let i = 0; i < L0; i++) for (let j = 0; j < L1; j++) k[j * L0 + i] = c[2 * (i * L1 + j)] * norm;
  return k;
}

/**
 * The ordered K in PFFFT's internal order, per column: each bin's value written at its real and
 * imaginary slot and permuted (toInternalOrder), then one float per bin kept (the real slots of
 * each 8-float block), after checking that the imaginary slots hold the same values.
 */
function compactKernel(fft: FftEngine, k: Float32Array, L0: number, L1: number): Float32Array {
  const out = new Float32Array(L0 * L1);
  const lines = fft.scratchBlock(REORDER_SLOT, 16 * L0);
  const src = lines.ptr, dst = lines.ptr + 8 * L0;
  for (let j = 0; j < L1; j++) {
    let h = fft.heapF32();
    for (let i = 0; i < L0; i++) h[(src >> 2) + 2 * i] = h[(src >> 2) + 2 * i + 1] = k[j * L0 + i];
    fft.toInternalOrder(L0, src, dst);
    h = fft.heapF32();
    const d = dst >> 2;
    for (let m = 0; m < 2 * L0; m += 8) for (let l = 0; l < 4; l++) {
      const re = h[d + m + l];
      if (!Object.is(re, h[d + m + 4 + l])) throw new Error(`Toeplitz: PFFFT's internal order at ${L0} points does not pair a bin's real and imaginary slots in one 8-float block`);
      out[j * L0 + (m >> 1) + l] = re;
    }
  }
  return out;
}

/**
 * The ordered K in the 'pruned' layout: the columns and, in each, the bins split into even and
 * odd (the order the pruned transforms leave them in), each half-column of ny bins then compact
 * in PFFFT's internal order of ny points.
 */
function prunedKernel(fft: FftEngine, k: Float32Array, ny: number, nx: number): Float32Array {
  const L0 = 2 * ny, L1 = 2 * nx;
  const bin = internalBins(fft, nx);
  const split = new Float32Array(L0 * L1);
  for (let c = 0; c < L1; c++) {
    const j = c < nx ? 2 * bin[c] : 2 * bin[c - nx] + 1;
    for (let i = 0; i < L0; i++) split[c * L0 + i] = k[j * L0 + (i < ny ? 2 * i : 2 * (i - ny) + 1)];
  }
  return compactKernel(fft, split, ny, 2 * L1);
}

/**
 * The bin at each place of PFFFT's internal order of n points, the complex values counted as
 * the rows' column transposes read them (per 8-float block of the spectrum, its 4 real slots then
 * the same 4 bins' imaginary slots: places 4 b .. 4 b + 3), checked to hold for every bin.
 */
function internalBins(fft: FftEngine, n: number): Int32Array {
  const slots = fft.internalOrderSlots(n);
  const bin = new Int32Array(n).fill(-1);
  for (let m = 0; m < n; m++) {
    const q = slots[2 * m];
    if ((q & 4) !== 0 || slots[2 * m + 1] !== q + 4) throw new Error(`Toeplitz: PFFFT's internal order at ${n} points does not pair a bin's real and imaginary slots in one 8-float block`);
    bin[4 * (q >> 3) + (q & 3)] = m;
  }
  return bin;
}

/**
 * K for a trajectory `coord` [point][2] (grid units of the ny x nx image; repeated points count
 * with their multiplicity), in `layout` (default toeplitzLayout's, what the operator keeps per
 * frame; 'ordered' works on any engine: the peer the tests and the operator bench compare
 * against): real, stored transposed [2nx][2ny], the 1/(4 ny nx) of the inverse FFT folded in.
 */
export function toeplitzSpectrum(fft: FftEngine, coord: ArrayLike<number>, ny: number, nx: number, nufft: NufftOptions, layout = toeplitzLayout(fft, ny, nx)): ToeplitzSpectrum {
  if (!supportsLayout(fft, layout, ny, nx)) throw new Error(`Toeplitz: no '${layout}' spectrum for ${ny} x ${nx} on this engine`);
  const k = orderedKernel(fft, coord, ny, nx, nufft);
  if (layout === 'ordered') return { layout, values: k };
  if (layout === 'pruned') return { layout, values: prunedKernel(fft, k, ny, nx) };
  return { layout, values: compactKernel(fft, k, 2 * ny, 2 * nx) };
}

/** The n complex64 twiddles w^j = exp(-i pi j / n) of a pruned transform of 2n points, at heap float index t. */
function writeTwiddles(h: Float32Array, t: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const a = (-Math.PI * j) / n;
    h[t + 2 * j] = Math.cos(a);
    h[t + 2 * j + 1] = Math.sin(a);
  }
}

/** Checks one of toeplitzNormalFrames's spectra: one float per bin of the L0 x L1 grid, either layout. */
function checkedSpectrum(s: ToeplitzSpectrum, L0: number, L1: number): ToeplitzSpectrum {
  if (s.values.length !== L0 * L1) throw new Error(`Toeplitz: a '${s.layout}' spectrum of ${s.values.length} floats for a ${L0} x ${L1} grid (${L0 * L1} expected)`);
  return s;
}

/** Column lines transformed at a time (the FFT kernel's transposes move 8 neighbouring columns well). */
const COLUMN_LINES = 8;

/**
 * out (frames [f0, f1) of ny x nx images) = sum_c conj(S_c) . F_f^H F_f (S_c . x_f) with F_f^H F_f
 * applied as the Toeplitz embedding of spectrum `kernels[f]` (toeplitzSpectrum; or `kernels(f)`,
 * called once per frame when its turn comes); maps [coil][ny][nx] complex. With `claim`, the
 * frames are the ones it returns, one at a time until -1 (work shared with other threads), and
 * [f0, f1) is ignored; each frame is the same arithmetic either way.
 *
 * Per coil, in the FFT engine's heap: the coil image in the top-left of a 2ny x 2nx grid whose
 * bottom half stays zero; the ny rows transformed; then per block of 8 columns: into contiguous
 * lines, forward transform, times K (its 8 columns copied to the heap, multiplied in SIMD; the
 * spectra left in PFFFT's internal order when the spectrum is 'internal-compact' or 'pruned', its
 * one float per bin read once for the bin's real and imaginary slots),
 * inverse transform, and only the top ny values back (the crop); the ny rows inverse-transformed;
 * the top-left ny x nx combined with conj(S_c). A 'pruned' spectrum prunes the lines: each row
 * is its nx values then those times the twiddles (both written by the coil expansion's pass),
 * transformed as two lines of nx (its even and odd bins, each left in PFFFT's internal order: the
 * columns in that order), each column likewise as two lines of ny (the twiddles fused into the
 * kernel's transposes, which read and write the rows' internal order), each inverse line's first
 * half joined from its two halves (the rows' join fused into the coil combination's pass); no
 * zero fills. With the engine's SIMD kernel the pointwise
 * products run there in float32 (maps and image copied to the heap once per call); without it
 * (or for odd nx) in JS with float64 sums and the columns through transformAxisInHeap; the two
 * agree to float32 rounding.
 */
export function toeplitzNormalFrames(
  fft: FftEngine, kernels: readonly ToeplitzSpectrum[] | ((f: number) => ToeplitzSpectrum), maps: Float32Array, ncoils: number, ny: number, nx: number, x: Float32Array, out: Float32Array,
  f0: number, f1: number, scratch: ToeplitzScratch, claim?: () => number,
): void {
  const L0 = 2 * ny, L1 = 2 * nx, npix = ny * nx;
  fft.prepare(L0);
  fft.prepare(L1);
  // whether this engine can apply 'pruned' spectra here: their half-length plans and twiddles
  const prunable = prunedLines(fft, ny, nx);
  if (prunable) {
    fft.prepare(ny);
    fft.prepare(nx);
  }
  const kernel = fft.kernel;
  const simd = kernel !== null && nx % 2 === 0;
  const block = fft.scratchBlock(GRID_SLOT, 8 * L0 * L1);
  const lines = fft.scratchBlock(LINES_SLOT, 8 * L0 * COLUMN_LINES);
  // the frame's K, copied to the heap once per frame (either layout: L0 x L1 floats)
  const kBlock = kernel !== null ? fft.scratchBlock(K_SLOT, 4 * L0 * L1) : null;
  const mapsBlock = simd ? fft.scratchBlock(MAPS_SLOT, 8 * ncoils * npix) : null;
  // the frame's image, its sums, the pruned transforms' twiddles for nx then ny points
  const imageBlock = simd ? fft.scratchBlock(IMAGE_SLOT, 16 * npix + 8 * (nx + ny)) : null;
  const twx = (imageBlock?.ptr ?? 0) + 16 * npix, twy = twx + 8 * nx;
  if (imageBlock !== null && prunable) {
    writeTwiddles(fft.heapF32(), twx >> 2, nx);
    writeTwiddles(fft.heapF32(), twy >> 2, ny);
  }
  const g = block.ptr >> 2;
  // the JS column path transforms the whole grid, whose bottom half stays zero; the kernel's
  // column blocks read only the top ny rows and zero the lines' bottom halves themselves
  if (kernel === null) fft.heapF32().fill(0, g + 2 * ny * L1, g + 2 * L0 * L1);
  if (mapsBlock !== null) fft.heapF32().set(maps, mapsBlock.ptr >> 2);
  const take = itemSource(f0, f1, claim);
  for (let f = take(); f >= 0; f = take()) {
    const spectrum = checkedSpectrum(typeof kernels === 'function' ? kernels(f) : kernels[f], L0, L1), k = spectrum.values, xo = 2 * f * npix;
    const internal = spectrum.layout === 'internal-compact', pruned = spectrum.layout === 'pruned';
    if (!supportsLayout(fft, spectrum.layout, ny, nx)) throw new Error(`Toeplitz: a '${spectrum.layout}' spectrum on an engine (or image size) without that layout`);
    // SIMD: the frame's image at imageBlock, its sums after it
    const xPtr = imageBlock?.ptr ?? 0, accPtr = xPtr + 8 * npix;
    if (imageBlock !== null) {
      const h = fft.heapF32();
      h.set(x.subarray(xo, xo + 2 * npix), xPtr >> 2);
      h.fill(0, accPtr >> 2, (accPtr >> 2) + 2 * npix);
    } else scratch.acc.fill(0);
    if (kBlock !== null) fft.heapF32().set(k, kBlock.ptr >> 2);
    for (let c = 0; c < ncoils; c++) {
      let h = fft.heapF32();
      const mo = 2 * c * npix;
      if (kernel !== null && mapsBlock !== null) {
        const mPtr = mapsBlock.ptr + 4 * mo;
        // pruned: S_c x into each row's first half and, in the same pass, times the twiddles
        // into its second half (the odd bins' input): the row then two lines of nx
        if (pruned) kernel.expandSplit(block.ptr, mPtr, xPtr, ny, nx >> 1, 8 * L1, twx);
        else for (let i = 0; i < ny; i++) {
          const d = block.ptr + 8 * L1 * i;
          kernel.cmulPairs(d, mPtr + 8 * nx * i, xPtr + 8 * nx * i, nx >> 1);
          h.fill(0, (d >> 2) + 2 * nx, (d >> 2) + 2 * L1);
        }
      } else {
        for (let i = 0; i < ny; i++) {
          let d = g + 2 * L1 * i, s = 2 * i * nx;
          for (let j = 0; j < nx; j++, d += 2, s += 2) {
            const sr = maps[mo + s], si = maps[mo + s + 1], xr = x[xo + s], xi = x[xo + s + 1];
            h[d] = sr * xr - si * xi;
            h[d + 1] = sr * xi + si * xr;
          }
          h.fill(0, d, d + 2 * (L1 - nx));
        }
      }
      // pruned: each row [even bins, odd bins], the columns in that order (K's too)
      if (pruned) fft.transformLinesInHeapInternal(block.ptr, 2 * ny, nx, false);
      else fft.transformLinesInHeap(block.ptr, ny, L1, false);
      if (kernel !== null && kBlock !== null) {
        const rowBytes = 8 * L1, lineBytes = 8 * L0, l = lines.ptr >> 2;
        for (let j0 = 0; j0 < L1; j0 += COLUMN_LINES) {
          const w = Math.min(COLUMN_LINES, L1 - j0);
          if (pruned) {
            // the top ny rows into the lines' first halves, times the twiddles into their
            // second halves: each line as two lines of ny (its even and odd bins), in and out
            kernel.transposeInSplit(block.ptr + 8 * j0, ny, rowBytes, lines.ptr, w, lineBytes, twy);
            fft.transformLinesInHeapInternal(lines.ptr, 2 * w, ny, false);
            kernel.mulPairedQuads(lines.ptr, kBlock.ptr + 4 * j0 * L0, 2 * w * L0);
            fft.transformLinesInHeapInternal(lines.ptr, 2 * w, ny, true);
            // the crop: the first halves of the inverses (even and odd parts joined) back
            kernel.transposeOutJoin(lines.ptr, ny, rowBytes, block.ptr + 8 * j0, w, lineBytes, twy);
            continue;
          }
          // the top ny rows into the lines, their bottom halves zero
          kernel.transposeInLines(block.ptr + 8 * j0, ny, rowBytes, lines.ptr, w, lineBytes);
          h = fft.heapF32();
          for (let i = 0; i < w; i++) h.fill(0, l + 2 * L0 * i + 2 * ny, l + 2 * L0 * (i + 1));
          if (internal) {
            fft.transformLinesInHeapInternal(lines.ptr, w, L0, false);
            kernel.mulPairedQuads(lines.ptr, kBlock.ptr + 4 * j0 * L0, 2 * w * L0);
            fft.transformLinesInHeapInternal(lines.ptr, w, L0, true);
          } else {
            fft.transformLinesInHeap(lines.ptr, w, L0, false);
            kernel.mulReal(lines.ptr, kBlock.ptr + 4 * j0 * L0, w * L0);
            fft.transformLinesInHeap(lines.ptr, w, L0, true);
          }
          // the crop: the top ny values of each line back
          kernel.transposeOutLines(lines.ptr, ny, rowBytes, block.ptr + 8 * j0, w, lineBytes);
        }
      } else {
        fft.transformAxisInHeap(block.ptr, [L0, L1], 0, false);
        h = fft.heapF32();
        for (let i = 0; i < L0; i++) for (let j = 0, q = g + 2 * L1 * i; j < L1; j++, q += 2) {
          const w = k[j * L0 + i];
          h[q] *= w;
          h[q + 1] *= w;
        }
        fft.transformAxisInHeap(block.ptr, [L0, L1], 0, true);
        fft.heapF32().fill(0, g + 2 * ny * L1, g + 2 * L0 * L1);
      }
      if (pruned) fft.transformLinesInHeapInternal(block.ptr, 2 * ny, nx, true);
      else fft.transformLinesInHeap(block.ptr, ny, L1, true);
      if (kernel !== null && mapsBlock !== null) {
        const mPtr = mapsBlock.ptr + 4 * mo;
        // pruned: the first half of each row joined from its even and odd bins' inverses and
        // combined with conj(S_c) in one pass (the joined row is not stored)
        if (pruned) kernel.joinCombine(accPtr, mPtr, block.ptr, ny, nx >> 1, 8 * L1, twx);
        else for (let i = 0; i < ny; i++) kernel.conjMulAccPairs(accPtr + 8 * nx * i, mPtr + 8 * nx * i, block.ptr + 8 * L1 * i, nx >> 1);
      } else {
        h = fft.heapF32();
        const acc = scratch.acc;
        for (let i = 0; i < ny; i++) {
          let s = g + 2 * L1 * i, o = 2 * i * nx;
          for (let j = 0; j < nx; j++, s += 2, o += 2) {
            const sr = maps[mo + o], si = maps[mo + o + 1], vr = h[s], vi = h[s + 1];
            acc[o] += sr * vr + si * vi;
            acc[o + 1] += sr * vi - si * vr;
          }
        }
      }
    }
    if (imageBlock !== null) out.set(fft.heapF32().subarray(accPtr >> 2, (accPtr >> 2) + 2 * npix), xo);
    else for (let i = 0; i < 2 * npix; i++) out[xo + i] = scratch.acc[i];
  }
}
