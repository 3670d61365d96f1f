/**
 * Oversampling crops as the reference does them: `offset = int((size - target) / 2)` then the
 * Python slice `[offset : offset + target]` (with Python's slice semantics, so a target larger
 * than the data behaves as it does there instead of failing).
 */

/** Python `range(len)[start:stop]` as [begin, end) (negative indices count from the end). */
export function pythonSlice(len: number, start: number, stop: number): [number, number] {
  const norm = (i: number): number => (i < 0 ? Math.max(0, i + len) : Math.min(i, len));
  const b = norm(start), e = norm(stop);
  return [b, Math.max(b, e)];
}

/** The reference's crop window along one axis of length `size` for a non-zero `target`. */
export function centredCropRange(size: number, target: number): [number, number] {
  const offset = Math.trunc((size - target) / 2);
  return pythonSlice(size, offset, offset + target);
}

/**
 * Crops a [ny][nx] plane (any typed array) to the reference's centred window; a target of 0
 * keeps that axis. Returns the new plane and its size.
 */
export function cropCentre<T extends Float32Array | Float64Array | Int16Array | Uint16Array>(
  plane: T, ny: number, nx: number, targetY: number, targetX: number,
): { data: T; ny: number; nx: number } {
  const [y0, y1] = targetY !== 0 ? centredCropRange(ny, targetY) : [0, ny];
  const [x0, x1] = targetX !== 0 ? centredCropRange(nx, targetX) : [0, nx];
  const oy = y1 - y0, ox = x1 - x0;
  if (oy === ny && ox === nx) return { data: plane, ny, nx };
  const out = new (plane.constructor as { new (n: number): T })(oy * ox);
  for (let y = 0; y < oy; y++) out.set(plane.subarray((y0 + y) * nx + x0, (y0 + y) * nx + x1), y * ox);
  return { data: out, ny: oy, nx: ox };
}
