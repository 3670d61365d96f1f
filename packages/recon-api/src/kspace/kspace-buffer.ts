/**
 * The reference invertcontrast's k-space assembly: imaging readouts placed, zero-filled, into
 * the encoded matrix by `kspace_encode_step_1` and `idx.phase`, right-aligned on the readout
 * (`data[:, lin, -nsamples:, phs] = acq.data`), then flipped along phase encode and readout
 * (`np.flip(data, (1, 2))`), keeping for each phase the header of the readout nearest the
 * k-space centre (`|kspace_encode_step_1 - idx.user[5]|`, first one wins on ties).
 *
 * Storage is [phase][channel][y][x] complex64 (each phase one contiguous coil stack ready for
 * the 2-D FFT); the flip is applied while copying, so no extra pass.
 */
import type { AcquisitionHeader } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';

export interface AssembledKspace {
  channels: number;
  ny: number;
  nx: number;
  phases: number;
  /** [phase][channel][y][x] complex64, already flipped along y and x */
  data: Float32Array;
  /** per phase, the header of the readout nearest the k-space centre (null if none landed) */
  centreHeaders: (AcquisitionHeader | null)[];
}

/**
 * Storage an assembler gave back (`release`) for the next one made on this thread: a session
 * worker serves session after session, and the first touch of a fresh k-space (32 MB for 32
 * coils of 256 x 512) cost 150-250 ms of page faults per session, more than placing all its
 * readouts into warm memory (docs/streaming-performance.md). At most one is kept per thread, of
 * at most KSPACE_KEEP_MAX_BYTES.
 */
let keptStorage: Float32Array | null = null;
/** The largest k-space storage kept on a thread between assemblers (bytes). */
export const KSPACE_KEEP_MAX_BYTES = 128 * 1024 * 1024;

/**
 * The same k-space built readout by readout as they arrive (`add`), so that a module need not
 * keep the readouts (their memory can be reused by the connection, see
 * `MrdConnection.borrowPayloads`): each readout is copied into place at once and only its header
 * is kept. `finish` completes the group (zero-fills the rows no readout wrote) and gives the
 * k-space, the same values as `assembleKspace` on the same readouts; the next `add` starts the
 * next group in the same storage (kept from group to group: the first touch of fresh memory
 * costs more than the copy). Errors about a readout (channels, samples) are raised by `finish`,
 * for the first such readout, as `assembleKspace` raises them.
 */
export class KspaceAssembler {
  readonly ny: number;
  readonly nx: number;
  private storage: Float32Array | null;
  /** The caller's allocator of storage (e.g. on a SharedArrayBuffer for the worker pool), if given. */
  private readonly allocate: ((length: number) => Float32Array) | null = null;
  /** Whether the storage is the assembler's own (made or taken from the thread's kept one), so `release` may keep it. */
  private ownStorage: boolean;
  /** Readouts added to the current group. */
  private count = 0;
  private channels = 0;
  /** max idx.phase + 1 over the group's readouts */
  private phases = 0;
  /** Phases the storage is laid out for in this group (its rows may hold readouts). */
  private placedPhases = 0;
  /** Per (phase, row after the flip): written in this group. */
  private touched = new Uint8Array(0);
  private centre: (AcquisitionHeader | null)[] = [];
  private error: Error | null = null;

  /**
   * `storage`: the caller's array to build into (kept by the caller; never kept by `release`), or
   * the caller's allocator, asked for storage of at least the length given whenever the group
   * needs more than the assembler has (what it gives is the caller's too). Without it, the
   * storage the thread's previous assembler released is taken, if any.
   */
  constructor(ny: number, nx: number, storage?: Float32Array | ((length: number) => Float32Array)) {
    this.ny = ny;
    this.nx = nx;
    this.ownStorage = storage === undefined;
    if (storage === undefined) {
      this.storage = keptStorage;
      keptStorage = null;
    } else if (typeof storage === 'function') {
      this.allocate = storage;
      this.storage = null;
    } else {
      this.storage = storage;
    }
  }

  /**
   * The assembler is done with (the end of a session): its own storage is kept for the thread's
   * next assembler (when no larger one is kept already); k-space views it gave are no longer
   * valid. An `add` after it starts on fresh storage.
   */
  release(): void {
    const s = this.storage;
    this.reset();
    this.storage = null;
    this.placedPhases = 0;
    this.touched = new Uint8Array(0);
    if (!this.ownStorage || s === null || s.byteLength > KSPACE_KEEP_MAX_BYTES) return;
    if (keptStorage === null || keptStorage.length < s.length) keptStorage = s;
    this.ownStorage = this.allocate === null;
  }

  /** Readouts added since the last `finish`. */
  get readouts(): number {
    return this.count;
  }

  /** Storage laid out for `phases` phases; rows written so far are kept when it must grow. */
  private ensure(phases: number): void {
    if (phases <= this.placedPhases) return;
    const { ny, nx, channels } = this;
    const plane = ny * nx;
    const size = 2 * phases * channels * plane;
    if (this.storage === null || this.storage.length < size) {
      const next = this.allocate ? this.allocate(size) : new Float32Array(size);
      if (next.length < size) throw new RangeError(`KspaceAssembler: storage of ${next.length} floats, ${size} needed`);
      // (the caller's array, if any, was too small: this one is the assembler's, unless allocated by the caller)
      this.ownStorage = this.allocate === null;
      const old = this.storage;
      if (old !== null) {
        for (let p = 0; p < this.placedPhases; p++) {
          for (let y = 0; y < ny; y++) {
            if (!this.touched[p * ny + y]) continue;
            for (let c = 0; c < channels; c++) {
              const o = 2 * (((p * channels + c) * ny + y) * nx);
              next.set(old.subarray(o, o + 2 * nx), o);
            }
          }
        }
      }
      this.storage = next;
    }
    if (this.touched.length < phases * ny) {
      const t = new Uint8Array(phases * ny);
      t.set(this.touched.subarray(0, this.placedPhases * ny));
      this.touched = t;
    }
    for (let p = this.placedPhases; p < phases; p++) this.centre.push(null);
    this.placedPhases = phases;
  }

  /** Places one imaging readout (already filtered as `assembleKspace`'s input). */
  add(acq: Acquisition): void {
    const h = acq.head;
    if (this.count++ === 0) this.channels = h.active_channels;
    const phs = h.idx.phase;
    if (phs + 1 > this.phases) this.phases = phs + 1;
    if (this.error) return;
    const { ny, nx, channels } = this;
    const lin = h.idx.kspace_encode_step_1;
    if (!(lin < ny)) return;
    const ns = h.number_of_samples;
    if (h.active_channels !== channels) {
      this.error = new Error(`readout ${h.scan_counter} has ${h.active_channels} channels, the group started with ${channels}`);
      return;
    }
    if (ns > nx) {
      this.error = new Error(`readout ${h.scan_counter} has ${ns} samples, more than the encoded matrix x = ${nx}`);
      return;
    }
    this.ensure(phs + 1);
    const data = this.storage!;
    // after the flip: row ny-1-lin, sample s (at x = nx-ns+s) lands at x' = ns-1-s
    const yDst = ny - 1 - lin;
    const first = this.touched[phs * ny + yDst] === 0;
    this.touched[phs * ny + yDst] = 1;
    const src = acq.data;
    // Both 8-byte aligned (the usual case): each complex sample moved as one 64-bit float, half
    // the loads and stores (the bits are kept as they are, NaN payloads included).
    const wide = src.byteOffset % 8 === 0 && data.byteOffset % 8 === 0;
    const src64 = wide ? new Float64Array(src.buffer, src.byteOffset, src.length >> 1) : null;
    const data64 = wide ? new Float64Array(data.buffer, data.byteOffset, data.length >> 1) : null;
    for (let c = 0; c < channels; c++) {
      const row = 2 * (((phs * channels + c) * ny + yDst) * nx);
      // A row's first readout: what it does not cover is zero (as in a zero-filled array).
      if (first && ns < nx) data.fill(0, row + 2 * ns, row + 2 * nx);
      if (src64 && data64) {
        placeReversed(src64, c * ns, data64, row >> 1, ns);
        continue;
      }
      let i = 2 * c * ns;
      const end = i + 2 * ns;
      let d = row + 2 * (ns - 1);
      for (; i < end; i += 2, d -= 2) {
        data[d] = src[i]!;
        data[d + 1] = src[i + 1]!;
      }
    }
    const cur = this.centre[phs];
    if (cur === null || Math.abs(lin - h.idx.user[5]) < Math.abs(cur.idx.kspace_encode_step_1 - cur.idx.user[5])) {
      this.centre[phs] = h;
    }
  }

  /** Drops the current group. */
  reset(): void {
    this.touched.fill(0, 0, this.placedPhases * this.ny);
    this.count = 0;
    this.channels = 0;
    this.phases = 0;
    this.placedPhases = 0;
    this.centre = [];
    this.error = null;
  }

  /** The group's k-space (a view of the storage, valid until the next `add`); starts the next group. */
  finish(): AssembledKspace {
    try {
      if (this.count === 0) throw new Error('assembleKspace: no readouts');
      if (this.error) throw this.error;
      const { ny, nx, channels, phases } = this;
      this.ensure(phases);
      const data = this.storage!.subarray(0, 2 * phases * channels * ny * nx);
      for (let p = 0; p < phases; p++) {
        for (let y = 0; y < ny; y++) {
          if (this.touched[p * ny + y]) continue;
          for (let c = 0; c < channels; c++) {
            const o = 2 * (((p * channels + c) * ny + y) * nx);
            data.fill(0, o, o + 2 * nx);
          }
        }
      }
      return { channels, ny, nx, phases, data, centreHeaders: this.centre.slice(0, phases) };
    } finally {
      this.reset();
    }
  }
}

/**
 * dst[d0 + ns - 1 - k] = src[s0 + k] for k < ns (a readout's coil row, flipped): four values a
 * step, the four loads before the four stores (in V8 about a third less time than one value a
 * step: docs/streaming-performance.md), then the ns % 4 last ones. Float64 moves keep the bits.
 */
export function placeReversed(src: Float64Array, s0: number, dst: Float64Array, d0: number, ns: number): void {
  let i = s0, d = d0 + ns - 1;
  for (const end = s0 + (ns & ~3); i < end; i += 4, d -= 4) {
    const x0 = src[i]!, x1 = src[i + 1]!, x2 = src[i + 2]!, x3 = src[i + 3]!;
    dst[d] = x0;
    dst[d - 1] = x1;
    dst[d - 2] = x2;
    dst[d - 3] = x3;
  }
  for (const end = s0 + ns; i < end; i++, d--) dst[d] = src[i]!;
}

/**
 * Assembles `acquisitions` (already filtered to imaging readouts) into a zero-filled matrix of
 * `ny` x `nx` (the encoded space). Readouts with encode step >= ny are skipped, as there.
 *
 * `storage`: where the k-space goes instead of a new array: storage kept from the previous group
 * (used when large enough), or a function giving an array of at least the length asked for (e.g.
 * on a SharedArrayBuffer for the worker pool, kept by the caller). The k-space is its prefix.
 * Worth it: the first touch of fresh memory (page faults) cost this copy ten times its own time
 * on the development machine (about 100 ms vs 5-10 ms per 34 MB group).
 */
export function assembleKspace(
  acquisitions: readonly Acquisition[], ny: number, nx: number, storage?: Float32Array | ((length: number) => Float32Array),
): AssembledKspace {
  if (acquisitions.length === 0) throw new Error('assembleKspace: no readouts');
  const channels = acquisitions[0].head.active_channels;
  let maxPhase = 0;
  for (const a of acquisitions) maxPhase = Math.max(maxPhase, a.head.idx.phase);
  const size = 2 * (maxPhase + 1) * channels * ny * nx;
  const given = typeof storage === 'function' ? storage(size) : storage;
  if (typeof storage === 'function' && given!.length < size) throw new RangeError(`assembleKspace: storage of ${given!.length} floats, ${size} needed`);
  // (its own array when none is given: the result outlives the call, so not the thread's kept storage)
  const assembler = new KspaceAssembler(ny, nx, given !== undefined && given.length >= size ? given : new Float32Array(size));
  for (const acq of acquisitions) assembler.add(acq);
  return assembler.finish();
}
