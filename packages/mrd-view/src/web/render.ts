/// <reference lib="dom" />
/**
 * How the page turns an image frame into pixels: the frame values as mrd2gif takes them
 * (sent by the server from mrd2gif's source-frames), windowed with mrd-core's `applyWindow`,
 * coloured with the image's colour table, ROIs drawn with mrd-core's `drawPolyline`: the same
 * code as mrd2gif's frames, so the canvas equals its frame for the same window. Pure functions
 * (no DOM) apart from `putFrame`.
 */
import { applyWindow, differenceGrey, frameWindowStats, seriesWindows, type WindowRange } from '@mrd-tools/mrd2gif/preview';
import { drawPolyline } from '@mrd-tools/mrd2gif/preview';
import type { TypedArray } from '../protocol/envelope.js';

export type { WindowRange };
export type ComplexMode = 'magnitude' | 'phase' | 'real' | 'imag';

export interface RoiLine {
  xs: number[];
  ys: number[];
  ink: [number, number, number];
  thickness: number;
}

export interface ImageMeta {
  index: number;
  head: Record<string, unknown>;
  width: number;
  height: number;
  frames: number;
  channels: number;
  slices: number;
  rgb: boolean;
  complex: boolean;
  meta: [string, string[]][];
  rois: RoiLine[][];
  metaWindow: WindowRange | null;
  firstFrame: number;
  seriesWindows: (WindowRange | null)[] | null;
}

export interface LoadedImage {
  json: ImageMeta;
  arrays: Record<string, TypedArray>;
}

/** The values of frame k (channel-major then slice, as mrd2gif orders them) in a complex mode. */
export function frameValues(img: LoadedImage, k: number, mode: ComplexMode): ArrayLike<number> {
  const plane = img.json.width * img.json.height;
  if (mode === 'magnitude' || !img.json.complex) {
    const v = img.arrays.values!;
    return v.subarray(k * plane, (k + 1) * plane);
  }
  const c = img.arrays.complex!;
  const out = new Float32Array(plane);
  const base = 2 * k * plane;
  for (let p = 0; p < plane; p++) {
    const re = c[base + 2 * p]!;
    const im = c[base + 2 * p + 1]!;
    out[p] = mode === 'phase' ? Math.atan2(im, re) : mode === 'real' ? re : im;
  }
  return out;
}

/**
 * The frame's own window presets: its 5th/95th percentiles (its min/max when they coincide),
 * i.e. mrd2gif --floating-window for images without meta windows; or its min/max.
 */
export function frameWindow(values: ArrayLike<number>, preset: 'frame' | 'minmax'): WindowRange {
  const stats = frameWindowStats(values);
  if (preset === 'minmax') return { min: stats.min, max: stats.max };
  return seriesWindows([stats], [null], true)[0]!;
}

/** RGB bytes of a grey frame under a window, with a palette (768 bytes) or grey, ROIs drawn. */
export function renderGrey(values: ArrayLike<number>, width: number, height: number, win: WindowRange, palette: Uint8Array | null, rois: RoiLine[]): Uint8Array {
  const grey = applyWindow(values, win);
  return colourise(grey, width, height, palette, rois);
}

export function colourise(grey: Uint8Array, width: number, height: number, palette: Uint8Array | null, rois: RoiLine[]): Uint8Array {
  const rgb = new Uint8Array(3 * grey.length);
  for (let i = 0; i < grey.length; i++) {
    const g = grey[i]!;
    if (palette) {
      rgb[3 * i] = palette[3 * g]!;
      rgb[3 * i + 1] = palette[3 * g + 1]!;
      rgb[3 * i + 2] = palette[3 * g + 2]!;
    } else rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
  }
  const target = { width, height, rgb };
  for (const r of rois) drawPolyline(target, r.xs, r.ys, r.ink, r.thickness);
  return rgb;
}

/** mrd2gif's difference panel: |a - b| under a's window times `scale`, a's palette; where either side has drawn overlays (ROIs, RGB) the larger of that and the displayed difference. */
export function renderDifference(a: ArrayLike<number> | null, b: ArrayLike<number> | null, win: WindowRange | null, scale: number, shownA: Uint8Array, shownB: Uint8Array, width: number, height: number, palette: Uint8Array | null, overlays: boolean): Uint8Array {
  if (a && b && win && a.length === b.length) {
    const rgb = colourise(differenceGrey(a, b, win, scale), width, height, palette, []);
    if (overlays) for (let k = 0; k < rgb.length; k++) rgb[k] = Math.max(rgb[k]!, Math.abs(shownA[k]! - shownB[k]!));
    return rgb;
  }
  const rgb = new Uint8Array(shownA.length);
  if (shownA.length === shownB.length) for (let k = 0; k < rgb.length; k++) rgb[k] = Math.abs(shownA[k]! - shownB[k]!);
  return rgb;
}

/** Puts RGB bytes into a canvas of the frame's size (opaque, so getImageData returns them exactly). */
export function putFrame(canvas: HTMLCanvasElement, width: number, height: number, rgb: Uint8Array): void {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const data = ctx.createImageData(width, height);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    data.data[j] = rgb[3 * i]!;
    data.data[j + 1] = rgb[3 * i + 1]!;
    data.data[j + 2] = rgb[3 * i + 2]!;
    data.data[j + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
}

/**
 * Window/level by mouse drag, from the window at the start of the drag: a pixel right widens
 * the window by width/256 (less contrast), a pixel down raises its centre by width/256 (darker);
 * a zero width counts as the frame's value range (or 1).
 */
export function dragWindow(start: WindowRange, dx: number, dy: number, valueRange: number): WindowRange {
  const w0 = start.max - start.min;
  const step = (w0 > 0 ? w0 : valueRange > 0 ? valueRange : 1) / 256;
  const c = (start.min + start.max) / 2 + dy * step;
  const w = Math.max(0, w0 + dx * step);
  return { min: c - w / 2, max: c + w / 2 };
}
