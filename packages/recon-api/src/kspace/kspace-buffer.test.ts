import { describe, expect, it } from 'vitest';
import { emptyAcquisitionHeader } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import { KspaceAssembler, assembleKspace, placeReversed } from './kspace-buffer.js';
import { imageHeaderFromArray, updateImageHeaderFromRaw } from '../image-header/image-header.js';

function acq(lin: number, phase: number, centre: number, samples: number[][], scan: number): Acquisition {
  const head = emptyAcquisitionHeader();
  head.scan_counter = scan;
  head.idx.kspace_encode_step_1 = lin;
  head.idx.phase = phase;
  head.idx.user[5] = centre;
  head.active_channels = samples.length;
  head.number_of_samples = samples[0].length / 2;
  head.position = [1, 2, 3];
  head.idx.slice = 4;
  head.user_int[0] = 7;
  return { head, traj: new Float32Array(0), data: Float32Array.from(samples.flat()) };
}

describe('assembleKspace (invertcontrast.py process_raw)', () => {
  it('zero-fills by encode step and phase, right-aligns short readouts, flips y and x', () => {
    // ny = 3, nx = 4; readout of 2 samples on line 0 and a full one on line 2, phase 1
    const k = assembleKspace([
      acq(0, 0, 1, [[1, 1, 2, 2], [10, 10, 20, 20]], 0),
      acq(2, 1, 1, [[1, 0, 2, 0, 3, 0, 4, 0], [5, 0, 6, 0, 7, 0, 8, 0]], 1),
      acq(5, 0, 1, [[9, 9, 9, 9]], 2), // encode step outside the matrix: skipped
    ], 3, 4);
    expect([k.channels, k.phases, k.ny, k.nx]).toEqual([2, 2, 3, 4]);
    const at = (p: number, c: number, y: number, x: number) => [k.data[2 * (((p * 2 + c) * 3 + y) * 4 + x)], k.data[2 * (((p * 2 + c) * 3 + y) * 4 + x) + 1]];
    // reference: data[:, 0, 2:4, 0] = [1+1j, 2+2j]; flipped: y' = 2, x' = 3 - x -> x' 1, 0
    expect(at(0, 0, 2, 1)).toEqual([1, 1]);
    expect(at(0, 0, 2, 0)).toEqual([2, 2]);
    expect(at(0, 1, 2, 0)).toEqual([20, 20]);
    expect(at(0, 0, 2, 2)).toEqual([0, 0]);
    // line 2, phase 1 -> y' = 0, x' = 3 - x
    expect([0, 1, 2, 3].map((x) => at(1, 1, 0, x)[0])).toEqual([8, 7, 6, 5]);
    expect(k.centreHeaders[1]?.scan_counter).toBe(1);
  });

  it('keeps, per phase, the readout nearest the centre line idx.user[5] (first one on ties)', () => {
    const k = assembleKspace([acq(0, 0, 2, [[1, 1]], 0), acq(3, 0, 2, [[1, 1]], 1), acq(1, 0, 2, [[1, 1]], 2), acq(2, 0, 2, [[1, 1]], 3)], 4, 1);
    expect(k.centreHeaders[0]?.scan_counter).toBe(3);
    const tie = assembleKspace([acq(1, 0, 2, [[1, 1]], 0), acq(3, 0, 2, [[1, 1]], 1)], 4, 1);
    expect(tie.centreHeaders[0]?.scan_counter).toBe(0);
  });

  it('reuses storage from a previous group: its zero-filled prefix, the same k-space as a new array', () => {
    const group = [acq(0, 0, 1, [[1, 1, 2, 2], [10, 10, 20, 20]], 0), acq(2, 1, 1, [[1, 0, 2, 0, 3, 0, 4, 0], [5, 0, 6, 0, 7, 0, 8, 0]], 1)];
    const fresh = assembleKspace(group, 3, 4);
    const store = new Float32Array(fresh.data.length + 8).fill(99); // a previous, larger group's values
    const reused = assembleKspace(group, 3, 4, store);
    expect(reused.data.buffer).toBe(store.buffer);
    expect(Array.from(reused.data)).toEqual(Array.from(fresh.data));
    const small = new Float32Array(4);
    expect(assembleKspace(group, 3, 4, small).data.buffer).not.toBe(small.buffer); // too small: a new array
    const shared = new Float32Array(new SharedArrayBuffer(4 * fresh.data.length));
    const viaAllocator = assembleKspace(group, 3, 4, (n) => (n === fresh.data.length ? shared : small));
    expect(viaAllocator.data.buffer).toBe(shared.buffer);
    expect(Array.from(viaAllocator.data)).toEqual(Array.from(fresh.data));
    expect(() => assembleKspace(group, 3, 4, () => small)).toThrow(/storage of 4 floats, \d+ needed/);
  });

  it('refuses readouts longer than the encoded matrix', () => {
    expect(() => assembleKspace([acq(0, 0, 0, [[1, 1, 1, 1, 1, 1]], 9)], 2, 2)).toThrow(/readout 9 has 3 samples/);
  });
});

describe('KspaceAssembler (readouts placed as they arrive)', () => {
  /** Pseudo-random readouts: phases in any order, short readouts, repeated lines, lines never acquired, one outside the matrix. */
  function group(seed: number, n: number, ny: number, nx: number): Acquisition[] {
    let s = seed;
    const r = (k: number) => { s = (s * 1103515245 + 12345) >>> 0; return s % k; };
    return Array.from({ length: n }, (_, i) => {
      const ns = 1 + r(nx);
      const samples = [0, 1].map(() => Array.from({ length: 2 * ns }, () => r(1000) - 500));
      return acq(r(ny + 1), r(3), r(ny), samples, seed * 1000 + i);
    });
  }

  it('gives assembleKspace\'s k-space group after group in reused storage (storage growing with the phases)', () => {
    const a = new KspaceAssembler(6, 5, new Float32Array(10).fill(7)); // too small at first: grows
    for (let g = 0; g < 4; g++) {
      const readouts = group(g + 1, 12 + 5 * g, 6, 5);
      for (const r of readouts) a.add(r);
      expect(a.readouts).toBe(readouts.length);
      const got = a.finish();
      const want = assembleKspace(readouts, 6, 5);
      expect([got.channels, got.phases]).toEqual([want.channels, want.phases]);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      expect(got.centreHeaders.map((h) => h?.scan_counter)).toEqual(want.centreHeaders.map((h) => h?.scan_counter));
      expect(a.readouts).toBe(0);
    }
  });

  it('places 8-byte aligned samples (moved as 64-bit words) bit for bit as the reference, signalling NaNs included, and unaligned ones alike', () => {
    const ny = 4, nx = 6, channels = 3;
    let s = 99;
    // every float32 pattern but signalling NaNs (0x7f800001-0x7fbfffff and negative twins), and some quiet NaNs
    let signalling = false;
    const bits = () => {
      s = (s * 1103515245 + 12345) >>> 0;
      if (s % 11 === 0) return 0xffc00001;
      if (s % 7 === 0) return signalling ? 0x7fa00000 | (s & 0xfffff) : 0x7fc00000 | (s & 0xfffff);
      return s;
    };
    // the same readouts twice: payload at byte offset 8 (aligned) and 4 (not)
    const readouts = (offset: number): Acquisition[] => {
      s = 99;
      return [[0, 6], [3, 4], [1, 6], [3, 6]].map(([lin, ns], k) => {
        const a = acq(lin!, 0, 1, [[0, 0]], k);
        a.head.active_channels = channels;
        a.head.number_of_samples = ns!;
        const raw = new Uint32Array(2 * channels * ns! + offset / 4);
        for (let i = offset / 4; i < raw.length; i++) raw[i] = bits();
        a.data = new Float32Array(raw.buffer, offset, 2 * channels * ns!);
        return a;
      });
    };
    const place = (rs: Acquisition[]) => {
      const a = new KspaceAssembler(ny, nx);
      for (const r of rs) a.add(r);
      const k = a.finish();
      return new Uint32Array(k.data.buffer, k.data.byteOffset, k.data.length);
    };
    const aligned = readouts(8);
    const got = place(aligned);
    expect(Array.from(place(readouts(4)))).toEqual(Array.from(got));
    // as the reference: row ny-1-lin, sample s at x = ns-1-s, the last readout of a line wins, zero elsewhere
    const want = new Uint32Array(2 * channels * ny * nx);
    for (const r of aligned) {
      const ns = r.head.number_of_samples;
      const src = new Uint32Array(r.data.buffer, r.data.byteOffset, r.data.length);
      const y = ny - 1 - r.head.idx.kspace_encode_step_1;
      for (let c = 0; c < channels; c++) {
        for (let x = 0; x < nx; x++) want.fill(0, 2 * ((c * ny + y) * nx + x), 2 * ((c * ny + y) * nx + x) + 2);
        for (let q = 0; q < ns; q++) {
          const d = 2 * ((c * ny + y) * nx + (ns - 1 - q));
          want[d] = src[2 * (c * ns + q)]!;
          want[d + 1] = src[2 * (c * ns + q) + 1]!;
        }
      }
    }
    expect(Array.from(got)).toEqual(Array.from(want));
    // signalling NaNs: kept as they are where samples move as 64-bit words (numpy copies bytes;
    // a float32 load and store may set their quiet bit)
    signalling = true;
    const withSignalling = readouts(8);
    const got2 = place(withSignalling);
    const raw = withSignalling.map((r) => new Uint32Array(r.data.buffer, r.data.byteOffset, r.data.length));
    expect(raw.some((b) => b.some((v) => (v & 0x7fc00000) === 0x7f800000 && (v & 0x7fffff) !== 0))).toBe(true);
    const y0 = ny - 1 - withSignalling[0]!.head.idx.kspace_encode_step_1; // lin 0, full readout, never overwritten
    for (let q = 0; q < 6; q++) expect(got2[2 * (y0 * nx + (6 - 1 - q))]).toBe(raw[0]![2 * q]);
  });

  it('placeReversed moves a row flipped, four values a step and the rest, as the one-at-a-time loop (every length mod 4, bits kept, nothing else written)', () => {
    let s = 7;
    const word = () => (s = (s * 1103515245 + 12345) >>> 0);
    for (let ns = 0; ns <= 13; ns++) {
      for (const [s0, d0] of [[0, 0], [3, 5], [1, 2]]) {
        const srcBits = new Uint32Array(2 * (s0 + ns + 2));
        for (let i = 0; i < srcBits.length; i++) srcBits[i] = word();
        const src = new Float64Array(srcBits.buffer);
        const before = new Uint32Array(2 * (d0 + ns + 3));
        for (let i = 0; i < before.length; i++) before[i] = word();
        const got = before.slice();
        placeReversed(src, s0, new Float64Array(got.buffer), d0, ns);
        // the loop it replaces, on 32-bit words (the bits as they are)
        const want = before.slice();
        for (let k = 0; k < ns; k++) {
          want[2 * (d0 + ns - 1 - k)] = srcBits[2 * (s0 + k)]!;
          want[2 * (d0 + ns - 1 - k) + 1] = srcBits[2 * (s0 + k) + 1]!;
        }
        expect(Array.from(got), `ns ${ns}, s0 ${s0}, d0 ${d0}`).toEqual(Array.from(want));
      }
    }
  });

  it('released storage serves the thread\'s next assembler (the next session), with the same k-space as fresh memory', () => {
    const first = new KspaceAssembler(6, 5);
    for (const r of group(1, 40, 6, 5)) first.add(r); // a previous session's values stay in the storage
    const kept = first.finish().data.buffer;
    first.release();
    const next = new KspaceAssembler(6, 5);
    for (let g = 0; g < 3; g++) {
      const readouts = group(10 + g, 9 + 4 * g, 6, 5);
      for (const r of readouts) next.add(r);
      const got = next.finish();
      if (g === 0) expect(got.data.buffer).toBe(kept);
      expect(Array.from(got.data)).toEqual(Array.from(assembleKspace(readouts, 6, 5).data));
    }
    // taken: a third assembler made meanwhile does not share it
    const other = new KspaceAssembler(6, 5);
    other.add(group(20, 1, 6, 5)[0]!);
    expect(other.finish().data.buffer).not.toBe(kept);
    next.release();
    // assembleKspace's result outlives the call: it never takes the kept storage
    expect(assembleKspace(group(21, 5, 6, 5), 6, 5).data.buffer).not.toBe(kept);
    const again = new KspaceAssembler(6, 5);
    again.add(group(22, 1, 6, 5)[0]!);
    expect(again.finish().data.buffer).toBe(kept);
    again.release();
  });

  it('never keeps storage the caller gave (the caller owns it)', () => {
    new KspaceAssembler(6, 5); // takes what an earlier test left kept on this thread
    const mine = new Float32Array(2 * 2 * 3 * 6 * 5);
    const a = new KspaceAssembler(6, 5, mine);
    a.add(group(30, 1, 6, 5)[0]!);
    expect(a.finish().data.buffer).toBe(mine.buffer);
    a.release();
    const b = new KspaceAssembler(6, 5);
    b.add(group(31, 1, 6, 5)[0]!);
    expect(b.finish().data.buffer).not.toBe(mine.buffer);
    b.release();
  });

  it('builds into storage from the caller\'s allocator (e.g. shared memory), asked again as the phases grow, never kept by release', () => {
    const asked: number[] = [];
    const given: Float32Array[] = [];
    const alloc = (n: number) => {
      asked.push(n);
      const s = new Float32Array(new SharedArrayBuffer(4 * n)).fill(3); // not zeroed: the assembler zero-fills
      given.push(s);
      return s;
    };
    const a = new KspaceAssembler(6, 5, alloc);
    for (let g = 0; g < 3; g++) {
      const readouts = group(40 + g, 15, 6, 5);
      for (const r of readouts) a.add(r);
      const got = a.finish();
      const want = assembleKspace(readouts, 6, 5);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      expect(got.data.buffer).toBe(given[given.length - 1]!.buffer);
      expect(got.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((n) => n % (2 * 2 * 6 * 5) === 0)).toBe(true);
    a.release();
    const b = new KspaceAssembler(6, 5);
    b.add(group(50, 1, 6, 5)[0]!);
    expect(given.some((s) => s.buffer === b.finish().data.buffer)).toBe(false);
    b.release();
    expect(() => {
      const c = new KspaceAssembler(6, 5, () => new Float32Array(4));
      c.add(group(51, 1, 6, 5)[0]!);
    }).toThrow(/storage of 4 floats/);
  });

  it('raises the first faulty readout\'s error at finish, then starts the next group afresh', () => {
    const a = new KspaceAssembler(2, 2);
    a.add(acq(0, 0, 0, [[1, 1]], 0));
    a.add(acq(1, 0, 0, [[1, 1, 1, 1, 1, 1]], 9)); // 3 samples > nx = 2
    a.add(acq(1, 0, 0, [[1, 1], [2, 2]], 10)); // 2 channels, the group started with 1
    expect(() => a.finish()).toThrow(/readout 9 has 3 samples/);
    expect(() => a.finish()).toThrow(/no readouts/);
    a.add(acq(1, 0, 0, [[3, 4]], 11));
    expect(Array.from(a.finish().data)).toEqual([3, 4, 0, 0, 0, 0, 0, 0]); // line 1 flipped to row 0
  });
});

describe('image headers from readouts', () => {
  it('update_img_header_from_raw copies geometry, counters and user values, sets magnitude, index 1, series 0', () => {
    const raw = acq(0, 3, 0, [[1, 1]], 0).head;
    raw.flags = 1n << 7n;
    raw.version = 1;
    const h = updateImageHeaderFromRaw(imageHeaderFromArray({ dataType: 5, channels: 1, x: 4, y: 3, z: 1 }), raw);
    expect(h.flags).toBe(1n << 7n);
    expect(h.position).toEqual([1, 2, 3]);
    expect([h.slice, h.phase, h.image_type, h.image_index, h.image_series_index]).toEqual([4, 3, 1, 1, 0]);
    expect(h.user_int[0]).toBe(7);
    expect(h.matrix_size).toEqual([4, 3, 1]);
  });

  it('from_array(acquisition=...) copies the acquisition fields but not its flags', () => {
    const raw = acq(0, 2, 0, [[1, 1]], 0).head;
    raw.flags = 5n;
    raw.version = 3;
    const h = imageHeaderFromArray({ dataType: 2, channels: 1, x: 8, y: 6, z: 1 }, raw);
    expect([h.version, h.flags, h.phase, h.slice, h.data_type, h.image_type]).toEqual([1, 0n, 2, 4, 2, 0]);
    expect(h.position).toEqual([1, 2, 3]);
  });
});
