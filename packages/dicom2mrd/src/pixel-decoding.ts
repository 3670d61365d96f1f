/**
 * Pixel data of one DICOM image (all frames) as MRD-ready typed arrays.
 *
 * Transfer syntaxes and what decodes them (all codecs are maintained npm packages, loaded on
 * demand with createRequire, WebAssembly ones compiled once per process):
 * - implicit and explicit VR little endian (deflated data sets are inflated before, see
 *   dicom-file.ts) and explicit VR big endian (byte-swapped here: dcmjs leaves OW pixel data in
 *   file order): no codec;
 * - RLE lossless (1.2.840.10008.1.2.5): `dicom-rle`;
 * - JPEG-LS lossless / near-lossless (1.2.840.10008.1.2.4.80/.81): CharLS compiled to
 *   WebAssembly, `@cornerstonejs/codec-charls`;
 * - JPEG Baseline (1.2.840.10008.1.2.4.50, 8-bit lossy): libjpeg-turbo compiled to WebAssembly,
 *   `@cornerstonejs/codec-libjpeg-turbo-8bit` (YBR_FULL_422 / YBR_FULL colour comes out as RGB);
 * - JPEG Lossless non-hierarchical (1.2.840.10008.1.2.4.57) and its first-order prediction SV1
 *   (1.2.840.10008.1.2.4.70): `jpeg-lossless-decoder-js` (2 to 16 bits);
 * - JPEG 2000 lossless only and JPEG 2000 (1.2.840.10008.1.2.4.90/.91): OpenJPEG compiled to
 *   WebAssembly, `@cornerstonejs/codec-openjpeg` (YBR_RCT / YBR_ICT colour comes out as RGB).
 * JPEG Extended (1.2.840.10008.1.2.4.51, 12-bit lossy) is NOT decoded: no maintained npm
 * package decodes 12-bit lossy JPEG (libjpeg-turbo-8bit refuses it, jpeg-js clips it to 8 bits),
 * so such files, like any other syntax, are refused with a named error.
 *
 * Native pixel values are kept exactly as stored (bits above HighBit untouched), so writing them
 * back gives the same Pixel Data. Decoded compressed frames of signed data with BitsStored <
 * BitsAllocated are sign-extended (the codecs return the low BitsStored bits).
 *
 * Result layout matches MRD `[channels][z][y][x]`: monochrome frames are `[rows][cols]`, colour
 * (SamplesPerPixel 3, RGB) frames are planar `[3][rows][cols]` whatever the PlanarConfiguration.
 * 8-bit samples are widened to 16 bits (MRD has no 8-bit type).
 */
import { createRequire } from 'node:module';
import { DataType } from '@mrd-tools/core/constants';
import { TransferSyntax } from '@mrd-tools/dicom-mapping';

const require = createRequire(import.meta.url);

export type FramePixels = Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface PixelDescription {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometricInterpretation: string;
  numberOfFrames: number;
}

export interface DecodedPixels {
  dataType: number;
  frames: FramePixels[];
}

class PixelDataError extends Error {}

/** The syntaxes decoded frame by frame through frameDecoder, with their names for messages. */
const JPEG_FAMILY_LABEL = new Map<string, string>([
  [TransferSyntax.JPEGBaseline, 'JPEG baseline'],
  [TransferSyntax.JPEGLossless, 'JPEG lossless'],
  [TransferSyntax.JPEGLosslessSV1, 'JPEG lossless'],
  [TransferSyntax.JPEG2000Lossless, 'JPEG 2000'],
  [TransferSyntax.JPEG2000, 'JPEG 2000'],
]);

interface CharlsModule {
  JpegLSDecoder: new () => {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getDecodedBuffer(): Uint8Array;
    getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
    getInterleaveMode?(): number;
    delete(): void;
  };
}

let charlsPromise: Promise<CharlsModule> | undefined;
function charls(): Promise<CharlsModule> {
  if (!charlsPromise) {
    const factory = require('@cornerstonejs/codec-charls/decodewasmjs') as () => Promise<CharlsModule>;
    charlsPromise = factory();
  }
  return charlsPromise;
}

/** The Emscripten codec classes of the cornerstone codec builds share this shape. */
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  delete(): void;
}

// Emscripten modules print codec chatter (OpenJPEG: "[INFO] Main header has been correctly
// decoded.") to the console unless told otherwise; errors surface as exceptions. The object
// becomes the module itself, so each module gets its own.
const quiet = () => ({ print: () => {}, printErr: () => {} });

let libjpegPromise: Promise<{ JPEGDecoder: new () => WasmDecoder }> | undefined;
function libjpegTurbo() {
  if (!libjpegPromise) {
    const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs') as (m: object) => Promise<{ JPEGDecoder: new () => WasmDecoder }>;
    libjpegPromise = factory(quiet());
  }
  return libjpegPromise;
}

let openjpegPromise: Promise<{ J2KDecoder: new () => WasmDecoder }> | undefined;
function openjpeg() {
  if (!openjpegPromise) {
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (m: object) => Promise<{ J2KDecoder: new () => WasmDecoder }>;
    openjpegPromise = factory(quiet());
  }
  return openjpegPromise;
}

interface LosslessJpegDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number): Uint8Array | Uint16Array;
  numComp: number;
  xDim: number;
  yDim: number;
  precision?: number;
}
let losslessJpegModule: { Decoder: new () => LosslessJpegDecoder } | undefined;
function losslessJpeg() {
  if (!losslessJpegModule) losslessJpegModule = require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessJpegDecoder };
  return losslessJpegModule;
}

let rleDecoder: { decode(data: Uint8Array, attrs: Record<string, number>): Uint8Array } | undefined;
function rle() {
  if (!rleDecoder) {
    const mod = require('dicom-rle') as { RleDecoder: new () => NonNullable<typeof rleDecoder> };
    rleDecoder = new mod.RleDecoder();
  }
  return rleDecoder;
}

/** Whether pixel data in this transfer syntax can be decoded here. */
export function isSupportedTransferSyntax(ts: string): boolean {
  return (
    ts === TransferSyntax.ImplicitVRLittleEndian ||
    ts === TransferSyntax.ExplicitVRLittleEndian ||
    ts === TransferSyntax.ExplicitVRBigEndian ||
    ts === TransferSyntax.RLELossless ||
    ts === TransferSyntax.JPEGLSLossless ||
    ts === TransferSyntax.JPEGLSNearLossless ||
    JPEG_FAMILY_LABEL.has(ts)
  );
}

/** Photometric interpretations of 3-sample data the codec of this syntax returns as RGB. */
function rgbFromCodec(ts: string, photometric: string): boolean {
  if (photometric === 'RGB') return true;
  if (ts === TransferSyntax.JPEGBaseline) return photometric === 'YBR_FULL_422' || photometric === 'YBR_FULL';
  if (ts === TransferSyntax.JPEG2000Lossless || ts === TransferSyntax.JPEG2000) return photometric === 'YBR_RCT' || photometric === 'YBR_ICT';
  return false;
}

/**
 * The start-of-frame marker of a JPEG stream (0xC0..0xCF except DHT/JPG/DAC), read from the
 * marker segment lengths; undefined when there is none before the first scan.
 */
function jpegFrameMarker(b: Uint8Array): number | undefined {
  if (b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const m = b[i + 1]!;
    if (m === 0xff) { i++; continue; } // fill byte
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return m;
    if (m === 0xda || m === 0xd9) return undefined;
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return undefined;
}

/** One decoded frame as a codec returns it: little-endian samples, interleaved unless planar. */
interface CodecFrame {
  bytes: Uint8Array;
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  planar: boolean;
}

async function frameDecoder(ts: string): Promise<(enc: Uint8Array) => CodecFrame> {
  const wasm = (Decoder: new () => WasmDecoder) => (enc: Uint8Array): CodecFrame => {
    const decoder = new Decoder();
    try {
      decoder.getEncodedBuffer(enc.length).set(enc);
      decoder.decode();
      const info = decoder.getFrameInfo();
      // copied out of the WebAssembly heap before delete() frees it
      const bytes = decoder.getDecodedBuffer().slice();
      return { bytes, width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, planar: false };
    } catch (e) {
      // Emscripten C++ exceptions arrive as bare numbers (pointers)
      throw typeof e === 'number' ? new PixelDataError(`the codec failed on a frame (exception ${e})`) : e;
    } finally {
      decoder.delete();
    }
  };
  if (ts === TransferSyntax.JPEGBaseline) {
    const decodeFrame = wasm((await libjpegTurbo()).JPEGDecoder);
    return (enc) => {
      const sof = jpegFrameMarker(enc);
      if (sof !== 0xc0 && sof !== 0xc1) throw new PixelDataError(`not a baseline JPEG frame (start of frame marker ${sof === undefined ? 'missing' : `0xFF${sof.toString(16).toUpperCase()}`})`);
      return decodeFrame(enc);
    };
  }
  if (ts === TransferSyntax.JPEG2000Lossless || ts === TransferSyntax.JPEG2000) return wasm((await openjpeg()).J2KDecoder);
  // JPEG lossless (process 14, any selection value for 4.57, selection value 1 for 4.70)
  const { Decoder } = losslessJpeg();
  return (enc) => {
    const sof = jpegFrameMarker(enc);
    // the decoder accepts any SOF0..SOF7 and would read a DCT stream as garbage: only SOF3 here
    if (sof !== 0xc3) throw new PixelDataError(`not a lossless JPEG frame (start of frame marker ${sof === undefined ? 'missing' : `0xFF${sof.toString(16).toUpperCase()}`})`);
    const decoder = new Decoder();
    const ab = enc.buffer.slice(enc.byteOffset, enc.byteOffset + enc.byteLength) as ArrayBuffer;
    const out = decoder.decode(ab, 0, ab.byteLength);
    const precision = decoder.precision ?? 16;
    return {
      bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
      width: decoder.xDim, height: decoder.yDim, components: decoder.numComp, bitsPerSample: precision, planar: false,
    };
  };
}

function outputType(d: PixelDescription): number {
  const signed = d.pixelRepresentation === 1;
  if (d.bitsAllocated === 8 || d.bitsAllocated === 16) return signed ? DataType.SHORT : DataType.USHORT;
  if (d.bitsAllocated === 32) return signed ? DataType.INT : DataType.UINT;
  throw new PixelDataError(`unsupported BitsAllocated ${d.bitsAllocated}`);
}

function allocate(dataType: number, n: number): FramePixels {
  switch (dataType) {
    case DataType.USHORT: return new Uint16Array(n);
    case DataType.SHORT: return new Int16Array(n);
    case DataType.UINT: return new Uint32Array(n);
    case DataType.INT: return new Int32Array(n);
    default: throw new PixelDataError(`unsupported output type ${dataType}`);
  }
}

/**
 * Little-endian sample bytes of one frame (`[rows][cols][samples]` interleaved or planar as
 * `planar` says) to the MRD planar layout.
 */
function samplesToFrame(bytes: Uint8Array, d: PixelDescription, planar: boolean, dataType: number, bigEndian = false): FramePixels {
  const n = d.rows * d.columns;
  const spp = d.samplesPerPixel;
  const bps = d.bitsAllocated / 8;
  if (bytes.byteLength < n * spp * bps) {
    throw new PixelDataError(`pixel data too short: ${bytes.byteLength} bytes for ${d.rows}x${d.columns}x${spp} samples of ${d.bitsAllocated} bits`);
  }
  const out = allocate(dataType, n * spp);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = !bigEndian;
  const signed = d.pixelRepresentation === 1;
  for (let s = 0; s < spp; s++) {
    for (let i = 0; i < n; i++) {
      const src = planar ? s * n + i : i * spp + s;
      let v: number;
      if (bps === 1) v = signed ? view.getInt8(src) : view.getUint8(src);
      else if (bps === 2) v = signed ? view.getInt16(src * 2, le) : view.getUint16(src * 2, le);
      else v = signed ? view.getInt32(src * 4, le) : view.getUint32(src * 4, le);
      out[s * n + i] = v;
    }
  }
  return out;
}

/** Fast path: little-endian 16-bit monochrome, a straight copy. */
function copy16(bytes: Uint8Array, n: number, signed: boolean): FramePixels {
  const copyBuf = new Uint8Array(n * 2);
  copyBuf.set(bytes.subarray(0, n * 2));
  return signed ? new Int16Array(copyBuf.buffer) : new Uint16Array(copyBuf.buffer);
}

function signExtend(frame: FramePixels, bitsStored: number): void {
  const shift = (frame.BYTES_PER_ELEMENT === 2 ? 16 : 32) - bitsStored;
  if (shift <= 0) return;
  if (frame instanceof Int16Array) {
    for (let i = 0; i < frame.length; i++) frame[i] = ((frame[i]! << (16 + shift)) >> (16 + shift));
  } else if (frame instanceof Int32Array) {
    for (let i = 0; i < frame.length; i++) frame[i] = (frame[i]! << shift) >> shift;
  }
}

function toBytes(b: ArrayBuffer | ArrayBuffer[] | Uint8Array): Uint8Array {
  if (Array.isArray(b)) {
    const total = b.reduce((a, x) => a + x.byteLength, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const x of b) { out.set(new Uint8Array(x), o); o += x.byteLength; }
    return out;
  }
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

/**
 * The encapsulated fragments (as dcmjs returns them: one per frame when there is a Basic
 * Offset Table, else one per fragment) grouped into one byte array per frame.
 */
function encapsulatedFrames(value: unknown[], numberOfFrames: number): Uint8Array[] {
  const items = value.map((v) => toBytes(v as ArrayBuffer | ArrayBuffer[]));
  if (items.length === numberOfFrames) return items;
  if (numberOfFrames === 1) return [toBytes(items.map((x) => x.slice().buffer))];
  throw new PixelDataError(`${items.length} pixel data fragments for ${numberOfFrames} frames and no offset table`);
}

/** Decodes every frame of the pixel data element value (as dcmjs read it). */
export async function decodePixelData(value: unknown[], transferSyntax: string, d: PixelDescription): Promise<DecodedPixels> {
  if (d.samplesPerPixel !== 1 && !(d.samplesPerPixel === 3 && rgbFromCodec(transferSyntax, d.photometricInterpretation))) {
    throw new PixelDataError(`unsupported photometric interpretation ${d.photometricInterpretation} with ${d.samplesPerPixel} samples per pixel`);
  }
  if (!isSupportedTransferSyntax(transferSyntax)) throw new PixelDataError(`unsupported transfer syntax ${transferSyntax}`);
  const dataType = outputType(d);
  const frameSamples = d.rows * d.columns * d.samplesPerPixel;
  const frameBytes = (frameSamples * d.bitsAllocated) / 8;
  const frames: FramePixels[] = [];
  const signed = d.pixelRepresentation === 1;

  if (transferSyntax === TransferSyntax.RLELossless) {
    for (const enc of encapsulatedFrames(value, d.numberOfFrames)) {
      // dicom-rle returns little-endian samples, planar for colour (RLE segments are per plane).
      const dec = rle().decode(enc, {
        width: d.columns, height: d.rows, bitsAllocated: d.bitsAllocated, samplesPerPixel: d.samplesPerPixel,
        planarConfiguration: d.planarConfiguration,
      });
      const f = samplesToFrame(dec, d, d.samplesPerPixel > 1 && d.planarConfiguration === 1, dataType);
      if (signed && d.bitsStored < d.bitsAllocated) signExtend(f, d.bitsStored);
      frames.push(f);
    }
    return { dataType, frames };
  }
  if (transferSyntax === TransferSyntax.JPEGLSLossless || transferSyntax === TransferSyntax.JPEGLSNearLossless) {
    const cl = await charls();
    for (const enc of encapsulatedFrames(value, d.numberOfFrames)) {
      const decoder = new cl.JpegLSDecoder();
      try {
        decoder.getEncodedBuffer(enc.length).set(enc);
        decoder.decode();
        const info = decoder.getFrameInfo();
        if (info.width !== d.columns || info.height !== d.rows || info.componentCount !== d.samplesPerPixel) {
          throw new PixelDataError(`JPEG-LS frame is ${info.width}x${info.height}x${info.componentCount}, header says ${d.columns}x${d.rows}x${d.samplesPerPixel}`);
        }
        const out = decoder.getDecodedBuffer();
        // CharLS returns 8-bit samples for <= 8 bits per sample, else 16-bit little endian.
        const dec = { ...d, bitsAllocated: info.bitsPerSample <= 8 ? 8 : 16 };
        const interleaveMode = decoder.getInterleaveMode ? decoder.getInterleaveMode() : 1;
        const f = samplesToFrame(out, dec, d.samplesPerPixel > 1 && interleaveMode === 0, dataType);
        if (signed && d.bitsStored < (dataType === DataType.SHORT ? 16 : 32)) signExtend(f, d.bitsStored);
        frames.push(f);
      } finally {
        decoder.delete();
      }
    }
    return { dataType, frames };
  }

  const label = JPEG_FAMILY_LABEL.get(transferSyntax);
  if (label !== undefined) {
    const decodeFrame = await frameDecoder(transferSyntax);
    for (const enc of encapsulatedFrames(value, d.numberOfFrames)) {
      const fr = decodeFrame(enc);
      if (fr.width !== d.columns || fr.height !== d.rows || fr.components !== d.samplesPerPixel) {
        throw new PixelDataError(`${label} frame is ${fr.width}x${fr.height}x${fr.components}, header says ${d.columns}x${d.rows}x${d.samplesPerPixel}`);
      }
      // 8-bit samples for <= 8 bits per sample, else 16-bit little endian (the codecs' output).
      const dec = { ...d, bitsAllocated: fr.bitsPerSample <= 8 ? 8 : 16 };
      if (dec.bitsAllocated > d.bitsAllocated) throw new PixelDataError(`${fr.bitsPerSample}-bit samples in a frame of BitsAllocated ${d.bitsAllocated}`);
      const f = samplesToFrame(fr.bytes, dec, d.samplesPerPixel > 1 && fr.planar, dataType);
      if (signed && d.bitsStored < (dataType === DataType.SHORT ? 16 : 32)) signExtend(f, d.bitsStored);
      frames.push(f);
    }
    return { dataType, frames };
  }

  // Native
  const bytes = toBytes(value as ArrayBuffer[]);
  if (bytes.byteLength < frameBytes * d.numberOfFrames) {
    throw new PixelDataError(`pixel data is ${bytes.byteLength} bytes, ${frameBytes * d.numberOfFrames} expected (${d.numberOfFrames} frame(s) of ${d.rows}x${d.columns}x${d.samplesPerPixel}, ${d.bitsAllocated} bits)`);
  }
  const bigEndian = transferSyntax === TransferSyntax.ExplicitVRBigEndian;
  for (let k = 0; k < d.numberOfFrames; k++) {
    const fb = bytes.subarray(k * frameBytes, (k + 1) * frameBytes);
    if (!bigEndian && d.bitsAllocated === 16 && d.samplesPerPixel === 1) frames.push(copy16(fb, frameSamples, signed));
    else frames.push(samplesToFrame(fb, d, d.samplesPerPixel > 1 && d.planarConfiguration === 1, dataType, bigEndian && d.bitsAllocated > 8));
  }
  return { dataType, frames };
}
