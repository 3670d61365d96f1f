/**
 * mrd-client's input reader worker (the built dist/input-reader.js, spoken to in its own
 * protocol, input-source.ts) reads ahead of the socket: with no batch written back yet it fills
 * more batches than the client's BatchWriter keeps in flight (4), so reading goes on while the
 * socket holds those and the next batch is waiting when one is taken (issue 18: the main thread
 * waited for its reader a third to a half of a 2 GB run when the two depths were equal). The
 * batches are the file's acquisitions in order, whole messages each. Run
 * `node scripts/build.mjs` first, as for every e2e test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { createAcquisition } from '@mrd-tools/core/messages';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';

const entry = join(dirname(fileURLToPath(import.meta.url)), '../../packages/mrd-client/dist/input-reader.js');
/** BatchWriter's WRITES_IN_FLIGHT (packages/mrd-client/src/batch-writer.ts). */
const WRITES_IN_FLIGHT = 4;
const dir = mkdtempSync(join(tmpdir(), 'client-read-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Msg = { t: string; buf?: ArrayBuffer; length?: number; count?: number; message?: string; info?: unknown; described?: { group: string; info: unknown } };

/** A reader worker for `path` and its messages in order ('error' thrown). */
function startReader(path: string): { worker: Worker; next: () => Promise<Msg> } {
  const worker = new Worker(entry, { workerData: { kind: 'mrd-client-input-reader', file: path } });
  const inbox: Msg[] = [];
  let wake: (() => void) | null = null;
  worker.on('message', (m: Msg) => {
    inbox.push(m);
    wake?.();
  });
  worker.on('error', (err) => {
    inbox.push({ t: 'error', message: err.message });
    wake?.();
  });
  const next = async (): Promise<Msg> => {
    while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
    wake = null;
    const m = inbox.shift()!;
    if (m.t === 'error') throw new Error(m.message);
    return m;
  };
  return { worker, next };
}

describe('mrd-client input reader', () => {
  it('fills more batches than the socket keeps in flight before any is written back, then the rest in order', async () => {
    // 200 readouts of 32 coils x 512 samples (128 KiB each): about 13 batches of 2 MiB
    const path = join(dir, 'in.h5');
    const w = await MrdWriter.create(path, { group: 'dataset' });
    for (let i = 0; i < 200; i += 20) {
      const acqs = [];
      for (let k = i; k < i + 20; k++) {
        const a = createAcquisition({ head: { number_of_samples: 512, active_channels: 32 } });
        a.head.scan_counter = k;
        a.data[0] = k;
        acqs.push(a);
      }
      await w.appendAcquisitions(acqs);
    }
    await w.writeHeader('<ismrmrdHeader/>');
    await w.close();

    const { worker, next } = startReader(path);
    try {
      expect((await next()).t).toBe('opened');
      worker.postMessage({ t: 'describe', group: 'dataset' });
      expect((await next()).t).toBe('described');
      worker.postMessage({ t: 'stream', kind: 'acquisitions', group: 'dataset' });
      // none written back: the reader still fills more than WRITES_IN_FLIGHT (bounded by the test's timeout)
      const held: Msg[] = [];
      while (held.length <= WRITES_IN_FLIGHT) {
        const m = await next();
        expect(m.t).toBe('chunk');
        held.push(m);
      }
      // then every batch, written back one by one
      const scans: number[] = [];
      const take = (m: Msg) => {
        const dv = new DataView(m.buf!, 0, m.length);
        for (let o = 0, k = 0; k < m.count!; k++) {
          expect(dv.getUint16(o, true)).toBe(1008); // MRD_MESSAGE_ACQUISITION
          scans.push(dv.getUint32(o + 2 + 14, true));
          const samples = dv.getUint16(o + 2 + 34, true);
          const channels = dv.getUint16(o + 2 + 38, true);
          o += 342 + 8 * samples * channels;
          if (k === m.count! - 1) expect(o).toBe(m.length);
        }
        worker.postMessage({ t: 'more', buf: m.buf }, [m.buf!]);
      };
      for (const m of held) take(m);
      for (;;) {
        const m = await next();
        if (m.t === 'end') break;
        expect(m.t).toBe('chunk');
        take(m);
      }
      expect(scans).toEqual(Array.from({ length: 200 }, (_, k) => k));
      worker.postMessage({ t: 'close' });
    } finally {
      await worker.terminate();
    }
  }, 60_000);

  it("sends a file's only group's description with 'opened', the same as asked for; none for several groups", async () => {
    // (the main thread then plans and connects without a round trip behind the read-ahead)
    const one = join(dir, 'one.h5');
    const w = await MrdWriter.create(one, { group: 'dataset' });
    await w.appendAcquisitions([createAcquisition({ head: { number_of_samples: 64, active_channels: 2 } })]);
    await w.writeHeader('<ismrmrdHeader><version>2</version></ismrmrdHeader>');
    await w.close();
    const a = startReader(one);
    try {
      const opened = await a.next();
      expect(opened.t).toBe('opened');
      expect(opened.described?.group).toBe('dataset');
      a.worker.postMessage({ t: 'describe', group: 'dataset' });
      const asked = await a.next();
      expect(asked.t).toBe('described');
      expect(opened.described!.info).toEqual(asked.info);
      expect(asked.info).toMatchObject({ members: expect.arrayContaining(['data', 'xml']), acquisitionCount: 1, xml: '<ismrmrdHeader><version>2</version></ismrmrdHeader>' });
      a.worker.postMessage({ t: 'close' });
    } finally {
      await a.worker.terminate();
    }

    const two = join(dir, 'two.h5');
    for (const group of ['first', 'second']) {
      const g = group === 'first' ? await MrdWriter.create(two, { group }) : await MrdWriter.open(two, { group });
      await g.appendAcquisitions([createAcquisition({ head: { number_of_samples: 64, active_channels: 2 } })]);
      await g.close();
    }
    const b = startReader(two);
    try {
      const opened = await b.next();
      expect(opened.t).toBe('opened');
      expect(opened.described).toBeUndefined();
      b.worker.postMessage({ t: 'describe', group: 'second' });
      expect(await b.next()).toMatchObject({ t: 'described', info: { acquisitionCount: 1 } });
      b.worker.postMessage({ t: 'close' });
    } finally {
      await b.worker.terminate();
    }
  }, 60_000);
});
