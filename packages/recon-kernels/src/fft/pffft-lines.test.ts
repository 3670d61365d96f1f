import { describe, expect, it } from 'vitest';
import { pffftLines } from './pffft-lines.js';
import { loadSimdPffftWithMemory } from './pffft-memory.js';

function random(floats: number, seed: number): Float32Array {
  const a = new Float32Array(floats);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = s / 2147483648 - 0.5;
  }
  return a;
}

describe('PFFFT line transforms looped inside WebAssembly', () => {
  it('the loaded module hands back its own pffft_transform_ordered and pffft_transform', async () => {
    const { module, transforms } = await loadSimdPffftWithMemory();
    expect(transforms).not.toBeNull();
    expect(transforms!.ordered).toBe(module._pffft_transform_ordered);
    expect(transforms!.internal).toBe(module._pffft_transform);
  });
  it('gives the bits of one JS call per line, ordered and internal, forward and inverse, lines a stride apart', async () => {
    const { module, memory, transforms } = await loadSimdPffftWithMemory();
    const lines = pffftLines(memory, transforms!);
    for (const n of [16, 96, 192]) {
      const count = 5, stride = 8 * n + 64; // a gap between lines, left as it is
      const setup = module._pffft_new_setup(n, 1);
      const a = module._pffft_aligned_malloc(count * stride), b = module._pffft_aligned_malloc(count * stride), work = module._pffft_aligned_malloc(8 * n);
      const data = random((count * stride) >> 2, 7 + n);
      for (const [internal, dir] of [[false, 0], [false, 1], [true, 0], [true, 1]] as const) {
        module.HEAPF32.set(data, a >> 2);
        module.HEAPF32.set(data, b >> 2);
        const one = internal ? module._pffft_transform : module._pffft_transform_ordered;
        for (let i = 0; i < count; i++) one(setup, a + i * stride, a + i * stride, work, dir);
        (internal ? lines.internal : lines.ordered)(setup, b, count, stride, work, dir);
        const h = module.HEAPF32;
        const viaJs = h.slice(a >> 2, (a + count * stride) >> 2), inWasm = h.slice(b >> 2, (b + count * stride) >> 2);
        expect(inWasm).toEqual(viaJs);
        expect(inWasm).not.toEqual(data);
      }
      module._pffft_aligned_free(a);
      module._pffft_aligned_free(b);
      module._pffft_aligned_free(work);
      module._pffft_destroy_setup(setup);
    }
  });
});
