/**
 * One MRD image as the page draws it (a binary envelope, protocol/envelope.ts): its frames
 * (channels x slices) as mrd2gif takes them (complex as magnitude, rescale slope/intercept
 * applied, RGB passed through), the complex values for the other complex modes, its header,
 * meta attributes, ROI polylines, meta window and colour table. Used by mrd-view's file server
 * and, through the `./image-envelope` export, by mrd-server's live view (images of running
 * sessions), so both pages get the same bytes for the same image.
 */
import { parseMeta } from '@mrd-tools/core/meta';
import type { Image } from '@mrd-tools/core/messages';
import type { WindowRange } from '@mrd-tools/mrd2gif/preview';
import { applyRescale, framesOfImage, metaWindow, roiPolylines } from '@mrd-tools/mrd2gif/source-frames';
import { findColourTable, loadColourTable } from '@mrd-tools/mrd2gif/colour-tables';
import { encodeEnvelope, type TypedArray } from '../protocol/envelope.js';

/** Header values as JSON can carry them (u64 as decimal strings). */
export function jsonHeader(h: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(h, (_, v) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
}

/**
 * The colour tables a page gets, found as mrd2gif finds them (`<name>.npy` in the working
 * directory, ./colormaps, then `toolDir` and its colormaps folder) and kept once read; a table
 * that is absent or cannot be read is none (the image is drawn in grey).
 */
export function colourTableLookup(toolDir?: string): (name: string | undefined) => Uint8Array | null {
  const palettes = new Map<string, Uint8Array | null>();
  return (name) => {
    if (name === undefined) return null;
    if (!palettes.has(name)) {
      const found = findColourTable(name, { toolDir });
      let pal: Uint8Array | null = null;
      try {
        if (found.path) pal = loadColourTable(found.path);
      } catch {
        pal = null;
      }
      palettes.set(name, pal);
    }
    return palettes.get(name)!;
  };
}

export interface ImageEnvelopeOptions {
  /** The image's index in its series (the page's `index`). */
  index: number;
  /** Names the image in errors (file, group, series, index). */
  where: string;
  /** Finds the colour table a meta attribute names (768 bytes), or null. */
  palette?: (name: string | undefined) => Uint8Array | null;
  /** Index of the image's first frame in its series (default 0). */
  firstFrame?: number;
  /** mrd2gif's series window of each of this image's frames, when known. */
  seriesWindows?: (WindowRange | null)[] | null;
  /** Extra JSON fields for the page. */
  extra?: Record<string, unknown>;
}

export function imageEnvelope(img: Image, o: ImageEnvelopeOptions): Uint8Array {
  const frames = framesOfImage(img, o.where);
  for (const f of frames) applyRescale(f, o.where);
  const meta = frames[0]?.meta ?? parseMeta(img.attribute);
  const arrays: Record<string, TypedArray> = {};
  const rgb = frames.length > 0 && frames[0]!.rgb !== null;
  if (rgb) {
    const out = new Uint8Array(frames.reduce((k, f) => k + f.rgb!.length, 0));
    let at = 0;
    for (const f of frames) {
      out.set(f.rgb!, at);
      at += f.rgb!.length;
    }
    arrays.rgb = out;
  } else {
    const first = frames[0]!.values as TypedArray;
    const Ctor = first.constructor as { new (n: number): TypedArray };
    const plane = first.length;
    const out = new Ctor(plane * frames.length);
    frames.forEach((f, k) => out.set(f.values as unknown as ArrayLike<number>, k * plane));
    arrays.values = out;
  }
  const complex = img.head.data_type === 7 || img.head.data_type === 8;
  if (complex) arrays.complex = img.data as TypedArray;
  const pal = o.palette?.(meta.get('LUTFileName') ?? meta.get('GADGETRON_ColorMap')) ?? null;
  if (pal) arrays.palette = pal;
  return encodeEnvelope({
    ...o.extra,
    index: o.index,
    head: jsonHeader(img.head),
    width: img.head.matrix_size[0],
    height: img.head.matrix_size[1],
    frames: frames.length,
    channels: Math.max(1, img.head.channels),
    slices: Math.max(1, img.head.matrix_size[2]!),
    rgb,
    complex,
    meta: [...meta],
    rois: frames.map((f) => roiPolylines(f, 1)),
    metaWindow: metaWindow(meta),
    firstFrame: o.firstFrame ?? 0,
    seriesWindows: o.seriesWindows ?? null,
  }, arrays);
}
