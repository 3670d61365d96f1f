/**
 * `mrd-server --stdio`: one session from stdin to stdout, the way upstream's MRD v2 tools are
 * chained with pipes (`mrd-phantom --format mrd2 | mrd-server --stdio -c simplefft | mrd-convert
 * - -o out.h5`). The stream's generation is told by its first bytes as on the TCP port (v2:
 * the default config runs; v1: the config message names it); logs go to stderr. The session
 * runs in this process (no workers: there is one).
 */
import { Duplex } from 'node:stream';
import { logger } from '@mrd-tools/core/logging';
import { runSession, type SessionOptions } from './session.js';

/** Runs the session; resolves with the exit status: 0 when it succeeded, 1 when it failed. */
export async function runStdioSession(opts: SessionOptions): Promise<number> {
  const io = Duplex.from({ readable: process.stdin, writable: process.stdout });
  let errors = 0;
  let streamError: Error | null = null;
  io.on('error', (err: Error) => {
    streamError ??= err;
  });
  // EPIPE on stdout (the next tool of the pipe went away) is this session's failure, not a crash.
  process.stdout.on('error', (err: Error) => {
    streamError ??= err;
  });
  await runSession(io, { ...opts, drainTimeoutMs: opts.drainTimeoutMs ?? 10_000 }, (fact) => {
    if (fact.fact === 'errors') errors = fact.count;
  });
  if (streamError) logger.error(`mrd-server --stdio: ${(streamError as Error).message}`);
  if (errors > 0 || streamError) {
    logger.error(`mrd-server --stdio: the session failed (${errors} error${errors === 1 ? '' : 's'}; see above)`);
    return 1;
  }
  return 0;
}
