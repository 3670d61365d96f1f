/**
 * `LocalInputSource` reading a cold input with direct I/O (input-file-reader.ts, `ReadAhead`;
 * mrd-core's DirectRing): on the ISMRMRD C library's reference file (rows between heap
 * collections), found cold or cached from /proc/self/io (wrapped here: `read_bytes` grows as a
 * cold input's reads would, or stays), the same bytes either way; a direct read that fails leaves
 * the bytes to the reads as before; a stream left mid-file leaves no direct read in flight and
 * the ring's descriptor closed. The thresholds (`directReads`), the ring's blocks and the batch
 * size (`wireBatch`) are lowered for the 0.8 MB file: 64 KB batches, 16 KB blocks.
 */
import { constants } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const io = vi.hoisted(() => ({
  refuseOpen: false, refuseAll: false, failReadsFrom: -1, fds: new Set<number>(), inFlight: 0, started: 0, closed: [] as number[],
  // /proc/self/io: a cold input's look finds 64 MB more read from storage, a cached one's none
  cold: true, readBytes: 0,
}));

vi.mock('node:fs', async (importOriginal) => {
  const { directIoFs } = await import('@mrd-tools/core/testing/direct-io');
  const fs = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((path: unknown, ...rest: unknown[]) => {
    if (path !== '/proc/self/io') return (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
    if (io.cold) io.readBytes += 64 << 20;
    return `rchar: 0\nread_bytes: ${io.readBytes}\nwrite_bytes: 0\n`;
  }) as typeof fs.readFileSync;
  const patched = { ...directIoFs(fs, io), readFileSync };
  return { ...patched, default: patched };
});

const { LocalInputSource, directReads, wireBatch } = await import('./input-file-reader.js');
const { MrdFile } = await import('@mrd-tools/core/hdf5/reader');
const { encodeMessages } = await import('@mrd-tools/core/stream');
const { reference } = await import('@mrd-tools/core/testing');

const haveDirect = !!(constants as { O_DIRECT?: number }).O_DIRECT;
const input = reference('inputs/cpp_phantom_m64_c4_noise_traj.h5');
let expected: Buffer;

async function streamAll(stopAfter = Infinity): Promise<{ bytes: Buffer; src: LocalInputSourceT }> {
  const src = (await LocalInputSource.openReadingAhead(input))!;
  expect(src).not.toBeNull();
  const got: Uint8Array[] = [];
  try {
    for await (const b of src.stream('acquisitions', 'dataset')) {
      got.push(b.bytes.slice());
      b.release?.();
      if (got.length >= stopAfter) break;
    }
  } finally {
    await src.close();
  }
  return { bytes: Buffer.concat(got), src };
}
type LocalInputSourceT = NonNullable<Awaited<ReturnType<typeof LocalInputSource.openReadingAhead>>>;

const saved = { ...directReads };
const savedBatch = wireBatch.bytes;
beforeAll(async () => {
  directReads.minBytes = 64 << 10;
  directReads.sampleBytes = 1;
  directReads.ring = { block: 16 << 10, depth: 3 };
  wireBatch.bytes = 64 << 10;
  // the bytes through HDF5 (h5wasm) and the encoder
  const f = await MrdFile.open(input);
  const parts: Uint8Array[] = [];
  for await (const batch of f.acquisitionBatches('dataset')) parts.push(encodeMessages(batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition }))));
  f.close();
  expected = Buffer.concat(parts);
}, 60_000);
afterAll(() => {
  directReads.minBytes = saved.minBytes;
  directReads.sampleBytes = saved.sampleBytes;
  delete directReads.ring;
  wireBatch.bytes = savedBatch;
});

beforeEach(() => {
  io.cold = true;
  io.failReadsFrom = -1;
  io.started = 0;
  io.closed.length = 0;
});

describe.runIf(haveDirect)('LocalInputSource: a cold input read with direct I/O', () => {
  it('a cached input (no storage reads) is read as before, no ring', async () => {
    io.cold = false;
    const { bytes, src } = await streamAll();
    expect(bytes.length).toBeGreaterThan(4 * wireBatch.bytes);
    expect(Buffer.compare(bytes, expected)).toBe(0);
    expect(src.reader.direct).toBeUndefined();
    expect(io.started).toBe(0);
  });

  it('a cold input: the same bytes, most of them from the direct reads; the ring closed at the end', async () => {
    const { bytes, src } = await streamAll();
    expect(Buffer.compare(bytes, expected)).toBe(0);
    expect(src.reader.direct!.reads).toBeGreaterThanOrEqual(2);
    expect(src.reader.direct!.served).toBeGreaterThan(100);
    expect(io.inFlight).toBe(0);
    expect(io.closed.length).toBe(1);
    expect(io.fds.size).toBe(0);
  });

  it('direct reads that fail: the same bytes, read as before', async () => {
    io.failReadsFrom = 0;
    const { bytes, src } = await streamAll();
    expect(Buffer.compare(bytes, expected)).toBe(0);
    expect(src.reader.direct!.served).toBe(0);
    expect(io.started).toBeGreaterThan(0);
    expect(io.inFlight).toBe(0);
    expect(io.fds.size).toBe(0);
  });

  it('a stream left mid-file: once the source is closed no direct read is in flight and the descriptor is closed', async () => {
    const { bytes } = await streamAll(3);
    expect(Buffer.compare(bytes, expected.subarray(0, bytes.length))).toBe(0);
    expect(io.started).toBeGreaterThan(0);
    expect(io.inFlight).toBe(0);
    expect(io.closed.length).toBe(1);
    expect(io.fds.size).toBe(0);
  });
});
