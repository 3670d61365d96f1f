/**
 * Fuzz: mutated and truncated MRD streams (the 16 reference streams of the repository's fixtures,
 * tests/fixtures/reference/streams, plus a synthetic stream with every message type) fed whole or
 * in random chunks. The decoder must return messages whose
 * payloads match their headers, or throw MrdProtocolError; never another exception, never a
 * buffer larger than the configured maximum message size. Each case is synchronous and bounded,
 * so a hang would show as the test's timeout.
 *
 * MRD_FUZZ_CASES (default 100000) scales the run; MRD_FUZZ_SEED picks another sequence.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../testing/random.js';
import { everyMessageTypeStream } from '../testing/every-message-stream.js';
import { reference } from '../testing/reference.js';
import type { MrdMessage } from '../connection/types.js';
import { imageDataBytes } from '../messages/create.js';
import { MrdStreamDecoder, decodeStream } from './decoder.js';
import { encodedMessageLength } from './encoder.js';
import { MrdProtocolError } from './errors.js';

const CASES = Number(process.env.MRD_FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.MRD_FUZZ_SEED ?? 20240601);
const STREAM_CASES = ['invertcontrast_m64', 'simplefft_m64', 'invertcontrast_rgb', 'invertcontrast_roi', 'invertcontrast_complex',
  'images_invertcontrast_sendoriginal', 'cpp_invertcontrast', 'waveforms_savedataonly'];

interface Seed {
  name: string;
  bytes: Uint8Array;
  /** Offsets of message starts, plus the end. */
  bounds: number[];
}

function loadSeeds(): Seed[] {
  const seeds: { name: string; bytes: Uint8Array }[] = [{ name: 'synthetic', bytes: everyMessageTypeStream() }];
  for (const c of STREAM_CASES) {
    for (const dir of ['client-to-server', 'server-to-client']) {
      seeds.push({ name: `${c}.${dir}`, bytes: new Uint8Array(readFileSync(reference(`streams/${c}.${dir}.bin`))) });
    }
  }
  return seeds.map((s) => {
    const bounds = [0];
    for (const m of decodeStream(s.bytes)) bounds.push(bounds.at(-1)! + encodedMessageLength(m));
    return { ...s, bounds };
  });
}

const IDS = [0, 1, 2, 3, 4, 5, 6, 999, 1000, 1001, 1007, 1008, 1009, 1012, 1013, 1021, 1022, 1023, 1024, 1026, 1030, 4096, 65535];

function checkMessage(m: MrdMessage): void {
  switch (m.type) {
    case 'acquisition': {
      const h = m.acquisition.head;
      if (m.acquisition.data.length !== 2 * h.number_of_samples * h.active_channels) throw new Error('acquisition data length does not match header');
      if (m.acquisition.traj.length !== h.number_of_samples * h.trajectory_dimensions) throw new Error('acquisition traj length does not match header');
      break;
    }
    case 'image':
      if (m.image.data.byteLength !== imageDataBytes(m.image.head)) throw new Error('image data length does not match header');
      break;
    case 'waveform':
      if (m.waveform.data.length !== m.waveform.head.number_of_samples * m.waveform.head.channels) throw new Error('waveform data length does not match header');
      break;
    default:
  }
}

describe('stream decoder fuzz', () => {
  it(`${CASES} mutated/truncated streams give messages or MrdProtocolError, within the size limit`, () => {
    const seeds = loadSeeds();
    expect(seeds.length).toBe(1 + 2 * STREAM_CASES.length);
    const r = mulberry32(SEED);
    const ri = (n: number) => Math.floor(r() * n);
    const limits = [4096, 65536, 1 << 20, 16 << 20];
    let ok = 0;
    let protocolErrors = 0;
    const reasons: Record<string, number> = {};
    let slowest = 0;
    /** Per seed stream: [cases decoded without error, cases ending in MrdProtocolError]. */
    const perSeed = new Map<string, [number, number]>(seeds.map((s) => [s.name, [0, 0]]));
    for (let c = 0; c < CASES; c++) {
      const t0 = performance.now();
      const seed = seeds[ri(seeds.length)]!;
      // A window of 1..4 whole messages (most cases), or the whole (small) stream.
      const nMsg = seed.bounds.length - 1;
      let bytes: Uint8Array;
      let starts: number[];
      if (seed.bytes.length < 64 * 1024 && r() < 0.1) {
        bytes = seed.bytes.slice();
        starts = seed.bounds.slice(0, -1);
      } else {
        const i = ri(nMsg);
        const k = Math.min(nMsg - i, 1 + ri(4));
        bytes = seed.bytes.slice(seed.bounds[i]!, seed.bounds[i + k]!);
        starts = seed.bounds.slice(i, i + k).map((b) => b - seed.bounds[i]!);
      }
      const nMut = 1 + ri(3);
      for (let j = 0; j < nMut && bytes.length > 0; j++) {
        // Bias mutations to the ids and headers, where the lengths live.
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        const base = Math.min(starts[ri(starts.length)]!, bytes.length - 1);
        const pos = r() < 0.7 ? Math.min(bytes.length - 1, base + ri(360)) : ri(bytes.length);
        switch (ri(7)) {
          case 0:
            bytes[pos] = ri(256);
            break;
          case 1:
            bytes[pos] ^= 1 << ri(8);
            break;
          case 2:
            if (pos + 2 <= bytes.length) dv.setUint16(pos, [0, 0xffff, 0x8000, ri(65536), 1][ri(5)]!, true);
            break;
          case 3:
            if (pos + 4 <= bytes.length) dv.setUint32(pos, [0, 0xffffffff, 0x80000000, ri(2 ** 32), 1 + ri(1 << 20)][ri(5)]!, true);
            break;
          case 4:
            if (base + 2 <= bytes.length) dv.setUint16(base, IDS[ri(IDS.length)]!, true);
            break;
          case 5:
            bytes = bytes.subarray(0, ri(bytes.length + 1));
            break;
          case 6: {
            // Insert or delete a few bytes (shifts every following boundary).
            const n = 1 + ri(8);
            if (r() < 0.5) {
              const b = new Uint8Array(bytes.length + n);
              b.set(bytes.subarray(0, pos));
              for (let q = 0; q < n; q++) b[pos + q] = ri(256);
              b.set(bytes.subarray(pos), pos + n);
              bytes = b;
            } else {
              const at = Math.min(pos, bytes.length);
              const b = new Uint8Array(at + Math.max(0, bytes.length - at - n));
              b.set(bytes.subarray(0, at));
              b.set(bytes.subarray(at + n), at);
              bytes = b;
            }
            break;
          }
        }
      }
      const max = limits[ri(limits.length)]!;
      const d = new MrdStreamDecoder({ maxMessageSize: max });
      const out: MrdMessage[] = [];
      try {
        const mode = ri(3);
        if (mode === 0) d.push(bytes, out);
        else {
          const maxChunk = mode === 1 ? 8 : 5000;
          for (let p = 0; p < bytes.length; ) {
            const n = 1 + ri(maxChunk);
            d.push(bytes.subarray(p, p + n), out);
            p += n;
          }
        }
        d.end();
        ok++;
        perSeed.get(seed.name)![0]++;
      } catch (e) {
        if (!(e instanceof MrdProtocolError)) {
          throw new Error(`case ${c} (seed ${SEED}, ${seed.name}, ${bytes.length} bytes): ${(e as Error)?.stack ?? e}`);
        }
        protocolErrors++;
        perSeed.get(seed.name)![1]++;
        reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
      }
      if (d.stats.largestAllocation > max + 8) {
        throw new Error(`case ${c} (seed ${SEED}, ${seed.name}): allocated ${d.stats.largestAllocation} bytes with a limit of ${max}`);
      }
      for (const m of out) checkMessage(m);
      slowest = Math.max(slowest, performance.now() - t0);
    }
    // No case comes near a stall: the slowest takes well under a second.
    expect(slowest).toBeLessThan(1000);
    expect(ok + protocolErrors).toBe(CASES);
    // Both outcomes occur in proportions that show the mutations reach past the first header
    // and still break most streams. With these 17 seeds (default seed, 100000 cases) 24.6 % of
    // the cases decode and 75.4 % end in MrdProtocolError; each reference stream decodes in 23-28 %
    // of its cases, the synthetic one (small messages: nearly every mutation lands in a header)
    // in 1.5 %. The bounds sit many standard deviations below these rates: a fuzzer that mostly
    // feeds the synthetic stream, or mutations that always (or never) break the stream, fail.
    expect(ok).toBeGreaterThan(CASES * 0.15);
    expect(protocolErrors).toBeGreaterThan(CASES * 0.5);
    if (CASES >= 10_000) {
      for (const [name, [good, bad]] of perSeed) {
        const n = good + bad;
        if (name === 'synthetic') expect(good, name).toBeGreaterThan(0);
        else expect(good, name).toBeGreaterThan(n * 0.1);
        expect(bad, name).toBeGreaterThan(n * 0.5);
      }
      // Every kind of protocol error is exercised.
      expect(Object.keys(reasons).sort()).toEqual(['invalid-field', 'message-too-large', 'truncated', 'unsupported-message']);
    }
  });
});
