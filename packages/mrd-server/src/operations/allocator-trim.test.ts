/**
 * The allocator trim runs once the server has been quiet for the set time, never while a session
 * runs, once per quiet spell; and on glibc Linux it reaches glibc's malloc_trim.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mallocTrimFunction, QuietTrim } from './allocator-trim.js';

describe('QuietTrim', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('trims once after the quiet time, debouncing a burst of session ends', () => {
    const trim = vi.fn(() => 1);
    const q = new QuietTrim(() => 0, trim, 2000);
    for (let i = 0; i < 16; i++) {
      q.sessionsEnded();
      vi.advanceTimersByTime(100);
    }
    expect(trim).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1899);
    expect(trim).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(trim).toHaveBeenCalledTimes(1);
    expect(trim).toHaveBeenCalledWith(0);
    vi.advanceTimersByTime(10_000);
    expect(trim).toHaveBeenCalledTimes(1);
  });

  it('does not trim while a session runs, and a session start cancels the wait', () => {
    const trim = vi.fn(() => 1);
    let running = 1;
    const q = new QuietTrim(() => running, trim, 2000);
    q.sessionsEnded();
    vi.advanceTimersByTime(2000);
    expect(trim).not.toHaveBeenCalled();
    running = 0;
    q.sessionsEnded();
    vi.advanceTimersByTime(1000);
    q.sessionStarted();
    vi.advanceTimersByTime(5000);
    expect(trim).not.toHaveBeenCalled();
    q.sessionsEnded();
    q.cancel();
    vi.advanceTimersByTime(5000);
    expect(trim).not.toHaveBeenCalled();
  });

  it('does nothing without a trim function (not glibc)', () => {
    const q = new QuietTrim(() => 0, null, 10);
    q.sessionsEnded();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('mallocTrimFunction', () => {
  it('reaches malloc_trim where Node reports glibc (as detect-libc tells), and is off elsewhere', () => {
    const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    const fn = mallocTrimFunction();
    if (process.platform === 'linux' && glibc) {
      expect(fn).toBeTypeOf('function');
      expect([0, 1]).toContain(fn!(0));
    } else {
      expect(fn).toBeNull();
    }
  });
});
