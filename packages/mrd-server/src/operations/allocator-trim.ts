/**
 * Gives the C allocator's free memory back to the system once the server is quiet.
 *
 * Session worker threads allocate their buffers in glibc malloc arenas. When a burst of
 * concurrent sessions ends, that memory is free but stays in the arenas: glibc shrinks an arena
 * only from its top, and after large frees it raises its trim threshold, so the server's RSS kept
 * the burst's high-water mark. glibc's `malloc_trim(0)` returns the free pages of every arena.
 * Node has no binding for it, and a native addon of our own would need a compiler at install:
 * it is called through koffi (a maintained FFI library with prebuilt binaries). Where koffi or
 * glibc is not available (musl, macOS, Windows), trimming is off and nothing else changes.
 */
import { createRequire } from 'node:module';
import { logger } from '@mrd-tools/core/logging';

/** How long the server must stay without sessions before the trim (so bursts are not slowed). */
export const QUIET_BEFORE_TRIM_MS = 2000;

type TrimFn = (pad: number) => number;

let trimFn: TrimFn | null | undefined;

/**
 * glibc's malloc_trim, or null where it cannot be called (no koffi binary for the platform, or no
 * glibc: musl, macOS and Windows have no libc.so.6 exporting it). Loaded once, on first use.
 */
export function mallocTrimFunction(): TrimFn | null {
  if (trimFn !== undefined) return trimFn;
  trimFn = null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(path: string): { func(signature: string): TrimFn };
    };
    trimFn = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
  } catch (err) {
    logger.debug(`Allocator trim: off (${(err as Error).message.split('\n')[0]})`);
  }
  return trimFn;
}

/**
 * Calls `trim` once the server has had no session for `quietMs`: `sessionsEnded()` after a
 * session or a session runner ends re-arms the wait; `sessionStarted()` cancels it.
 */
export class QuietTrim {
  private timer: NodeJS.Timeout | null = null;

  /** `trim`: the function to call (default: glibc's, looked up at the first trim, not at start-up). */
  constructor(
    private readonly sessions: () => number,
    private trim?: TrimFn | null,
    private readonly quietMs = QUIET_BEFORE_TRIM_MS,
  ) {}

  /** A session or runner ended: trim after `quietMs` if none runs then. */
  sessionsEnded(): void {
    if (this.trim === null) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.sessions() > 0) return;
      this.trim ??= mallocTrimFunction();
      if (!this.trim) return;
      const before = process.memoryUsage.rss();
      this.trim(0);
      logger.debug(`Allocator trim: RSS ${(before / 2 ** 20).toFixed(0)} -> ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`);
    }, this.quietMs);
    this.timer.unref();
  }

  /** A session started: no trim while it runs. */
  sessionStarted(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops the pending trim (server closing). */
  cancel(): void {
    this.sessionStarted();
  }
}
