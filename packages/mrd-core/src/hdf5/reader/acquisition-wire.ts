/**
 * Acquisitions of an MRD file straight into MRD wire bytes (message id, 340-byte header,
 * trajectory, data), for senders (mrd-client): each record's fixed part is read from the file
 * (fixed-parts.ts), its header decoded and written in wire layout, and its trajectory and data
 * are read from the global heap with one positioned read each straight into the caller's output
 * buffer. Every payload byte is copied once, by the kernel, into the buffer that goes to the
 * socket.
 *
 * Why: through HDF5 (h5wasm) the same bytes are read into the wasm heap, copied by HDF5's vlen
 * conversion, then copied again by the encoder, which made the client's reading thread the
 * slowest stage of a `null` session (about 0.5 s of CPU per 250 MB). The result is byte for
 * byte what encoding `MrdFile.acquisitionBatches` gives (the header goes through the same
 * decoder and encoder); `MrdFile.acquisitionWireReader` returns null where this reader does not
 * apply (the layouts FixedParts does not handle, payloads that are not little-endian float32 in
 * 8-byte-address heaps), and the caller reads through HDF5 as before.
 *
 * Global heap collections (format/global-heap.ts) are walked object by object, in 4 KiB
 * windows, and every object found is remembered, so each vlen costs one window read at most
 * once per collection and one read of its bytes. A vlen in a collection not seen yet is first
 * read speculatively as the collection's first object: collection header, object header and
 * payload with ONE read, into the output just before the payload's place (the 32 bytes there
 * belong to the message's header or trajectory, written after). The C library and h5py give
 * each large payload a collection of its own, so a readout costs one read instead of two (a
 * 4 KiB window, then the payload); when the headers read do not say so, the object is looked
 * up as before and its bytes read again over the guess.
 *
 * Fixed parts are read in blocks of the rows stored back to back (up to 256) into one reused
 * buffer that serves the next `fill` too: each row's fixed part is read once. The C library
 * writes one row per chunk, each after its payload's collection ([collection k][chunk k]
 * [collection k+1][chunk k+1]...), which costs a read per row for the fixed part: there, a row's
 * chunk (its address is known) is read with the collection just before it, guessed to hold the
 * row's data as the previous row's did (same size, no traj), in one call (readv): the data into
 * its place, the chunk into the block. The chunk's vlen descriptor and the headers read then say
 * whether the guess held; when it did not, the data is read as above, over it. A readout of such
 * a file then costs one read.
 *
 * `fillAsync` is `fill` for a thread that must not block (mrd-client reads on its main thread,
 * which writes the socket): on those C library files the fused reads of the rows that fit are
 * foreseen (the chunk index gives each chunk's address, the guess the collection before it),
 * made beforehand with one `readv` per run of rows stored back to back on libuv's thread pool,
 * and `fill` then runs over what they read, checking every guess as for its own reads and
 * reading itself what was not foreseen or did not hold. Same bytes, same checks, one layout
 * logic; only when the kernel copies happen, and on which thread.
 *
 * The header: where the file's `head` member is laid out as the wire header (same members,
 * offsets and types: the C library's, h5py's and mrd-core's files) its 340 bytes are copied as
 * they are, no header object made (as the reference client sends the record's bytes). That is
 * what decoding and encoding gives, but for float NaNs: those came back quieted or canonical,
 * depending on V8's compilation tier; copied, they are the file's bits.
 */
import { ACQUISITION_HEADER_SIZE } from '../../headers/types.js';
import { writeAcquisitionHeader } from '../../headers/codec.js';
import { ACQUISITION_HEADER_LAYOUT, ENCODING_COUNTERS_LAYOUT, elementSize, type RecordLayout } from '../../headers/fields.js';
import type { AcquisitionHeader } from '../../headers/types.js';
import { MessageId } from '../../constants/index.js';
import type { Datatype } from '../format/datatype.js';
import type { FixedParts } from './fixed-parts.js';
import type { DirectRing } from './direct-ring.js';
import type { RecordDecoder } from './record-layout.js';

const WINDOW = 4096;
const GCOL_HEADER = 16;
const OBJECT_HEADER = 16;
/** Collections remembered (a re-walk costs a few reads if an older one is needed again). */
const MAX_COLLECTIONS = 256;
const FIXED_BLOCK = 256;
/** Rows of one `readv` by `fillAsync` at most (two parts each, within IOV_MAX = 1024). */
const RUN_ROWS = 512;

interface Collection {
  /** heap index -> [file address of the data, size] */
  objects: Map<number, [number, number]>;
  /** where the walk continues (address of the next object header), or -1 once it is complete */
  next: number;
  end: number;
}

function isF32Vlen(t: Datatype | undefined): boolean {
  return !!t && t.kind === 'vlen' && t.base.kind === 'float' && t.base.size === 4;
}

/** Whether file datatype `t` stores `layout`'s records byte for byte as the wire does (same members at the same offsets, same sizes and signedness, no more). */
function sameAsWire(t: Datatype, layout: RecordLayout): boolean {
  if (t.kind !== 'compound' || t.size !== layout.size || layout.padding.length > 0 || t.members.length !== layout.fields.length) return false;
  const members = new Map(t.members.map((m) => [m.name, m]));
  return layout.fields.every((f) => {
    const m = members.get(f.name);
    if (!m || m.offset !== f.offset) return false;
    if (f.type === 'counters') return sameAsWire(m.type, ENCODING_COUNTERS_LAYOUT);
    let mt = m.type;
    if (f.count !== undefined) {
      if (mt.kind !== 'array' || mt.dims.reduce((a, b) => a * b, 1) !== f.count) return false;
      mt = mt.base;
    } else if (mt.kind === 'array') return false;
    const size = elementSize(f.type);
    if (f.type === 'f32') return mt.kind === 'float' && mt.size === 4;
    return mt.kind === 'int' && mt.size === size && mt.signed === (f.type === 'i32');
  });
}

/**
 * Whether the `head` datatype of an acquisition dataset is the wire's AcquisitionHeader byte for
 * byte, so that its bytes can be sent as they are (see the file header).
 */
export function acquisitionHeadIsWireLayout(head: Datatype): boolean {
  return sameAsWire(head, ACQUISITION_HEADER_LAYOUT);
}

const fieldOffset = (name: string): number => ACQUISITION_HEADER_LAYOUT.fields.find((f) => f.name === name)!.offset;
const NUMBER_OF_SAMPLES = fieldOffset('number_of_samples');
const ACTIVE_CHANNELS = fieldOffset('active_channels');
const TRAJECTORY_DIMENSIONS = fieldOffset('trajectory_dimensions');
/** Speculative reads that found another layout, before giving up on them. */
const MAX_MISSES = 16;

export class AcquisitionWireReader {
  private readonly collections = new Map<number, Collection>();
  private window = new Uint8Array(WINDOW);
  private windowView = new DataView(this.window.buffer);
  private windowAt = -1;
  private windowLen = 0;
  private readonly fixedRows: number;
  /** Fixed parts of rows [blockStart, blockStart + blockRows) */
  private block = new Uint8Array(0);
  private blockView = new DataView(this.block.buffer);
  private blockStart = 0;
  private blockRows = 0;
  /** `head` is the wire header byte for byte (copied, not decoded and encoded). */
  private readonly rawHead: boolean;
  private speculate = true;
  private misses = 0;
  private hits = 0;
  /** Data bytes of the last row read whose data opened its own collection, no traj (0: none): the guess of a fused read. */
  private lastDataBytes = 0;
  /** Where a fused read put a row's data, while it is checked (-1: none). */
  private fusedRow = -1;
  private fusedColl = -1;
  private fusedHits = 0;
  private fusedMisses = 0;
  /**
   * The fused reads of rows [start, start + colls.length) done ahead by `fillAsync` into `out`:
   * each row's collection address, where in `out` its read begins, its chunk in `chunks`.
   */
  private prefetched: { out: Uint8Array; start: number; colls: number[]; at: number[]; chunks: Uint8Array } | null = null;
  private prefetchChunks = new Uint8Array(0);
  private foreseen = 0;

  private constructor(
    private readonly fp: FixedParts,
    /** null only where the head is stored in the wire layout (`rawHead`: never decoded) */
    private readonly decoder: RecordDecoder<AcquisitionHeader> | null,
    private readonly headOff: number,
    private readonly dataOff: number,
    private readonly trajOff: number | undefined,
    private readonly what: string,
  ) {
    this.fixedRows = fp.rows;
    const head = fp.type.members.find((m) => m.name === 'head');
    this.rawHead = !!head && acquisitionHeadIsWireLayout(head.type);
  }

  /** How payloads and headers were read so far (tests): speculative one-read payloads that held, whether headers are copied, fused reads that held, fused reads made ahead by `fillAsync` and used. */
  get stats(): { speculativeHits: number; speculativeMisses: number; headersCopied: boolean; fusedHits: number; fusedMisses: number; foreseen: number } {
    return { speculativeHits: this.hits, speculativeMisses: this.misses, headersCopied: this.rawHead, fusedHits: this.fusedHits, fusedMisses: this.fusedMisses, foreseen: this.foreseen };
  }

  /**
   * Whether `fillAsync` can make this dataset's reads ahead, off the calling thread: records
   * stored one per chunk (the ISMRMRD C++ library's layout, where a row's chunk and the
   * collection before it are read with one call). Elsewhere `fillAsync` reads as `fill` does.
   */
  get readsAhead(): boolean {
    if (this.fixedRows < 2) return false;
    return this.fp.rowSpan(0, 2).rows === 1 && this.fp.rowSpan(this.fixedRows >> 1, 2).rows === 1;
  }

  /**
   * A reader for the acquisition dataset behind `fp`, or null when its records are not the MRD
   * layout this reader handles (head in the memory layout the decoder expects, `data` and
   * `traj` as vlen float32). `decoder` may be null where the head is stored in the wire layout
   * (`acquisitionHeadIsWireLayout`: its bytes are copied, never decoded); elsewhere null gives null.
   */
  static create(fp: FixedParts, decoder: RecordDecoder<AcquisitionHeader> | null, headSameLayout: boolean, what: string): AcquisitionWireReader | null {
    const members = new Map(fp.type.members.map((m) => [m.name, m]));
    const head = members.get('head');
    const data = members.get('data');
    const traj = members.get('traj');
    if (!head || !headSameLayout || !data || !isF32Vlen(data.type)) return null;
    if (!decoder && !acquisitionHeadIsWireLayout(head.type)) return null;
    if (traj && !isF32Vlen(traj.type)) return null;
    return new AcquisitionWireReader(fp, decoder, head.offset, data.offset, traj?.offset, what);
  }

  /**
   * Reads from `row` on served from `ring` where it holds them (direct-ring.ts), started 1 MB
   * before the row (`readsAhead` layouts: file order); null: as before. The caller closes it after
   * `readDirect(null)`, no fill in progress.
   */
  readDirect(ring: DirectRing | null, row = 0): void {
    ring?.start(Math.max(0, this.fp.fileOffset(Math.min(row, this.fixedRows - 1)) - 1048576));
    this.fp.ring = ring;
  }

  /** Number of acquisitions. */
  get rows(): number {
    return this.fixedRows;
  }

  /**
   * Wire bytes of acquisitions from row `start` on, as many whole messages as fit in
   * `out.subarray(offset)`, at most `maxRows`. Returns the rows written and the end offset; 0
   * rows when the first message does not fit (its size is `needed`). Bytes of `out` past the
   * end offset may be overwritten (reads ahead of a guess).
   */
  fill(start: number, maxRows: number, out: Uint8Array, offset: number): { rows: number; end: number; needed: number } {
    const n = Math.min(maxRows, this.fixedRows - start);
    if (n <= 0) return { rows: 0, end: offset, needed: 0 };
    const rs = this.fp.recordSize;
    const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let o = offset;
    this.fusedRow = -1; // (a fused read's data is checked in the fill that read it)
    for (let k = 0; k < n; k++) {
      const row = start + k;
      if (row < this.blockStart || row >= this.blockStart + this.blockRows) {
        if (!this.readFused(row, out, o + 2 + ACQUISITION_HEADER_SIZE)) this.readBlock(row);
      }
      const dv = this.blockView;
      const rec = (row - this.blockStart) * rs;
      const hb = rec + this.headOff;
      // the header as it is in the file, unless it needs decoding (see the file header)
      const head = this.rawHead ? null : this.decoder!.decode(dv, hb);
      const samples = head ? head.number_of_samples : dv.getUint16(hb + NUMBER_OF_SAMPLES, true);
      const channels = head ? head.active_channels : dv.getUint16(hb + ACTIVE_CHANNELS, true);
      const trajDims = head ? head.trajectory_dimensions : dv.getUint16(hb + TRAJECTORY_DIMENSIONS, true);
      const dataLen = dv.getUint32(rec + this.dataOff, true);
      const trajLen = this.trajOff === undefined ? 0 : dv.getUint32(rec + this.trajOff, true);
      if (dataLen !== 2 * channels * samples) {
        throw new Error(`${this.what}[${row}]: data has ${dataLen} floats, header says ${channels} channels x ${samples} samples (x2 for complex)`);
      }
      if (trajLen !== trajDims * samples) {
        throw new Error(`${this.what}[${row}]: traj has ${trajLen} floats, header says ${trajDims} dimensions x ${samples} samples`);
      }
      const size = 2 + ACQUISITION_HEADER_SIZE + 4 * (trajLen + dataLen);
      if (o + size > out.byteLength) {
        this.fusedRow = -1;
        return { rows: k, end: o, needed: k === 0 ? size : 0 };
      }
      // Payloads before the header: a speculative read (see payload) may write the 32 bytes
      // before its place. Data before traj (the 32 bytes before the data are the traj's), but
      // traj first when both are in one collection (traj is its first object, the data is then
      // found in the collection remembered, without a guess).
      const trajAt = o + 2 + ACQUISITION_HEADER_SIZE;
      const dataAt = trajAt + 4 * trajLen;
      let dataRead = false;
      if (this.fusedRow === row) {
        // the data read with the chunk, if the guess held (see the file header); else read as
        // usual, over what the guess put there
        this.fusedRow = -1;
        dataRead = trajLen === 0 && this.fusedHeld(dv, rec + this.dataOff, dataLen, out, dataAt);
        if (dataRead) this.fusedHits++;
        else if (++this.fusedMisses > MAX_MISSES && this.fusedMisses > this.fusedHits) this.lastDataBytes = -1;
      }
      if (dataRead) {
        // (no traj: the guess holds only then)
      } else if (trajLen > 0 && this.trajOff !== undefined && sameCollection(dv, rec + this.trajOff, rec + this.dataOff)) {
        this.payload(dv, rec + this.trajOff, trajLen, out, trajAt, row, 'traj');
        this.payload(dv, rec + this.dataOff, dataLen, out, dataAt, row, 'data');
      } else {
        this.payload(dv, rec + this.dataOff, dataLen, out, dataAt, row, 'data');
        if (this.trajOff !== undefined) this.payload(dv, rec + this.trajOff, trajLen, out, trajAt, row, 'traj');
      }
      if (this.lastDataBytes >= 0) this.lastDataBytes = trajLen === 0 && this.collections.get(descCollection(dv, rec + this.dataOff))?.objects.size === 1 ? 4 * dataLen : 0;
      outView.setUint16(o, MessageId.ACQUISITION, true);
      if (head) writeAcquisitionHeader(head, outView, o + 2);
      else out.set(this.block.subarray(hb, hb + ACQUISITION_HEADER_SIZE), o + 2);
      o += size;
    }
    return { rows: n, end: o, needed: 0 };
  }

  /**
   * As `fill`, with the reads `fill` would make for the rows it can foresee made beforehand on
   * libuv's thread pool (the calling thread is free meanwhile), adjacent ones with one call: the
   * fused reads (chunk and guessed collection, see the file header) of the rows that fit, where
   * the layout allows them. Then `fill` runs over what was read, checking every guess as it
   * does for its own reads and reading itself what was not foreseen or did not hold: the same
   * bytes as `fill`. Foreseen rows are at most those that fit, so a batch may end a row earlier.
   * One call at a time per reader (the reads ahead share one chunk buffer): await each before the next.
   */
  async fillAsync(start: number, maxRows: number, out: Uint8Array, offset: number): Promise<{ rows: number; end: number; needed: number }> {
    const last = Math.min(this.fixedRows, start + maxRows);
    let row = start;
    let o = offset;
    // (`readDirect`: the batch's bytes from the previous row on waited for, for `fill`'s reads too)
    if (row < last && this.fp.ring) await this.fp.ring.wait(this.fp.fileOffset(Math.max(0, row - 1)), out.byteLength - offset);
    while (row < last) {
      const plan = this.planFused(row, last - row, out, o);
      if (plan.colls.length === 0) {
        // nothing foreseen: the batch ends where the guessed message would not fit, else one row as `fill` reads it
        const guess = this.lastDataBytes;
        if (row > start && guess > 0 && o + 2 + ACQUISITION_HEADER_SIZE + guess > out.byteLength) break;
        const r = this.fill(row, 1, out, o);
        if (r.rows === 0) return { rows: row - start, end: o, needed: row === start ? r.needed : 0 };
        row += r.rows;
        o = r.end;
        continue;
      }
      const r = await this.fillForeseen(row, plan, out, o);
      if (r.rows === 0) break;
      row += r.rows;
      o = r.end;
    }
    return { rows: row - start, end: o, needed: 0 };
  }

  /** `fill` of the rows of `plan` from `start` on, their reads made beforehand (see `fillAsync`). */
  private async fillForeseen(start: number, plan: { colls: number[]; at: number[] }, out: Uint8Array, offset: number): Promise<{ rows: number; end: number; needed: number }> {
    const rs = this.fp.recordSize;
    const bytes = this.lastDataBytes;
    const n = plan.colls.length;
    if (this.prefetchChunks.byteLength < n * rs) this.prefetchChunks = new Uint8Array(n * rs);
    const chunks = this.prefetchChunks;
    const span = GCOL_HEADER + OBJECT_HEADER + bytes;
    // runs of rows stored back to back ([collection][chunk][collection][chunk]...): one readv each
    const reads: Promise<boolean>[] = [];
    for (let a = 0; a < n; ) {
      let b = a + 1;
      while (b < n && plan.colls[b] === plan.colls[b - 1]! + span + rs && b - a < RUN_ROWS) b++;
      const parts: Uint8Array[] = [];
      for (let k = a; k < b; k++) parts.push(out.subarray(plan.at[k]!, plan.at[k]! + span), chunks.subarray(k * rs, (k + 1) * rs));
      const want = (b - a) * (span + rs);
      reads.push(this.fp.readvAsync(plan.colls[a]!, parts).then((got) => got === want));
      a = b;
    }
    // (all settled before an error is thrown: no read is left writing into `out` or using the file)
    const settled = await Promise.allSettled(reads);
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    const ok = settled.every((r) => r.status === 'fulfilled' && r.value);
    this.prefetched = ok ? { out, start, colls: plan.colls, at: plan.at, chunks } : null;
    try {
      return this.fill(start, n, out, offset);
    } finally {
      this.prefetched = null;
    }
  }

  /**
   * The fused reads `fill(start, maxRows, out, offset)` would make if every guess held: for each
   * row from `start` on while the guess applies and the message fits, its collection's address
   * and where in `out` the read begins. Empty when no guess applies (nothing read alike yet, a
   * row's fixed part not alone in its chunk, or the first row's fixed part read already).
   */
  private planFused(start: number, maxRows: number, out: Uint8Array, offset: number): { colls: number[]; at: number[] } {
    const colls: number[] = [];
    const at: number[] = [];
    const bytes = this.lastDataBytes;
    if (bytes <= 0 || !this.speculate) return { colls, at };
    if (start >= this.blockStart && start < this.blockStart + this.blockRows) return { colls, at };
    const size = 2 + ACQUISITION_HEADER_SIZE + bytes;
    const n = Math.min(maxRows, this.fixedRows - start);
    for (let k = 0; k < n; k++) {
      const o = offset + k * size;
      if (o + size > out.byteLength) break;
      const span = this.fp.rowSpan(start + k, 2);
      if (span.rows !== 1) break;
      const coll = span.addr - GCOL_HEADER - OBJECT_HEADER - bytes;
      if (coll < 0 || this.collections.has(coll)) break;
      colls.push(coll);
      at.push(o + 2 + ACQUISITION_HEADER_SIZE - GCOL_HEADER - OBJECT_HEADER);
    }
    return { colls, at };
  }

  /**
   * The fused read of `row` (see the file header): its chunk into the block, and the collection
   * guessed before it, its data at `payloadAt` of `out` (where the row's data goes when it has
   * no traj). False when not tried: the row's fixed part is not alone in its chunk, or nothing
   * to guess from, or the message would not fit.
   */
  private readFused(row: number, out: Uint8Array, payloadAt: number): boolean {
    const bytes = this.lastDataBytes;
    if (bytes <= 0 || !this.speculate || payloadAt + bytes > out.byteLength) return false;
    const rs = this.fp.recordSize;
    const span = this.fp.rowSpan(row, 2);
    if (span.rows !== 1) return false;
    const coll = span.addr - GCOL_HEADER - OBJECT_HEADER - bytes;
    if (coll < 0 || this.collections.has(coll)) return false;
    if (this.block.byteLength < rs) {
      this.block = new Uint8Array(Math.max(rs, FIXED_BLOCK * rs));
      this.blockView = new DataView(this.block.buffer);
    }
    const n = GCOL_HEADER + OBJECT_HEADER + bytes;
    const pre = this.prefetched;
    const i = pre && pre.out === out ? row - pre.start : -1;
    let got: number;
    if (pre && i >= 0 && i < pre.colls.length && pre.colls[i] === coll && pre.at[i] === payloadAt - GCOL_HEADER - OBJECT_HEADER) {
      // read already, by fillAsync: the same bytes at the same places (the chunk into its own buffer)
      this.block.set(pre.chunks.subarray(i * rs, (i + 1) * rs), 0);
      got = n + rs;
      this.foreseen++;
    } else {
      got = this.fp.readUpToThen(coll, out, payloadAt - GCOL_HEADER - OBJECT_HEADER, n, this.block.subarray(0, rs));
    }
    if (got !== n + rs) return false; // (then read as usual, which reports the end of the file)
    this.blockStart = row;
    this.blockRows = 1;
    this.fusedRow = row;
    this.fusedColl = coll;
    return true;
  }

  /** Whether the fused read's guess held for the data described at `desc` (`len` floats, to be at `at` of `out`); remembers its collection then. */
  private fusedHeld(dv: DataView, desc: number, len: number, out: Uint8Array, at: number): boolean {
    const bytes = 4 * len;
    if (descCollection(dv, desc) !== this.fusedColl || bytes !== this.lastDataBytes) return false;
    return this.firstObjectHeld(this.fusedColl, dv.getUint32(desc + 12, true), bytes, out, at);
  }

  private readBlock(row: number): void {
    // the rows stored back to back from `row` on (one read)
    const count = Math.max(1, this.fp.rowSpan(row, Math.min(FIXED_BLOCK, this.fixedRows - row)).rows);
    const bytes = count * this.fp.recordSize;
    if (this.block.byteLength < bytes) {
      this.block = new Uint8Array(bytes);
      this.blockView = new DataView(this.block.buffer);
    }
    this.fp.readRowsInto(row, count, this.block);
    this.blockStart = row;
    this.blockRows = count;
  }

  /**
   * Reads the vlen described at `desc` of `dv` (length u32, collection address u64, index u32)
   * into `out` at `o`; `out` from `o - 32` to `o` may be overwritten (see the file header).
   */
  private payload(dv: DataView, desc: number, len: number, out: Uint8Array, o: number, row: number, name: string): void {
    if (len === 0) return;
    const coll = dv.getUint32(desc + 4, true) + dv.getUint32(desc + 8, true) * 4294967296;
    const index = dv.getUint32(desc + 12, true);
    const bytes = 4 * len;
    if (this.speculate && o >= GCOL_HEADER + OBJECT_HEADER && !this.collections.has(coll)) {
      if (this.readAsFirstObject(coll, index, bytes, out, o)) {
        this.hits++;
        return;
      }
      if (++this.misses > MAX_MISSES && this.misses > this.hits) this.speculate = false;
    }
    const obj = this.heapObject(coll, index, row, name);
    if (obj[1] !== bytes) throw new Error(`${this.what}[${row}]: ${name} heap object holds ${obj[1]} bytes, expected ${bytes}`);
    this.fp.readInto(obj[0], out, o, obj[1]);
  }

  /**
   * One read of the collection at `coll` from its start, as if object `index` of `bytes` bytes
   * came first in it: its bytes land at `o`, the two headers in the 32 bytes before. True when
   * the headers read say so (the collection is then remembered with that object).
   */
  private readAsFirstObject(coll: number, index: number, bytes: number, out: Uint8Array, o: number): boolean {
    const at = o - GCOL_HEADER - OBJECT_HEADER;
    const n = GCOL_HEADER + OBJECT_HEADER + bytes;
    if (this.fp.readUpTo(coll, out, at, n) !== n) return false;
    return this.firstObjectHeld(coll, index, bytes, out, o);
  }

  /**
   * Whether the 32 bytes before `o` of `out`, read from the start of the collection at `coll`,
   * are its header and the header of object `index` of `bytes` bytes, first in it; remembers the
   * collection with that object then.
   */
  private firstObjectHeld(coll: number, index: number, bytes: number, out: Uint8Array, o: number): boolean {
    const h = new DataView(out.buffer, out.byteOffset + o - GCOL_HEADER - OBJECT_HEADER, GCOL_HEADER + OBJECT_HEADER);
    if (h.getUint32(0, true) !== 0x4c4f4347 || h.getUint8(4) !== 1) return false;
    const size = h.getUint32(8, true) + h.getUint32(12, true) * 4294967296;
    const objSize = h.getUint32(GCOL_HEADER + 8, true) + h.getUint32(GCOL_HEADER + 12, true) * 4294967296;
    if (h.getUint16(GCOL_HEADER, true) !== index || objSize !== bytes || size < GCOL_HEADER + OBJECT_HEADER + bytes) return false;
    const dataAt = coll + GCOL_HEADER + OBJECT_HEADER;
    this.remember(coll, { objects: new Map([[index, [dataAt, bytes]]]), next: dataAt + Math.ceil(bytes / 8) * 8, end: coll + size });
    return true;
  }

  private remember(addr: number, c: Collection): void {
    this.collections.set(addr, c);
    // Records refer to collections in file order: the oldest are not needed again (bounded memory).
    if (this.collections.size > MAX_COLLECTIONS) this.collections.delete(this.collections.keys().next().value!);
  }

  private bytesAt(addr: number, n: number): DataView {
    if (this.windowAt < 0 || addr < this.windowAt || addr + n > this.windowAt + this.windowLen) {
      this.windowLen = this.fp.readUpTo(addr, this.window, 0, WINDOW);
      this.windowAt = addr;
      if (this.windowLen < n) throw new Error(`${this.what}: global heap at ${addr}: end of file`);
    }
    return new DataView(this.window.buffer, addr - this.windowAt, n);
  }

  private heapObject(addr: number, index: number, row: number, name: string): [number, number] {
    let c = this.collections.get(addr);
    if (!c) {
      const h = this.bytesAt(addr, GCOL_HEADER);
      if (h.getUint32(0, true) !== 0x4c4f4347 || h.getUint8(4) !== 1) throw new Error(`${this.what}[${row}]: ${name}: no global heap collection at ${addr}`);
      const size = h.getUint32(8, true) + h.getUint32(12, true) * 4294967296;
      c = { objects: new Map(), next: addr + GCOL_HEADER, end: addr + size };
      this.remember(addr, c);
    }
    let found = c.objects.get(index);
    while (!found && c.next >= 0 && c.next + OBJECT_HEADER <= c.end) {
      const h = this.bytesAt(c.next, OBJECT_HEADER);
      const idx = h.getUint16(0, true);
      const size = h.getUint32(8, true) + h.getUint32(12, true) * 4294967296;
      if (idx === 0) {
        c.next = -1; // free space: the rest of the collection
        break;
      }
      const at = c.next + OBJECT_HEADER;
      c.objects.set(idx, [at, size]);
      c.next = at + Math.ceil(size / 8) * 8;
      if (idx === index) found = [at, size];
    }
    if (!found) throw new Error(`${this.what}[${row}]: ${name}: object ${index} not found in the global heap collection at ${addr}`);
    return found;
  }
}

/** The collection address of the vlen descriptor at `desc` of `dv`. */
function descCollection(dv: DataView, desc: number): number {
  return dv.getUint32(desc + 4, true) + dv.getUint32(desc + 8, true) * 4294967296;
}

/** Whether the vlen descriptors at `a` and `b` of `dv` point into the same global heap collection. */
function sameCollection(dv: DataView, a: number, b: number): boolean {
  return dv.getUint32(a + 4, true) === dv.getUint32(b + 4, true) && dv.getUint32(a + 8, true) === dv.getUint32(b + 8, true);
}
