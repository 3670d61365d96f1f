/**
 * mrd-server's shutdown contract, for orchestrators (Kubernetes sends SIGTERM, waits
 * terminationGracePeriodSeconds, then SIGKILL), systemd and a person at a terminal:
 * - the first SIGTERM or SIGINT drains: the server stops accepting, `/readyz` answers 503 at
 *   once, the connections already accepted and the sessions in flight finish (up to
 *   `--drain-timeout`, default 60 s); sessions still running then get an ERROR text and CLOSE and
 *   their files are closed properly; the process exits with status 0;
 * - a second signal aborts the open sessions (ERROR text and CLOSE, files closed) and exits at
 *   once (status 1: the drain did not complete), after at most ABORT_FLUSH_MS for those last
 *   bytes to go out.
 * `MRD_SERVER_SHUTDOWN_GRACE_MS` (milliseconds), the earlier name of the drain timeout, is still
 * read when neither `--drain-timeout` nor `MRD_SERVER_DRAIN_TIMEOUT` is given.
 */
import { logger } from '@mrd-tools/core/logging';

export const DEFAULT_DRAIN_TIMEOUT_S = 60;

/** How long a second signal waits for the aborted sessions' ERROR text and CLOSE to go out. */
const ABORT_FLUSH_MS = 1000;

/** The drain timeout in seconds from --drain-timeout (or its variable), else the deprecated milliseconds. */
export function drainTimeoutSeconds(drainTimeout: number | undefined, shutdownGraceMs: number | undefined): number {
  if (drainTimeout !== undefined) return drainTimeout;
  if (shutdownGraceMs !== undefined) return shutdownGraceMs / 1000;
  return DEFAULT_DRAIN_TIMEOUT_S;
}

export interface ShutdownHandlers {
  drainTimeoutS: number;
  /** Drains the server (resolves when every session is over). */
  drain(timeoutMs: number): Promise<void>;
  /** Aborts every open session now. */
  abortNow(): void;
  /** Closes the HTTP endpoints (after the drain). */
  closeEndpoints(): Promise<void>;
}

export function handleShutdownSignals(h: ShutdownHandlers): void {
  let stopping = false;
  let forced = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      forced = true;
      logger.warning(`Second signal (${signal}) -- aborting open sessions and exiting now`);
      h.abortNow();
      setTimeout(() => process.exit(1), ABORT_FLUSH_MS);
      return;
    }
    stopping = true;
    logger.info('Received signal interrupt -- stopping server');
    logger.info(`Draining (${signal}): no new connections; sessions in flight have up to ${h.drainTimeoutS} s to finish`);
    h.drain(h.drainTimeoutS * 1000)
      .then(() => h.closeEndpoints())
      .then(
        () => {
          if (forced) process.exit(1);
          logger.info('Drained: every session is over; exiting');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error(err);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
