/**
 * Pixel data of one DICOM image (all frames) as MRD-ready typed arrays.
 *
 * Transfer syntaxes: implicit and explicit VR little endian (deflated data sets are inflated
 * before, see dicom-file.ts), explicit VR big
 * endian (byte-swapped here: dcmjs leaves OW pixel data in file order), RLE lossless (decoded
 * by the maintained `dicom-rle` package) and JPEG-LS lossless / near-lossless (CharLS compiled to
 * WebAssembly, `@cornerstonejs/codec-charls`). Anything else is refused with a named error.
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
import { DataType } from '@mrd-tools/core';
import { TransferSyntax } from '@mrd-tools/core';

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

export class PixelDataError extends Error {}

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
    ts === TransferSyntax.JPEGLSNearLossless
  );
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
  if (d.samplesPerPixel !== 1 && !(d.samplesPerPixel === 3 && d.photometricInterpretation === 'RGB')) {
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
