/** The flips and transposes of square images, for comparing recons whose orientation differs. */

/**
 * Symmetry `t` (0..7) of the n x n image: bit 0 flips the rows, bit 1 the columns, bit 2
 * transposes (after the flips).
 */
export function imageSymmetry(img: ArrayLike<number>, n: number, t: number): Float64Array {
  const o = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let a = i, b = j;
    if (t & 1) a = n - 1 - a;
    if (t & 2) b = n - 1 - b;
    if (t & 4) [a, b] = [b, a];
    o[i * n + j] = img[a * n + b];
  }
  return o;
}
