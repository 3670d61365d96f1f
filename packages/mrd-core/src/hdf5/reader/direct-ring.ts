/**
 * A file read in order with direct I/O (O_DIRECT) into a ring of aligned buffers on libuv's pool,
 * for mrd-client's reader of a cold input (no page cache fill and copy: a twentieth of the CPU per
 * MB). A cache only: ranges it does not hold whole are refused and read as before, which reports
 * errors. Buffers: one allocation, the offset in it where a direct read is accepted probed
 * (Node gives no address); null where O_DIRECT is refused. docs/streaming-performance.md, `cold-direct`.
 */
import { closeSync, constants, fstatSync, openSync, read, readSync } from 'node:fs';

const ALIGN = 4096;
/** Bytes of one read (a multiple of ALIGN), blocks held (depth x block: 64 MB). */
export const DIRECT_BLOCK_BYTES = 16 * 1024 * 1024;
export const DIRECT_DEPTH = 4;

interface Slot {
  /** bytes [origin + index * block, + valid) */
  index: number;
  buf: Uint8Array;
  valid: number;
  state: 'reading' | 'ready' | 'failed';
  done: Promise<void>;
}

export interface DirectRingOptions {
  block?: number;
  depth?: number;
}

export class DirectRing {
  /** in file order */
  private readonly slots: Slot[] = [];
  private readonly free: Uint8Array[];
  private origin = -1;
  private next = 0;
  private stopped = false;
  private failure: unknown = null;
  private closing: Promise<void> | null = null;
  /** Direct reads, bytes read, ranges served and refused. */
  readonly stats = { reads: 0, bytes: 0, served: 0, refused: 0 };

  private constructor(private readonly fd: number, readonly size: number, private readonly block: number, buffers: Uint8Array[]) {
    this.free = buffers;
  }

  /** `path` for direct reads, or null where refused; nothing read until `start`. */
  static open(path: string, options: DirectRingOptions = {}): DirectRing | null {
    const block = options.block ?? DIRECT_BLOCK_BYTES;
    const depth = Math.max(2, options.depth ?? DIRECT_DEPTH);
    if (block <= 0 || block % ALIGN !== 0) throw new RangeError(`DirectRing: block ${block} is not a multiple of ${ALIGN}`);
    const flag = (constants as { O_DIRECT?: number }).O_DIRECT;
    if (!flag) return null;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | flag);
    } catch {
      return null;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < ALIGN) throw new Error('too small to probe');
      const raw = new Uint8Array(depth * block + ALIGN);
      const at = alignedOffset(fd, raw);
      if (at < 0) throw new Error('no aligned offset');
      const buffers = Array.from({ length: depth }, (_, i) => raw.subarray(at + i * block, at + (i + 1) * block));
      return new DirectRing(fd, size, block, buffers);
    } catch {
      closeSync(fd);
      return null;
    }
  }

  /** Reads from `pos` (rounded down to 4096) on. Once. */
  start(pos: number): void {
    if (this.origin >= 0) throw new Error('DirectRing: started already');
    this.origin = Math.max(0, Math.floor(pos / ALIGN) * ALIGN);
    this.refill();
  }

  /** The error of a direct read, after which nothing is held. */
  get failed(): unknown {
    return this.failure;
  }

  private blockStart(index: number): number {
    return this.origin + index * this.block;
  }

  private refill(): void {
    while (!this.stopped && !this.failure && this.free.length > 0 && this.blockStart(this.next) < this.size) {
      const buf = this.free.pop()!;
      const slot: Slot = { index: this.next++, buf, valid: 0, state: 'reading', done: Promise.resolve() };
      slot.done = this.readSlot(slot);
      this.slots.push(slot);
    }
  }

  private async readSlot(slot: Slot): Promise<void> {
    const pos = this.blockStart(slot.index);
    const want = Math.min(this.block, Math.ceil((this.size - pos) / ALIGN) * ALIGN);
    try {
      let done = 0;
      while (done < want) {
        const n = await new Promise<number>((resolve, reject) => read(this.fd, slot.buf, done, want - done, pos + done, (err, k) => (err ? reject(err) : resolve(k))));
        this.stats.reads++;
        if (n === 0) break;
        done += n;
        // (short: the end of the file, or go on if aligned)
        if (done % ALIGN !== 0) break;
      }
      slot.valid = Math.min(done, this.size - pos);
      this.stats.bytes += done;
      slot.state = 'ready';
    } catch (err) {
      slot.state = 'failed';
      this.failure ??= err;
    }
  }

  private release(): void {
    const s = this.slots.shift()!;
    this.free.push(s.buf);
  }

  /**
   * Waits until bytes [pos, pos + n) (to the end of the file) are held, dropping the blocks before
   * `pos` (their buffers read on); false if they will not be (behind, longer than the ring, failed, closed).
   */
  async wait(pos: number, n: number): Promise<boolean> {
    if (this.origin < 0 || pos < this.origin || pos >= this.size) return this.refuse();
    const end = Math.min(pos + n, this.size);
    n = end - pos;
    for (;;) {
      if (this.stopped || this.failure) return this.refuse();
      const s = this.slots[0];
      if (!s) return this.refuse();
      if (this.blockStart(s.index) + this.block > pos) break;
      await s.done;
      if (this.slots[0] === s) this.release();
      this.refill();
    }
    for (const s of this.slots) {
      if (this.blockStart(s.index) >= end) break;
      await s.done;
    }
    return this.has(pos, n) || this.refuse();
  }

  private refuse(): false {
    this.stats.refused++;
    return false;
  }

  private has(pos: number, n: number): boolean {
    if (this.origin < 0 || pos < this.origin || n < 0) return false;
    const end = pos + n;
    for (const s of this.slots) {
      const b = this.blockStart(s.index);
      if (b + this.block <= pos) continue;
      if (b > pos || s.state !== 'ready') return false;
      if (b + s.valid >= end) return true;
      if (s.valid < this.block) return false;
      pos = b + this.block;
    }
    return false;
  }

  /** Copies bytes [pos, pos + n) into `out` at `at` if all are held (across blocks); else false. */
  copy(pos: number, out: Uint8Array, at: number, n: number): boolean {
    if (this.stopped || n <= 0 || !this.has(pos, n)) return false;
    const end = pos + n;
    for (const s of this.slots) {
      const b = this.blockStart(s.index);
      if (b + this.block <= pos) continue;
      if (pos >= end) break;
      const from = pos - b;
      const k = Math.min(end - pos, s.valid - from);
      out.set(s.buf.subarray(from, from + k), at);
      at += k;
      pos += k;
    }
    this.stats.served++;
    return true;
  }

  /** Stops, waits for the reads in flight, closes the descriptor. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      await Promise.all(this.slots.map((s) => s.done));
      this.slots.length = 0;
      closeSync(this.fd);
    })();
    return this.closing;
  }
}

/** The first offset (0, 8, ... < 4096) of `raw` where a direct read of 4096 bytes is not refused (EINVAL), or -1. */
function alignedOffset(fd: number, raw: Uint8Array): number {
  for (let k = 0; k < ALIGN; k += 8) {
    try {
      if (readSync(fd, raw, k, ALIGN, 0) <= 0) return -1;
      return k;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') return -1;
    }
  }
  return -1;
}
