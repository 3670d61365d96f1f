/**
 * The one error type of the HDF5 reader. Its message always names the file (as the caller gave
 * it) and, when the fault is inside the file, the HDF5 object path:
 * `phantom.h5: /dataset/data: missing`.
 */
export class MrdFileError extends Error {
  /** The file as the caller named it. */
  readonly file: string;
  /** The HDF5 object at fault (`/dataset/data`), or undefined for whole-file faults. */
  readonly objectPath: string | undefined;

  constructor(file: string, objectPath: string | undefined, problem: string, options?: { cause?: unknown }) {
    super(objectPath === undefined ? `${file}: ${problem}` : `${file}: ${objectPath}: ${problem}`, options);
    this.name = 'MrdFileError';
    this.file = file;
    this.objectPath = objectPath;
  }
}

/**
 * The useful part of an HDF5 error stack as h5wasm's throwing error handler reports it: the
 * innermost frame's message (e.g. `object 'nope' doesn't exist`), or the first line.
 */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const frames = [...text.matchAll(/#\d+: .* in [\w.]+\(\): (.*)$/gm)];
  const last = frames.at(-1);
  if (last?.[1]) return last[1].trim();
  return text.split('\n')[0]?.trim() || 'HDF5 error';
}
