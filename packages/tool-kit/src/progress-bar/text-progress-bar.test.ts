import { afterEach, describe, expect, it, vi } from 'vitest';
import { TextProgressBar } from './text-progress-bar.js';

/** A stand-in for process.stdout that records what is written. */
function fakeStream(isTTY: boolean, columns = 80): { stream: NodeJS.WriteStream; out: string[] } {
  const out: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, out };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TextProgressBar', () => {
  it('draws nothing when the stream is not a terminal (or there is nothing to count)', () => {
    const { stream, out } = fakeStream(false);
    const bar = new TextProgressBar('Sending acquisitions', 10, stream);
    bar.update(5, true);
    bar.finish();
    const empty = new TextProgressBar('Sending', 0, fakeStream(true).stream);
    expect(empty.enabled).toBe(false);
    expect(out).toEqual([]);
  });

  it('redraws on one line at most 10 times a second and ends at 100 % with a newline', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    const { stream, out } = fakeStream(true, 80);
    const bar = new TextProgressBar('Sending', 4, stream);
    bar.update(1);
    bar.update(2); // within 100 ms: skipped
    vi.setSystemTime(1_000_150);
    bar.update(2);
    bar.finish();
    bar.finish(); // once only
    // width = min(40, 80 - 7 - 30) = 40
    expect(out).toEqual([
      `\rSending [${'#'.repeat(10)}${'.'.repeat(30)}]  25% 1/4`,
      `\rSending [${'#'.repeat(20)}${'.'.repeat(20)}]  50% 2/4`,
      `\rSending [${'#'.repeat(40)}] 100% 4/4`,
      '\n',
    ]);
  });
});
