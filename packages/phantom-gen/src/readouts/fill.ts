/**
 * The phantom's imaging readouts of a run of passes (a pass: one repetition's lines, sharing one
 * noise realisation): each readout's coil rows copied from the noise-free k-space plus complex
 * Gaussian noise. The noise of pass p and coil c is stream p * coils + c of the seed (the noise
 * readouts draw from the seed's own generator), so every (pass, coil) unit can be drawn on its own, by any thread, and
 * the data are the same bits for any split: this is the one kernel both the single-thread path
 * and the worker pool (./worker.ts) run.
 */
import { GaussianNoise } from '../phantom/gaussian-noise.js';

/** Units [u0, u1) (unit u: pass u / coils, coil u % coils, of the chunk) of a chunk of readouts. */
export interface ReadoutFillTask {
  kind: 'phantom-readouts';
  /** noise-free k-space [coil][ny][nkx] complex (shared memory when on the pool) */
  kspace: Float32Array;
  /** the chunk's readouts [readout][coil][nkx] complex, written (shared memory when on the pool) */
  out: Float32Array;
  /** phase-encoding line of each readout of the chunk */
  lines: Int32Array;
  /** first readout of each pass of the chunk, and the end: passes + 1 values */
  passStarts: Int32Array;
  /** pass number (dataset-wide) of the chunk's first pass */
  firstPass: number;
  coils: number;
  ny: number;
  nkx: number;
  sigma: number;
  seed: number;
  u0: number;
  u1: number;
}

/** The noise stream of pass `pass`, coil `coil`. */
export function readoutNoiseStream(pass: number, coil: number, coils: number): number {
  return pass * coils + coil;
}

/** Fills the task's units of `out` (see ReadoutFillTask). */
export function fillReadouts(t: ReadoutFillTask): void {
  const { kspace, out, lines, passStarts, coils, ny, nkx, sigma } = t;
  const row = 2 * nkx;
  for (let u = t.u0; u < t.u1; u++) {
    const p = Math.floor(u / coils), c = u % coils;
    const noise = sigma > 0 ? GaussianNoise.stream(t.seed, readoutNoiseStream(t.firstPass + p, c, coils)) : null;
    for (let r = passStarts[p]; r < passStarts[p + 1]; r++) {
      const src = (c * ny + lines[r]) * row, dst = (r * coils + c) * row;
      out.set(kspace.subarray(src, src + row), dst);
      noise?.fill(out, sigma, dst, row, true);
    }
  }
}
