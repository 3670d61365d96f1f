/**
 * JPEG baseline (4.50), JPEG lossless (4.57, 4.70) and JPEG 2000 (4.90, 4.91) pixel data through
 * dicom2mrd's public reading path. The compressed frames are made at test time: JPEG baseline
 * with the encoder libjpeg-turbo's WebAssembly build ships, JPEG 2000 with OpenJPEG's, lossless
 * JPEG with the small process-14 encoder of testing/compressed-frames.ts (no npm package encodes it).
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '@mrd-tools/core/constants';
import { TransferSyntax } from '@mrd-tools/dicom-mapping';
import { readDicomBytes } from './dicom-file.js';
import { convertDicomFolder } from './dicom2mrd.js';
import { e, syntheticMr } from './testing/synthetic-dicom.js';
import { encapsulate, encodeLosslessJpeg, fragments } from './testing/compressed-frames.js';

const require = createRequire(import.meta.url);

interface WasmEncoder {
  getDecodedBuffer(info: { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean; isUsingColorTransform?: boolean }): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  setQuality(...args: (boolean | number)[]): void;
  setProgressive?(progressive: boolean): void;
  setDecompositions?(n: number): void;
  delete(): void;
}
// Emscripten modules: instantiated once each (the options object becomes the module).
let libjpegModule: Promise<{ JPEGEncoder: new () => WasmEncoder }> | undefined;
let openjpegModule: Promise<{ J2KEncoder: new () => WasmEncoder }> | undefined;
const libjpeg = () => (libjpegModule ??= (require('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs') as (m: object) => Promise<{ JPEGEncoder: new () => WasmEncoder }>)({ print: () => {}, printErr: () => {} }));
const openjpeg = () => (openjpegModule ??= (require('@cornerstonejs/codec-openjpeg/wasmjs') as (m: object) => Promise<{ J2KEncoder: new () => WasmEncoder }>)({ print: () => {}, printErr: () => {} }));

const W = 48;
const H = 40;

/** A smooth image with some texture: `bits` wide values, signed around 0 when asked. */
function image(bits: number, signed: boolean, seed = 0, components = 1): number[] {
  const out: number[] = [];
  const max = (1 << bits) - 1;
  for (let s = 0; s < components; s++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = Math.round(max * (0.5 + 0.35 * Math.sin((x + seed * 3 + s * 7) / 6) * Math.cos((y - seed + s * 5) / 9)) + ((x * 7 + y * 13 + seed + s) % 5));
        const c = Math.min(max, Math.max(0, v));
        out.push(signed ? c - (1 << (bits - 1)) : c);
      }
    }
  }
  return out;
}

interface Case { bitsAllocated: number; bitsStored: number; signed: boolean; frames: number; samplesPerPixel?: number; photometric?: string }

/** A synthetic MR file of W x H with the given pixel module, encapsulated. */
function dicomFile(c: Case, ts: string, encodedFrames: Uint8Array[][], offsetTable: boolean): Uint8Array {
  const extra = {
    '00280100': e('US', c.bitsAllocated),
    '00280101': e('US', c.bitsStored),
    '00280102': e('US', c.bitsStored - 1),
    '00280103': e('US', c.signed ? 1 : 0),
    '00280002': e('US', c.samplesPerPixel ?? 1),
    '00280004': e('CS', c.photometric ?? 'MONOCHROME2'),
    ...(c.samplesPerPixel === 3 ? { '00280006': e('US', 0) } : {}),
    ...(c.frames > 1 ? { '00280008': e('IS', String(c.frames)) } : {}),
  };
  const native = syntheticMr({ seriesNumber: 1, instanceNumber: 1, rows: H, cols: W, extra });
  return encapsulate(native, ts, encodedFrames, offsetTable);
}

async function j2k(px: number[], bits: number, signed: boolean, lossy: boolean): Promise<Uint8Array> {
  const oj = await openjpeg();
  const enc = new oj.J2KEncoder();
  try {
    const buf = enc.getDecodedBuffer({ width: W, height: H, bitsPerSample: bits, componentCount: 1, isSigned: signed, isUsingColorTransform: false });
    buf.set(bits <= 8 ? Uint8Array.from(px) : new Uint8Array((signed ? Int16Array.from(px) : Uint16Array.from(px)).buffer));
    enc.setDecompositions!(3); // the default 5 levels need sides of 32 and more
    if (lossy) enc.setQuality(false, 0.1);
    enc.encode();
    return enc.getEncodedBuffer().slice();
  } finally {
    enc.delete();
  }
}

async function baseline(px: number[], components: number, quality: number): Promise<Uint8Array> {
  const lj = await libjpeg();
  const enc = new lj.JPEGEncoder();
  try {
    const buf = enc.getDecodedBuffer({ width: W, height: H, bitsPerSample: 8, componentCount: components, isSigned: false });
    // interleaved samples
    const n = W * H;
    const inter = new Uint8Array(n * components);
    for (let s = 0; s < components; s++) for (let i = 0; i < n; i++) inter[i * components + s] = px[s * n + i]!;
    buf.set(inter);
    enc.setProgressive!(false); // baseline sequential (SOF0), not the default progressive
    enc.setQuality(quality);
    enc.encode();
    return enc.getEncodedBuffer().slice();
  } finally {
    enc.delete();
  }
}

async function read(bytes: Uint8Array) {
  return readDicomBytes('test.dcm', bytes);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('JPEG lossless (1.2.840.10008.1.2.4.57 / .70)', () => {
  it('SV1 (4.70), 16-bit unsigned: exactly the original pixels', async () => {
    const px = image(16, false);
    const d = await read(dicomFile({ bitsAllocated: 16, bitsStored: 16, signed: false, frames: 1 }, TransferSyntax.JPEGLosslessSV1, [[encodeLosslessJpeg(px, W, H, 16, 1)]], true));
    expect(d.transferSyntax).toBe('1.2.840.10008.1.2.4.70');
    expect(d.pixels.dataType).toBe(DataType.USHORT);
    expect(Array.from(d.pixels.frames[0]!)).toEqual(px);
  });

  it('process 14 selection 6 (4.57), signed 12 bits stored in 16: sign-extended, exact', async () => {
    const px = image(12, true);
    const d = await read(dicomFile({ bitsAllocated: 16, bitsStored: 12, signed: true, frames: 1 }, TransferSyntax.JPEGLossless, [[encodeLosslessJpeg(px, W, H, 12, 6)]], false));
    expect(d.pixels.dataType).toBe(DataType.SHORT);
    expect(Math.min(...d.pixels.frames[0]!)).toBeLessThan(0);
    expect(Array.from(d.pixels.frames[0]!)).toEqual(px);
  });

  it('8-bit data (4.70, BitsAllocated 8): widened to 16 bits, exact', async () => {
    const px = image(8, false);
    const d = await read(dicomFile({ bitsAllocated: 8, bitsStored: 8, signed: false, frames: 1 }, TransferSyntax.JPEGLosslessSV1, [[encodeLosslessJpeg(px, W, H, 8, 1)]], false));
    expect(d.pixels.dataType).toBe(DataType.USHORT);
    expect(Array.from(d.pixels.frames[0]!)).toEqual(px);
  });

  it('multi-frame, several fragments per frame with a Basic Offset Table; one frame in three fragments without', async () => {
    const frames = [0, 1, 2].map((k) => image(16, true, k));
    const file = dicomFile({ bitsAllocated: 16, bitsStored: 16, signed: true, frames: 3 }, TransferSyntax.JPEGLosslessSV1,
      frames.map((px) => fragments(encodeLosslessJpeg(px, W, H, 16, 1), 3)), true);
    const d = await read(file);
    expect(d.pixels.frames).toHaveLength(3);
    frames.forEach((px, k) => expect(Array.from(d.pixels.frames[k]!), `frame ${k}`).toEqual(px));
    const one = await read(dicomFile({ bitsAllocated: 16, bitsStored: 16, signed: true, frames: 1 }, TransferSyntax.JPEGLossless,
      [fragments(encodeLosslessJpeg(frames[1]!, W, H, 16, 6), 3)], false));
    expect(Array.from(one.pixels.frames[0]!)).toEqual(frames[1]);
  });

  it('refuses a DCT stream labelled lossless, naming the file', async () => {
    const px = image(8, false);
    const file = dicomFile({ bitsAllocated: 8, bitsStored: 8, signed: false, frames: 1 }, TransferSyntax.JPEGLossless, [[await baseline(px, 1, 90)]], false);
    await expect(read(file)).rejects.toThrow(/test\.dcm.*not a lossless JPEG frame/);
  });
});

describe('JPEG 2000 (1.2.840.10008.1.2.4.90 / .91)', () => {
  it('lossless only (4.90), 16-bit unsigned: exactly the original pixels', async () => {
    const px = image(16, false);
    const d = await read(dicomFile({ bitsAllocated: 16, bitsStored: 16, signed: false, frames: 1 }, TransferSyntax.JPEG2000Lossless, [[await j2k(px, 16, false, false)]], false));
    expect(d.pixels.dataType).toBe(DataType.USHORT);
    expect(Array.from(d.pixels.frames[0]!)).toEqual(px);
  });

  it('lossless (4.90), signed 12 bits stored in 16: exact', async () => {
    const px = image(12, true);
    const d = await read(dicomFile({ bitsAllocated: 16, bitsStored: 12, signed: true, frames: 1 }, TransferSyntax.JPEG2000Lossless, [[await j2k(px, 12, true, false)]], true));
    expect(d.pixels.dataType).toBe(DataType.SHORT);
    expect(Array.from(d.pixels.frames[0]!)).toEqual(px);
  });

  it('lossy (4.91), 16-bit signed: within 16 of the original', async () => {
    const px = image(16, true);
    const d = await read(dicomFile({ bitsAllocated: 16, bitsStored: 16, signed: true, frames: 1 }, TransferSyntax.JPEG2000, [[await j2k(px, 16, true, true)]], false));
    const diff = maxDiff(d.pixels.frames[0]!, px);
    // irreversible 9/7 wavelet, OpenJPEG quality 0.1: measured max difference 1 (of a 65535 range)
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThanOrEqual(16);
  });

  it('multi-frame (4.90): one fragment per frame, empty offset table; converts to one MRD image per frame', async () => {
    const frames = [0, 1].map((k) => image(16, false, k));
    const file = dicomFile({ bitsAllocated: 16, bitsStored: 16, signed: false, frames: 2 }, TransferSyntax.JPEG2000Lossless,
      await Promise.all(frames.map(async (px) => [await j2k(px, 16, false, false)])), false);
    const d = await read(file);
    frames.forEach((px, k) => expect(Array.from(d.pixels.frames[k]!), `frame ${k}`).toEqual(px));
    const dir = mkdtempSync(join(tmpdir(), 'dicom2mrd-j2k-'));
    try {
      writeFileSync(join(dir, 'mf.dcm'), file);
      const r = await convertDicomFolder(dir);
      expect(r.skipped).toEqual([]);
      const images = r.series.flatMap((s) => s.images);
      expect(images).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JPEG baseline (1.2.840.10008.1.2.4.50)', () => {
  it('8-bit monochrome: within a stated tolerance of the original', async () => {
    const px = image(8, false);
    const d = await read(dicomFile({ bitsAllocated: 8, bitsStored: 8, signed: false, frames: 1 }, TransferSyntax.JPEGBaseline, [[await baseline(px, 1, 95)]], false));
    expect(d.pixels.dataType).toBe(DataType.USHORT);
    // libjpeg-turbo quality 95: measured max difference 4 grey levels
    expect(maxDiff(d.pixels.frames[0]!, px)).toBeLessThanOrEqual(8);
  });

  it('YBR_FULL_422 colour, two frames with an offset table: RGB planes within a stated tolerance', async () => {
    const frames = [0, 1].map((k) => image(8, false, k, 3));
    const file = dicomFile({ bitsAllocated: 8, bitsStored: 8, signed: false, frames: 2, samplesPerPixel: 3, photometric: 'YBR_FULL_422' }, TransferSyntax.JPEGBaseline,
      await Promise.all(frames.map(async (px) => [await baseline(px, 3, 95)])), true);
    const d = await read(file);
    expect(d.pixels.frames).toHaveLength(2);
    // planar [3][rows][cols] RGB; chroma subsampling and quantisation at quality 95: measured max
    // difference 8 in both frames (unconverted YCbCr or a wrong layout would be off by ~100)
    frames.forEach((px, k) => expect(maxDiff(d.pixels.frames[k]!, px), `frame ${k}`).toBeLessThanOrEqual(16));
  });

  it('JPEG Extended (4.51) is still refused with the named error (no maintained 12-bit decoder)', async () => {
    const px = image(8, false);
    const file = dicomFile({ bitsAllocated: 8, bitsStored: 8, signed: false, frames: 1 }, TransferSyntax.JPEGExtended, [[await baseline(px, 1, 90)]], false);
    await expect(read(file)).rejects.toThrow(/unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.51 \(JPEG Extended\)/);
  });
});
