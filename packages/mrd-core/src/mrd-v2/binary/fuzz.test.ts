/**
 * Fuzz: mutated and truncated MRD v2 streams (windows of the reference files and of the
 * kitchen-sink fixture, which holds every StreamItem case) fed whole or in random chunks, with
 * the guarantees of the v1 fuzz test (stream/fuzz.test.ts): the decoder returns events or throws
 * MrdProtocolError, never another exception; it never allocates a buffer larger than the maximum
 * item size (plus 8 bytes of alignment); each case is synchronous and bounded, so a hang shows as
 * the test's timeout. The NDJSON decoder gets a share of the cases too.
 *
 * MRD_FUZZ_CASES (default 40000 here: a v2 case carries the 25 KB preamble and items of several KB,
 * so it costs about 10 times a v1 case) scales the run; MRD_FUZZ_SEED picks another sequence.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../testing/random.js';
import { reference } from '../../testing/reference.js';
import { MrdProtocolError } from '../../stream/errors.js';
import { OptionalHeader } from '../model/codecs.js';
import { BinaryWriter } from '../codec/binary-writer.js';
import type { StreamItem } from '../model/types.js';
import { decodeMrdV2, MrdV2StreamDecoder, type MrdV2Event } from './decoder.js';
import { encodeStreamItem } from './encoder.js';
import { MRD_PREAMBLE } from './preamble.js';
import { MrdV2NdjsonDecoder } from '../ndjson/ndjson.js';

const CASES = Number(process.env.MRD_FUZZ_CASES ?? 40_000);
const SEED = Number(process.env.MRD_FUZZ_SEED ?? 20261206);
const P = MRD_PREAMBLE.length;

interface Seed {
  name: string;
  header: Uint8Array;
  /** Each item with its block count (01 + StreamItem). */
  items: Uint8Array[];
}

function loadSeeds(): Seed[] {
  const files = [join(import.meta.dirname, '../fixtures/kitchen-sink.mrd')];
  for (const f of ['phantom_m16_c2_n0_traj.mrd', 'recon_m16.mrd', 'v1_to_v2/invertcontrast_m64.mrd', 'v1_to_v2/cpp_phantom_m64_c4_noise_traj.mrd']) {
    const p = reference(`mrd-v2/${f}`);
    if (existsSync(p)) files.push(p);
  }
  return files.map((f) => {
    const { header, items } = decodeMrdV2(new Uint8Array(readFileSync(f)));
    const w = new BinaryWriter();
    OptionalHeader.write(w, header);
    return { name: f.split('/').pop()!, header: w.takeContiguous(), items: items.map((it: StreamItem) => Buffer.concat([new Uint8Array([1]), encodeStreamItem(it)])) };
  });
}

function checkEvent(e: MrdV2Event): void {
  if (e.type !== 'item') return;
  const v = e.item.value as { data?: { shape?: number[]; data?: { length: number } } };
  if (v.data?.shape && v.data.data) {
    const n = v.data.shape.reduce((a, b) => a * b, 1);
    const per = ['acquisition', 'imageComplexFloat', 'imageComplexDouble', 'arrayComplexFloat', 'imageArray'].includes(e.item.type) ? 2 : 1;
    if (v.data.data.length !== n * per) throw new Error(`${e.item.type}: data length ${v.data.data.length} does not match shape [${v.data.shape}]`);
  }
}

describe('MRD v2 decoder fuzz', () => {
  it(`${CASES} mutated/truncated streams give events or MrdProtocolError, within the size limit`, async () => {
    const seeds = loadSeeds();
    const ndjsonSeed = readFileSync(join(import.meta.dirname, '../fixtures/kitchen-sink.ndjson'));
    const r = mulberry32(SEED);
    const ri = (n: number) => Math.floor(r() * n);
    const limits = [4096, 65536, 1 << 20, 16 << 20];
    let ok = 0;
    let protocolErrors = 0;
    const reasons: Record<string, number> = {};
    for (let c = 0; c < CASES; c++) {
      // Let the test runner's messages through now and then (the cases themselves are synchronous).
      if (c % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
      const seed = seeds[ri(seeds.length)]!;
      const ndjson = r() < 0.05;
      let bytes: Uint8Array;
      let from = 0;
      if (ndjson) {
        bytes = new Uint8Array(ndjsonSeed);
        from = ndjsonSeed.indexOf(10) + 1;
      } else {
        // The preamble, the header (or none), a window of 0..4 items, the end marker (or not).
        const i = ri(seed.items.length + 1);
        const k = Math.min(seed.items.length - i, ri(5));
        const parts = [MRD_PREAMBLE, r() < 0.8 ? seed.header : new Uint8Array([0]), ...seed.items.slice(i, i + k)];
        if (r() < 0.9) parts.push(new Uint8Array([0]));
        bytes = Buffer.concat(parts);
        from = P;
      }
      const nMut = ri(4);
      for (let j = 0; j < nMut && bytes.length > from; j++) {
        // Most mutations after the preamble (a wrong preamble is refused at once), biased to the start of units.
        const pos = r() < 0.02 ? ri(bytes.length) : from + (r() < 0.5 ? ri(Math.min(200, bytes.length - from)) : ri(bytes.length - from));
        switch (ri(7)) {
          case 0: bytes[pos] = ri(256); break;
          case 1: bytes[pos] ^= 1 << ri(8); break;
          case 2: for (let q = 0; q < 1 + ri(10) && pos + q < bytes.length; q++) bytes[pos + q] = 0xff; break;
          case 3: bytes[pos] = [0, 1, 2, 21, 22, 127, 128][ri(7)]!; break;
          case 4: bytes = bytes.subarray(0, pos + ri(bytes.length - pos + 1)); break;
          case 5: {
            const n = 1 + ri(8);
            const b = new Uint8Array(bytes.length + n);
            b.set(bytes.subarray(0, pos));
            for (let q = 0; q < n; q++) b[pos + q] = ri(256);
            b.set(bytes.subarray(pos), pos + n);
            bytes = b;
            break;
          }
          case 6: {
            const n = 1 + ri(8);
            const b = new Uint8Array(Math.max(pos, bytes.length - n));
            b.set(bytes.subarray(0, pos));
            b.set(bytes.subarray(pos + n), pos);
            bytes = b;
            break;
          }
        }
      }
      const max = limits[ri(limits.length)]!;
      const out: MrdV2Event[] = [];
      const d = ndjson ? new MrdV2NdjsonDecoder({ maxLineSize: max }) : new MrdV2StreamDecoder({ maxItemSize: max });
      try {
        const mode = ri(3);
        if (mode === 0) d.push(bytes, out);
        else {
          const maxChunk = mode === 1 ? 8 : 5000;
          // The preamble (25 KB, compared byte for byte) mostly in one piece, to spend the cases on items.
          let p = r() < 0.95 ? Math.min(from, bytes.length) : 0;
          if (p > 0) d.push(bytes.subarray(0, p), out);
          while (p < bytes.length) {
            const n = 1 + ri(maxChunk);
            d.push(bytes.subarray(p, p + n), out);
            p += n;
          }
        }
        if (d instanceof MrdV2NdjsonDecoder) d.end(out);
        else d.end();
        ok++;
      } catch (e) {
        if (!(e instanceof MrdProtocolError)) {
          throw new Error(`case ${c} (seed ${SEED}, ${ndjson ? 'NDJSON' : seed.name}, ${bytes.length} bytes): ${(e as Error)?.stack ?? e}`);
        }
        protocolErrors++;
        reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
      }
      if (d instanceof MrdV2StreamDecoder && d.stats.largestAllocation > max + 8) {
        throw new Error(`case ${c} (seed ${SEED}, ${seed.name}): allocated ${d.stats.largestAllocation} bytes with a limit of ${max}`);
      }
      // Work bounded by the input: never more events than bytes (a decoder that loops on a
      // mutated length would show here, or hang the test); no wall-clock assertion.
      if (out.length > bytes.length) throw new Error(`case ${c} (seed ${SEED}): ${out.length} events from ${bytes.length} bytes`);
      for (const e of out) checkEvent(e);
    }
    expect(ok + protocolErrors).toBe(CASES);
    expect(ok).toBeGreaterThan(CASES / 20);
    expect(protocolErrors).toBeGreaterThan(CASES / 20);
    if (CASES >= 10_000) expect(Object.keys(reasons).sort()).toEqual(['invalid-field', 'message-too-large', 'truncated', 'unsupported-message']);
  });
});
