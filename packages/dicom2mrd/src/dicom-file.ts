/**
 * Reading one DICOM file: structure check (dicom-parser, which refuses truncated data that dcmjs
 * would silently zero-fill), dataset in the DICOM JSON model (dcmjs), decoded pixel data.
 */
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DcmjsDataset, DcmjsElement } from 'dcmjs';
import { BINARY_VRS, Tag, TransferSyntax, numberValue, stringValue, type DicomJsonDataset, type DicomJsonElement, type DicomJsonValue } from '@mrd-tools/dicom-mapping';
import { dcmjsData } from './dcmjs-runtime.js';
import { decodePixelData, isSupportedTransferSyntax, type DecodedPixels, type PixelDescription } from './pixel-decoding.js';

const TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
};

const EXPLICIT_LE_VALUE = new TextEncoder().encode('1.2.840.10008.1.2.1\0');

/**
 * Deflated Explicit VR Little Endian: the data set after the file meta group is a raw deflate
 * stream (PS3.5 A.5). Inflates it (node:zlib) and rewrites the meta group's TransferSyntaxUID to
 * explicit VR little endian (element and group lengths adjusted), so the rest reads it as such.
 */
function inflateDataset(bytes: Uint8Array): Uint8Array {
  const meta = dicomParser.readPart10Header(bytes);
  let end = 0;
  for (const el of Object.values(meta.elements)) end = Math.max(end, el.dataOffset + el.length);
  const ts = meta.elements.x00020010;
  if (!ts) throw new Error('no TransferSyntaxUID');
  const inflated = inflateRawSync(bytes.subarray(end));
  const delta = EXPLICIT_LE_VALUE.length - ts.length;
  const out = new Uint8Array(end + delta + inflated.length);
  out.set(bytes.subarray(0, ts.dataOffset), 0);
  new DataView(out.buffer).setUint16(ts.dataOffset - 2, EXPLICIT_LE_VALUE.length, true);
  out.set(EXPLICIT_LE_VALUE, ts.dataOffset);
  out.set(bytes.subarray(ts.dataOffset + ts.length, end), ts.dataOffset + EXPLICIT_LE_VALUE.length);
  out.set(inflated, end + delta);
  const gl = meta.elements.x00020000;
  if (gl && gl.dataOffset < ts.dataOffset) {
    const v = new DataView(out.buffer);
    v.setUint32(gl.dataOffset, v.getUint32(gl.dataOffset, true) + delta, true);
  }
  return out;
}

/** The TransferSyntaxUID of the file meta group (read with dicom-parser), if any. */
function declaredTransferSyntax(bytes: Uint8Array): string | undefined {
  try {
    const meta = dicomParser.readPart10Header(bytes);
    return meta.string('x00020010')?.replace(/\0/g, '').trim();
  } catch {
    return undefined;
  }
}

/** A file that could not be read as DICOM; the message names the file and the reason. */
export class DicomReadError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
  }
}

export interface DicomFile {
  path: string;
  transferSyntax: string;
  /** The dataset (no file meta group, no pixel data) in the DICOM JSON model. */
  dataset: DicomJsonDataset;
  pixels: DecodedPixels;
  description: PixelDescription;
  /** Set when the pixels were dropped to bound memory (they are read again when needed). */
  released?: boolean;
}

const PIXEL_TAGS = new Set<string>([Tag.PixelData, Tag.FloatPixelData, Tag.DoubleFloatPixelData]);

/** Whether the bytes start with the 128-byte preamble and `DICM`. */
function hasDicomPreamble(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** Whether the bytes start with a file meta element (0002,gggg) in explicit VR little endian. */
function startsWithFileMeta(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x02 && bytes[1] === 0x00 && bytes[3] === 0x00 && /^[A-Z]{2}$/.test(String.fromCharCode(bytes[4]!, bytes[5]!));
}

function withPreamble(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 132);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(bytes, 132);
  return out;
}

function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k]!;
  }
  return out;
}

const SWAP_WIDTH: Record<string, number> = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

function binaryToBase64(value: unknown[], vr: string, bigEndian: boolean): string | undefined {
  const parts = value.filter((v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v)) as (ArrayBuffer | Uint8Array)[];
  if (parts.length === 0) return undefined;
  const chunks = parts.map((p) => (p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
  let bytes = chunks.length === 1 ? chunks[0]! : Uint8Array.from(chunks.flatMap((c) => Array.from(c)));
  const w = SWAP_WIDTH[vr];
  if (bigEndian && w) bytes = swapBytes(bytes, w);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function atToHex(v: unknown): string {
  if (typeof v === 'number') return (v >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return String(v).replace(/[^0-9a-fA-F]/g, '').toUpperCase().padStart(8, '0');
}

/** One dcmjs element in the DICOM JSON model. */
function elementToJson(tag: string, el: DcmjsElement, bigEndian: boolean): DicomJsonElement {
  const vr = el.vr;
  const out: DicomJsonElement = { vr };
  const value = el.Value ?? [];
  if (BINARY_VRS.has(vr)) {
    const b64 = binaryToBase64(value, vr, bigEndian);
    if (b64 !== undefined && b64.length > 0) out.InlineBinary = b64;
    return out;
  }
  if (vr === 'SQ') {
    const items = value.map((item) => datasetToJson(item as DcmjsDataset, bigEndian));
    if (items.length > 0) out.Value = items;
    return out;
  }
  let vals: DicomJsonValue[];
  if (tag === Tag.SpecificCharacterSet && el._rawValue !== undefined) {
    // dcmjs rewrites this to ISO_IR 192 (it decodes text to Unicode); keep what the file said.
    const raw = el._rawValue;
    vals = (Array.isArray(raw) ? raw : String(raw).split('\\')).map((s) => String(s).trim());
  } else if (vr === 'AT') {
    vals = value.map(atToHex);
  } else if (vr === 'PN') {
    vals = value.map((v) => {
      if (v === null || v === undefined || v === '') return null;
      if (typeof v === 'string') return { Alphabetic: v };
      const o = v as Record<string, unknown>;
      const pn: Record<string, string> = {};
      for (const k of ['Alphabetic', 'Ideographic', 'Phonetic']) if (typeof o[k] === 'string' && o[k] !== '') pn[k] = o[k] as string;
      return Object.keys(pn).length ? pn : null;
    });
  } else if ((vr === 'DS' || vr === 'IS') && Array.isArray(el._rawValue) && el._rawValue.length === value.length) {
    // JSON numbers as pydicom writes them, except where the number would not give back the text
    // as stored (e.g. "80.0000", "1.2e+00"): those stay strings (CP 1861 allows DS/IS as JSON
    // strings; pydicom reads both), so the round trip keeps every value exactly.
    vals = (el._rawValue as unknown[]).map((v) => {
      const t = v === null || v === undefined ? '' : String(v).trim();
      if (t === '') return null;
      const n = Number(t);
      return Number.isFinite(n) && String(n) === t ? n : t;
    });
  } else if (vr === 'DS' || vr === 'IS') {
    vals = value.map((v) => {
      if (v === null || v === undefined || v === '') return null;
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      return Number.isFinite(n) ? n : String(v);
    });
  } else {
    vals = value.map((v) => (v === undefined || v === '' ? null : (v as DicomJsonValue)));
  }
  if (vals.length > 0 && !(vals.length === 1 && vals[0] === null)) out.Value = vals;
  return out;
}

/** A dcmjs dataset (dict) in the DICOM JSON model, without pixel data. */
function datasetToJson(dict: DcmjsDataset, bigEndian = false): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const tag of Object.keys(dict).sort()) {
    const t = tag.toUpperCase();
    if (PIXEL_TAGS.has(t)) continue;
    out[t] = elementToJson(t, dict[tag]!, bigEndian);
  }
  return out;
}

/** Tags whose VR is US or SS by PixelRepresentation ("xs"); implicit VR files cannot say which. */
const XS_TAGS = ['00280104', '00280105', '00280106', '00280107', '00280108', '00280109', '00280110', '00280111', '00280120', '00280121'];

/** In an implicit VR dataset, types the "US or SS" elements by PixelRepresentation (dcmjs reads them as US). */
function resolveUsOrSs(ds: DicomJsonDataset): void {
  if (numberValue(ds, Tag.PixelRepresentation) !== 1) return;
  for (const t of XS_TAGS) {
    const e = ds[t];
    if (e?.vr !== 'US') continue;
    ds[t] = { vr: 'SS', ...(e.Value ? { Value: e.Value.map((v) => (typeof v === 'number' && v > 32767 ? v - 65536 : v)) } : {}) };
  }
}

function pixelDescription(ds: DicomJsonDataset): PixelDescription {
  const rows = numberValue(ds, Tag.Rows);
  const columns = numberValue(ds, Tag.Columns);
  const bitsAllocated = numberValue(ds, Tag.BitsAllocated);
  if (!rows || !columns) throw new Error('no Rows/Columns');
  if (!bitsAllocated) throw new Error('no BitsAllocated');
  return {
    rows,
    columns,
    bitsAllocated,
    bitsStored: numberValue(ds, Tag.BitsStored) ?? bitsAllocated,
    samplesPerPixel: numberValue(ds, Tag.SamplesPerPixel) ?? 1,
    pixelRepresentation: numberValue(ds, Tag.PixelRepresentation) ?? 0,
    planarConfiguration: numberValue(ds, Tag.PlanarConfiguration) ?? 0,
    photometricInterpretation: (stringValue(ds, Tag.PhotometricInterpretation) ?? 'MONOCHROME2').trim(),
    numberOfFrames: Math.max(1, numberValue(ds, Tag.NumberOfFrames) ?? 1),
  };
}

function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'exception' in e) return String((e as { exception: unknown }).exception);
  return String(e);
}

/** Reads and decodes one DICOM Part 10 file held in memory. Throws DicomReadError. */
export async function readDicomBytes(path: string, bytes: Uint8Array): Promise<DicomFile> {
  if (!hasDicomPreamble(bytes)) {
    // Some writers (e.g. pydicom without enforce_file_format, as the reference mrd2dicom) omit
    // the preamble but start with the file meta group (0002,xxxx) in explicit VR: accept that.
    if (startsWithFileMeta(bytes)) bytes = withPreamble(bytes);
    else throw new DicomReadError(path, 'not a DICOM file (no DICM preamble)');
  }
  let declared = declaredTransferSyntax(bytes);
  if (declared === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    try {
      bytes = inflateDataset(bytes);
    } catch (e) {
      throw new DicomReadError(path, `deflated data set cannot be inflated (${reasonOf(e)})`);
    }
    declared = TransferSyntax.ExplicitVRLittleEndian;
  }
  if (declared !== undefined && !isSupportedTransferSyntax(declared)) {
    throw new DicomReadError(path, `unsupported transfer syntax ${declared}${TRANSFER_SYNTAX_NAMES[declared] ? ` (${TRANSFER_SYNTAX_NAMES[declared]})` : ''}`);
  }
  try {
    dicomParser.parseDicom(bytes);
  } catch (e) {
    const r = reasonOf(e);
    throw new DicomReadError(path, /overrun|beyond|end of|truncat/i.test(r) ? `truncated DICOM file (${r})` : `malformed DICOM file (${r})`);
  }
  let dict: DcmjsDataset;
  let meta: DcmjsDataset;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const dd = dcmjsData.DicomMessage.readFile(ab, { ignoreErrors: true });
    dict = dd.dict;
    meta = dd.meta;
  } catch (e) {
    throw new DicomReadError(path, `malformed DICOM file (${reasonOf(e)})`);
  }
  const transferSyntax = String(meta['00020010']?.Value?.[0] ?? TransferSyntax.ExplicitVRLittleEndian).replace(/\0/g, '').trim();
  const bigEndian = transferSyntax === TransferSyntax.ExplicitVRBigEndian;
  const dataset = datasetToJson(dict, bigEndian);
  if (transferSyntax === TransferSyntax.ImplicitVRLittleEndian) resolveUsOrSs(dataset);
  const px = dict[Tag.PixelData] ?? dict[Tag.PixelData.toLowerCase()];
  if (!px || !px.Value || px.Value.length === 0) throw new DicomReadError(path, 'no pixel data');
  let description: PixelDescription;
  try {
    description = pixelDescription(dataset);
  } catch (e) {
    throw new DicomReadError(path, `incomplete image pixel module (${reasonOf(e)})`);
  }
  try {
    const pixels = await decodePixelData(px.Value, transferSyntax, description);
    return { path, transferSyntax, dataset, pixels, description };
  } catch (e) {
    throw new DicomReadError(path, `cannot decode pixel data (${reasonOf(e)})`);
  }
}
