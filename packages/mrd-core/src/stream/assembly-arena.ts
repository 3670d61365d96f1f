/**
 * A ring of memory the stream decoder carves its assembly buffers from (messages that span
 * received chunks are copied into one buffer of their own), instead of allocating a fresh buffer
 * per message: the first touch of fresh memory (page faults, glibc returning large blocks to the
 * system) cost more than the copy that fills it (docs/streaming-performance.md).
 *
 * Blocks are carved sequentially and released in the order they were carved (messages are
 * consumed in stream order): `release(mark)` frees every block up to the one `mark` was returned
 * with. A block never straddles the end of the ring (the tail is skipped); when the ring has no
 * room for a block, `alloc` returns null and the caller allocates on its own. Memory is handed
 * out again only once released, so a block still in use is never overwritten as long as the
 * owner releases in order and only what its consumer is done with.
 */
export interface ArenaBlock {
  bytes: Uint8Array;
  /** Pass to `release` once this block (and every one carved before it) is no longer used. */
  mark: number;
}

export class AssemblyArena {
  readonly capacity: number;
  private memory: Uint8Array | null = null;
  /** Virtual offsets (growing without bound): blocks live in [tail, head), at offset % capacity. */
  private head = 0;
  private tail = 0;
  /** Blocks carved, requests the ring had no room for (the caller allocated), most bytes in use at once. */
  readonly stats = { carved: 0, misses: 0, peakInUse: 0 };

  constructor(capacity: number) {
    if (!(capacity > 0) || capacity % 8 !== 0) throw new RangeError(`AssemblyArena: capacity ${capacity} is not a positive multiple of 8`);
    this.capacity = capacity;
  }

  /** Bytes carved and not yet released (skipped ring tails included). */
  get inUse(): number {
    return this.head - this.tail;
  }

  /** A block of `n` bytes, 8-byte aligned, or null when the ring has no room for it now. */
  alloc(n: number): ArenaBlock | null {
    const cap = this.capacity;
    const size = Math.max(8, (n + 7) & ~7);
    if (size > cap) {
      this.stats.misses++;
      return null;
    }
    if (this.head === this.tail) {
      // Empty: start again at the beginning of the ring (memory used a moment ago, still warm),
      // whatever fits there (the check below would count the end of the ring as in use).
      const start = (this.tail = Math.ceil(this.head / cap) * cap);
      return this.carve(start, size, n);
    }
    let start = this.head;
    const off = start % cap;
    if (off + size > cap) start += cap - off; // the block would straddle the end: skip the tail
    if (start + size - this.tail > cap) {
      this.stats.misses++;
      return null;
    }
    return this.carve(start, size, n);
  }

  private carve(start: number, size: number, n: number): ArenaBlock {
    this.memory ??= new Uint8Array(this.capacity);
    const off = start % this.capacity;
    this.head = start + size;
    this.stats.carved++;
    if (this.head - this.tail > this.stats.peakInUse) this.stats.peakInUse = this.head - this.tail;
    return { bytes: this.memory.subarray(off, off + n), mark: this.head };
  }

  /** Frees every block carved up to the one returned with `mark` (marks of earlier blocks are ignored). */
  release(mark: number): void {
    if (mark > this.head) throw new RangeError(`AssemblyArena: release mark ${mark} is beyond what was carved (${this.head})`);
    if (mark > this.tail) this.tail = mark;
  }
}
