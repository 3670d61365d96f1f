import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { emptyAcquisitionHeader, withFlag } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { THREADS_ENV } from '@mrd-tools/recon-api/threads';
import { closeReconPools } from '@mrd-tools/recon-kernels/pool';
import { builtInModule } from './index.js';

const saved = process.env[THREADS_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[THREADS_ENV];
  else process.env[THREADS_ENV] = saved;
});
afterAll(async () => {
  await closeReconPools();
});

/** Two slices of 8 coils x 256 x 256 (pseudo-random k-space), each ending with LAST_IN_SLICE. */
function input(): MrdMessage[] {
  const [cha, ro, pe] = [8, 256, 256];
  let s = 29;
  const out: MrdMessage[] = [];
  for (let slice = 0; slice < 2; slice++) {
    for (let p = 0; p < pe; p++) {
      const head = emptyAcquisitionHeader();
      head.active_channels = cha;
      head.available_channels = cha;
      head.number_of_samples = ro;
      head.scan_counter = slice * pe + p;
      head.idx.kspace_encode_step_1 = p;
      head.idx.slice = slice;
      head.idx.user[5] = pe / 2;
      if (p === pe - 1) head.flags = withFlag(0n, AcquisitionFlag.LAST_IN_SLICE);
      const data = new Float32Array(2 * cha * ro);
      for (let i = 0; i < data.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; data[i] = s / 2 ** 32 - 0.5; }
      out.push({ type: 'acquisition', acquisition: { head, data, traj: new Float32Array(0) } as Acquisition });
    }
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

async function run(threads: number): Promise<MrdMessage[]> {
  process.env[THREADS_ENV] = String(threads);
  const conn = new ReplayConnection(input());
  await builtInModule('invertcontrast')!.process(conn, {}, header);
  return conn.sent;
}

describe('invertcontrast on the worker pool', () => {
  it('two slices of 8 coils x 256 x 256 give the single-thread images bit for bit with 2 threads', async () => {
    const one = await run(1);
    const two = await run(2);
    const images = (msgs: MrdMessage[]) => msgs.flatMap((m) => (m.type === 'image' ? [m.image] : []));
    expect(images(one)).toHaveLength(2);
    expect(images(two).map((i) => [i.head, i.attribute, Array.from(i.data)])).toEqual(images(one).map((i) => [i.head, i.attribute, Array.from(i.data)]));
    // the second slice's image is its own (the k-space storage reused from the first is refilled)
    expect(Array.from(images(one)[1].data)).not.toEqual(Array.from(images(one)[0].data));
  });
});
