/**
 * The frames of MR images as mrd2gif shows them, before they become pictures: per image, its
 * channels then slices; complex data as magnitude; RGB images passed through; the
 * RescaleSlope/RescaleIntercept (or Gadgetron ScaleRatio/ScaleOffset) meta applied; the window
 * each frame gets (meta WindowCenter/WindowWidth, else the series' median of 5th/95th
 * percentiles, or each frame's own with `floating`); the ROI polylines of the meta attributes.
 * mrd2gif renders these into GIF/PNG frames; mrd-view sends them to its page, which renders them
 * with the same mrd-core window and ROI drawing, so both show the same pixels.
 */
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { frameWindowStats, seriesWindows, type WindowRange, type WindowStats } from './preview/window.js';
import { logger } from '@mrd-tools/core/logging';
import { parseMeta, parsePythonFloat, parseRoi, type MetaAttributes, type Roi } from '@mrd-tools/core/meta';
import type { Image } from '@mrd-tools/core/messages';
import type { ImageHeader } from '@mrd-tools/core/headers';

/** One ROI polyline of an image: pixel coordinates, colour 0..1, line width. */
export interface PreviewRoi {
  xs: number[];
  ys: number[];
  colour: [number, number, number];
  thickness: number;
}

/** A frame as read from the file, before windowing. */
export interface SourceFrame {
  width: number;
  height: number;
  /** Grey source values (null for RGB images). */
  values: ArrayLike<number> | null;
  /** RGB source pixels (RGB images). */
  rgb: Uint8Array | null;
  head: ImageHeader;
  meta: MetaAttributes;
  /** Slice index inside a 3-D image. */
  z: number;
  rois: PreviewRoi[];
}

/**
 * Python `float()` of a meta value; numpy's complex text `(208.2+0j)` (what the reference
 * server writes for a complex window) reads as its real part instead of failing as in Python.
 * Non-finite values count as absent.
 */
function metaFloat(meta: MetaAttributes, name: string): number | undefined {
  const v = meta.get(name);
  if (v === undefined) return undefined;
  let num: number;
  try {
    num = parsePythonFloat(v);
  } catch {
    const c = /^\s*\(?\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*[-+]\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?j\s*\)?\s*$/.exec(v);
    if (!c) throw new Error(`meta attribute ${name}: '${v}' is not a number`);
    num = Number(c[1]);
  }
  return Number.isFinite(num) ? num : undefined;
}

/** The visible ROIs of an image's meta attributes (`ROI_*`, `GT_ROI_*`). */
function parsePreviewRois(meta: MetaAttributes, where: string): PreviewRoi[] {
  const out: PreviewRoi[] = [];
  for (const name of meta.names()) {
    if (!name.startsWith('ROI_') && !name.startsWith('GT_ROI_')) continue;
    let roi: Roi;
    try {
      roi = parseRoi(meta.getAll(name));
    } catch (e) {
      logger.warning(`${where}: ROI ${name}: ${(e as Error).message} -- not drawn`);
      continue;
    }
    if (roi.visibility === 0) continue;
    out.push({ xs: roi.x, ys: roi.y, colour: roi.rgb, thickness: roi.thickness });
  }
  return out;
}

function isComplex(t: number): boolean {
  return t === DataType.CXFLOAT || t === DataType.CXDOUBLE;
}

/** Splits an image into frames (channel-major, then slice). */
export function framesOfImage(img: Image, where: string): SourceFrame[] {
  const h = img.head;
  const nx = h.matrix_size[0];
  const ny = h.matrix_size[1];
  const nz = Math.max(1, h.matrix_size[2]);
  const nc = Math.max(1, h.channels);
  const plane = nx * ny;
  const complex = isComplex(h.data_type);
  const expected = nc * nz * plane * (complex ? 2 : 1);
  if (img.data.length !== expected) {
    throw new Error(`${where}: pixel data has ${img.data.length} values, the header says ${nc} x ${nz} x ${ny} x ${nx}${complex ? ' complex' : ''}`);
  }
  const meta = parseMeta(img.attribute);
  const rois = parsePreviewRois(meta, where);
  const out: SourceFrame[] = [];
  if (nc === 3 && h.image_type === ImageType.RGB) {
    for (let z = 0; z < nz; z++) {
      const rgb = new Uint8Array(3 * plane);
      for (let c = 0; c < 3; c++) {
        const base = (c * nz + z) * plane;
        for (let p = 0; p < plane; p++) {
          const v = img.data[base + p];
          rgb[3 * p + c] = v <= 0 ? 0 : v >= 255 ? 255 : v; // stored as uint16 0..255 (MRD); clipped
        }
      }
      out.push({ width: nx, height: ny, values: null, rgb, head: h, meta, z, rois });
    }
    return out;
  }
  for (let c = 0; c < nc; c++) {
    for (let z = 0; z < nz; z++) {
      const base = (c * nz + z) * plane;
      let values: ArrayLike<number>;
      if (complex) {
        const mag = new Float32Array(plane);
        const d = img.data;
        for (let p = 0; p < plane; p++) mag[p] = Math.hypot(d[2 * (base + p)], d[2 * (base + p) + 1]);
        values = mag;
      } else {
        values = img.data.subarray(base, base + plane);
      }
      out.push({ width: nx, height: ny, values, rgb: null, head: h, meta, z, rois });
    }
  }
  return out;
}

/** RescaleSlope/Intercept (or Gadgetron ScaleRatio/Offset) as the newer reference applies them. */
export function applyRescale(f: SourceFrame, where: string): void {
  if (!f.values) return;
  let slope = metaFloat(f.meta, 'RescaleSlope');
  let intercept = metaFloat(f.meta, 'RescaleIntercept');
  if (slope === undefined || intercept === undefined) {
    const ratio = metaFloat(f.meta, 'GADGETRON_ScaleRatio');
    const offset = metaFloat(f.meta, 'GADGETRON_ScaleOffset');
    if (ratio === undefined || offset === undefined) return;
    if (ratio === 0) {
      logger.warning(`${where}: GADGETRON_ScaleRatio is 0 -- not applied`);
      return;
    }
    slope = 1 / ratio;
    intercept = (-1 * offset) / ratio;
  }
  const v = f.values;
  const out = new Float32Array(v.length);
  const s = Math.fround(slope);
  const i0 = Math.fround(intercept);
  for (let k = 0; k < v.length; k++) out[k] = Math.fround(v[k]) * s + i0;
  f.values = out;
}

/** The window a frame's meta attributes ask for, or null. */
export function metaWindow(meta: MetaAttributes): WindowRange | null {
  let center = metaFloat(meta, 'WindowCenter') ?? metaFloat(meta, 'GADGETRON_WindowCenter');
  let width = metaFloat(meta, 'WindowWidth') ?? metaFloat(meta, 'GADGETRON_WindowWidth');
  if (center === undefined || width === undefined) return null;
  // Gadgetron's window width ignores its ScaleRatio (contrary to DICOM), as the newer reference notes.
  const ratio = metaFloat(meta, 'GADGETRON_ScaleRatio');
  if (ratio !== undefined && meta.has('GADGETRON_ScaleOffset') && meta.has('GADGETRON_WindowWidth') && !meta.has('WindowWidth')) {
    width = width / ratio;
  }
  center = center as number;
  return { min: center - width / 2, max: center + width / 2 };
}

/** The frames of a series' images, rescale slope/intercept applied. */
export function sourceFramesOf(images: Image[], where: string): SourceFrame[] {
  const frames: SourceFrame[] = [];
  images.forEach((img, k) => {
    const at = `${where} image ${k}`;
    const f = framesOfImage(img, at);
    for (const s of f) applyRescale(s, at);
    if (img.head.channels > 1 && img.head.image_type !== ImageType.RGB) logger.info(`  Image ${k} has ${img.head.channels} channels`);
    if (Math.max(1, img.head.matrix_size[2]) > 2) logger.info(`  Image ${k} is a 3D volume with ${img.head.matrix_size[2]} slices`);
    frames.push(...f);
  });
  if (frames.some((f) => isComplex(f.head.data_type))) logger.info('  Converting images from complex to magnitude for display');
  return frames;
}


/**
 * The window of every frame as mrd2gif chooses it (null for RGB frames): meta windows where
 * present, else the series window (median over the grey frames of their 5th/95th
 * percentiles), or each frame's own percentiles with `floating`.
 */
export function seriesFrameWindows(sources: SourceFrame[], floating: boolean): (WindowRange | null)[] {
  const acc = new SeriesWindowAccumulator();
  for (const s of sources) acc.add(s);
  return acc.windows(floating);
}

/**
 * `seriesFrameWindows` for a series seen one frame at a time (a viewer streaming a long series
 * keeps the statistics, not the pixels).
 */
export class SeriesWindowAccumulator {
  private readonly grey: boolean[] = [];
  private readonly stats: WindowStats[] = [];
  private readonly metaW: (WindowRange | null)[] = [];

  add(s: SourceFrame): void {
    this.grey.push(s.values !== null);
    if (!s.values) return;
    // each frame's statistics binned on the previous frame's range (exact; two passes, not three)
    this.stats.push(frameWindowStats(s.values, this.stats[this.stats.length - 1]));
    this.metaW.push(metaWindow(s.meta));
  }

  /** The window of every frame added so far, in order (null for RGB frames). */
  windows(floating: boolean): (WindowRange | null)[] {
    const w = seriesWindows(this.stats, this.metaW, floating);
    let k = 0;
    return this.grey.map((g) => (g ? w[k++]! : null));
  }
}

/** A ROI ready to draw on a frame upscaled `rescale` times: pixel coordinates, 0..255 ink, width. */
export interface RoiPolyline {
  xs: number[];
  ys: number[];
  ink: [number, number, number];
  thickness: number;
}

/** The ROI polylines of a frame (coordinates swapped when `Correct_image_orientation` is set, as the reference). */
export function roiPolylines(s: SourceFrame, rescale = 1): RoiPolyline[] {
  const swap = (metaFloat(s.meta, 'Correct_image_orientation') ?? 0) !== 0;
  return s.rois.map((roi) => ({
    xs: (swap ? roi.ys : roi.xs).map((v) => v * rescale),
    ys: (swap ? roi.xs : roi.ys).map((v) => v * rescale),
    ink: [Math.trunc(roi.colour[0] * 255), Math.trunc(roi.colour[1] * 255), Math.trunc(roi.colour[2] * 255)],
    thickness: roi.thickness,
  }));
}
