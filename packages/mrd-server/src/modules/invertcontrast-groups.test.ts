/**
 * invertcontrast keeps its k-space storage from one group (slice) to the next, and from one
 * session to the next on the same thread: each group's images are those of the group sent alone
 * in a session of its own, in fresh memory. (--threads 1: the pool path, with its shared
 * k-spaces, is invertcontrast-threads.test.ts's.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREADS_ENV } from '@mrd-tools/recon-api/threads';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { emptyAcquisitionHeader, withFlag } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { SocketConnection } from '@mrd-tools/core/connection';
import { decodeStream, encodeMessages } from '@mrd-tools/core/stream';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { KspaceAssembler } from '@mrd-tools/recon-api';
import { Duplex } from 'node:stream';
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

/**
 * The module on a SocketConnection fed `messages` in 3000-byte reads (one per turn of the event
 * loop, as a socket's), every readout spanning reads, with a borrow ring of `ring` bytes: the
 * connection reuses a readout's memory once the module reads the next. Returns what it sent.
 */
async function runBorrowing(messages: MrdMessage[], ring: number): Promise<{ sent: MrdMessage[]; carved: number }> {
  const bytes = encodeMessages([...messages, { type: 'close' }]);
  const out: Buffer[] = [];
  let at = 0;
  const duplex = new Duplex({
    read() {
      setImmediate(() => {
        if (at >= bytes.length) { this.push(null); return; }
        this.push(Buffer.from(bytes.subarray(at, at + 3000)));
        at += 3000;
      });
    },
    write(chunk: Buffer, _e, cb) { out.push(Buffer.from(chunk)); cb(); },
  });
  const conn = new SocketConnection(duplex, { borrowArenaBytes: ring });
  await builtInModule('invertcontrast')!.process(conn, {}, header);
  await conn.flush();
  return { sent: decodeStream(Buffer.concat(out)), carved: conn.arenaStats?.carved ?? 0 };
}

beforeAll(() => {
  process.env[THREADS_ENV] = '1';
});
afterAll(() => {
  delete process.env[THREADS_ENV];
});

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

  it('a session builds its k-space in the storage the previous session on the thread left (stale lines do not show)', async () => {
    const all = input();
    new KspaceAssembler(256, 256); // takes what earlier sessions left: the next one starts on fresh memory
    const fresh = images(await run(all.slice(256)));
    await run(all.slice(0, 256)); // dense slice: every line written, storage released at the end
    const holder = new KspaceAssembler(256, 256); // proof that a storage is kept: this one takes it
    holder.add(all[0]!.type === 'acquisition' ? all[0]!.acquisition : (undefined as never));
    const kept = holder.finish().data.buffer;
    holder.release();
    const sparse = await run(all.slice(256)); // takes the dense slice's storage
    expect(images(sparse)).toEqual(fresh);
    const probe = new KspaceAssembler(256, 256);
    probe.add(all[0]!.type === 'acquisition' ? all[0]!.acquisition : (undefined as never));
    // the sparse session gave it back in its turn (compared as a boolean: a failed identity check would print 32 MB)
    expect(probe.finish().data.buffer === kept).toBe(true);
    probe.release();
  });

  it('on a connection that reuses each readout\'s memory once the next is read (borrowPayloads), the same images', async () => {
    const all = input();
    // through the encoder as the socket's were (it sets attribute_string_len)
    const replayed = images(decodeStream(encodeMessages(await run(all))));
    // a ring of 128 KiB: about eight 16 KiB readouts, reused about sixty times over the 512
    const { sent, carved } = await runBorrowing(all, 128 * 1024);
    expect(carved).toBeGreaterThan(300);
    expect(images(sent)).toEqual(replayed);
  });
});
