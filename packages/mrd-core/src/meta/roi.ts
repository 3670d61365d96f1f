/**
 * ROI and Text overlay records stored as meta attributes, in the reference's format
 * (`mrdhelper.create_roi` / `parse_roi` / `create_text` / `parse_text`):
 *
 * - ROI (name starting with `ROI_`): `[r, g, b, thickness, style, visibility, x0, y0, x1, y1, ...]`
 *   with colour and thickness as `'%f'`, style and visibility as `'%d'`, coordinates as `'%f'`,
 *   in pixels with (0,0) at the top left.
 * - Text (name starting with `Text_`): `[r, g, b, x, y, visibility, text]`.
 */
import { formatPythonFixed, formatPythonInt, parsePythonFloat, PythonValueError } from './python-format.js';

export class OverlayRecordError extends Error {
  override name = 'OverlayRecordError';
}

export type Rgb = readonly [number, number, number];

export interface Roi {
  x: number[];
  y: number[];
  /** Colour, each component normalised to 1. */
  rgb: [number, number, number];
  thickness: number;
  /** 0 solid, 1 dashed. */
  style: number;
  /** 0 hidden, 1 visible. */
  visibility: number;
}

export interface RoiOptions {
  rgb?: Rgb;
  thickness?: number;
  style?: number;
  visibility?: number;
}

/** An MRD ROI as the list of meta values (`create_roi`). Defaults: red, thickness 1, solid, visible. */
export function createRoi(x: ArrayLike<number>, y: ArrayLike<number>, options: RoiOptions = {}): string[] {
  const { rgb = [1, 0, 0], thickness = 1, style = 0, visibility = 1 } = options;
  if (y.length < x.length) throw new OverlayRecordError(`createRoi: ${x.length} x coordinates but only ${y.length} y coordinates`);
  const roi = [
    formatPythonFixed(rgb[0]), formatPythonFixed(rgb[1]), formatPythonFixed(rgb[2]),
    formatPythonFixed(thickness), formatPythonInt(style), formatPythonInt(visibility),
  ];
  for (let i = 0; i < x.length; i++) roi.push(formatPythonFixed(x[i]!), formatPythonFixed(y[i]!));
  return roi;
}

function floats(values: readonly string[], what: string): number[] {
  return values.map((v, i) => {
    try {
      return parsePythonFloat(v);
    } catch (e) {
      throw new OverlayRecordError(`${what} value ${i}: ${e instanceof PythonValueError ? e.message : String(e)}`);
    }
  });
}

function toInt(v: number, what: string): number {
  if (!Number.isFinite(v)) throw new OverlayRecordError(`${what}: cannot convert ${v} to an integer`);
  return Math.trunc(v) || 0;
}

/** Read an MRD ROI from its meta values (`parse_roi`). */
export function parseRoi(values: readonly string[] | undefined): Roi {
  if (!Array.isArray(values) || values.length < 8 || values.length % 2) {
    throw new OverlayRecordError('ROI must be a list, have 6 metadata values, at least one coordinate, and an even number of values (x,y pairs)');
  }
  const f = floats(values, 'ROI');
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 6; i < f.length; i += 2) {
    x.push(f[i]!);
    y.push(f[i + 1]!);
  }
  return { x, y, rgb: [f[0]!, f[1]!, f[2]!], thickness: f[3]!, style: toInt(f[4]!, 'ROI style'), visibility: toInt(f[5]!, 'ROI visibility') };
}

export interface TextRecord {
  x: number;
  y: number;
  rgb: [number, number, number];
  visibility: number;
  text: string;
}

export interface TextOptions {
  rgb?: Rgb;
  visibility?: number;
  text?: string;
}

/** An MRD text overlay as the list of meta values (`create_text`). Defaults: red, visible, ''. */
export function createText(x: number, y: number, options: TextOptions = {}): string[] {
  const { rgb = [1, 0, 0], visibility = 1, text = '' } = options;
  return [
    formatPythonFixed(rgb[0]), formatPythonFixed(rgb[1]), formatPythonFixed(rgb[2]),
    formatPythonFixed(x), formatPythonFixed(y), formatPythonInt(visibility), text,
  ];
}

/** Read an MRD text overlay from its meta values (`parse_text`). */
export function parseText(values: readonly string[] | undefined): TextRecord {
  if (!Array.isArray(values) || values.length !== 7) throw new OverlayRecordError('txt must be a list that has exactly 7 metadata values');
  const f = floats(values.slice(0, 6), 'Text');
  return { rgb: [f[0]!, f[1]!, f[2]!], x: f[3]!, y: f[4]!, visibility: toInt(f[5]!, 'Text visibility'), text: values[6]! };
}
