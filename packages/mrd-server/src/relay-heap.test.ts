/**
 * The relay's heap setting: one block of RELAY_HEAP_BLOCK bytes freed once per process (glibc's
 * thresholds rise to it), by the first client connection.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepRelayHeap, RELAY_HEAP_BLOCK, resetRelayHeapForTests } from './relay-heap.js';

vi.mock('./relay-heap.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./relay-heap.js')>();
  return { ...real, keepRelayHeap: vi.fn(real.keepRelayHeap) };
});

afterEach(() => resetRelayHeapForTests());

describe('keepRelayHeap', () => {
  it('frees one block of RELAY_HEAP_BLOCK bytes, once per process', () => {
    const freed = keepRelayHeap();
    expect(freed).toBeInstanceOf(ArrayBuffer);
    expect(freed!.byteLength).toBe(0); // detached: its memory was given back at once
    expect(keepRelayHeap()).toBeNull();
    resetRelayHeapForTests();
    expect(keepRelayHeap()).not.toBeNull();
    expect(RELAY_HEAP_BLOCK).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  });

  it('is asked for by a client connection', async () => {
    const { ClientConnection } = await import('./client-connection.js');
    const socket = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    const mock = vi.mocked(keepRelayHeap);
    mock.mockClear();
    const conn = new ClientConnection(socket as unknown as Socket, 'test', { idleTimeoutMs: 0, lingerMs: 0 }, {
      ready: () => {}, orphaned: () => {}, closed: () => {},
    });
    expect(mock).toHaveBeenCalledTimes(1);
    void conn;
    socket.destroy();
  });
});
