/**
 * Keeps glibc's heap from handing the relay's memory back to the system between socket reads.
 *
 * The main thread reads each client socket into fresh 64 KiB buffers (Node allocates one per
 * read); they are transferred to the session's thread, which frees them as soon as it is done
 * (port-stream.ts). glibc returns the free top of its heap to the system once it exceeds the
 * trim threshold (128 KiB at start, raised only by some large frees), so the next reads take
 * fresh pages again: minor page faults, counted as the main thread's system time, for a good
 * part of the relayed bytes. A higher trim threshold (`mallopt(M_TRIM_THRESHOLD)`) lets the
 * heap keep that memory for the next reads. What stays free after the sessions is still given
 * back once the server is quiet (`malloc_trim`, operations/allocator-trim.ts), which ignores the
 * threshold. Called through koffi, as that trim; where koffi or glibc is missing (musl, macOS,
 * Windows) nothing changes. docs/streaming-performance.md, branch `server-cpu`, has the figures.
 */
import { createRequire } from 'node:module';
import { logger } from '@mrd-tools/core/logging';

/** glibc's M_TRIM_THRESHOLD parameter of mallopt(3). */
export const M_TRIM_THRESHOLD = -1;
/** Free heap top glibc keeps instead of returning it to the system. */
export const RELAY_TRIM_THRESHOLD = 64 * 1024 * 1024;

type MalloptFn = (param: number, value: number) => number;

/** glibc's mallopt, or null where it cannot be called. */
function loadMallopt(): MalloptFn | null {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(path: string): { func(signature: string): MalloptFn };
    };
    return koffi.load('libc.so.6').func('int mallopt(int param, int value)');
  } catch (err) {
    logger.debug(`Relay heap: trim threshold unchanged (${(err as Error).message.split('\n')[0]})`);
    return null;
  }
}

let done = false;

/**
 * Raises glibc's trim threshold to RELAY_TRIM_THRESHOLD, once per process (later calls do
 * nothing). `mallopt`: the function to call (default: glibc's through koffi). Returns whether
 * this call set it.
 */
export function keepRelayHeap(mallopt?: MalloptFn | null): boolean {
  if (done) return false;
  done = true;
  const fn = mallopt === undefined ? loadMallopt() : mallopt;
  if (!fn) return false;
  return fn(M_TRIM_THRESHOLD, RELAY_TRIM_THRESHOLD) === 1;
}

/** For tests: the next `keepRelayHeap` call acts again. */
export function resetRelayHeapForTests(): void {
  done = false;
}
