/**
 * A DICOM JSON model dataset + pixel bytes -> a DICOM Part 10 file (explicit VR little endian),
 * written with dcmjs. Text is written as UTF-8 (dcmjs encodes all text so); the original
 * SpecificCharacterSet is kept when every text value is ASCII (the bytes are then identical in
 * any ASCII-based character set), else it becomes ISO_IR 192.
 */
import dcmjs, { type DcmjsDataset, type DcmjsElement } from 'dcmjs';
import {
  BINARY_VRS, Tag, TransferSyntax, logger,
  type DicomJsonDataset, type DicomJsonElement, type DicomJsonPersonName,
} from '@mrd-tools/core';
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

export function datasetToDcmjs(ds: DicomJsonDataset): DcmjsDataset {
  const out: DcmjsDataset = {};
  for (const tag of Object.keys(ds)) out[tag] = elementToDcmjs(ds[tag]!);
  return out;
}

/** The bytes of a DICOM file holding `ds` and pixel data `pixelBytes` (OB for 8-bit samples, else OW). */
export function writeDicomFile(ds: DicomJsonDataset, pixelBytes: Uint8Array, bitsAllocated: number, sopClassUID: string, sopInstanceUID: string): Uint8Array {
  const dataset = { ...ds };
  if (!allAscii(dataset)) dataset[Tag.SpecificCharacterSet] = { vr: 'CS', Value: ['ISO_IR 192'] };
  const dict = datasetToDcmjs(dataset);
  // Pixel data of odd length is padded to even length by the writer.
  dict[Tag.PixelData] = { vr: bitsAllocated <= 8 ? 'OB' : 'OW', Value: [toArrayBuffer(pixelBytes)] };
  const meta: DcmjsDataset = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [sopClassUID] },
    '00020003': { vr: 'UI', Value: [sopInstanceUID] },
    '00020010': { vr: 'UI', Value: [TransferSyntax.ExplicitVRLittleEndian] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] },
  };
  const dd = new dcmjs.data.DicomDict(meta);
  dd.dict = dict;
  return new Uint8Array(dd.write({ allowInvalidVRLength: true }));
}
