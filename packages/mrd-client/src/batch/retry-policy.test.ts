import { describe, expect, it } from 'vitest';
import { SessionFailedError } from '../session-failure.js';
import { BACKOFF_MAX_MS, retryDecision } from './retry-policy.js';

const failed = (closeReceived: boolean, serverErrors: string[] = []) => new SessionFailedError('x', { closeReceived, serverErrors, receivedData: false });

describe('batch retry policy', () => {
  it('retries a server gone before CLOSE, and refusals before any work, with a growing backoff', () => {
    expect(retryDecision(failed(false))).toEqual({ retry: true, kind: 'gone', why: 'the server went away before CLOSE', delayMs: 200 });
    const busy = failed(true, ['ERROR    server busy: 8 sessions are running (--max-sessions 8); try again later']);
    expect(retryDecision(busy, 0, () => 0.5)).toMatchObject({ retry: true, kind: 'refused', why: 'server busy: 8 sessions are running (--max-sessions 8); try again later', delayMs: 500 });
    expect(retryDecision(busy, 2, () => 0.5)).toMatchObject({ delayMs: 2000 });
    expect(retryDecision(busy, 20, () => 0.5)).toMatchObject({ delayMs: BACKOFF_MAX_MS });
    expect(retryDecision(failed(true, ['ERROR    server shutting down']))).toMatchObject({ retry: true, kind: 'refused' });
    expect(retryDecision(failed(true, ['ERROR    session aborted: the server is shutting down']))).toMatchObject({ retry: true, kind: 'refused' });
  });

  it('never retries a completed session, a module or protocol ERROR, or a local failure', () => {
    expect(retryDecision(failed(true))).toEqual({ retry: false });
    expect(retryDecision(failed(true, ['ERROR    invertcontrast: out of memory']))).toEqual({ retry: false });
    expect(retryDecision(failed(true, ['ERROR    protocol error: unknown message id 99']))).toEqual({ retry: false });
    expect(retryDecision(new Error('Input file not found: x.h5'))).toEqual({ retry: false });
  });
});
