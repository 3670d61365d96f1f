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
 * once per collection and one read of its bytes.
 * Fixed parts are read in blocks of rows into one reused buffer that serves the next `fill` too:
 * each row's fixed part is read once (files with one row per chunk cost one read per row).
 */
import { ACQUISITION_HEADER_SIZE } from '../../headers/types.js';
import { writeAcquisitionHeader } from '../../headers/codec.js';
import type { AcquisitionHeader } from '../../headers/types.js';
import { MessageId } from '../../constants/index.js';
import type { Datatype } from '../format/datatype.js';
import type { FixedParts } from './fixed-parts.js';
import type { RecordDecoder } from './record-layout.js';

const WINDOW = 4096;
const GCOL_HEADER = 16;
const OBJECT_HEADER = 16;
/** Collections remembered (a re-walk costs a few reads if an older one is needed again). */
const MAX_COLLECTIONS = 256;
const FIXED_BLOCK = 256;

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

  private constructor(
    private readonly fp: FixedParts,
    private readonly decoder: RecordDecoder<AcquisitionHeader>,
    private readonly headOff: number,
    private readonly dataOff: number,
    private readonly trajOff: number | undefined,
    private readonly what: string,
  ) {
    this.fixedRows = fp.rows;
  }

  /**
   * A reader for the acquisition dataset behind `fp`, or null when its records are not the MRD
   * layout this reader handles (head in the memory layout the decoder expects, `data` and
   * `traj` as vlen float32).
   */
  static create(fp: FixedParts, decoder: RecordDecoder<AcquisitionHeader>, headSameLayout: boolean, what: string): AcquisitionWireReader | null {
    const members = new Map(fp.type.members.map((m) => [m.name, m]));
    const head = members.get('head');
    const data = members.get('data');
    const traj = members.get('traj');
    if (!head || !headSameLayout || !data || !isF32Vlen(data.type)) return null;
    if (traj && !isF32Vlen(traj.type)) return null;
    return new AcquisitionWireReader(fp, decoder, head.offset, data.offset, traj?.offset, what);
  }

  /** Number of acquisitions. */
  get rows(): number {
    return this.fixedRows;
  }

  /**
   * Wire bytes of acquisitions from row `start` on, as many whole messages as fit in
   * `out.subarray(offset)`, at most `maxRows`. Returns the rows written and the end offset; 0
   * rows when the first message does not fit (its size is `needed`).
   */
  fill(start: number, maxRows: number, out: Uint8Array, offset: number): { rows: number; end: number; needed: number } {
    const n = Math.min(maxRows, this.fixedRows - start);
    if (n <= 0) return { rows: 0, end: offset, needed: 0 };
    const rs = this.fp.recordSize;
    const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let o = offset;
    for (let k = 0; k < n; k++) {
      const row = start + k;
      if (row < this.blockStart || row >= this.blockStart + this.blockRows) this.readBlock(row);
      const dv = this.blockView;
      const rec = (row - this.blockStart) * rs;
      const head = this.decoder.decode(dv, rec + this.headOff);
      const dataLen = dv.getUint32(rec + this.dataOff, true);
      const trajLen = this.trajOff === undefined ? 0 : dv.getUint32(rec + this.trajOff, true);
      if (dataLen !== 2 * head.active_channels * head.number_of_samples) {
        throw new Error(`${this.what}[${row}]: data has ${dataLen} floats, header says ${head.active_channels} channels x ${head.number_of_samples} samples (x2 for complex)`);
      }
      if (trajLen !== head.trajectory_dimensions * head.number_of_samples) {
        throw new Error(`${this.what}[${row}]: traj has ${trajLen} floats, header says ${head.trajectory_dimensions} dimensions x ${head.number_of_samples} samples`);
      }
      const size = 2 + ACQUISITION_HEADER_SIZE + 4 * (trajLen + dataLen);
      if (o + size > out.byteLength) return { rows: k, end: o, needed: k === 0 ? size : 0 };
      outView.setUint16(o, MessageId.ACQUISITION, true);
      writeAcquisitionHeader(head, outView, o + 2);
      o += 2 + ACQUISITION_HEADER_SIZE;
      if (this.trajOff !== undefined) o = this.payload(dv, rec + this.trajOff, trajLen, out, o, row, 'traj');
      o = this.payload(dv, rec + this.dataOff, dataLen, out, o, row, 'data');
    }
    return { rows: n, end: o, needed: 0 };
  }

  private readBlock(row: number): void {
    const count = Math.min(FIXED_BLOCK, this.fixedRows - row);
    const bytes = count * this.fp.recordSize;
    if (this.block.byteLength < bytes) {
      this.block = new Uint8Array(bytes);
      this.blockView = new DataView(this.block.buffer);
    }
    this.fp.readRowsInto(row, count, this.block);
    this.blockStart = row;
    this.blockRows = count;
  }

  /** Reads the vlen described at `desc` of `dv` (length u32, collection address u64, index u32) into `out` at `o`. */
  private payload(dv: DataView, desc: number, len: number, out: Uint8Array, o: number, row: number, name: string): number {
    if (len === 0) return o;
    const coll = dv.getUint32(desc + 4, true) + dv.getUint32(desc + 8, true) * 4294967296;
    const index = dv.getUint32(desc + 12, true);
    const obj = this.heapObject(coll, index, row, name);
    if (obj[1] !== 4 * len) throw new Error(`${this.what}[${row}]: ${name} heap object holds ${obj[1]} bytes, expected ${4 * len}`);
    this.fp.readInto(obj[0], out, o, obj[1]);
    return o + obj[1];
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
      this.collections.set(addr, c);
      // Records refer to collections in file order: the oldest are not needed again (bounded memory).
      if (this.collections.size > MAX_COLLECTIONS) this.collections.delete(this.collections.keys().next().value!);
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
