/**
 * The relay's heap setting: glibc's trim threshold is raised once per process, by the first
 * client connection; without glibc (or koffi) nothing happens and nothing fails.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepRelayHeap, M_TRIM_THRESHOLD, RELAY_TRIM_THRESHOLD, resetRelayHeapForTests } from './relay-heap.js';

vi.mock('./relay-heap.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./relay-heap.js')>();
  return { ...real, keepRelayHeap: vi.fn(real.keepRelayHeap) };
});

afterEach(() => resetRelayHeapForTests());

describe('keepRelayHeap', () => {
  it('sets M_TRIM_THRESHOLD once per process', () => {
    const mallopt = vi.fn(() => 1);
    expect(keepRelayHeap(mallopt)).toBe(true);
    expect(mallopt).toHaveBeenCalledTimes(1);
    expect(mallopt).toHaveBeenCalledWith(M_TRIM_THRESHOLD, RELAY_TRIM_THRESHOLD);
    expect(keepRelayHeap(mallopt)).toBe(false);
    expect(mallopt).toHaveBeenCalledTimes(1);
  });

  it('does nothing without mallopt (not glibc), and reports a refused setting', () => {
    expect(keepRelayHeap(null)).toBe(false);
    resetRelayHeapForTests();
    expect(keepRelayHeap(() => 0)).toBe(false);
  });

  it('reaches glibc mallopt where Node reports glibc', () => {
    const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    const set = keepRelayHeap();
    expect(set).toBe(process.platform === 'linux' && Boolean(glibc));
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
