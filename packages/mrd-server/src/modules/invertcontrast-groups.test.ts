/**
 * invertcontrast keeps its k-space storage from one group (slice) to the next: each group's
 * images are those of the group sent alone in a session of its own.
 */
import { describe, expect, it } from 'vitest';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { emptyAcquisitionHeader, withFlag } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { builtInModule } from './index.js';

/** Two slices of 8 coils x 256 x 256 (pseudo-random k-space), each ending with LAST_IN_SLICE; the second has the even lines only. */
function input(): MrdMessage[] {
  const [cha, ro, pe] = [8, 256, 256];
  let s = 29;
  const out: MrdMessage[] = [];
  for (let slice = 0; slice < 2; slice++) {
    const last = slice === 0 ? pe - 1 : pe - 2;
    for (let p = 0; p < pe; p += slice === 0 ? 1 : 2) {
      const head = emptyAcquisitionHeader();
      head.active_channels = cha;
      head.available_channels = cha;
      head.number_of_samples = ro;
      head.scan_counter = slice * pe + p;
      head.idx.kspace_encode_step_1 = p;
      head.idx.slice = slice;
      head.idx.user[5] = pe / 2;
      if (p === last) head.flags = withFlag(0n, AcquisitionFlag.LAST_IN_SLICE);
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

async function run(messages: MrdMessage[]): Promise<MrdMessage[]> {
  const conn = new ReplayConnection(messages);
  await builtInModule('invertcontrast')!.process(conn, {}, header);
  return conn.sent;
}

const images = (msgs: MrdMessage[]) => msgs.flatMap((m) => (m.type === 'image' ? [m.image] : [])).map((i) => [i.head, i.attribute, Array.from(i.data)]);

describe('invertcontrast over several groups', () => {
  it('the second slice (k-space storage reused from the first) gives the image of that slice sent alone', async () => {
    const all = input();
    const together = images(await run(all));
    const first = images(await run(all.slice(0, 256)));
    const second = images(await run(all.slice(256)));  // sparser: stale lines would show
    expect(together).toHaveLength(2);
    expect(together).toEqual([...first, ...second]);
    expect(together[1]![2]).not.toEqual(together[0]![2]);
  });
});
