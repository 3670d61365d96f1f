/**
 * Reading and encoding the input's acquisitions in a worker thread.
 *
 * HDF5 reads (h5wasm) are synchronous: on the main thread, every batch read blocks the event
 * loop, so the socket is not fed while reading and the server waits. Here a worker reads and
 * encodes batches to wire bytes (at most two batches ahead, so memory stays bounded) and the
 * main thread only writes them to the socket, so reading, sending and the server's work overlap.
 * The worker is started from the same bundled cli.js (see cli.ts).
 */
import { Worker, parentPort } from 'node:worker_threads';
import { MrdFile, encodeMessages } from '@mrd-tools/core';

export interface ReaderBootData {
  kind: 'mrd-client-acquisition-reader';
  file: string;
  group: string;
}

type ToMain = { t: 'chunk'; buf: ArrayBuffer; count: number } | { t: 'done' } | { t: 'error'; message: string };
type ToWorker = { t: 'more' };

const AHEAD = 2;
const BATCH_BYTES = 4 * 1024 * 1024;

/** Worker side. */
export async function runAcquisitionReaderWorker(boot: ReaderBootData): Promise<void> {
  const port = parentPort!;
  let credits = AHEAD;
  let wake: (() => void) | null = null;
  port.on('message', (m: ToWorker) => {
    if (m.t === 'more') {
      credits++;
      const w = wake;
      wake = null;
      w?.();
    }
  });
  let file: MrdFile | null = null;
  try {
    file = await MrdFile.open(boot.file);
    // Batches of about BATCH_BYTES: small enough to keep memory low (the reader's wasm heap
    // grows to the largest batch), large enough for few HDF5 calls.
    let recordBytes = 0;
    for await (const first of file.acquisitionBatches(boot.group, { start: 0, end: 1 })) {
      if (first[0]) recordBytes = 342 + first[0].data.byteLength + first[0].traj.byteLength;
    }
    const batchSize = Math.max(1, Math.min(4096, Math.floor(BATCH_BYTES / Math.max(1, recordBytes))));
    for await (const batch of file.acquisitionBatches(boot.group, { batchSize })) {
      while (credits <= 0) await new Promise<void>((r) => (wake = r));
      credits--;
      const bytes = encodeMessages(batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition })));
      let buf = bytes.buffer as ArrayBuffer;
      // Small encodings may live in a shared pool: transfer only a buffer of exactly these bytes.
      if (bytes.byteOffset !== 0 || buf.byteLength !== bytes.byteLength) buf = new Uint8Array(bytes).buffer as ArrayBuffer;
      port.postMessage({ t: 'chunk', buf, count: batch.length } satisfies ToMain, [buf]);
    }
    port.postMessage({ t: 'done' } satisfies ToMain);
  } catch (err) {
    port.postMessage({ t: 'error', message: (err as Error).message } satisfies ToMain);
  } finally {
    file?.close();
    port.close();
  }
}

/** Main side: encoded acquisition batches, in file order. */
export async function* encodedAcquisitionBatches(entry: string, file: string, group: string): AsyncGenerator<{ bytes: Buffer; count: number }> {
  const worker = new Worker(entry, { workerData: { kind: 'mrd-client-acquisition-reader', file, group } satisfies ReaderBootData });
  const queue: ToMain[] = [];
  let wake: (() => void) | null = null;
  let exitError: Error | null = null;
  const push = (m: ToMain) => {
    queue.push(m);
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', push);
  worker.on('error', (err) => push({ t: 'error', message: err.message }));
  worker.on('exit', (code) => {
    if (code !== 0) exitError = new Error(`the acquisition reader stopped (exit code ${code})`);
    push({ t: 'done' });
  });
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const m = queue.shift()!;
      if (m.t === 'error') throw new Error(m.message);
      if (m.t === 'done') {
        if (exitError) throw exitError;
        return;
      }
      worker.postMessage({ t: 'more' } satisfies ToWorker);
      yield { bytes: Buffer.from(m.buf), count: m.count };
    }
  } finally {
    void worker.terminate();
  }
}
