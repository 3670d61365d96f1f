/**
 * A DICOM JSON model dataset + pixel bytes -> a DICOM Part 10 file (explicit VR little endian),
 * written with dcmjs. Text is written as UTF-8 (dcmjs encodes all text so); the original
 * SpecificCharacterSet is kept when every text value is ASCII (the bytes are then identical in
 * any ASCII-based character set), else it becomes ISO_IR 192.
 *
 * Speed: dcmjs encodes every element through a fresh stream object (and grows value buffers in
 * 256-byte steps, 512 allocations for one 256 x 256 image), which made it the bulk of mrd2dicom's
 * time. So (1) Pixel Data and any element after it (e.g. DataSetTrailingPadding) are appended as
 * plain explicit VR little endian elements (a 12-byte element header and the bytes), and (2) the
 * other elements are encoded by dcmjs one by one and the bytes kept in a cache keyed by tag and
 * value: the images of a series share most of their elements, so most are encoded once. The
 * output is byte for byte what `DicomDict.write` gives (dcmjs writes the elements in tag order,
 * each independently; a test checks this).
 */
import dcmjs, { type DcmjsDataset, type DcmjsElement } from 'dcmjs';
import { BINARY_VRS, Tag, TransferSyntax, type DicomJsonDataset, type DicomJsonElement, type DicomJsonPersonName } from '@mrd-tools/dicom-mapping';
import { logger } from '@mrd-tools/core/logging';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './image-to-dicom.js';

// dcmjs logs through loglevel; route it to our logger (libraries never print to the console).
type LogMethod = (...args: unknown[]) => void;
interface LoglevelLike { methodFactory: () => LogMethod; setLevel(l: string, p?: boolean): void; rebuild?: () => void; getLogger(n: string): LoglevelLike }
const dlog = (dcmjs as unknown as { log?: LoglevelLike }).log;
if (dlog) {
  const factory = () => (...args: unknown[]) => logger.debug('dcmjs:', ...args);
  for (const l of [dlog, dlog.getLogger('validation.dcmjs')]) { l.methodFactory = factory; l.setLevel('warn', false); l.rebuild?.(); }
}

const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DT', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UR', 'UT', 'UI']);

function ascii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return false;
  return true;
}

function allAscii(ds: DicomJsonDataset): boolean {
  for (const e of Object.values(ds)) {
    for (const v of e.Value ?? []) {
      if (typeof v === 'string' && !ascii(v)) return false;
      if (v && typeof v === 'object') {
        if (e.vr === 'PN') {
          for (const s of Object.values(v as DicomJsonPersonName)) if (typeof s === 'string' && !ascii(s)) return false;
        } else if (!allAscii(v as DicomJsonDataset)) return false;
      }
    }
  }
  return true;
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function elementToDcmjs(e: DicomJsonElement): DcmjsElement {
  const vr = e.vr;
  if (BINARY_VRS.has(vr)) {
    const bytes = e.InlineBinary ? Buffer.from(e.InlineBinary, 'base64') : Buffer.alloc(0);
    return { vr, Value: [toArrayBuffer(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))] };
  }
  if (vr === 'SQ') return { vr, Value: (e.Value ?? []).map((item) => datasetToDcmjs(item as DicomJsonDataset)) };
  const values = e.Value ?? [];
  if (vr === 'AT') return { vr, Value: values.map((v) => parseInt(String(v), 16)) };
  if (vr === 'PN') return { vr, Value: values.map((v) => (v === null ? { Alphabetic: '' } : typeof v === 'string' ? { Alphabetic: v } : v)) };
  if (TEXT_VRS.has(vr)) return { vr, Value: values.map((v) => (v === null || v === undefined ? '' : String(v))) };
  if (vr === 'DS' || vr === 'IS') return { vr, Value: values.map((v) => (v === null || v === undefined ? '' : v)) };
  return { vr, Value: values.filter((v) => v !== null) };
}

function datasetToDcmjs(ds: DicomJsonDataset): DcmjsDataset {
  const out: DcmjsDataset = {};
  for (const tag of Object.keys(ds)) out[tag] = elementToDcmjs(ds[tag]!);
  return out;
}

/** The bytes of a DICOM file holding `ds` and pixel data `pixelBytes` (OB for 8-bit samples, else OW). */
/** An explicit VR little endian element with a 4-byte length (OB, OW, UN...), padded to even length. */
function binaryElement(tag: string, vr: string, bytes: Uint8Array): Uint8Array {
  const len = bytes.length + (bytes.length % 2);
  const out = new Uint8Array(12 + len);
  const v = new DataView(out.buffer);
  v.setUint16(0, parseInt(tag.slice(0, 4), 16), true);
  v.setUint16(2, parseInt(tag.slice(4, 8), 16), true);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  v.setUint32(8, len, true);
  out.set(bytes, 12);
  return out;
}

const LONG_BINARY = new Set(['OB', 'OW', 'OD', 'OF', 'OL', 'OV', 'UN']);

export function writeDicomFile(ds: DicomJsonDataset, pixelBytes: Uint8Array, bitsAllocated: number, sopClassUID: string, sopInstanceUID: string): Uint8Array {
  const dataset = { ...ds };
  if (!allAscii(dataset)) dataset[Tag.SpecificCharacterSet] = { vr: 'CS', Value: ['ISO_IR 192'] };
  // Elements after Pixel Data (in tag order) that are plain binary are appended by hand with it.
  const after = Object.keys(dataset).filter((t) => t.toUpperCase() > Tag.PixelData).sort();
  const tail = after.every((t) => LONG_BINARY.has(dataset[t]!.vr));
  const tailParts: Uint8Array[] = [];
  if (tail) {
    tailParts.push(binaryElement(Tag.PixelData, bitsAllocated <= 8 ? 'OB' : 'OW', pixelBytes));
    for (const t of after) {
      const b = dataset[t]!.InlineBinary ? Buffer.from(dataset[t]!.InlineBinary!, 'base64') : Buffer.alloc(0);
      tailParts.push(binaryElement(t, dataset[t]!.vr, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
      delete dataset[t];
    }
  }
  if (!tail) {
    // Rare: non-binary elements after Pixel Data; let dcmjs write everything.
    const dict = datasetToDcmjs(dataset);
    dict[Tag.PixelData] = { vr: bitsAllocated <= 8 ? 'OB' : 'OW', Value: [toArrayBuffer(pixelBytes)] };
    const dd = new dcmjs.data.DicomDict(fileMeta(sopClassUID, sopInstanceUID));
    dd.dict = dict;
    return new Uint8Array(dd.write({ allowInvalidVRLength: true }));
  }
  const meta = fileMeta(sopClassUID, sopInstanceUID);
  const metaParts = Object.keys(meta).sort().map((t) => cachedElement(t, meta[t]!));
  const metaLength = metaParts.reduce((a, p) => a + p.length, 0);
  const parts: Uint8Array[] = [PREAMBLE, cachedElement('00020000', { vr: 'UL', Value: [metaLength] }), ...metaParts];
  for (const t of Object.keys(dataset).sort()) parts.push(cachedJsonElement(t, dataset[t]!));
  parts.push(...tailParts);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const PREAMBLE = (() => { const b = new Uint8Array(132); b.set([0x44, 0x49, 0x43, 0x4d], 128); return b; })();

function fileMeta(sopClassUID: string, sopInstanceUID: string): DcmjsDataset {
  return {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [sopClassUID] },
    '00020003': { vr: 'UI', Value: [sopInstanceUID] },
    '00020010': { vr: 'UI', Value: [TransferSyntax.ExplicitVRLittleEndian] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] },
  };
}

/** dcmjs's encoding of one element (explicit VR little endian). */
function encodeElement(tag: string, el: DcmjsElement): Uint8Array {
  const stream = new dcmjs.data.WriteBufferStream(256);
  dcmjs.data.DicomMessage.write({ [tag]: el }, stream, TransferSyntax.ExplicitVRLittleEndian, { allowInvalidVRLength: true });
  return new Uint8Array(stream.getBuffer());
}

const CACHE_LIMIT = 20000;
const cache = new Map<string, Uint8Array>();

function remember(key: string, make: () => Uint8Array): Uint8Array {
  const hit = cache.get(key);
  if (hit) return hit;
  const bytes = make();
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, bytes);
  return bytes;
}

/** Elements unique to every file: not worth keeping. */
const UNIQUE = new Set(['00020003', Tag.SOPInstanceUID]);

function cachedElement(tag: string, el: DcmjsElement): Uint8Array {
  if (UNIQUE.has(tag)) return encodeElement(tag, el);
  const v = el.Value?.[0];
  if (v instanceof ArrayBuffer) return remember(`${tag}|${el.vr}|b${Buffer.from(v).toString('base64')}`, () => encodeElement(tag, el));
  return remember(`${tag}|${JSON.stringify(el)}`, () => encodeElement(tag, el));
}

function cachedJsonElement(tag: string, el: DicomJsonElement): Uint8Array {
  // Large binary values (e.g. exact float pixels) are not worth keying.
  if (UNIQUE.has(tag) || (el.InlineBinary && el.InlineBinary.length > 4096)) return encodeElement(tag, elementToDcmjs(el));
  return remember(`${tag}|${JSON.stringify(el)}`, () => encodeElement(tag, elementToDcmjs(el)));
}

/** The same file written by dcmjs's DicomDict.write (reference for the tests). */
export function writeDicomFileWithDcmjs(ds: DicomJsonDataset, pixelBytes: Uint8Array, bitsAllocated: number, sopClassUID: string, sopInstanceUID: string): Uint8Array {
  const dataset = { ...ds };
  if (!allAscii(dataset)) dataset[Tag.SpecificCharacterSet] = { vr: 'CS', Value: ['ISO_IR 192'] };
  const dict = datasetToDcmjs(dataset);
  dict[Tag.PixelData] = { vr: bitsAllocated <= 8 ? 'OB' : 'OW', Value: [toArrayBuffer(pixelBytes)] };
  const dd = new dcmjs.data.DicomDict(fileMeta(sopClassUID, sopInstanceUID));
  dd.dict = dict;
  return new Uint8Array(dd.write({ allowInvalidVRLength: true }));
}
