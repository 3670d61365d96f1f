import { describe, expect, it } from 'vitest';
import { BatchWriter, ServerEndedSession } from './batch-writer.js';

/** A socket that takes writes when told to (`take`), as the kernel would once the server reads. */
function fakeSocket() {
  const pending: { bytes: Uint8Array; cb: (err?: Error | null) => void }[] = [];
  const written: number[] = [];
  return {
    destroyed: false,
    writableEnded: false,
    pending,
    written,
    write(bytes: Uint8Array, cb: (err?: Error | null) => void): boolean {
      written.push(bytes[0]!);
      pending.push({ bytes, cb });
      return false;
    },
    take(err?: Error) {
      pending.shift()!.cb(err ?? null);
    },
  };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  return done;
};

describe('BatchWriter', () => {
  it('queues batches back to back (three without waiting), waits at the fourth, releases each once taken, in order', async () => {
    const socket = fakeSocket();
    const released: number[] = [];
    const phases = { sendWaitMs: 0, socketIdleMs: 0, readerWaitMs: 0 };
    const w = new BatchWriter(socket as never, () => false, phases);
    const batch = (n: number) => ({ bytes: new Uint8Array([n]), count: 1, release: () => released.push(n) });
    for (const n of [1, 2, 3]) expect(await settled(w.write(batch(n)))).toBe(true);
    const fourth = w.write(batch(4));
    expect(await settled(fourth)).toBe(false);
    expect(socket.written).toEqual([1, 2, 3, 4]);
    expect(released).toEqual([]);
    socket.take();
    expect(await settled(fourth)).toBe(true);
    expect(released).toEqual([1]);
    const drained = w.drain();
    expect(await settled(drained)).toBe(false);
    socket.take();
    socket.take();
    socket.take();
    expect(await settled(drained)).toBe(true);
    expect(released).toEqual([1, 2, 3, 4]);
  });

  it('reports a failed write at the next write or drain, and stops when the server has ended the session', async () => {
    const socket = fakeSocket();
    const w = new BatchWriter(socket as never, () => false, { sendWaitMs: 0, socketIdleMs: 0, readerWaitMs: 0 });
    await w.write({ bytes: new Uint8Array([1]), count: 1 });
    socket.take(new Error('EPIPE'));
    await expect(w.write({ bytes: new Uint8Array([2]), count: 1 })).rejects.toThrow('EPIPE');
    await expect(w.drain()).rejects.toThrow('EPIPE');
    let ended = false;
    const w2 = new BatchWriter(fakeSocket() as never, () => ended, { sendWaitMs: 0, socketIdleMs: 0, readerWaitMs: 0 });
    await w2.write({ bytes: new Uint8Array([1]), count: 1 });
    ended = true;
    await expect(w2.write({ bytes: new Uint8Array([2]), count: 1 })).rejects.toBeInstanceOf(ServerEndedSession);
  });

  it('sendAll writes every batch of a stream, counts each, returns once all are taken, and closes the stream when a write fails', async () => {
    const socket = fakeSocket();
    const w = new BatchWriter(socket as never, () => false, { sendWaitMs: 0, socketIdleMs: 0, readerWaitMs: 0 });
    async function* stream(n: number, log: string[]) {
      try {
        for (let i = 1; i <= n; i++) yield { bytes: new Uint8Array([i]), count: i };
      } finally {
        log.push('closed');
      }
    }
    const counts: number[] = [];
    const log: string[] = [];
    const all = w.sendAll(stream(5, log), (n) => counts.push(n));
    for (let i = 0; i < 50 && !(await settled(all)); i++) {
      while (socket.pending.length > 0) socket.take();
    }
    await all;
    expect(socket.written).toEqual([1, 2, 3, 4, 5]);
    expect(counts).toEqual([1, 2, 3, 4, 5]);
    expect(log).toEqual(['closed']);

    const failing = fakeSocket();
    const w2 = new BatchWriter(failing as never, () => false, { sendWaitMs: 0, socketIdleMs: 0, readerWaitMs: 0 });
    const log2: string[] = [];
    const sending = w2.sendAll(stream(10, log2), () => undefined);
    await new Promise<void>((r) => setImmediate(r));
    failing.take(new Error('EPIPE'));
    while (failing.pending.length > 0) failing.take();
    await expect(sending).rejects.toThrow('EPIPE');
    expect(failing.written.length).toBeLessThan(10);
    expect(log2).toEqual(['closed']);
  });
});
