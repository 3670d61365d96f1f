/**
 * The FFT lengths from 8 to 1024 that the recons meet, for the engine's tests and for
 * scripts/bench/fft.bench.mjs (which compares each against numpy). Derived from the matrix sizes
 * m the tools run at -- the reference data (64), phantom-gen defaults and tests (8..512), the
 * spiral matrices int(fov_oversampling * 10 * fov / resolution) (128, 192 at 1.5x), and the
 * sizes of the benchmarks and issues (250, 300, 320, 384, 405, 512) -- and the lengths each
 * recon transforms for a matrix m:
 * - m and 2m: Cartesian phantom lines (readout 2x oversampled), simplefft/invertcontrast planes,
 *   Inati smoothing, SENSE-NUFFT and BART-style NUFFT grids (2x), nlinv's 2x image grid and its
 *   coil-map upsampling;
 * - ceil(1.25 m): the SigPy-convention NUFFT grid (simplenufft1arm, coil maps);
 * - 4m: nlinv's NUFFT grid (2x oversampling of its 2m grid).
 */
const RECON_MATRIX_SIZES: readonly number[] = [8, 16, 32, 64, 128, 192, 250, 256, 300, 320, 384, 405, 512];

/** Sorted distinct lengths 8..1024 from RECON_MATRIX_SIZES (see above). */
export const RECON_FFT_SIZES: readonly number[] = [
  ...new Set(RECON_MATRIX_SIZES.flatMap((m) => [m, 2 * m, Math.ceil(1.25 * m), 4 * m]).filter((n) => n >= 8 && n <= 1024)),
].sort((a, b) => a - b);
