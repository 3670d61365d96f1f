/**
 * PortStream: the two ends of a MessageChannel as Duplex streams: bytes in order with flow
 * control, each direction ending on its own (half-close), and an abort that never throws away
 * bytes the other end had completely sent.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { PortStream } from './port-stream.js';

function pair(): [PortStream, PortStream] {
  const { port1, port2 } = new MessageChannel();
  return [new PortStream(port1), new PortStream(port2)];
}

function readAll(s: PortStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

describe('PortStream', () => {
  it('acknowledges the data messages of one turn together, not one by one', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new PortStream(port1);
    const b = new PortStream(port2);
    let acks = 0;
    let acked = 0;
    port1.on('message', (m: { t: string; n?: number }) => {
      if (m.t !== 'ack') return;
      acks++;
      acked += m.n!;
    });
    const got = readAll(b);
    // 300 writes of 10 KB: 300 data messages (this end posts each write at once)
    for (let i = 0; i < 300; i++) a.write(Buffer.alloc(10_000, i & 0xff));
    a.end();
    const all = await got;
    expect(all.length).toBe(3_000_000);
    expect(all[299 * 10_000]).toBe(299 & 0xff);
    for (let i = 0; i < 20 && acked < 3_000_000; i++) await new Promise((r) => setTimeout(r, 5));
    expect(acked).toBe(3_000_000); // every byte acknowledged
    expect(acks).toBeLessThan(10); // not 300
    a.destroy();
    b.destroy();
  });

  it('carries 40 MB in order to a slow reader, without buffering it all', async () => {
    const [a, b] = pair();
    const chunk = Buffer.alloc(1 << 20);
    let maxUnread = 0;
    const got: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      b.on('data', (c: Buffer) => {
        got.push(c);
        b.pause();
        setTimeout(() => b.resume(), 1);
      });
      b.on('end', () => resolve());
    });
    for (let i = 0; i < 40; i++) {
      chunk.fill(i);
      const ok = a.write(Buffer.from(chunk));
      maxUnread = Math.max(maxUnread, a.writableLength);
      if (!ok) await new Promise((r) => a.once('drain', r));
    }
    a.end();
    await done;
    const all = Buffer.concat(got);
    expect(all.length).toBe(40 << 20);
    for (let i = 0; i < 40; i++) expect(all[(i << 20) + 12345]).toBe(i);
    expect(maxUnread).toBeLessThanOrEqual(16 << 20);
    a.destroy();
    b.destroy();
  });

  it('half-close: one end ends its writing and still reads what the other sends', async () => {
    const [a, b] = pair();
    const atA = readAll(a);
    const atB = readAll(b);
    a.end(Buffer.from('request'));
    expect((await atB).toString()).toBe('request');
    b.write(Buffer.from('answer, '));
    b.end(Buffer.from('sent after the request ended'));
    expect((await atA).toString()).toBe('answer, sent after the request ended');
  });

  it('an abort after the other end ended keeps its bytes; before, it is an error there', async () => {
    const [a, b] = pair();
    const atB = readAll(b);
    a.end(Buffer.from('complete'));
    await new Promise((r) => setTimeout(r, 20));
    a.destroy();
    expect((await atB).toString()).toBe('complete');

    const [c, d] = pair();
    const atD = readAll(d);
    c.write(Buffer.from('partial'));
    await new Promise((r) => setTimeout(r, 20));
    c.destroy();
    await expect(atD).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('batching end (the relay): chunks written in one turn cross in few messages, transferred, in order', async () => {
    const { port1, port2 } = new MessageChannel();
    let dataMessages = 0;
    const post = port1.postMessage.bind(port1);
    port1.postMessage = ((m: { t: string }, transfer?: ArrayBuffer[]) => {
      if (m.t === 'data') dataMessages++;
      post(m, transfer);
    }) as typeof port1.postMessage;
    const a = new PortStream(port1, true);
    const b = new PortStream(port2);
    const atB = readAll(b);
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const owned = chunks[7]!;
    for (const c of chunks) a.write(c);
    a.end();
    const all = await atB;
    expect(all.length).toBe(100 * 64 * 1024);
    for (let i = 0; i < 100; i++) expect(all[i * 64 * 1024 + 100]).toBe(i);
    // 6.4 MB in 2 MB messages, not 100
    expect(dataMessages).toBeLessThanOrEqual(5);
    // the chunk's own memory was handed over, not copied
    expect(owned.buffer.byteLength).toBe(0);
    a.destroy();
    b.destroy();
  });
});

describe('PortStream.releaseChunk', () => {
  it('frees a whole received chunk its only reader releases; ignores parts, repeats and chunks others may hold', async () => {
    const [a, b] = pair();
    const got: Buffer[] = [];
    const three = new Promise<void>((resolve) => {
      b.on('data', (c: Buffer) => {
        got.push(c);
        if (got.length === 3) resolve();
      });
    });
    for (let i = 0; i < 3; i++) {
      a.write(Buffer.alloc(10_000, i + 1));
      await new Promise((r) => setImmediate(r));
    }
    await three;
    const [c0, c1, c2] = got as [Buffer, Buffer, Buffer];
    b.releaseChunk(c0.subarray(0, 5000)); // a part: ignored
    expect(c0.length).toBe(10_000);
    b.releaseChunk(c0);
    await Promise.resolve();
    expect(c0.buffer.byteLength).toBe(0); // detached: its memory is freed
    b.releaseChunk(c0); // again: no effect, no error
    b.releaseChunk(Buffer.alloc(10_000)); // not one of its chunks: ignored
    b.on('data', () => {}); // a second reader may hold the chunks
    b.releaseChunk(c1);
    expect(c1.length).toBe(10_000);
    expect(c1[9999]).toBe(2);
    expect(c2[0]).toBe(3);
    a.destroy();
    b.destroy();
  });
});
