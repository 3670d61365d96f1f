import { describe, expect, it } from 'vitest';
import { createImage } from '@mrd-tools/core/messages';
import { DataType } from '@mrd-tools/core/constants';
import { encodeMessage, encodeMessages } from '@mrd-tools/core/stream';
import type { ClientConnection } from '../client-connection.js';
import { LiveSessions, MAX_SERIES, RECENT_SESSIONS } from './live-sessions.js';

/** The fields of ClientConnection the live view reads, and the relay's hook. */
function fakeConnection(port: number) {
  return {
    label: `127.0.0.1:${port}`, outputTap: null as ((b: Buffer) => void) | null, bytesIn: 10, bytesOut: 0, messagesIn: 2, messagesOut: 0,
    outputEndedAt: 0, timedOut: false, stoppedEarly: false, errorSent: null as string | null,
  };
}
const asConn = (c: ReturnType<typeof fakeConnection>) => c as unknown as ClientConnection;

function imageBytes(series: number, index: number, size = 16): Buffer {
  const img = createImage({ dataType: DataType.FLOAT, matrixSize: [size, size, 1], head: { image_series_index: series, image_index: index } });
  (img.data as Float32Array).fill(index);
  return Buffer.from(encodeMessage({ type: 'image', image: img }));
}

function started(live: LiveSessions, port = 1) {
  const c = fakeConnection(port);
  live.connectionOpened(asConn(c));
  live.sessionStarted(asConn(c), null as never);
  return c;
}

describe('LiveSessions', () => {
  it('sets no output tap and keeps nothing while nobody watches', () => {
    const live = new LiveSessions();
    const c = started(live);
    expect(c.outputTap).toBeNull();
    expect(live.status()).toMatchObject({ watching: false, tappedSessions: 0, keptImages: 0, keptBytes: 0, liveSessions: 1 });
    expect(live.snapshot().live[0]).toMatchObject({ client: '127.0.0.1:1', state: 'running', messagesIn: 2, imagesSeen: 0 });
  });

  it('while watched keeps the latest image of each series, at most MAX_SERIES, and drops all when unwatched', () => {
    const live = new LiveSessions();
    const c = started(live);
    const stop = live.watch();
    expect(c.outputTap).not.toBeNull();
    for (let k = 0; k < 3; k++) c.outputTap!(imageBytes(0, k));
    const first = live.image(live.snapshot().live[0]!.id, 0)!;
    expect(first.seq).toBe(3);
    expect(Array.from(first.image.data.subarray(0, 2))).toEqual([2, 2]);
    for (let s = 1; s <= MAX_SERIES + 2; s++) c.outputTap!(imageBytes(s, 0));
    const snap = live.snapshot().live[0]!;
    expect(snap.imagesSeen).toBe(3 + MAX_SERIES + 2);
    expect(snap.images.map((k) => k.series)).toEqual(Array.from({ length: MAX_SERIES }, (_, k) => k + 3));
    expect(live.status().keptImages).toBe(MAX_SERIES);
    stop();
    expect(c.outputTap).toBeNull();
    expect(live.status()).toMatchObject({ watching: false, keptImages: 0, keptBytes: 0 });
  });

  it('keeps pixels as views of a chunk about the image, copies them out of a larger chunk, and keeps within the budget', () => {
    const live = new LiveSessions({ imageBudgetBytes: 3 * (64 * 64 * 4 + 1000) });
    const a = started(live, 1);
    live.watch();
    const own = imageBytes(1, 0);
    a.outputTap!(own);
    const id = live.snapshot().live[0]!.id;
    expect(live.image(id, 1)!.image.data.buffer).toBe(own.buffer);
    // one chunk of many messages (a relayed burst): the kept pixels do not pin the whole chunk
    const burst = Buffer.from(encodeMessages(Array.from({ length: 400 }, (_, k) => ({ type: 'image' as const, image: createImage({ dataType: DataType.FLOAT, matrixSize: [16, 16, 1], head: { image_series_index: 2, image_index: k } }) }))));
    a.outputTap!(burst);
    const kept = live.image(id, 2)!;
    expect(kept.image.head.image_index).toBe(399);
    expect(kept.image.data.buffer).not.toBe(burst.buffer);
    expect(kept.bytes).toBeLessThan(16 * 16 * 4 + 100);
    // the budget: the least recently received images go first, over all sessions
    const b = started(live, 2);
    for (let s = 0; s < 4; s++) b.outputTap!(imageBytes(10 + s, 0, 64));
    expect(live.status().keptImages).toBe(3);
    expect(live.image(id, 1)).toBeUndefined();
    expect(live.image(id, 2)).toBeUndefined();
  });

  it('stops looking at a session whose output does not decode (the relay answers it)', () => {
    const live = new LiveSessions();
    const c = started(live);
    live.watch();
    c.outputTap!(Buffer.from([0xff, 0xff, 0, 0]));
    expect(c.outputTap).toBeNull();
    expect(live.status().tappedSessions).toBe(0);
  });

  it('moves finished sessions to a bounded recent list with their outcome; a probe is no session', () => {
    const live = new LiveSessions();
    const probe = fakeConnection(9);
    probe.bytesIn = 0;
    live.connectionOpened(asConn(probe));
    live.connectionClosed(asConn(probe));
    expect(live.snapshot().recent).toEqual([]);
    for (let k = 0; k < RECENT_SESSIONS + 3; k++) {
      const c = started(live, 100 + k);
      live.fact(asConn(c), { fact: 'config', config: 'null' });
      if (k === RECENT_SESSIONS + 2) c.stoppedEarly = true;
      live.sessionEnded(asConn(c));
      c.outputEndedAt = Date.now();
      live.connectionClosed(asConn(c));
    }
    const snap = live.snapshot();
    expect(snap.live).toEqual([]);
    expect(snap.recent).toHaveLength(RECENT_SESSIONS);
    expect(snap.recent[0]).toMatchObject({ client: `127.0.0.1:${100 + RECENT_SESSIONS + 2}`, outcome: 'truncated', state: 'finished', config: 'null' });
    expect(snap.recent[1]).toMatchObject({ outcome: 'ok' });
    expect(snap.recent.at(-1)!.client).toBe('127.0.0.1:103');
  });
});
