/**
 * MrdFrameScanner agrees with the decoder: the same message boundaries for any chunking, CLOSE
 * found, and the same protocol errors (wording included) for mutated and truncated streams.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../testing/random.js';
import { everyMessageTypeStream } from '../testing/every-message-stream.js';
import { MrdStreamDecoder, decodeStream } from './decoder.js';
import { encodedMessageLength } from './encoder.js';
import { MrdProtocolError } from './errors.js';
import { MrdFrameScanner } from './frame-scanner.js';

function chunks(bytes: Uint8Array, rnd: () => number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < bytes.length; ) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(bytes.subarray(p, p + n));
    p += n;
  }
  return out;
}

describe('MrdFrameScanner', () => {
  const bytes = everyMessageTypeStream([{ type: 'text', text: 'after close' }]);
  const bounds = [0];
  for (const m of decodeStream(bytes)) bounds.push(bounds.at(-1)! + encodedMessageLength(m));

  it('finds every message boundary and the CLOSE, whatever the chunking', () => {
    const rnd = mulberry32(7);
    for (let run = 0; run < 300; run++) {
      const s = new MrdFrameScanner();
      const seen = new Set<number>([0]);
      for (const c of chunks(bytes, rnd, run % 30 === 0 ? 1 : 700)) {
        s.push(c);
        seen.add(s.boundary);
        expect(bounds).toContain(s.boundary);
        expect(s.atBoundary).toBe(bounds.includes(s.offset));
      }
      expect(s.messages).toBe(bounds.length - 1);
      expect(s.closeSeen).toBe(true);
      expect(s.closeEnd).toBe(bounds[bounds.length - 2]);
      expect(s.endError()).toBeNull();
      if (run % 30 === 0) expect([...seen].sort((a, b) => a - b)).toEqual(bounds);
    }
  });

  it('reports the decoder\'s protocol errors, and its truncation error at the end', () => {
    const rnd = mulberry32(11);
    let errors = 0;
    for (let run = 0; run < 3000; run++) {
      const b = bytes.slice(0, 1 + Math.floor(rnd() * bytes.length));
      for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      let want: string | null = null;
      try {
        const d = new MrdStreamDecoder({ maxMessageSize: 1 << 20 });
        d.push(b);
        d.end();
      } catch (e) {
        expect(e).toBeInstanceOf(MrdProtocolError);
        want = (e as Error).message;
      }
      const s = new MrdFrameScanner(1 << 20);
      let got: string | null = null;
      try {
        for (const c of chunks(b, rnd, 200)) s.push(c);
        got = s.endError()?.message ?? null;
      } catch (e) {
        expect(e).toBeInstanceOf(MrdProtocolError);
        got = (e as Error).message;
      }
      expect(got).toBe(want);
      if (got) errors++;
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
