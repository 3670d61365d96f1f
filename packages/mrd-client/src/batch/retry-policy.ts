/**
 * Which failed batch sessions get a new session (`--retries`), and after how long. A retry opens
 * a new connection, so a load balancer may send it to another server.
 *
 * Retried: failures that say nothing about the input and where the server did not do the work:
 * - the server went away before its CLOSE (killed, crashed, its machine or the network failed):
 *   the stream ended or reset without CLOSE; retried after RETRY_DELAY_MS, at most `--retries`
 *   times;
 * - the server refused the session before any work: "server busy" (at --max-sessions) or
 *   "server shutting down" (draining), and a session it aborted because it was shutting down
 *   (its drain timeout ran out): retried after a growing, jittered backoff (0.5 s doubling up to
 *   5 s) for up to REFUSAL_WINDOW_MS, whatever `--retries` says: a full server is the normal
 *   state of a busy site, and waiting for a place is what a batch should do.
 * Never retried: a session the server completed (CLOSE without ERROR), one it ended with any
 * other ERROR (the module or the data failed: the same input would fail again), and local
 * failures (the input or output file, the connection to the server that could not be opened
 * after its own attempts).
 */
import { SessionFailedError } from '../session-failure.js';

/** Delay before a new session after the server went away. */
const RETRY_DELAY_MS = 200;
/** First backoff after a refusal ("server busy", "server shutting down"); doubled each time, at most BACKOFF_MAX_MS. */
const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 5000;
/** How long an input keeps trying a server that refuses it (busy, shutting down). */
export const REFUSAL_WINDOW_MS = 10 * 60_000;

const REFUSALS = [/\bserver busy\b/i, /\bserver shutting down\b/i, /\bsession aborted: the server is shutting down\b/i];

/** 'gone': the server went away (counts against --retries); 'refused': busy or shutting down. */
export type RetryDecision = { retry: false } | { retry: true; kind: 'gone' | 'refused'; why: string; delayMs: number };

/** Whether the failure `err` gets another session; `refusals`: how many refusals this input had before. */
export function retryDecision(err: unknown, refusals = 0, random: () => number = Math.random): RetryDecision {
  if (!(err instanceof SessionFailedError)) return { retry: false };
  const f = err.facts;
  if (!f.closeReceived) return { retry: true, kind: 'gone', why: 'the server went away before CLOSE', delayMs: RETRY_DELAY_MS };
  const first = f.serverErrors[0];
  if (f.serverErrors.length > 0 && REFUSALS.some((re) => re.test(first!))) {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** refusals);
    return { retry: true, kind: 'refused', why: first!.replace(/^ERROR\s+/, '').split('\n')[0]!, delayMs: Math.round(base * (0.5 + random())) };
  }
  return { retry: false };
}
