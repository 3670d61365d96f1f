/**
 * ndarray views of MRD data in the reference's (numpy) axis order, so that a module reads like
 * the reference's numpy lines: the assembled k-space as invertcontrast.py's `data`
 * [cha][y][x][phs], an image's pixels as ismrmrd-python's `Image.data` [cha][z][y][x]. Views share
 * memory with the typed arrays (no copy, writes go through); complex values get a last axis of
 * length 2 (re, im), so an element-wise real operation (a window) applies to both parts.
 *
 * With them, numpy's helpers the reference modules use: `hanning` (np.hanning), `outer`
 * (np.outer), `stack` (np.stack), `broadcastTo` (np.expand_dims + broadcasting: a view with stride 0 along the new
 * axes), `contiguous` (a C-order copy, what np.save writes). Element-wise arithmetic is
 * ndarray-ops (`ops.muleq(data, filt)` is `data *= filt`). The recon hot paths (k-space assembly,
 * centred FFTs, normalisation) stay typed-array code: scripts/bench/ndarray-views.bench.mjs
 * measures why (docs/numerics.md).
 */
import ndarray, { type NdArray, type TypedArray } from 'ndarray';
import ops from 'ndarray-ops';
import type { Image } from '@mrd-tools/core/messages';
import { isComplexDataType } from '@mrd-tools/core/messages';
import type { AssembledKspace } from '../kspace/kspace-buffer.js';

/**
 * The k-space of `assembleKspace` as the reference's `data` [cha][y][x][phs], with a last axis
 * (re, im): shape [channels, ny, nx, phases, 2] over the [phase][channel][y][x] storage.
 */
export function kspaceArray(k: AssembledKspace): NdArray<Float32Array> {
  const { channels, ny, nx, phases } = k;
  return ndarray(k.data, [channels, ny, nx, phases, 2], [2 * ny * nx, 2 * nx, 2, 2 * channels * ny * nx, 1]);
}

/**
 * An image's pixels as ismrmrd-python's Image.data [cha][z][y][x] (the MRD layout), with a last
 * axis (re, im) for complex data types.
 */
export function imageArray(image: Image): NdArray<TypedArray> {
  const h = image.head;
  const shape = [h.channels, h.matrix_size[2], h.matrix_size[1], h.matrix_size[0]];
  return ndarray(image.data as TypedArray, isComplexDataType(h.data_type) ? [...shape, 2] : shape);
}

/** numpy.hanning(m): 0.5 - 0.5 cos(2 pi n / (m - 1)), n = 0 .. m-1 ([1] for m = 1). */
export function hanning(m: number): NdArray<Float64Array> {
  const w = new Float64Array(m);
  for (let n = 0; n < m; n++) w[n] = m === 1 ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (m - 1));
  return ndarray(w, [m]);
}

/**
 * `a` (any shape) seen with the shape `shape`: its axes placed at `axes` of `shape`, every other
 * axis of stride 0, as numpy broadcasts `np.expand_dims(a, other axes)` against an array of that
 * shape. No copy.
 */
export function broadcastTo<D extends TypedArray>(a: NdArray<D>, shape: readonly number[], axes: readonly number[]): NdArray<D> {
  if (axes.length !== a.dimension) throw new Error(`broadcastTo: ${axes.length} axes for an array of ${a.dimension}`);
  const stride = shape.map(() => 0);
  axes.forEach((axis, i) => {
    if (shape[axis] !== a.shape[i]) throw new Error(`broadcastTo: axis ${i} of length ${a.shape[i]} cannot be broadcast to length ${shape[axis]}`);
    stride[axis] = a.stride[i];
  });
  return ndarray(a.data, [...shape], stride, a.offset);
}

/** numpy.outer(a, b) of two 1-D arrays: [a.length][b.length], float64. */
export function outer(a: NdArray, b: NdArray): NdArray<Float64Array> {
  const shape = [a.shape[0], b.shape[0]];
  const out = ndarray(new Float64Array(shape[0] * shape[1]), shape);
  ops.mul(out, broadcastTo(a as NdArray<TypedArray>, shape, [0]), broadcastTo(b as NdArray<TypedArray>, shape, [1]));
  return out;
}

/** numpy.stack: same-sized arrays of `shape` (C order) as one [arrays.length, ...shape] array, in a new array of their element type. */
export function stack<D extends TypedArray>(arrays: readonly D[], shape: readonly number[]): NdArray<D> {
  const n = shape.reduce((a, b) => a * b, 1);
  const Ctor = arrays[0].constructor as { new (n: number): D };
  const out = new Ctor(arrays.length * n);
  arrays.forEach((a, i) => {
    if (a.length !== n) throw new Error(`stack: array ${i} has ${a.length} values, ${shape.join(' x ')} expected`);
    (out as unknown as { set(a: ArrayLike<number>, o: number): void }).set(a as ArrayLike<number>, i * n);
  });
  return ndarray(out, [arrays.length, ...shape]);
}

/** A C-order copy of `a` (any strides) in a new array of `a`'s element type: what np.save writes. */
export function contiguous<D extends TypedArray>(a: NdArray<D>): NdArray<D> {
  const Ctor = a.data.constructor as { new (n: number): D };
  const out = ndarray(new Ctor(a.size), [...a.shape]);
  ops.assign(out, a);
  return out;
}
