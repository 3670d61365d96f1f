/**
 * Reading back the private `MRD-TOOLS` block mrd2dicom writes (see mrd-core
 * `dicom/mrd-private.ts`): the MRD data type, the exact MRD pixel values where the Pixel Data is a
 * rescaled version of them, and an MRD image_type DICOM cannot express. The exact values are used
 * only while the Pixel Data still matches them (an edited image is taken as it is now).
 */
import { DataType } from '@mrd-tools/core/constants';
import { Tag, findMrdPrivateBlock, mrdPrivateTags, numberValue, removeMrdPrivateBlock, type DicomJsonDataset } from '@mrd-tools/dicom-mapping';
import { logger } from '@mrd-tools/core/logging';
import type { FramePixels } from './pixel-decoding.js';

export interface MrdPrivateMetadata {
  /** MRD image_type recorded because DICOM cannot express it. */
  imageType: number | undefined;
  /** MRD read_dir + phase_dir that were no valid DICOM orientation. */
  directions: number[] | undefined;
  /** The dataset without the private block (what DicomJson keeps). */
  dataset: DicomJsonDataset;
}

function typedFromBytes(dataType: number, bytes: Buffer): FramePixels | undefined {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const b = copy.buffer;
  switch (dataType) {
    case DataType.USHORT: return b.byteLength % 2 ? undefined : new Uint16Array(b);
    case DataType.SHORT: return b.byteLength % 2 ? undefined : new Int16Array(b);
    case DataType.UINT: return b.byteLength % 4 ? undefined : new Uint32Array(b);
    case DataType.INT: return b.byteLength % 4 ? undefined : new Int32Array(b);
    case DataType.FLOAT: case DataType.CXFLOAT: return b.byteLength % 4 ? undefined : new Float32Array(b);
    case DataType.DOUBLE: case DataType.CXDOUBLE: return b.byteLength % 8 ? undefined : new Float64Array(b);
    default: return undefined;
  }
}

function cast(dataType: number, src: FramePixels): FramePixels | undefined {
  switch (dataType) {
    case DataType.USHORT: return Uint16Array.from(src);
    case DataType.SHORT: return Int16Array.from(src);
    case DataType.UINT: return Uint32Array.from(src);
    case DataType.INT: return Int32Array.from(src);
    case DataType.FLOAT: return Float32Array.from(src);
    case DataType.DOUBLE: return Float64Array.from(src);
    default: return undefined;
  }
}

/** Whether the stored Pixel Data is (to rounding) the exact values rescaled. */
function matches(stored: FramePixels, exact: FramePixels, complex: boolean, slope: number, intercept: number): boolean {
  const n = stored.length;
  if ((complex ? exact.length / 2 : exact.length) !== n) return false;
  for (let i = 0; i < n; i++) {
    const v = complex ? Math.hypot(exact[2 * i]!, exact[2 * i + 1]!) : exact[i]!;
    const s = Math.min(65535, Math.max(0, (v - intercept) / slope));
    if (Math.abs(s - stored[i]!) > 1) return false;
  }
  return true;
}

/** The non-pixel content of the private block of `ds` (if any), and `ds` without it. */
export function mrdPrivateMetadata(ds: DicomJsonDataset): MrdPrivateMetadata {
  const xx = findMrdPrivateBlock(ds);
  if (!xx) return { imageType: undefined, directions: undefined, dataset: ds };
  const t = mrdPrivateTags(xx);
  const clean = { ...ds };
  removeMrdPrivateBlock(clean);
  const dirEl = ds[t.directions]?.Value;
  const directions = dirEl && dirEl.length === 6 && dirEl.every((v) => typeof v === 'number') ? (dirEl as number[]) : undefined;
  return { imageType: numberValue(ds, t.imageType), directions, dataset: clean };
}

/**
 * The MRD pixels of a frame: the exact values of the private block when they still match the
 * Pixel Data, or the Pixel Data cast to the recorded MRD type when that is exact, else as decoded.
 */
export function restoreMrdPrivatePixels(ds: DicomJsonDataset, dataType: number, pixels: FramePixels, where: string): { dataType: number; pixels: FramePixels } {
  const xx = findMrdPrivateBlock(ds);
  if (!xx) return { dataType, pixels };
  const t = mrdPrivateTags(xx);
  const wantType = numberValue(ds, t.dataType);
  const exactEl = ds[t.exactPixels];
  if (wantType === undefined) return { dataType, pixels };
  if (exactEl?.InlineBinary) {
    const exact = typedFromBytes(wantType, Buffer.from(exactEl.InlineBinary, 'base64'));
    const slope = numberValue(ds, Tag.RescaleSlope) ?? 1;
    const intercept = numberValue(ds, Tag.RescaleIntercept) ?? 0;
    const complex = wantType === DataType.CXFLOAT || wantType === DataType.CXDOUBLE;
    if (exact && slope > 0 && matches(pixels, exact, complex, slope, intercept)) return { dataType: wantType, pixels: exact };
    logger.warning(`${where}: the exact MRD pixel values kept in the MRD-TOOLS private block no longer match the Pixel Data; using the Pixel Data`);
    return { dataType, pixels };
  }
  const casted = cast(wantType, pixels);
  if (casted && casted.every((v, i) => v === pixels[i])) return { dataType: wantType, pixels: casted };
  return { dataType, pixels };
}
