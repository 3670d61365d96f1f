/**
 * A file read ahead with direct I/O (O_DIRECT) into a ring of large aligned buffers, for a
 * reader that goes through the file in order (mrd-client's acquisitions of a file that is not in
 * the page cache): blocks of `block` bytes read one after the other on libuv's thread pool, up
 * to `depth` at once, the reader's bytes then copied from memory (`copy`, `wait`) instead of
 * positioned reads through the page cache. On this VM's disk one buffered sequential reader gets
 * 0.4-1.2 GB/s for 0.7-2 ms of CPU per MB (the kernel fills and copies pages), direct reads of
 * 16 MB 0.9-1.6 GB/s for 0.04 ms/MB (docs/streaming-performance.md, branch `cold-direct`).
 *
 * A cache, never a source of truth: a range it does not hold (behind its window, too far ahead,
 * a direct read that failed or came back short) is answered "no" and the caller reads it as
 * before, which reports any error. So the bytes are the file's whichever way they come.
 *
 * Alignment: O_DIRECT wants the buffer address, the file offset and the length multiples of the
 * device's logical block size (512 or 4096); offsets and lengths here are multiples of 4096, and
 * since Node does not give a buffer's address, the ring's one allocation is probed: the offset in
 * it (multiples of 8 below 4096) at which a direct read of 4096 bytes succeeds is aligned, and
 * the ring's buffers start there (the block size being a multiple of 4096, all of them are).
 * `open` returns null where O_DIRECT is refused (no such flag on this OS, a file system that
 * refuses it: tmpfs before Linux 6.6, no probe that succeeds).
 *
 * Memory: `depth * block` bytes plus 4 KiB (64 MB with the defaults), allocated at `open`.
 */
import { closeSync, constants, fstatSync, openSync, read, readSync } from 'node:fs';

const ALIGN = 4096;
/** Bytes of one direct read (a multiple of ALIGN). */
export const DIRECT_BLOCK_BYTES = 16 * 1024 * 1024;
/** Blocks held at once: the one being read from and up to depth - 1 read ahead. */
export const DIRECT_DEPTH = 4;

interface Slot {
  /** block index: bytes [origin + index * block, + valid) */
  index: number;
  buf: Uint8Array;
  valid: number;
  state: 'reading' | 'ready' | 'failed';
  done: Promise<void>;
}

export interface DirectRingOptions {
  /** bytes per read, a multiple of 4096 */
  block?: number;
  /** blocks held at once (at least 2) */
  depth?: number;
}

export class DirectRing {
  /** The blocks held, in file order (slots[0] is the oldest). */
  private readonly slots: Slot[] = [];
  private readonly free: Uint8Array[];
  private origin = -1;
  private next = 0;
  private stopped = false;
  private failure: unknown = null;
  private closing: Promise<void> | null = null;
  /** Direct reads made, bytes read, ranges served (`copy` that held), ranges refused (tests, reports). */
  readonly stats = { reads: 0, bytes: 0, served: 0, refused: 0 };

  private constructor(private readonly fd: number, readonly size: number, private readonly block: number, buffers: Uint8Array[]) {
    this.free = buffers;
  }

  /**
   * Opens `path` for direct reads (see the file header), or null where they are refused; reads
   * nothing more until `start`.
   */
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

  /** Starts reading at `pos` (rounded down to 4096), `depth` blocks at once. Once only. */
  start(pos: number): void {
    if (this.origin >= 0) throw new Error('DirectRing: started already');
    this.origin = Math.max(0, Math.floor(pos / ALIGN) * ALIGN);
    this.refill();
  }

  /** Whether the ring gave up (a direct read failed): everything is then read as before. */
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
        // (a short direct read: the end of the file, or one to go on from only where it stopped on an aligned offset)
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

  /** Drops the oldest block (its buffer read into next). */
  private release(): void {
    const s = this.slots.shift()!;
    this.free.push(s.buf);
  }

  /**
   * Waits until bytes [pos, pos + n) are held (those before the end of the file), the blocks wholly before `pos` dropped (the reader
   * has gone past them) and their buffers reading further on. False when they will not be held:
   * `pos` before the window, the range longer than the ring, a read that failed, the ring
   * stopped; the caller then reads them as before.
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
    // every block of the range (the reader's next few MB: the ring holds them or is reading them)
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

  /** Whether bytes [pos, pos + n) are in blocks read (not waiting). */
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

  /**
   * Copies bytes [pos, pos + n) of the file into `out` at `at` when the ring holds all of them
   * (across blocks where they span two); false, nothing copied, otherwise. Never waits.
   */
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

  /** Stops reading, waits for the reads in flight, closes the descriptor. Idempotent. */
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

/**
 * The offset in `raw` from which direct reads succeed (see the file header), or -1: a direct read
 * of 4096 bytes at file offset 0 is tried at offsets 0, 8, 16, ... below 4096 until one is not
 * refused (EINVAL); any other error gives -1.
 */
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
