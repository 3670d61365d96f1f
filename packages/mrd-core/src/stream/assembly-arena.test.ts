import { describe, expect, it } from 'vitest';
import { AssemblyArena, type ArenaBlock } from './assembly-arena.js';

describe('AssemblyArena', () => {
  it('carves 8-byte aligned blocks in order, never across the end, and says when it has no room', () => {
    const a = new AssemblyArena(64);
    const b1 = a.alloc(20)!; // 24 bytes at 0
    const b2 = a.alloc(16)!; // at 24
    expect([b1.bytes.byteOffset % 8, b2.bytes.byteOffset - b1.bytes.byteOffset, b1.bytes.length]).toEqual([0, 24, 20]);
    expect(b1.bytes.buffer).toBe(b2.bytes.buffer);
    expect(a.alloc(32)).toBeNull(); // 24 free at the end: not enough, and the start is in use
    expect(a.stats.misses).toBe(1);
    a.release(b1.mark);
    const b3 = a.alloc(20)!; // [40, 64): fits at the end
    expect(b3.bytes.byteOffset).toBe(40);
    expect(a.alloc(28)).toBeNull(); // [0, 32) would overlap b2 [24, 40), still in use
    const b4 = a.alloc(16)!; // [0, 16): wrapped around
    expect(b4.bytes.byteOffset).toBe(0);
    a.release(b3.mark);
    const b5 = a.alloc(20)!; // [16, 40), where b2 was (released with b3)
    expect(b5.bytes.byteOffset).toBe(16);
    const b6 = a.alloc(20)!; // [40, 64)
    expect(b6.bytes.byteOffset).toBe(40);
    a.release(b6.mark);
    const b7 = a.alloc(60)!; // empty ring: starts again at 0 (64 bytes fit)
    expect(b7.bytes.byteOffset).toBe(0);
    expect(a.alloc(65)).toBeNull(); // larger than the ring
    expect(() => a.release(b7.mark + 8)).toThrow(/beyond/);
    a.release(b7.mark);
    expect(a.inUse).toBe(0);
    expect(a.alloc(8)!.bytes.byteOffset).toBe(b1.bytes.byteOffset); // empty: back to the start
  });

  it('an empty ring takes any block that fits it, wherever the last one ended', () => {
    const a = new AssemblyArena(64);
    const b1 = a.alloc(20)!; // [0, 24)
    a.alloc(16); // [24, 40)
    a.release(b1.mark + 16);
    expect(a.inUse).toBe(0);
    // 64 bytes would straddle the end from 40: the ring is empty, so it starts again at 0
    const b = a.alloc(64)!;
    expect(b).not.toBeNull();
    expect(b.bytes.byteOffset).toBe(0);
    expect(a.stats.misses).toBe(0);
  });

  it('never hands out memory still referenced (random sizes, in-order releases, contents checked)', () => {
    const cap = 4096;
    const a = new AssemblyArena(cap);
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    const live: { block: ArenaBlock; fill: number }[] = [];
    let fill = 0, carved = 0;
    for (let step = 0; step < 20000; step++) {
      if (live.length > 0 && rand(3) === 0) {
        // the consumer is done with the oldest few: their contents must be intact
        const k = 1 + rand(live.length);
        const done = live.splice(0, k);
        for (const { block, fill: f } of done) expect(block.bytes.every((v) => v === f)).toBe(true);
        a.release(done[done.length - 1].block.mark);
        continue;
      }
      const block = a.alloc(1 + rand(900));
      if (!block) continue;
      carved++;
      fill = (fill + 1) % 256;
      const start = block.bytes.byteOffset, end = start + block.bytes.length;
      expect(end).toBeLessThanOrEqual(cap);
      for (const { block: other } of live) {
        const s = other.bytes.byteOffset, e = s + other.bytes.length;
        expect(end <= s || start >= e).toBe(true);
      }
      block.bytes.fill(fill);
      live.push({ block, fill });
    }
    for (const { block, fill: f } of live) expect(block.bytes.every((v) => v === f)).toBe(true);
    expect(carved).toBeGreaterThan(1000);
    expect(a.stats.misses).toBeGreaterThan(0);
  });
});
