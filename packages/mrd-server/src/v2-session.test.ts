/**
 * Telling MRD v1 from v2 at the start of a session: the session side (sniffSessionStream puts
 * the first bytes back, whatever their chunking, and replays a stream that ended before they
 * told) and the main thread's side (V2Relay keeps undecided bytes and hands them on).
 */
import { PassThrough, Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MRD_PREAMBLE } from '@mrd-tools/core/mrd-v2';
import { sniffSessionStream } from './v2-session.js';
import { V2Relay } from './v2-relay.js';

function duplexOf(input: PassThrough): Duplex {
  return Duplex.from({ readable: input, writable: new PassThrough() });
}

async function readAll(d: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  d.resume();
  for await (const c of d) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('sniffSessionStream', () => {
  it('tells v2 binary from its magic fed 1 byte at a time, and puts every byte back', async () => {
    const input = new PassThrough();
    const sniffing = sniffSessionStream(duplexOf(input));
    const bytes = Buffer.concat([Buffer.from(MRD_PREAMBLE.subarray(0, 20)), Buffer.from([1, 2, 3])]);
    for (let i = 0; i < 7; i++) input.write(bytes.subarray(i, i + 1));
    const { kind, io } = await sniffing;
    expect(kind).toBe('mrd-v2');
    input.end(bytes.subarray(7));
    expect(Buffer.compare(await readAll(io), bytes)).toBe(0);
  });

  it('tells v1 from its first byte and NDJSON from {"yardl":', async () => {
    const v1 = new PassThrough();
    const s1 = sniffSessionStream(duplexOf(v1));
    v1.end(Buffer.from([1, 0, 65, 66]));
    const r1 = await s1;
    expect(r1.kind).toBe('mrd-v1');
    expect([...(await readAll(r1.io))]).toEqual([1, 0, 65, 66]);
    const nd = new PassThrough();
    const s2 = sniffSessionStream(duplexOf(nd));
    nd.end('{"yardl":{"version":1}}\n');
    expect((await s2).kind).toBe('mrd-v2-ndjson');
  });

  it('a stream that ends before its bytes tell (empty, or "yar") is replayed as v1', async () => {
    for (const text of ['', 'yar']) {
      const input = new PassThrough();
      const s = sniffSessionStream(duplexOf(input));
      input.end(text);
      const { kind, io } = await s;
      expect(kind).toBe('mrd-v1');
      expect((await readAll(io)).toString()).toBe(text);
    }
  });
});

describe('V2Relay (main thread)', () => {
  it('keeps undecided bytes and hands them on with the chunk that decides', () => {
    const r = new V2Relay();
    expect(r.sniff(Buffer.from('ya'))).toBeNull();
    expect(r.sniff(Buffer.from('rd'))).toBeNull();
    expect(r.sniff(Buffer.from('l\x01'))?.toString('latin1')).toBe('yardl\x01');
    expect(r.active).toBe(true);
    expect(r.readyAt(MRD_PREAMBLE.length - 1)).toBe(false);
    expect(r.readyAt(MRD_PREAMBLE.length)).toBe(true);
  });

  it('a v1 stream is passed through from its first byte; an undecided end is v1 with its bytes', () => {
    const r = new V2Relay();
    expect([...r.sniff(Buffer.from([1, 0]))!]).toEqual([1, 0]);
    expect(r.active).toBe(false);
    const e = new V2Relay();
    expect(e.sniff(Buffer.from('{"ya'))).toBeNull();
    expect(e.endUndecided()?.toString()).toBe('{"ya');
    expect(e.active).toBe(false);
  });
});
