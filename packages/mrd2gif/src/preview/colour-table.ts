/**
 * Colour lookup tables for previews: the table an image's `LUTFileName` (or
 * `GADGETRON_ColorMap`) meta attribute names, looked up as the reference `mrd2gif.py` does:
 * the name's extension is replaced by `.npy` (a numpy (256, 3) array of 0..255 RGB values) and
 * the file is searched in the working directory, in `colormaps/` below it, and in the tool's own
 * directory and its `colormaps/`. A missing table is reported to the caller, which warns and
 * keeps the frames grey.
 *
 * The `.npy` reader is hand-written: the format is a 10-line header plus raw little/big-endian
 * numbers, and the npm readers (npyjs etc.) are built around fetch()/URLs rather than files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Palette } from './frame.js';

export interface NpyArray {
  shape: number[];
  fortranOrder: boolean;
  data: Float64Array;
}

const TYPE_SIZES: Record<string, number> = { b1: 1, u1: 1, i1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8, f4: 4, f8: 8 };

/** Parses a numpy `.npy` file of a real numeric type into float64 values (C order as stored). */
export function parseNpy(buf: Uint8Array, name = '.npy file'): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (buf.length < 10 || !magic.every((b, i) => buf[i] === b)) throw new Error(`${name}: not a numpy .npy file (bad magic)`);
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new Error(`${name}: unsupported .npy version ${major}`);
  }
  const header = new TextDecoder('latin1').decode(buf.subarray(offset, offset + headerLen));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw new Error(`${name}: unreadable .npy header`);
  const little = descr[1] !== '>';
  const type = descr[2];
  const size = TYPE_SIZES[type];
  if (!size) throw new Error(`${name}: unsupported .npy element type ${descr[1]}${type}`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = offset + headerLen;
  if (start + count * size > buf.length) throw new Error(`${name}: truncated (${count} values of ${size} bytes expected)`);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const p = start + i * size;
    switch (type) {
      case 'b1': case 'u1': data[i] = view.getUint8(p); break;
      case 'i1': data[i] = view.getInt8(p); break;
      case 'u2': data[i] = view.getUint16(p, little); break;
      case 'i2': data[i] = view.getInt16(p, little); break;
      case 'u4': data[i] = view.getUint32(p, little); break;
      case 'i4': data[i] = view.getInt32(p, little); break;
      case 'u8': data[i] = Number(view.getBigUint64(p, little)); break;
      case 'i8': data[i] = Number(view.getBigInt64(p, little)); break;
      case 'f4': data[i] = view.getFloat32(p, little); break;
      case 'f8': data[i] = view.getFloat64(p, little); break;
    }
  }
  return { shape, fortranOrder: fortran[1] === 'True', data };
}

/** A (256, 3) array of 0..255 values as a palette (values are truncated and clipped as PIL's putpalette of ints). */
function paletteFromNpy(arr: NpyArray, name = '.npy file'): Palette {
  if (arr.shape.length !== 2 || arr.shape[1] !== 3 || arr.shape[0] < 1 || arr.shape[0] > 256) {
    throw new Error(`${name}: a colour table must have shape (256, 3), found (${arr.shape.join(', ')})`);
  }
  const rows = arr.shape[0];
  const p = new Uint8Array(768);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < 3; c++) {
      const v = arr.fortranOrder ? arr.data[c * rows + r] : arr.data[r * 3 + c];
      p[r * 3 + c] = Math.max(0, Math.min(255, Math.trunc(v)));
    }
  }
  return p;
}

/** `foo/bar.pal` -> `foo/bar.npy` (os.path.splitext semantics: a leading dot is not an extension). */
export function lutFileName(metaValue: string): string {
  const ext = extname(metaValue);
  const stem = ext && basename(metaValue) !== ext ? metaValue.slice(0, -ext.length) : metaValue;
  return stem + '.npy';
}

export interface LutLookup {
  /** The `.npy` name searched for. */
  name: string;
  /** The file found, or null. */
  path: string | null;
}

/**
 * Where the table named by a meta value lives: `<cwd>/<name>`, `<cwd>/colormaps/<name>`,
 * `<toolDir>/<name>`, `<toolDir>/colormaps/<name>` (first existing wins).
 */
export function findColourTable(metaValue: string, options: { cwd?: string; toolDir?: string } = {}): LutLookup {
  const name = lutFileName(metaValue);
  const cwd = options.cwd ?? process.cwd();
  const dirs = [cwd, join(cwd, 'colormaps')];
  if (options.toolDir) dirs.push(options.toolDir, join(options.toolDir, 'colormaps'));
  for (const d of dirs) {
    const p = resolve(d, name);
    if (existsSync(p)) return { name, path: p };
  }
  return { name, path: null };
}

/** Loads a palette from a `.npy` colour table file. */
export function loadColourTable(path: string): Palette {
  return paletteFromNpy(parseNpy(readFileSync(path), path), path);
}
