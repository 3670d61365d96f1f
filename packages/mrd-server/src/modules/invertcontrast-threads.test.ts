/**
 * invertcontrast with --threads > 1: large groups reconstruct on the numerics' pool (k-space in
 * shared memory, two of them in turn) while the next group is placed; the images, their order
 * and everything else sent are those of --threads 1, bit for bit.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { emptyAcquisitionHeader, withFlag } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { THREADS_ENV } from '@mrd-tools/recon-api/threads';
import { closeReconPools, ReconPool } from '@mrd-tools/recon-kernels/pool';
import { builtInModule } from './index.js';

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env[THREADS_ENV];
});
afterAll(async () => {
  await closeReconPools();
});

/** `slices` groups of 8 coils x 256 x 256 (pseudo-random), each ending with LAST_IN_SLICE; odd slices have the even lines only, phases 0 and 1. */
function input(slices: number, seed: number): MrdMessage[] {
  const [cha, ro, pe] = [8, 256, 256];
  let s = seed;
  const out: MrdMessage[] = [];
  for (let slice = 0; slice < slices; slice++) {
    const step = slice % 2 === 0 ? 1 : 2;
    const lines: number[] = [];
    for (let p = 0; p < pe; p += step) lines.push(p);
    lines.forEach((p, n) => {
      const head = emptyAcquisitionHeader();
      head.active_channels = cha;
      head.available_channels = cha;
      head.number_of_samples = ro;
      head.scan_counter = slice * pe + p;
      head.idx.kspace_encode_step_1 = p;
      head.idx.slice = slice;
      head.idx.phase = slice % 2 === 1 && p % 4 === 2 ? 1 : 0;
      head.idx.user[5] = pe / 2;
      head.position = [slice, 2 * slice, 3];
      if (n === lines.length - 1) head.flags = withFlag(0n, AcquisitionFlag.LAST_IN_SLICE);
      const data = new Float32Array(2 * cha * ro);
      for (let i = 0; i < data.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; data[i] = (s / 2 ** 32 - 0.5) * (1 + slice); }
      out.push({ type: 'acquisition', acquisition: { head, data, traj: new Float32Array(0) } as Acquisition });
    });
  }
  return out;
}

const header = {
  experimentalConditions: { H1resonanceFrequency_Hz: 63500000 },
  encoding: [{
    trajectory: 'cartesian',
    encodedSpace: { matrixSize: { x: 256, y: 256, z: 1 }, fieldOfView_mm: { x: 300, y: 300, z: 5 } },
    reconSpace: { matrixSize: { x: 128, y: 256, z: 1 }, fieldOfView_mm: { x: 300, y: 300, z: 5 } },
  }],
};

async function run(messages: MrdMessage[], threads: number, config: Record<string, unknown> = {}): Promise<MrdMessage[]> {
  process.env[THREADS_ENV] = String(threads);
  const conn = new ReplayConnection(messages);
  await builtInModule('invertcontrast')!.process(conn, config, header);
  return conn.sent;
}

/** What was sent, with the processing time's digits (wall time) blanked. */
function sent(msgs: MrdMessage[]): unknown[] {
  return msgs.map((m) => {
    if (m.type === 'image') return ['image', m.image.head, m.image.attribute, m.image.data.constructor.name, Buffer.from(m.image.data.buffer, m.image.data.byteOffset, m.image.data.byteLength).toString('base64')];
    if (m.type === 'text') return ['text', m.text.replace(/time: [\d.]+ ms/, 'time: X ms')];
    return [m.type];
  });
}

describe('invertcontrast on the numerics pool', () => {
  it('five groups (two k-spaces in turn, phases varying) give with 2 and 3 threads what 1 thread gives, bit for bit and in order', async () => {
    const all = input(5, 31);
    const runAll = vi.spyOn(ReconPool.prototype, 'runAll');
    const one = sent(await run(all, 1));
    expect(runAll).not.toHaveBeenCalled();
    expect(one.filter((m) => (m as unknown[])[0] === 'image')).toHaveLength(1 + 2 + 1 + 2 + 1);
    const two = sent(await run(all, 2));
    expect(runAll).toHaveBeenCalled(); // the pool path was taken
    expect(two).toEqual(one);
    expect(sent(await run(all, 3))).toEqual(one);
  });

  it('the complex option (its maximum printed from the exact float64 sums) is the same with 2 threads', async () => {
    const all = input(2, 7);
    const one = sent(await run(all, 1, { parameters: { options: 'complex' } }));
    expect(sent(await run(all, 2, { parameters: { options: 'complex' } }))).toEqual(one);
  });

  it('a session after a larger one (shared k-spaces kept on the thread) shows none of its lines', async () => {
    const sparse = input(2, 3).slice(256); // the second slice alone: even lines only
    const fresh = sent(await run(sparse, 1));
    await run(input(3, 5), 2); // dense slices fill both shared k-spaces
    expect(sent(await run(sparse, 2))).toEqual(fresh);
  });
});
