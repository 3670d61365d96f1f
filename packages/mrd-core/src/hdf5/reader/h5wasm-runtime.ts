/**
 * The h5wasm runtime (HDF5 2.0 compiled to WebAssembly, Node build with NODERAWFS: files are
 * read straight from the host filesystem, positioned 64-bit reads, so files beyond 2 and 4 GB
 * work) loaded once per thread, and the low-level raw read the reader is built on.
 *
 * HDF5's own error printing is replaced by h5wasm's throwing handler: library code never writes
 * to the console, and failures surface as exceptions that the reader rewrites into messages
 * naming the file and object.
 *
 * The runtime is loaded lazily, on the first `h5module()` (i.e. the first `MrdFile.open`), not
 * when `@mrd-tools/core` is imported: loading it costs 0.3-0.5 s and tens of MB per thread, and
 * most threads that import the core (the server's session workers, the client's main thread)
 * never read an HDF5 file. Only type imports of h5wasm are allowed in this folder; the library
 * object itself is reached through `h5lib()`, which is valid once `h5module()` has resolved.
 */
import type { Metadata } from 'h5wasm/node';

export type { Metadata };
type H5Lib = (typeof import('h5wasm/node'))['default'];
export type H5Module = Awaited<H5Lib['ready']>;
export type H5File = InstanceType<H5Lib['File']>;
export type H5Group = InstanceType<H5Lib['Group']>;

let lib: H5Lib | undefined;
let ready: Promise<H5Module> | undefined;

/** Loads (once per thread) and initialises the h5wasm module shared by every open file. */
export function h5module(): Promise<H5Module> {
  if (!ready) {
    const loading = import('h5wasm/node').then(async (mod) => {
      const m = await mod.default.ready;
      m.activate_throwing_error_handler();
      lib = mod.default;
      return m;
    });
    // A failed load (e.g. h5wasm missing) is retried on the next call instead of cached.
    loading.catch(() => {
      if (ready === loading) ready = undefined;
    });
    ready = loading;
  }
  return ready;
}

/** Whether this thread has started loading the h5wasm runtime (`h5module()` was called). */
export function h5runtimeLoaded(): boolean {
  return ready !== undefined;
}

/** h5wasm's high-level API (File, Group, Dataset); only after `h5module()` has resolved. */
export function h5lib(): H5Lib {
  if (!lib) throw new Error('the h5wasm runtime is not loaded yet (await h5module() first)');
  return lib;
}

/** HDF5 datatype classes as h5wasm's metadata `type` reports them. */
export const H5T = {
  INTEGER: 0,
  FLOAT: 1,
  STRING: 3,
  COMPOUND: 6,
  VLEN: 9,
  ARRAY: 10,
} as const;

/**
 * H5Dread of a hyperslab (rows [start, start+count) of the first dimension, every other
 * dimension whole) into a fresh buffer on the wasm heap, in the dataset's own type (h5wasm uses a
 * copy of the file type as memory type: same member layout, little-endian, vlen members as hvl_t
 * {u32 length, u32 pointer}, vlen strings as char*). The caller copies what it needs out of
 * `m.HEAPU8` and then calls `release` (which frees the vlen allocations HDF5 made, if asked,
 * and the buffer). `rowBytes` is the byte size of one first-dimension row in memory.
 */
export function readRows(
  m: H5Module,
  fileId: bigint,
  dsPath: string,
  shape: number[],
  start: number,
  count: number,
  rowBytes: number,
  hasVlen: boolean,
): { ptr: number; release: () => void } {
  const rank = shape.length;
  const bytes = Math.max(8, count * rowBytes);
  const tooLarge = () => new Error(
    `${count === 1 ? 'one record' : `${count} records`} of ${formatBytes(rowBytes)}${rank > 1 ? ` (dataset shape ${shape.join('x')})` : ''} ` +
    `${count === 1 ? 'is' : 'are'} too large for the HDF5 reader (WebAssembly, at most ${formatBytes(WASM_HEAP_MAX)} of memory)`,
  );
  if (!Number.isSafeInteger(bytes) || bytes >= WASM_HEAP_MAX) throw tooLarge();
  const ptr = withoutEmscriptenMemoryNotes(() => m._malloc(bytes));
  if (ptr === 0) throw bytes > WASM_HEAP_MAX / 4 ? tooLarge() : new Error(`out of wasm memory reading ${count} rows of ${rowBytes} bytes`);
  let countArr: bigint[] | null = null;
  try {
    if (rank === 0) {
      withoutEmscriptenMemoryNotes(() => m.get_dataset_data(fileId, dsPath, null, null, null, BigInt(ptr)));
    } else {
      countArr = [BigInt(count), ...shape.slice(1).map((d) => BigInt(d))];
      const offset = [BigInt(start), ...shape.slice(1).map(() => 0n)];
      const stride = shape.map(() => 1n);
      const args = [countArr, offset, stride] as const;
      const status = withoutEmscriptenMemoryNotes(() => m.get_dataset_data(fileId, dsPath, args[0], args[1], args[2], BigInt(ptr)));
      if (status < 0) throw new Error(`H5Dread failed (status ${status})`);
    }
  } catch (err) {
    m._free(ptr);
    // HDF5 ran out of heap for its own buffers next to a read this large
    if (bytes > WASM_HEAP_MAX / 4 && /memory allocation failed/i.test(err instanceof Error ? err.message : String(err))) throw tooLarge();
    throw err;
  }
  const release = (): void => {
    try {
      if (hasVlen) {
        if (countArr) m.reclaim_vlen_memory_count(fileId, dsPath, '', BigInt(ptr), countArr);
        else m.reclaim_vlen_memory(fileId, dsPath, '', BigInt(ptr));
      }
    } finally {
      m._free(ptr);
    }
  };
  return { ptr, release };
}

/** The wasm heap's hard limit: h5wasm 0.10 is built with MAXIMUM_MEMORY = 2 GiB. */
const WASM_HEAP_MAX = 2 ** 31;

function formatBytes(n: number): string {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${n} bytes`;
}

/**
 * Runs a call into the wasm module with Emscripten's own stderr notes dropped: when the heap
 * cannot grow, its runtime prints "Cannot enlarge memory, requested ..." straight to stderr
 * (through a console.error bound at load time, so not through the logger) before malloc returns
 * 0; the caller reports the failure itself, as one clear error. Other stderr output passes.
 */
function withoutEmscriptenMemoryNotes<T>(fn: () => T): T {
  const stderr = process.stderr;
  const write = stderr.write;
  stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && /^Cannot enlarge memory\b/.test(chunk)) return true;
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stderr.write;
  try {
    return fn();
  } finally {
    stderr.write = write;
  }
}

/** Whether a datatype (as metadata) contains variable-length data anywhere. */
export function hasVlenMember(md: Metadata): boolean {
  if (md.type === H5T.VLEN) return true;
  if (md.type === H5T.STRING) return md.vlen;
  if (md.type === H5T.ARRAY && md.array_type) return hasVlenMember(md.array_type);
  if (md.type === H5T.COMPOUND && md.compound_type) return md.compound_type.members.some(hasVlenMember);
  return false;
}
