/**
 * mrd-server gives a burst's memory back: once no session runs, the free memory the session
 * threads left in glibc's malloc arenas is returned to the system (operations/allocator-trim.ts), so
 * the server's RSS does not keep the burst's high-water mark. Without the trim the arenas kept
 * 50-110 MB after the overload test's burst (server-overload.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rssMb, startServer, type RunningServer } from './server-harness.js';
import { images, sessionBytes, talk } from './server-sessions.js';

const TRIM_LINE = /Allocator trim: RSS (\d+) -> (\d+) MB/g;

describe('mrd-server after a burst of concurrent sessions', () => {
  let server: RunningServer | null = null;
  afterAll(async () => {
    await server?.stop();
  });

  it('returns the free allocator memory once no session runs', async () => {
    server = await startServer(['-v', '--max-sessions', '16']);
    const input = sessionBytes('invertcontrast', images(16, 256));
    const from = server.log().length;
    const answers = await Promise.all(Array.from({ length: 16 }, () => talk(server!.port, input, { timeoutMs: 60_000 })));
    for (const a of answers) {
      expect(a.endsWithClose).toBe(true);
      expect(a.types.filter((t) => t === 'image')).toHaveLength(16);
    }
    const peak = rssMb(server.proc.pid!);
    let trims: RegExpMatchArray[] = [];
    for (let i = 0; i < 150 && trims.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      trims = [...server.log().slice(from).matchAll(TRIM_LINE)];
    }
    expect(trims.length, `no "Allocator trim" line in the log:\n${server.log().slice(from)}`).toBeGreaterThan(0);
    const [, before, after] = trims[0]!.map(Number);
    console.log(`mrd-server RSS after 16 concurrent sessions: ${peak.toFixed(0)} MB; trim ${before} -> ${after} MB`);
    // The sixteen session threads' arenas hold tens of MB of free memory; the trim returns it.
    expect(before! - after!).toBeGreaterThan(10);
  }, 120_000);
});
