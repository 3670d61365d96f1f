import { describe, expect, it } from 'vitest';
import { emptyAcquisitionHeader } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import { KspaceAssembler, assembleKspace } from './kspace-buffer.js';
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
