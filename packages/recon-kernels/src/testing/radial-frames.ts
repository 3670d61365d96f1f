// Test helper: golden-angle radial-like k-space coordinates per frame, for the SENSE/NUFFT and pool tests.

/**
 * `frames` frames of `spokes` spokes of `samples` points each, [kx, ky] pairs in grid units for an
 * n x n image; the spoke angle advances by 0.618034 pi from spoke to spoke across frames.
 */
export function goldenAngleRadialFrames(frames: number, spokes: number, samples: number, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  let a = 0;
  for (let f = 0; f < frames; f++) {
    const c = new Float64Array(2 * spokes * samples);
    for (let s = 0; s < spokes; s++, a += Math.PI * 0.618034) {
      for (let k = 0; k < samples; k++) {
        const r = ((k - samples / 2) / samples) * n;
        c[2 * (s * samples + k)] = r * Math.sin(a);
        c[2 * (s * samples + k) + 1] = r * Math.cos(a);
      }
    }
    out.push(c);
  }
  return out;
}
