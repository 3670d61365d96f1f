/**
 * Keeps glibc's heap from handing the relay's memory back to the system between socket reads.
 *
 * The main thread reads each client socket into fresh 64 KiB buffers (Node allocates one per
 * read); they are transferred to the session's thread, which frees them as soon as it is done
 * (port-stream.ts). glibc returns the free top of its heap to the system once it exceeds its trim
 * threshold (128 KiB at start), so the next reads take fresh pages again: minor page faults,
 * counted as the main thread's system time, for a good part of the relayed bytes. glibc raises
 * its thresholds by itself when a block it had mmap'd is freed (mallopt(3), "dynamic mmap
 * threshold": the mmap threshold to that block's size, the trim threshold to twice it), which a
 * long-running server reached only by chance. `keepRelayHeap` frees one such block of
 * RELAY_HEAP_BLOCK bytes at the first connection, so the heap keeps that memory for the next
 * reads from the start, and glibc's adjustment stays on (setting a threshold with `mallopt`
 * turns it off, and with it off concurrent sessions cost more CPU: docs/streaming-performance.md,
 * branch `server-cpu`). What stays free after the sessions is still given back once the server is
 * quiet (`malloc_trim`, operations/allocator-trim.ts). Other allocators just allocate and free
 * the block.
 */
import { MessageChannel } from 'node:worker_threads';

/** Size of the block freed: glibc's mmap threshold becomes this, its trim threshold twice it. */
export const RELAY_HEAP_BLOCK = 16 * 1024 * 1024;

let done = false;

/**
 * Allocates a RELAY_HEAP_BLOCK-byte buffer and frees it at once, once per process. Returns the
 * freed (detached) ArrayBuffer on the call that did it, else null.
 */
export function keepRelayHeap(): ArrayBuffer | null {
  if (done) return null;
  done = true;
  const block = Buffer.allocUnsafeSlow(RELAY_HEAP_BLOCK);
  // Written, so the allocation is not left to the first touch only.
  block[0] = 1;
  // Transferring an ArrayBuffer to a port with no other end frees its memory now (no GC wait).
  const { port1, port2 } = new MessageChannel();
  port2.close();
  port1.close();
  port1.postMessage(null, [block.buffer]);
  return block.buffer as ArrayBuffer;
}

/** For tests: the next `keepRelayHeap` call acts again. */
export function resetRelayHeapForTests(): void {
  done = false;
}
