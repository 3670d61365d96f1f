/**
 * Test helpers for compressed transfer syntaxes: encapsulating compressed frames into a DICOM
 * file (PS3.5 A.4), and a minimal lossless JPEG (ITU T.81 process 14) encoder.
 *
 * No maintained npm package encodes lossless JPEG (the decoders exist, the encoders are C
 * programs such as dcmcjpeg), so the unit tests build their 4.57 / 4.70 streams here: one
 * component, one fixed Huffman table (every difference category 0..16 a 5-bit code), straight
 * from the standard's prediction and coding rules. It is test-only; production decoding uses
 * `jpeg-lossless-decoder-js`, and the interop suite checks it against dcmtk's own encoder.
 */
import dicomParser from 'dicom-parser';

function u16le(v: number): number[] { return [v & 0xff, (v >> 8) & 0xff]; }
function u32le(v: number): number[] { return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]; }

function uiElement(group: number, element: number, uid: string): number[] {
  const v = Array.from(Buffer.from(uid.length % 2 ? uid + '\0' : uid, 'latin1'));
  return [...u16le(group), ...u16le(element), 0x55, 0x49, ...u16le(v.length), ...v];
}

/**
 * Rewrites a native explicit VR little endian file (as `syntheticMr` writes it, Pixel Data last)
 * with the given transfer syntax and encapsulated Pixel Data: `frames[k]` are the fragments of
 * frame k; `offsetTable` fills the Basic Offset Table (else it is empty). Odd fragments are padded.
 */
export function encapsulate(nativeFile: Uint8Array, transferSyntax: string, frames: Uint8Array[][], offsetTable: boolean): Uint8Array {
  const meta = dicomParser.readPart10Header(nativeFile);
  let metaEnd = 0;
  for (const el of Object.values(meta.elements)) metaEnd = Math.max(metaEnd, el.dataOffset + el.length);
  const ds = dicomParser.parseDicom(nativeFile);
  const px = ds.elements.x7fe00010!;
  const pixelStart = px.dataOffset - 12; // explicit VR OB/OW: tag, VR, reserved, 32-bit length
  const sopClass = meta.string('x00020002')!;
  const sopInstance = meta.string('x00020003')!;
  const metaBody = [
    ...u16le(2), ...u16le(1), 0x4f, 0x42, 0, 0, ...u32le(2), 0, 1,
    ...uiElement(2, 2, sopClass), ...uiElement(2, 3, sopInstance), ...uiElement(2, 0x10, transferSyntax),
    ...uiElement(2, 0x12, '1.2.3.4.5.6'),
  ];
  const head = [...new Uint8Array(128), 0x44, 0x49, 0x43, 0x4d, ...u16le(2), ...u16le(0), 0x55, 0x4c, ...u16le(4), ...u32le(metaBody.length), ...metaBody];
  const items: number[] = [];
  const offsets: number[] = [];
  for (const fragments of frames) {
    offsets.push(items.length);
    for (const f of fragments) {
      const len = f.length + (f.length % 2);
      items.push(0xfe, 0xff, 0x00, 0xe0, ...u32le(len), ...f);
      if (f.length % 2) items.push(0);
    }
  }
  const bot = offsetTable ? offsets.flatMap(u32le) : [];
  const pixel = [
    0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff,
    0xfe, 0xff, 0x00, 0xe0, ...u32le(bot.length), ...bot,
    ...items,
    0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0,
  ];
  const body = nativeFile.subarray(metaEnd, pixelStart);
  const out = new Uint8Array(head.length + body.length + pixel.length);
  out.set(head, 0);
  out.set(body, head.length);
  out.set(pixel, head.length + body.length);
  return out;
}

/** Splits a compressed frame into `n` fragments of even length (the last takes the rest). */
export function fragments(frame: Uint8Array, n: number): Uint8Array[] {
  const size = Math.max(2, Math.floor(frame.length / n / 2) * 2);
  const out: Uint8Array[] = [];
  for (let k = 0; k < n; k++) out.push(frame.subarray(k * size, k === n - 1 ? frame.length : (k + 1) * size));
  return out;
}

/**
 * Lossless JPEG (SOF3, one component) of `samples` (the low `precision` bits of each are coded)
 * with predictor `selection` (1..7).
 */
export function encodeLosslessJpeg(samples: ArrayLike<number>, width: number, height: number, precision: number, selection: number): Uint8Array {
  const mask = (1 << precision) - 1;
  const x = (i: number) => samples[i]! & mask;
  const out: number[] = [0xff, 0xd8];
  // SOF3: precision, lines, samples per line, one component (id 1, 1x1 sampling, no quantisation)
  out.push(0xff, 0xc3, 0, 11, precision, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0);
  // DHT: DC table 0, 17 codes of 5 bits for categories 0..16 (canonical codes 0..16)
  const bits = new Array(16).fill(0);
  bits[4] = 17;
  out.push(0xff, 0xc4, 0, 2 + 1 + 16 + 17, 0x00, ...bits, ...Array.from({ length: 17 }, (_, i) => i));
  // SOS: one component, table 0, Ss = predictor, Se = 0, Ah/Al = 0 (no point transform)
  out.push(0xff, 0xda, 0, 8, 1, 1, 0x00, selection, 0, 0);
  let acc = 0;
  let nacc = 0;
  const put = (value: number, n: number) => {
    for (let b = n - 1; b >= 0; b--) {
      acc = (acc << 1) | ((value >> b) & 1);
      if (++nacc === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0); // byte stuffing
        acc = 0;
        nacc = 0;
      }
    }
  };
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      let pred: number;
      if (r === 0 && c === 0) pred = 1 << (precision - 1);
      else if (r === 0) pred = x(i - 1);
      else if (c === 0) pred = x(i - width);
      else {
        const ra = x(i - 1), rb = x(i - width), rc = x(i - width - 1);
        switch (selection) {
          case 1: pred = ra; break;
          case 2: pred = rb; break;
          case 3: pred = rc; break;
          case 4: pred = ra + rb - rc; break;
          case 5: pred = ra + ((rb - rc) >> 1); break;
          case 6: pred = rb + ((ra - rc) >> 1); break;
          default: pred = (ra + rb) >> 1;
        }
      }
      let d = (x(i) - pred) & 0xffff; // differences are modulo 2^16 (T.81 H.1.2.1)
      if (d > 32768) d -= 65536;
      if (d === 32768) { put(16, 5); continue; } // category 16: no extra bits
      const mag = Math.abs(d);
      const s = mag === 0 ? 0 : 32 - Math.clz32(mag);
      put(s, 5);
      if (s > 0) put(d > 0 ? d : (d - 1) & ((1 << s) - 1), s);
    }
  }
  if (nacc > 0) put(0x7f, 8 - nacc); // pad with 1-bits
  out.push(0xff, 0xd9);
  return new Uint8Array(out);
}
