/**
 * The session wire's assembly ring is kept on the thread from session to session (a fresh one's
 * first touch costs more than the copies), but never shared by two sessions at once.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAcquisition } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { encodeMessages } from '@mrd-tools/core/stream';
import { closeWireConnection, openWireConnection } from './wire.js';

/** A stream delivering `bytes` in reads of 3000 bytes (every readout spans reads: assembled in the ring). */
function stream(bytes: Uint8Array): Duplex {
  let at = 0;
  return new Duplex({
    read() {
      setImmediate(() => {
        if (at >= bytes.length) { this.push(null); return; }
        this.push(Buffer.from(bytes.subarray(at, at + 3000)));
        at += 3000;
      });
    },
    write(_c, _e, cb) { cb(); },
  });
}

const input = (seed: number) => encodeMessages([
  ...Array.from({ length: 5 }, (_, i) => ({ type: 'acquisition', acquisition: createAcquisition({
    head: { number_of_samples: 256, active_channels: 4 }, data: Float32Array.from({ length: 2 * 256 * 4 }, (_, k) => seed + i * 1000 + k),
  }) }) as MrdMessage),
  { type: 'close' },
]);

/** Opens a session's wire, reads its readouts (checking them); returns the memory they were assembled in. */
async function session(io: Duplex, seed: number): Promise<{ memory: ArrayBufferLike; wire: ReturnType<typeof openWireConnection> }> {
  const wire = openWireConnection(io);
  wire.borrowPayloads();
  let memory: ArrayBufferLike | null = null;
  let i = 0;
  for await (const m of wire) {
    if (m.type !== 'acquisition') continue;
    expect(m.acquisition.data[3]).toBe(seed + i * 1000 + 3);
    memory = m.acquisition.data.buffer;
    i++;
  }
  expect(i).toBe(5);
  return { memory: memory!, wire };
}

describe('the session wire\'s assembly ring', () => {
  it('serves the next session once the previous one has ended and its stream closed; never two at once', async () => {
    const a = stream(input(0));
    const first = await session(a, 0);
    // still open (stream not closed, session not ended): a concurrent session gets a ring of its own
    const b = stream(input(1e5));
    const second = await session(b, 1e5);
    expect(second.memory).not.toBe(first.memory);
    // ended but its stream not closed yet: still not given back
    closeWireConnection(first.wire);
    const c = stream(input(2e5));
    const third = await session(c, 2e5);
    expect(third.memory).not.toBe(first.memory);
    // stream closed too: the next session assembles in the first session's ring
    a.destroy();
    await new Promise((r) => setImmediate(r));
    const fourth = await session(stream(input(3e5)), 3e5);
    expect(fourth.memory).toBe(first.memory);
    for (const [s, io] of [[second, b], [third, c]] as const) { closeWireConnection(s.wire); io.destroy(); }
  });
});
