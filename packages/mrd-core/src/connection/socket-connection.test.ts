/** SocketConnection over real loopback TCP sockets. */
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { reference } from '../testing/reference.js';
import { LogLevel, logger } from '../logging/index.js';
import { createAcquisition } from '../messages/create.js';
import { decodeStream } from '../stream/decoder.js';
import { encodeMessages, encodeMessage } from '../stream/encoder.js';
import { MrdProtocolError } from '../stream/errors.js';
import type { MrdMessage } from './types.js';
import { SocketConnection, formatLogging } from './socket-connection.js';
import { AssemblyArena } from '../stream/assembly-arena.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A connected loopback pair: [client side, server side]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const srv = await accepted;
  sockets.push(client, srv);
  return [client, srv];
}

async function collect(conn: SocketConnection): Promise<MrdMessage[]> {
  const out: MrdMessage[] = [];
  for await (const m of conn) out.push(m);
  return out;
}

describe('SocketConnection', () => {
  it('relays a reference stream byte for byte, counts messages, ends at CLOSE', async () => {
    const bytes = new Uint8Array(readFileSync(reference('streams/waveforms_savedataonly.client-to-server.bin')));
    const msgs = decodeStream(bytes);
    const [a, b] = await socketPair();
    const tx = new SocketConnection(a);
    const rx = new SocketConnection(b);
    const received = collect(rx);
    // A mix of single and batched sends.
    for (let i = 0; i < msgs.length; i += 3) await tx.send(msgs.slice(i, i + 3));
    const got = await received;
    expect(rx.closeReceived).toBe(true);
    expect(Buffer.compare(Buffer.from(encodeMessages([...got, { type: 'close' }])), Buffer.from(bytes))).toBe(0);
    expect(tx.counters.sent).toMatchObject({ config_file: 1, header: 1, acquisition: 160, waveform: 20, close: 1 });
    expect(rx.counters.received).toMatchObject({ config_file: 1, header: 1, acquisition: 160, waveform: 20, close: 1 });
  });

  it('discardUntilClose: drains data messages unbuilt up to CLOSE, counting them', async () => {
    const [a, b] = await socketPair();
    const tx = new SocketConnection(a);
    const rx = new SocketConnection(b);
    const acq = createAcquisition({ head: { number_of_samples: 512, active_channels: 8, trajectory_dimensions: 0 } });
    await tx.sendConfigFile('null');
    expect(await rx.receive()).toEqual({ type: 'config_file', name: 'null' });
    const discarding = rx.discardUntilClose();
    for (let i = 0; i < 50; i++) await tx.sendAcquisition([acq, acq]);
    await tx.sendText('x');
    await tx.sendClose();
    expect(await discarding).toBe(101);
    expect(rx.closeReceived).toBe(true);
    expect(rx.counters.received).toMatchObject({ config_file: 1, acquisition: 100, text: 1, close: 1 });
    await tx.sendText('after close');
    // the decoder builds messages again after CLOSE
    expect(await rx.receive()).toEqual({ type: 'text', text: 'after close' });
  });

  it('peeks the next message id without consuming it (optional JSON config TEXT)', async () => {
    const [a, b] = await socketPair();
    const tx = new SocketConnection(a);
    const rx = new SocketConnection(b);
    await tx.sendConfigFile('invertcontrast');
    expect(await rx.peekMessageId()).toBe(1);
    expect(await rx.receive()).toEqual({ type: 'config_file', name: 'invertcontrast' });
    // The peek resolves as soon as the two id bytes arrive, before the rest of the message.
    a.write(Buffer.from([5, 0]));
    expect(await rx.peekMessageId()).toBe(5);
    a.write(encodeMessage({ type: 'text', text: '{"a":1}' }).subarray(2));
    expect(await rx.peekMessageId()).toBe(5);
    expect(await rx.receive()).toEqual({ type: 'text', text: '{"a":1}' });
    await tx.sendHeader('<ismrmrdHeader/>');
    expect(await rx.peekMessageId()).toBe(3);
    await tx.sendClose();
    await tx.close();
    expect((await rx.receive())!.type).toBe('header');
    expect((await rx.receive())!.type).toBe('close');
    expect(await rx.receive()).toBeUndefined();
    expect(await rx.peekMessageId()).toBeUndefined();
  });

  it('sendLogging uses the reference convention: level padded to 8, a space, the text', async () => {
    expect(formatLogging('INFO', 'Total processing time: 3.06 ms')).toBe('INFO     Total processing time: 3.06 ms');
    expect(formatLogging('WARNING', 'x')).toBe('WARNING  x');
    const [a, b] = await socketPair();
    const tx = new SocketConnection(a);
    const rx = new SocketConnection(b);
    await tx.sendLogging('ERROR', 'boom');
    expect(await rx.receive()).toEqual({ type: 'text', text: 'ERROR    boom' });
  });

  it('an end of socket inside a message is a protocol error; at a boundary it ends the iteration', async () => {
    {
      const [a, b] = await socketPair();
      const rx = new SocketConnection(b);
      const acq = encodeMessage({ type: 'acquisition', acquisition: createAcquisition({ head: { number_of_samples: 64, active_channels: 2 } }) });
      a.end(acq.subarray(0, 500));
      const err = await collect(rx).catch((e) => e);
      expect(err).toBeInstanceOf(MrdProtocolError);
      expect(err.reason).toBe('truncated');
      expect(err.messageId).toBe(1008);
    }
    {
      const [a, b] = await socketPair();
      const rx = new SocketConnection(b);
      a.end(encodeMessage({ type: 'text', text: 'hi' }));
      expect(await collect(rx)).toEqual([{ type: 'text', text: 'hi' }]);
      expect(rx.closeReceived).toBe(false);
    }
  });

  it('an unsupported message id fails the iteration with its name', async () => {
    const [a, b] = await socketPair();
    const rx = new SocketConnection(b);
    // One chunk: a good message, then a deprecated id.
    a.write(Buffer.concat([encodeMessage({ type: 'text', text: 'first' }), Buffer.from([0xf1, 0x03, 0, 0, 0, 0])])); // 1009
    const it = rx[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual({ type: 'text', text: 'first' });
    const err = await it.next().catch((e) => e);
    expect(err).toBeInstanceOf(MrdProtocolError);
    expect(err.message).toContain('1009 (MRD_MESSAGE_ISMRMRD_IMAGE_CPLX_FLOAT, deprecated)');
    expect(rx.counters.received.text).toBe(1);
  });

  it('keeps memory bounded with a slow reader (send awaits drain, reading pauses)', async () => {
    const [a, b] = await socketPair();
    const tx = new SocketConnection(a);
    const readHighWaterMark = 1 << 20;
    const rx = new SocketConnection(b, { readHighWaterMark });
    const samples = 1024;
    const channels = 8; // 64 KiB of data per acquisition
    const msgBytes = 342 + 8 * samples * channels;
    const count = 500; // ~33 MB in all
    let consumed = 0;
    let maxInFlight = 0;
    let maxRxBuffered = 0;
    let maxTxBuffered = 0;
    let sent = 0;
    const reader = (async () => {
      for await (const m of rx) {
        if (m.type !== 'acquisition') continue;
        expect(m.acquisition.data[0]).toBe(m.acquisition.head.scan_counter);
        consumed++;
        maxRxBuffered = Math.max(maxRxBuffered, rx.bufferedBytes);
        if (consumed % 4 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const acq = createAcquisition({ head: { number_of_samples: samples, active_channels: channels } });
    for (let i = 0; i < count; i++) {
      acq.head.scan_counter = i;
      acq.data[0] = i; // the array is reused: send must have copied it
      await tx.sendAcquisition(acq);
      sent++;
      maxTxBuffered = Math.max(maxTxBuffered, a.writableLength);
      maxInFlight = Math.max(maxInFlight, (sent - consumed) * msgBytes);
    }
    await tx.sendClose();
    await reader;
    expect(consumed).toBe(count);
    // Sender: the socket's own buffer never holds more than its high-water mark plus one message.
    expect(maxTxBuffered).toBeLessThanOrEqual(a.writableHighWaterMark + msgBytes);
    // Receiver: the decoded-message queue stays near its limit.
    expect(maxRxBuffered).toBeLessThanOrEqual(readHighWaterMark + 2 * 65536 + msgBytes);
    // End to end: the writer was held back by the slow reader (the rest sits in kernel buffers).
    expect(maxInFlight).toBeLessThan((count * msgBytes) / 2);
    expect(rx.counters.received.acquisition).toBe(count);
  });

  it('writes a large batch in bounded groups, waiting for the reader between them', async () => {
    const [a, b] = await socketPair();
    const tx = new SocketConnection(a);
    const rx = new SocketConnection(b, { readHighWaterMark: 1 << 20 });
    const acqs = Array.from({ length: 400 }, (_, i) => {
      const acq = createAcquisition({ head: { number_of_samples: 1024, active_channels: 8, scan_counter: i } });
      acq.data[0] = i;
      return acq;
    });
    let maxTxBuffered = 0;
    const probe = setInterval(() => (maxTxBuffered = Math.max(maxTxBuffered, a.writableLength)), 1);
    let consumed = 0;
    const reader = (async () => {
      for await (const m of rx) {
        if (m.type !== 'acquisition') continue;
        expect(m.acquisition.data[0]).toBe(consumed);
        if (++consumed % 8 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await tx.sendAcquisition(acqs); // ~26 MB in one call
    await tx.sendClose();
    await reader;
    clearInterval(probe);
    expect(consumed).toBe(400);
    expect(tx.counters.sent.acquisition).toBe(400);
    // Never the whole batch in the socket's buffer: at most one 4 MiB group beyond the high-water mark.
    expect(maxTxBuffered).toBeLessThanOrEqual(a.writableHighWaterMark + 4 * 1024 * 1024 + 65878);
  });

  it('logs each sent message once, CLOSE included (as the reference: one DEBUG line per send)', async () => {
    const [a, b] = await socketPair();
    const tx = new SocketConnection(a);
    const rx = new SocketConnection(b);
    const lines: string[] = [];
    const level = logger.level;
    logger.level = LogLevel.DEBUG;
    logger.setSinks([(line) => lines.push(line.slice(line.indexOf(' - ') + 3))]);
    try {
      const received = collect(rx);
      await tx.sendConfigFile('null');
      await tx.sendClose();
      await received;
    } finally {
      logger.level = level;
      logger.setSinks([(line) => process.stderr.write(line + '\n')]);
    }
    const sent = lines.filter((l) => l.startsWith('-->'));
    expect(sent).toEqual([
      '--> Sending MRD_MESSAGE_CONFIG_FILE (1)',
      '--> Sending MRD_MESSAGE_CLOSE (4)',
    ]);
    expect(lines.filter((l) => l.startsWith('<-- Received MRD_MESSAGE_CLOSE'))).toHaveLength(1);
  });

  it('rejects sends after the socket is closed', async () => {
    const [a] = await socketPair();
    const tx = new SocketConnection(a);
    await tx.close(1000);
    await expect(tx.sendText('late')).rejects.toThrow(/closed/);
  });
});

describe('SocketConnection.borrowPayloads', () => {
  /**
   * A Duplex whose readable side delivers `bytes` in chunks of `size` (every readout spans
   * chunks), one per turn of the event loop as socket reads arrive.
   */
  function chunked(bytes: Uint8Array, size: number): Duplex {
    let at = 0;
    return new Duplex({
      read() {
        setImmediate(() => {
          if (at >= bytes.length) { this.push(null); return; }
          this.push(Buffer.from(bytes.subarray(at, at + size)));
          at += size;
        });
      },
      write(_c, _e, cb) { cb(); },
    });
  }

  it('reuses the memory of each message once the next is read; every message is intact while it is the current one', async () => {
    const acqs = Array.from({ length: 200 }, (_, i) => createAcquisition({
      head: { number_of_samples: 256, active_channels: 4 }, data: Float32Array.from({ length: 2 * 256 * 4 }, (_, k) => i * 10000 + k),
    }));
    const bytes = encodeMessages([...acqs.map((acquisition) => ({ type: 'acquisition', acquisition }) as MrdMessage), { type: 'close' }]);
    // a ring of 32 KiB holds three of these 8.3 KiB readouts: blocks are reused many times
    const rx = new SocketConnection(chunked(bytes, 3000), { borrowArenaBytes: 32 * 1024 });
    rx.borrowPayloads();
    const buffers = new Set<ArrayBufferLike>();
    let i = 0;
    for await (const m of rx) {
      if (m.type !== 'acquisition') continue;
      buffers.add(m.acquisition.data.buffer);
      // the consumer holds the message while more input is decoded (every tenth one long enough
      // for the ring to come round to it): it must stay intact
      for (let t = 0; t < (i % 10 === 0 ? 12 : 2); t++) await new Promise((r) => setImmediate(r));
      expect(Array.from(m.acquisition.data)).toEqual(Array.from(acqs[i].data));
      i++;
    }
    expect(i).toBe(200);
    const stats = rx.arenaStats!;
    // every readout spans chunks: assembled in the ring (one buffer), or fresh when it was full
    expect(stats.carved + stats.misses).toBe(200);
    expect(stats.carved).toBeGreaterThan(40);
    expect(stats.misses).toBeGreaterThan(0);
    expect(stats.peakInUse).toBeLessThanOrEqual(32 * 1024);
    expect(buffers.size).toBeLessThanOrEqual(1 + stats.misses);
  });

  it('assembles in a ring the caller gives (kept from connection to connection): messages intact, counters per connection', async () => {
    const arena = new AssemblyArena(64 * 1024);
    const buffers = new Set<ArrayBufferLike>();
    for (let conn = 0; conn < 2; conn++) {
      const acqs = Array.from({ length: 30 }, (_, i) => createAcquisition({
        head: { number_of_samples: 256, active_channels: 4 }, data: Float32Array.from({ length: 2 * 256 * 4 }, (_, k) => conn * 1e6 + i * 1000 + k),
      }));
      const bytes = encodeMessages([...acqs.map((acquisition) => ({ type: 'acquisition', acquisition }) as MrdMessage), { type: 'close' }]);
      const rx = new SocketConnection(chunked(bytes, 3000), { borrowArena: arena, borrowArenaBytes: 1024 });
      rx.borrowPayloads();
      let i = 0;
      for await (const m of rx) {
        if (m.type !== 'acquisition') continue;
        buffers.add(m.acquisition.data.buffer);
        expect(Array.from(m.acquisition.data)).toEqual(Array.from(acqs[i].data));
        i++;
      }
      expect(i).toBe(30);
      // this connection's part of the ring's counters
      expect(rx.arenaStats!.carved).toBe(30);
      expect(rx.arenaStats!.misses).toBe(0);
    }
    expect(arena.stats.carved).toBe(60);
    expect(buffers.size).toBe(1); // the given ring's memory, for both connections (not a ring of borrowArenaBytes)
  });

  it('without borrowPayloads, messages kept by the consumer stay intact (fresh buffers)', async () => {
    const acqs = Array.from({ length: 50 }, (_, i) => createAcquisition({
      head: { number_of_samples: 256, active_channels: 4 }, data: Float32Array.from({ length: 2 * 256 * 4 }, (_, k) => i - k),
    }));
    const bytes = encodeMessages([...acqs.map((acquisition) => ({ type: 'acquisition', acquisition }) as MrdMessage), { type: 'close' }]);
    const rx = new SocketConnection(chunked(bytes, 3000), { borrowArenaBytes: 64 * 1024 });
    const kept = await collect(rx);
    expect(kept.map((m) => (m.type === 'acquisition' ? Array.from(m.acquisition.data) : []))).toEqual(acqs.map((a) => Array.from(a.data)));
    expect(rx.arenaStats).toBeNull();
  });
});

describe('SocketConnection with a ChunkReleasingStream', () => {
  /**
   * A Duplex delivering `bytes` in chunks of the sizes `sizes` gives (cycled), each in a buffer
   * of its own, one per turn; `releaseChunk` overwrites the chunk at once (as a stream reusing or
   * freeing the memory would) and counts it.
   */
  function lending(bytes: Uint8Array, sizes: number[]): Duplex & { released: number; chunks: number } {
    let at = 0;
    let k = 0;
    const d = new Duplex({
      read() {
        setImmediate(() => {
          if (at >= bytes.length) { this.push(null); return; }
          const n = sizes[k++ % sizes.length]!;
          const c = Buffer.alloc(Math.min(n, bytes.length - at));
          c.set(bytes.subarray(at, at + c.length));
          at += c.length;
          d.chunks++;
          this.push(c);
        });
      },
      write(_c, _e, cb) { cb(); },
    }) as Duplex & { released: number; chunks: number; releaseChunk(c: Uint8Array): void };
    d.released = 0;
    d.chunks = 0;
    d.releaseChunk = (c: Uint8Array) => {
      c.fill(0xee);
      d.released++;
    };
    return d;
  }

  /** Readouts of many sizes (some fit in a chunk, some span several), a text among them, and CLOSE. */
  function stream(): { acqs: ReturnType<typeof createAcquisition>[]; bytes: Uint8Array } {
    const acqs = Array.from({ length: 300 }, (_, i) => {
      const ns = [4, 32, 100, 256, 700][i % 5]!;
      return createAcquisition({
        head: { number_of_samples: ns, active_channels: 1 + (i % 3), scan_counter: i },
        data: Float32Array.from({ length: 2 * ns * (1 + (i % 3)) }, (_, k) => i * 7919 + k),
      });
    });
    const msgs: MrdMessage[] = acqs.map((acquisition) => ({ type: 'acquisition', acquisition }) as MrdMessage);
    msgs.splice(150, 0, { type: 'text', text: 'halfway' });
    return { acqs, bytes: encodeMessages([...msgs, { type: 'close' }]) };
  }

  it('never releases a chunk a message refers to: every payload intact, held to the end', async () => {
    const { acqs, bytes } = stream();
    const s = lending(bytes, [997, 4096, 65536, 3000, 17]);
    const rx = new SocketConnection(s);
    const kept = await collect(rx); // every message held until the stream is done
    const got = kept.filter((m) => m.type === 'acquisition').map((m) => (m.type === 'acquisition' ? Array.from(m.acquisition.data) : []));
    expect(got).toEqual(acqs.map((a) => Array.from(a.data)));
    expect(kept.find((m) => m.type === 'text')).toMatchObject({ text: 'halfway' });
    // chunks holding only parts of messages (assembled, copied) were released, the others not
    expect(s.released).toBeGreaterThan(0);
    expect(s.released).toBeLessThan(s.chunks);
  });

  it('with borrowPayloads: every message intact while it is the current one', async () => {
    const { acqs, bytes } = stream();
    const s = lending(bytes, [1500, 8000, 333]);
    const rx = new SocketConnection(s, { borrowArenaBytes: 64 * 1024 });
    rx.borrowPayloads();
    let i = 0;
    for await (const m of rx) {
      if (m.type !== 'acquisition') continue;
      await new Promise((r) => setImmediate(r));
      expect(Array.from(m.acquisition.data)).toEqual(Array.from(acqs[i]!.data));
      i++;
    }
    expect(i).toBe(300);
    expect(s.released).toBeGreaterThan(0);
  });

  it('discardUntilClose releases every chunk that carried only data messages', async () => {
    const { bytes } = stream();
    const s = lending(bytes, [4096]);
    const rx = new SocketConnection(s);
    expect(await rx.discardUntilClose()).toBe(301); // 300 readouts and the text
    // all but the chunks where the text (built from the chunk) and CLOSE lie
    expect(s.released).toBeGreaterThanOrEqual(s.chunks - 2);
  });
});
