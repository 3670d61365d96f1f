/**
 * DirectRing (direct-ring.ts): the file's bytes through direct reads, across the ring's block
 * boundaries; the fall-backs (O_DIRECT refused, no aligned offset, a read that fails: null or
 * "not held", the caller reading as before); and its close with no read in flight. `node:fs` is
 * wrapped so that O_DIRECT opens and reads can be refused or watched; the other calls go through.
 * The wire reader over a ring (C library layout, mrd-core's writer's) gives the HDF5 read's bytes.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const io = vi.hoisted(() => ({ refuseOpen: false, refuseAll: false, failReadsFrom: -1, fds: new Set<number>(), inFlight: 0, started: 0, closed: [] as number[] }));

vi.mock('node:fs', async (importOriginal) => {
  const { directIoFs } = await import('../../testing/direct-io.js');
  const patched = directIoFs(await importOriginal<typeof import('node:fs')>(), io);
  return { ...patched, default: patched };
});

const { DirectRing } = await import('./direct-ring.js');
const { MrdFile } = await import('./index.js');
const { encodeMessages } = await import('../../stream/encoder.js');
const { reference } = await import('../../testing/reference.js');
const { MrdWriter } = await import('../writer/index.js');
const { createAcquisition } = await import('../../messages/create.js');

const haveDirect = !!(constants as { O_DIRECT?: number }).O_DIRECT;
const dir = mkdtempSync(join(tmpdir(), 'direct-ring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// 100 KB and a bit (not a multiple of 4096: the last block is short)
const file = join(dir, 'bytes.bin');
const content = new Uint8Array(100_000 + 123);
for (let i = 0; i < content.length; i++) content[i] = (i * 7919 + (i >> 8)) & 255;
writeFileSync(file, content);

beforeEach(() => {
  io.refuseOpen = io.refuseAll = false;
  io.failReadsFrom = -1;
  io.started = 0;
  io.closed.length = 0;
});

async function viaHdf5(f: Awaited<ReturnType<typeof MrdFile.open>>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const batch of f.acquisitionBatches('dataset')) parts.push(encodeMessages(batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition }))));
  return Buffer.concat(parts);
}

describe.runIf(haveDirect)('DirectRing', () => {
  it("gives the file's bytes, ranges across block boundaries included, the window moving on as the reader goes", async () => {
    const ring = DirectRing.open(file, { block: 8192, depth: 3 })!;
    expect(ring).not.toBeNull();
    ring.start(5000); // (from 4096: rounded down)
    const got = new Uint8Array(content.length);
    got.set(content.subarray(0, 4096));
    // uneven steps: many ranges span two blocks (8192-byte boundaries)
    for (let pos = 4096, step = 1000; pos < content.length; pos += step, step = (step * 13) % 7001 + 500) {
      const n = Math.min(step, content.length - pos);
      expect(await ring.wait(pos, n)).toBe(true);
      expect(ring.copy(pos, got, pos, n)).toBe(true);
    }
    expect(Buffer.compare(Buffer.from(got), Buffer.from(content))).toBe(0);
    // behind the window (blocks dropped as the reader went past them), past the end: not held;
    // a range over the end: its bytes before the end
    expect(ring.copy(4096, new Uint8Array(10), 0, 10)).toBe(false);
    expect(await ring.wait(4096, 10)).toBe(false);
    expect(await ring.wait(content.length, 10)).toBe(false);
    expect(await ring.wait(content.length - 10, 20)).toBe(true);
    expect(ring.copy(content.length - 10, new Uint8Array(20), 0, 20)).toBe(false);
    expect(ring.stats.reads).toBeGreaterThanOrEqual(Math.ceil((content.length - 4096) / 8192));
    await ring.close();
    expect(io.closed.length).toBe(1);
    expect(io.fds.size).toBe(0);
  });

  it('a range longer than the ring is not held (the caller reads it as before)', async () => {
    const ring = DirectRing.open(file, { block: 8192, depth: 2 })!;
    ring.start(0);
    expect(await ring.wait(100, 3 * 8192)).toBe(false);
    expect(await ring.wait(100, 8192)).toBe(true);
    await ring.close();
  });

  it('O_DIRECT refused at open, or no offset of the buffer a direct read accepts: null, nothing left open', () => {
    io.refuseOpen = true;
    expect(DirectRing.open(file)).toBeNull();
    io.refuseOpen = false;
    io.refuseAll = true;
    expect(DirectRing.open(file, { block: 8192 })).toBeNull();
    expect(io.closed.length).toBe(1);
    expect(io.fds.size).toBe(0);
  });

  it('a direct read that fails: nothing held from then on (read as before), the ring closes once its reads are done', async () => {
    io.failReadsFrom = 3 * 8192;
    // (two blocks at once: the fourth block's read is made only once the reader has gone past the first two)
    const ring = DirectRing.open(file, { block: 8192, depth: 2 })!;
    ring.start(0);
    expect(await ring.wait(0, 100)).toBe(true);
    // the fourth block's read fails: the ring gives up
    expect(await ring.wait(3 * 8192 + 10, 100)).toBe(false);
    expect(String(ring.failed)).toMatch(/EIO/);
    expect(ring.copy(0, new Uint8Array(100), 0, 100)).toBe(false);
    await ring.close();
    expect(io.inFlight).toBe(0);
    expect(io.fds.size).toBe(0);
  });

  it('closed mid-file: waits for the reads in flight, then closes its descriptor; nothing served after', async () => {
    const ring = DirectRing.open(file, { block: 8192, depth: 4 })!;
    ring.start(0);
    expect(io.inFlight).toBeGreaterThan(0);
    await ring.close();
    expect(io.inFlight).toBe(0);
    expect(io.closed.length).toBe(1);
    expect(await ring.wait(0, 10)).toBe(false);
    expect(ring.copy(0, new Uint8Array(10), 0, 10)).toBe(false);
  });
});

describe.runIf(haveDirect)('AcquisitionWireReader over a DirectRing', () => {
  it("the C library's layout (rows between heap collections): fillAsync's bytes are the HDF5 read's, most ranges from the ring", async () => {
    const path = reference('inputs/cpp_phantom_m64_c4_noise_traj.h5');
    const f = await MrdFile.open(path);
    try {
      const expected = await viaHdf5(f);
      for (const block of [4096, 12288, 65536]) {
        const r = (await f.acquisitionWireReader('dataset'))!;
        expect(r.readsAhead).toBe(true);
        // the first batch as before, then the ring from the next row on (as mrd-client does)
        const out = new Uint8Array(expected.length);
        let at = 0;
        let row = 0;
        const first = await r.fillAsync(0, 3, out, 0);
        row += first.rows;
        at = first.end;
        const ring = DirectRing.open(path, { block, depth: 3 })!;
        r.readDirect(ring, row);
        while (row < r.rows) {
          // small batches: their ends fall anywhere in the ring's blocks
          const got = await r.fillAsync(row, 5, out.subarray(0, Math.min(out.length, at + 40_000)), at);
          expect(got.rows).toBeGreaterThan(0);
          row += got.rows;
          at = got.end;
        }
        r.readDirect(null);
        await ring.close();
        expect(at).toBe(expected.length);
        expect(Buffer.compare(Buffer.from(out), Buffer.from(expected))).toBe(0);
        expect(ring.stats.served).toBeGreaterThan(r.rows / 2);
      }
    } finally {
      f.close();
    }
    expect(io.fds.size).toBe(0);
  });

  it("mrd-core's writer's layout (many rows per chunk, payloads after): fill's bytes are the HDF5 read's", async () => {
    const path = join(dir, 'writer.h5');
    const w = await MrdWriter.create(path, { group: 'dataset' });
    await w.appendAcquisitions(
      Array.from({ length: 40 }, (_, i) => {
        const a = createAcquisition({ head: { number_of_samples: 300, active_channels: 2, scan_counter: i } });
        for (let j = 0; j < a.data.length; j += 7) a.data[j] = i * 1000 + j;
        return a;
      }),
    );
    await w.close();
    const f = await MrdFile.open(path);
    try {
      const expected = await viaHdf5(f);
      const r = (await f.acquisitionWireReader('dataset'))!;
      const ring = DirectRing.open(path, { block: 8192, depth: 3 })!;
      r.readDirect(ring, 0);
      const out = new Uint8Array(expected.length);
      let at = 0;
      for (let row = 0; row < r.rows; ) {
        const got = await r.fillAsync(row, 3, out, at);
        row += got.rows;
        at = got.end;
      }
      r.readDirect(null);
      await ring.close();
      expect(Buffer.compare(Buffer.from(out), Buffer.from(expected))).toBe(0);
    } finally {
      f.close();
    }
    expect(readFileSync(path).length).toBeGreaterThan(4096);
  });
});
