/**
 * Preview frames (8-bit pictures of MR images) and the layout operations previews need:
 * integer upscaling, tiling several frames into one (mosaic, side-by-side), RGB conversion.
 */

/** 256 RGB entries, 768 bytes. */
export type Palette = Uint8Array;

/** The grey palette (index i -> (i, i, i)). */
export function greyPalette(): Palette {
  const p = new Uint8Array(768);
  for (let i = 0; i < 256; i++) p[3 * i] = p[3 * i + 1] = p[3 * i + 2] = i;
  return p;
}

export interface PreviewFrame {
  width: number;
  height: number;
  /** 'indexed': one byte per pixel into `palette` (grey when null); 'rgb': 3 bytes per pixel. */
  mode: 'indexed' | 'rgb';
  pixels: Uint8Array;
  palette: Palette | null;
}

const GREY = greyPalette();

export function indexedFrame(width: number, height: number, pixels: Uint8Array, palette: Palette | null = null): PreviewFrame {
  if (pixels.length !== width * height) throw new RangeError(`frame of ${width}x${height} needs ${width * height} pixels, got ${pixels.length}`);
  return { width, height, mode: 'indexed', pixels, palette };
}

export function rgbFrame(width: number, height: number, pixels: Uint8Array): PreviewFrame {
  if (pixels.length !== 3 * width * height) throw new RangeError(`RGB frame of ${width}x${height} needs ${3 * width * height} bytes, got ${pixels.length}`);
  return { width, height, mode: 'rgb', pixels, palette: null };
}

/** The frame's palette (grey for an indexed frame without one). */
export function paletteOf(f: PreviewFrame): Palette {
  return f.palette ?? GREY;
}

/** The frame as RGB (a copy for indexed frames, the frame itself when already RGB). */
export function toRgb(f: PreviewFrame): PreviewFrame {
  if (f.mode === 'rgb') return f;
  const pal = paletteOf(f);
  const out = new Uint8Array(3 * f.pixels.length);
  for (let i = 0; i < f.pixels.length; i++) {
    const k = 3 * f.pixels[i];
    out[3 * i] = pal[k];
    out[3 * i + 1] = pal[k + 1];
    out[3 * i + 2] = pal[k + 2];
  }
  return rgbFrame(f.width, f.height, out);
}

/** Integer upscaling by pixel replication (every pixel becomes an r x r block). */
export function upscale(f: PreviewFrame, r: number): PreviewFrame {
  if (!Number.isInteger(r) || r < 1) throw new RangeError(`rescale factor must be a positive integer, got ${r}`);
  if (r === 1) return f;
  const bpp = f.mode === 'rgb' ? 3 : 1;
  const w = f.width * r;
  const h = f.height * r;
  const out = new Uint8Array(w * h * bpp);
  const rowBytes = w * bpp;
  for (let y = 0; y < f.height; y++) {
    const dst = y * r * rowBytes;
    const src = y * f.width * bpp;
    for (let x = 0; x < f.width; x++) {
      for (let c = 0; c < bpp; c++) {
        const v = f.pixels[src + x * bpp + c];
        for (let k = 0; k < r; k++) out[dst + (x * r + k) * bpp + c] = v;
      }
    }
    for (let k = 1; k < r; k++) out.copyWithin(dst + k * rowBytes, dst, dst + rowBytes);
  }
  return { ...f, width: w, height: h, pixels: out };
}

function samePalette(a: PreviewFrame, b: PreviewFrame): boolean {
  const pa = paletteOf(a);
  const pb = paletteOf(b);
  if (pa === pb) return true;
  for (let i = 0; i < 768; i++) if (pa[i] !== pb[i]) return false;
  return true;
}

/**
 * Places frames (all of the first frame's size) on a rows x cols grid, row by row, unused
 * tiles black. Indexed frames sharing one palette stay indexed; otherwise the result is RGB.
 */
export function tile(frames: PreviewFrame[], rows: number, cols: number): PreviewFrame {
  if (frames.length === 0) throw new RangeError('nothing to tile');
  if (rows * cols < frames.length) throw new RangeError(`${rows} rows x ${cols} cols is insufficient for ${frames.length} images`);
  const { width, height } = frames[0];
  for (const f of frames) {
    if (f.width !== width || f.height !== height) throw new RangeError(`cannot tile frames of different sizes (${width}x${height} and ${f.width}x${f.height})`);
  }
  const indexed = frames.every((f) => f.mode === 'indexed' && samePalette(f, frames[0]));
  const src = indexed ? frames : frames.map(toRgb);
  const bpp = indexed ? 1 : 3;
  const W = width * cols;
  const H = height * rows;
  const out = new Uint8Array(W * H * bpp);
  src.forEach((f, idx) => {
    const r = Math.floor(idx / cols);
    const c = idx % cols;
    for (let y = 0; y < height; y++) {
      out.set(f.pixels.subarray(y * width * bpp, (y + 1) * width * bpp), ((r * height + y) * W + c * width) * bpp);
    }
  });
  return indexed ? indexedFrame(W, H, out, frames[0].palette) : rgbFrame(W, H, out);
}

/**
 * The grid the newer reference mrd2gif chooses for a mosaic of n frames of w x h: aiming at a
 * 16:9 picture, not taller than 0.67 width/height, no empty row or column in one-line layouts.
 */
export function mosaicGrid(n: number, width: number, height: number): { rows: number; cols: number } {
  const target = 16 / 9;
  const aspect = width / height;
  let cols = Math.ceil(Math.sqrt(n / target / aspect));
  let rows = Math.ceil(n / cols);
  if ((width * cols) / (height * rows) < 0.67) {
    rows = Math.max(rows - 1, 1);
    cols = Math.ceil(n / rows);
  }
  if (cols === 1 && rows !== n) rows = n;
  if (rows === 1 && cols !== n) cols = n;
  return { rows, cols };
}

/** A mosaic of the frames on the grid `mosaicGrid` picks. */
export function mosaic(frames: PreviewFrame[]): PreviewFrame {
  const { rows, cols } = mosaicGrid(frames.length, frames[0].width, frames[0].height);
  return tile(frames, rows, cols);
}

/** Frames side by side, left to right. */
export function sideBySide(frames: PreviewFrame[]): PreviewFrame {
  return tile(frames, 1, frames.length);
}

/** True when both frames show the same picture (same size and the same RGB at every pixel). */
export function framesLookEqual(a: PreviewFrame, b: PreviewFrame): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  if (a.mode === 'indexed' && b.mode === 'indexed' && samePalette(a, b)) {
    const pa = a.pixels;
    const pb = b.pixels;
    for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return false;
    return true;
  }
  const ra = toRgb(a).pixels;
  const rb = toRgb(b).pixels;
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return false;
  return true;
}
