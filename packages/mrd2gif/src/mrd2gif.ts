/**
 * mrd2gif: animated GIF (or PNG) previews of the image series of an MRD file, as the reference
 * `mrd2gif.py` (usc-mrel fork) with the options of the newer upstream version.
 *
 * Per image series of the chosen group (default: the last group, as the reference):
 * 1. frames in image order, then channel, then slice (z); complex data as magnitude; RGB images
 *    (image_type 6 with three channels) passed through without windowing;
 *    RescaleSlope/RescaleIntercept (or GADGETRON_ScaleRatio/ScaleOffset) applied first;
 * 2. window: `WindowCenter`/`WindowWidth` meta (or GADGETRON_ keys) when present, else the
 *    series window (median over frames of the 5th/95th percentiles), or per frame with
 *    `floatingWindow`; a zero-width window gives mid-grey instead of a division by zero;
 * 3. colour lookup table named by `LUTFileName`/`GADGETRON_ColorMap` when its `.npy` file is
 *    found (a warning and grey frames otherwise);
 * 4. integer upscaling (`rescale`) of every frame by pixel replication; visible ROIs
 *    (`ROI_*`, `GT_ROI_*`) drawn in their colour and line width, their coordinates scaled once
 *    by the same factor (the reference scales the shared ROI list again for every channel/slice
 *    frame of an image, so its ROIs drift away with -r on multi-frame images);
 * 5. optional comparison with a reference file: each frame becomes [image | reference |
 *    scaled difference] side by side, the reference shown with the image's window;
 * 6. optional mosaics (slices, else contrasts, with equal frame counts; or small series);
 * 7. written next to the input as `<input base>_<group>_<series><_SequenceDescriptionAdditional>.gif`
 *    (characters other than letters, digits, space, `.` and `_` removed, spaces as `_`); as the
 *    reference, an earlier preview of the same name is replaced, but only once the new one is
 *    complete (atomic write: a failure leaves the old preview and no partial file).
 *
 * MRD v2 files (binary or NDJSON, by their first bytes) are read as the one group `dataset` with
 * the series `image_<image_series_index>` (mrd-core's mrd-v2-file), so they preview as their v1
 * conversion does.
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { applyWindow, differenceGrey, type WindowRange } from './preview/window.js';
import { checkOutputFolder, OutputFileError, writeFileAtomic } from '@mrd-tools/core/file-output';
import { drawPolyline } from './preview/roi-drawing.js';
import { findColourTable, loadColourTable } from './preview/colour-table.js';
import type { Palette } from './preview/frame.js';
import { indexedFrame, mosaic, rgbFrame, sideBySide, toRgb, upscale, type PreviewFrame } from './preview/frame.js';
import { logger } from '@mrd-tools/core/logging';
import { openMrdFile, type MrdFileReader } from '@mrd-tools/core/mrd-v2-file';
import type { Image } from '@mrd-tools/core/messages';
import type { MetaAttributes } from '@mrd-tools/core/meta';
import { roiPolylines, seriesFrameWindows, sourceFramesOf, type SourceFrame } from './source-frames.js';
import { encodeGifParallel, encodePng, gifThreads, gifWorkerScript, GifWorkerPool, rgbFitsGif } from './encode.js';

export type PreviewFileType = 'gif' | 'png';

export interface Mrd2gifOptions {
  /** Group to read (default: the last group of the file). */
  inGroup?: string;
  /** Only this series (e.g. `image_0`). */
  series?: string;
  /** Integer upscaling factor of every frame (default 1). */
  rescale?: number;
  /** Animation frame rate (default 25, i.e. 40 ms per frame). */
  fps?: number;
  /** Mosaic the frames of several slices (or, without slices, contrasts) into one frame each. */
  mosaicSlices?: boolean;
  /** Also mosaic a whole series into one picture when it has fewer frames than this (0: never). */
  mosaicLessThan?: number;
  /** Turn every kind of mosaic off (overrides the two options above). */
  noMosaic?: boolean;
  /** Output type (default gif). */
  filetype?: PreviewFileType;
  /** PNG only: all frames of a series side by side in one file instead of one file per frame. */
  pngStrip?: boolean;
  /** Window each frame by itself rather than the whole series. */
  floatingWindow?: boolean;
  /** A reference MRD file to compare with. */
  refFilename?: string;
  /** Group of the reference file (default: its last group). */
  refInGroup?: string;
  /** Scale of the difference image (default 1). */
  refDiffScale?: number;
  /** Folder for the outputs (default: the input's folder, as the reference). */
  outputDir?: string;
  /** Folder searched for colour tables after the working directory (default: this tool's folder). */
  toolDir?: string;
  /** Working directory for colour-table lookup (default process.cwd()). */
  cwd?: string;
  /** Progress while reading a series: images read so far of the series' total. */
  onProgress?: (series: string, done: number, total: number) => void;
}

export interface Mrd2gifOutput {
  group: string;
  series: string;
  filetype: PreviewFileType;
  /** Files written (one, or one per frame for PNG). */
  files: string[];
  /** Frames written (after mosaics; GIF: before merging identical consecutive frames). */
  frames: number;
  width: number;
  height: number;
}

interface ColourTables {
  get(meta: MetaAttributes): Palette | null;
}

function colourTables(opts: Mrd2gifOptions): ColourTables {
  const cache = new Map<string, Palette | null>();
  return {
    get(meta) {
      const name = meta.get('LUTFileName') ?? meta.get('GADGETRON_ColorMap');
      if (name === undefined) return null;
      if (cache.has(name)) return cache.get(name)!;
      const found = findColourTable(name, { cwd: opts.cwd, toolDir: opts.toolDir });
      let pal: Palette | null = null;
      if (found.path) {
        try {
          pal = loadColourTable(found.path);
          logger.info(`  Applying LUT file ${found.path}`);
        } catch (e) {
          logger.warning(`LUT file ${found.path}: ${(e as Error).message} -- frames stay grey`);
        }
      } else {
        logger.warning(`LUT file ${found.name} specified by MetaAttributes, but not found -- frames stay grey`);
      }
      cache.set(name, pal);
      return pal;
    },
  };
}

interface DisplayedSeries {
  frames: PreviewFrame[];
  sources: SourceFrame[];
  windows: (WindowRange | null)[];
}

/** Windows, colours, upscales and draws ROIs on the frames of a series. */
function displayFrames(sources: SourceFrame[], windowsIn: (WindowRange | null)[] | null, opts: Mrd2gifOptions, luts: ColourTables): DisplayedSeries {
  const r = opts.rescale ?? 1;
  let windows: (WindowRange | null)[];
  if (windowsIn) {
    windows = windowsIn;
  } else {
    windows = seriesFrameWindows(sources, opts.floatingWindow ?? false);
  }
  const hasRois = sources.some((s) => s.rois.length > 0);
  const frames = sources.map((s, i) => {
    let f: PreviewFrame;
    if (s.rgb) {
      f = rgbFrame(s.width, s.height, s.rgb);
    } else {
      const grey = applyWindow(s.values!, windows[i]!);
      f = indexedFrame(s.width, s.height, grey, luts.get(s.meta));
    }
    if (hasRois && f.mode === 'indexed') f = toRgb(f);
    f = upscale(f, r);
    if (s.rois.length > 0 && s.rgb === null) {
      const target = { width: f.width, height: f.height, rgb: f.pixels }; // a fresh RGB copy (toRgb above)
      for (const line of roiPolylines(s, r)) drawPolyline(target, line.xs, line.ys, line.ink, line.thickness);
      f = rgbFrame(f.width, f.height, target.rgb);
    }
    return f;
  });
  return { frames, sources, windows };
}

/** [image | reference | difference] per frame. */
function comparisonFrames(a: DisplayedSeries, b: DisplayedSeries, scale: number, rescale: number): PreviewFrame[] {
  return a.frames.map((fa, i) => {
    const fb = b.frames[i];
    const sa = a.sources[i];
    const sb = b.sources[i];
    let diff: PreviewFrame;
    const win = a.windows[i];
    if (sa.values && sb.values && win && sa.values.length === sb.values.length) {
      const g = differenceGrey(sa.values, sb.values, win, scale);
      diff = upscale(indexedFrame(sa.width, sa.height, g, fa.mode === 'indexed' ? fa.palette : null), rescale);
      if (fa.mode === 'rgb' || fb.mode === 'rgb') {
        // ROIs burned in: also show differences of the overlays (display space)
        const ra = toRgb(fa).pixels;
        const rb = toRgb(fb).pixels;
        const rd = toRgb(diff).pixels.slice();
        for (let k = 0; k < rd.length; k++) rd[k] = Math.max(rd[k], Math.abs(ra[k] - rb[k]));
        diff = rgbFrame(fa.width, fa.height, rd);
      }
    } else {
      const ra = toRgb(fa).pixels;
      const rb = toRgb(fb).pixels;
      const rd = new Uint8Array(ra.length);
      if (ra.length === rb.length) for (let k = 0; k < rd.length; k++) rd[k] = Math.abs(ra[k] - rb[k]);
      diff = rgbFrame(fa.width, fa.height, rd);
    }
    if (fb.width !== fa.width || fb.height !== fa.height) {
      throw new Error(`reference frame ${i} is ${fb.width}x${fb.height}, the image is ${fa.width}x${fa.height}`);
    }
    return sideBySide([fa, fb, diff]);
  });
}

/** Mosaics as the newer reference: by slice, else by contrast (equal counts), else small series. */
function mosaicFrames(frames: PreviewFrame[], sources: SourceFrame[], opts: Mrd2gifOptions): PreviewFrame[] {
  if (opts.noMosaic) return frames;
  const lessThan = opts.mosaicLessThan ?? 0;
  const byKey = (key: (s: SourceFrame) => number): PreviewFrame[][] | null => {
    const keys = [...new Set(sources.map(key))].sort((x, y) => x - y);
    if (keys.length < 2) return null;
    return keys.map((k) => frames.filter((_, i) => key(sources[i]) === k));
  };
  if (opts.mosaicSlices) {
    const nz = Math.max(...sources.map((s) => Math.max(1, s.head.matrix_size[2])));
    const groups = byKey((s) => s.head.slice * nz + s.z) ?? byKey((s) => s.head.contrast);
    if (groups) {
      const kind = byKey((s) => s.head.slice * nz + s.z) ? 'slices' : 'contrasts';
      const counts = new Set(groups.map((g) => g.length));
      if (counts.size > 1) {
        logger.warning(`  Failed to create mosaic because not all ${kind} have the same number of images -- skipping mosaic`);
      } else {
        logger.info(`  Creating a mosaic of ${groups[0].length} images with ${groups.length} ${kind} in each`);
        return groups[0].map((_, t) => mosaic(groups.map((g) => g[t])));
      }
      return frames;
    }
  }
  if (lessThan > 0 && frames.length > 1 && frames.length < lessThan) {
    logger.info(`  Creating a mosaic of ${frames.length} images (number of images in series is <${lessThan})`);
    return [mosaic(frames)];
  }
  return frames;
}

/** `<base>_<group>_<series><suffix>.<ext>` filtered as the reference does. */
export function previewFileName(inputFile: string, group: string, series: string, suffix: string, ext: string): string {
  const base = basename(inputFile, extname(inputFile));
  const raw = `${base}_${group}_${series}${suffix}.${ext}`;
  const kept = Array.from(raw).filter((c) => /[\p{L}\p{N} ._]/u.test(c)).join('').trimEnd();
  return kept.replace(/ /g, '_');
}

/** The file-name suffix from SequenceDescriptionAdditional (or GADGETRON_SeqDescription). */
export function sequenceSuffix(meta: MetaAttributes | undefined): string {
  if (!meta) return '';
  const add = meta.get('SequenceDescriptionAdditional');
  if (add !== undefined) return '_' + add;
  const gt = meta.getAll('GADGETRON_SeqDescription');
  if (gt !== undefined) return '_' + gt.map((s) => s.replace(/^_+/, '')).join('_');
  return '';
}

async function readImages(file: MrdFileReader, group: string, series: string, onProgress?: Mrd2gifOptions['onProgress']): Promise<Image[]> {
  const images: Image[] = [];
  const total = file.imageCount(group, series);
  // Batches of 32 images: measured cheaper than the reader's adaptive default on long series
  // of small images (less wasm heap growth for the first read).
  for await (const img of file.images(group, series, { batchSize: 32 })) {
    images.push(img);
    onProgress?.(series, images.length, total);
  }
  return images;
}

/** A series rendered for writing. */
export interface RenderedSeries {
  frames: PreviewFrame[];
  /** The first image's meta attributes (serialized), stored in the output as the newer reference does; '' when none. */
  metaText: string;
  filetype: PreviewFileType;
  /** File-name suffix: `_<SequenceDescriptionAdditional>` and `_diff` for comparisons. */
  suffix: string;
}

/**
 * Renders the images of one series (and, for a comparison, the reference file's images of the
 * same series) into preview frames. `where` names the series in messages. Returns null when a
 * comparison is impossible (different image counts; a warning says why).
 */
export function renderSeries(images: Image[], opts: Mrd2gifOptions = {}, refImages?: Image[], where = 'series'): RenderedSeries | null {
  const rescale = opts.rescale ?? 1;
  if (!Number.isInteger(rescale) || rescale < 1) throw new Error(`rescale must be a positive integer, got ${opts.rescale}`);
  const luts = colourTables(opts);
  const sources = sourceFramesOf(images, where);
  if (sources.length === 0) throw new Error(`${where}: no images`);
  logger.info(`  Read in ${sources.length} images of shape (${sources[0].height}, ${sources[0].width})`);
  const shown = displayFrames(sources, null, opts, luts);
  let frames = shown.frames;
  let isDiff = false;
  if (refImages) {
    const refSources = sourceFramesOf(refImages, `reference ${where}`);
    if (refSources.length !== sources.length) {
      logger.warning(`  Number of reference images (${refSources.length}) does not match number of source images (${sources.length}) -- ${where} skipped`);
      return null;
    }
    const refShown = displayFrames(refSources, shown.windows, opts, luts);
    frames = comparisonFrames(shown, refShown, opts.refDiffScale ?? 1, rescale);
    isDiff = true;
  }
  frames = mosaicFrames(frames, sources, opts);
  let filetype: PreviewFileType = opts.filetype ?? 'gif';
  if (filetype === 'gif' && !rgbFitsGif(frames)) {
    logger.warning('  RGB image has >256 colors -- switching to .png to avoid dithering');
    filetype = 'png';
  }
  const metaText = sources[0].meta.size > 0 ? sources[0].meta.serialize() : '';
  return { frames, filetype, metaText, suffix: sequenceSuffix(sources[0].meta) + (isDiff ? '_diff' : '') };
}

/** Writes a rendered series as `name` (its extension decides nothing: `r.filetype` does). */
async function writeRendered(r: RenderedSeries, outDir: string, name: string, opts: Mrd2gifOptions, pool: GifWorkerPool | null): Promise<{ files: string[]; width: number; height: number }> {
  const fps = opts.fps ?? 25;
  const frames = r.frames;
  const files: string[] = [];
  const text = r.metaText ? { keyword: 'MetaAttributes', text: r.metaText } : undefined;
  if (r.filetype === 'gif') {
    const p = join(outDir, name);
    logger.info(`  Writing image: ${p}`);
    await writeFileAtomic(p, await encodeGifParallel(frames, { delayMs: 1000 / fps, pool, comment: r.metaText || undefined }), { overwrite: true });
    files.push(p);
    return { files, width: frames[0].width, height: frames[0].height };
  }
  if (frames.length === 1 || opts.pngStrip) {
    const p = join(outDir, name);
    const f = frames.length === 1 ? frames[0] : sideBySide(frames);
    logger.info(`  Writing image: ${p}`);
    await writeFileAtomic(p, encodePng(f, text), { overwrite: true });
    files.push(p);
    return { files, width: f.width, height: f.height };
  }
  const stem = name.slice(0, -extname(name).length);
  const digits = String(frames.length - 1).length;
  for (let i = 0; i < frames.length; i++) {
    const p = join(outDir, `${stem}_${String(i).padStart(digits, '0')}.png`);
    await writeFileAtomic(p, encodePng(frames[i], i === 0 ? text : undefined), { overwrite: true });
    files.push(p);
  }
  logger.info(`  Writing images: ${files[0]} .. ${files[files.length - 1]}`);
  return { files, width: frames[0].width, height: frames[0].height };
}

function lastGroup(file: MrdFileReader, path: string): string {
  const groups = file.groups();
  if (groups.length === 0) throw new Error(`${path}: the file has no groups`);
  // h5py lists groups by name; the reference takes the last of that list
  return [...groups].sort()[groups.length - 1];
}

/**
 * Writes the previews of an MRD file's image series. Returns what was written.
 * Throws (with the file/group/series at fault in the message) on unreadable input.
 */
export async function mrd2gif(filename: string, options: Mrd2gifOptions = {}): Promise<Mrd2gifOutput[]> {
  const opts: Mrd2gifOptions = { ...options };
  const rescale = opts.rescale ?? 1;
  if (!Number.isInteger(rescale) || rescale < 1) throw new Error(`rescale must be a positive integer, got ${opts.rescale}`);
  const fps = opts.fps ?? 25;
  if (!(fps > 0) || !Number.isFinite(fps)) throw new Error(`fps must be a positive number, got ${opts.fps}`);
  // GIF encoding workers start now, so that their start-up overlaps reading and windowing.
  const script = (opts.filetype ?? 'gif') === 'gif' ? gifWorkerScript() : null;
  const pool = script && gifThreads() > 1 ? new GifWorkerPool(script, gifThreads() - 1) : null;
  let file: MrdFileReader;
  try {
    file = await openMrdFile(filename);
  } catch (e) {
    await pool?.close();
    throw e;
  }
  let ref: MrdFileReader | null = null;
  try {
    const groups = file.groups();
    logger.info(`File ${filename} contains ${groups.length} groups:`);
    logger.info('  ' + groups.join('\n  '));
    let group = opts.inGroup;
    if (!group) {
      group = lastGroup(file, filename);
      logger.info(`Input group not specified -- selecting most recent: ${group}`);
    }
    if (!groups.includes(group)) throw new Error(`${filename}: could not find group ${group} (groups: ${groups.join(', ') || 'none'})`);
    logger.info(`Reading data from group '${group}' in file '${filename}'`);
    const allSeries = file.imageSeries(group);
    if (allSeries.length === 0) throw new Error(`${filename}: group ${group} holds no image series (it is not MRD image data)`);
    logger.info(`Found ${allSeries.length} image sub-groups: ${allSeries.join(', ')}`);
    const seriesList = opts.series ? allSeries.filter((s) => s === opts.series) : allSeries;
    if (opts.series && seriesList.length === 0) throw new Error(`${filename}: group ${group} has no series ${opts.series} (series: ${allSeries.join(', ')})`);

    let refGroup: string | undefined;
    if (opts.refFilename) {
      ref = await openMrdFile(opts.refFilename);
      refGroup = opts.refInGroup || lastGroup(ref, opts.refFilename);
      if (!ref.groups().includes(refGroup)) throw new Error(`${opts.refFilename}: could not find group ${refGroup}`);
      logger.info(`Reference file ${opts.refFilename}: comparing with group ${refGroup}`);
    }

    const outDir = opts.outputDir ?? dirname(resolve(filename));
    await checkOutputFolder(outDir); // a read-only folder is reported before anything is rendered
    const outputs: Mrd2gifOutput[] = [];
    for (const series of seriesList) {
      logger.info(`Reading images from '/${group}/${series}'`);
      const images = await readImages(file, group, series, opts.onProgress);
      if (images.length === 0) {
        logger.warning(`${filename}: /${group}/${series} has no images -- skipped`);
        continue;
      }
      const refImages = ref && refGroup ? await readImages(ref, refGroup, series) : undefined;
      const where = `${filename}: /${group}/${series}`;
      const named = (e: unknown) => {
        if (e instanceof OutputFileError) return e; // names the output file itself
        const msg = (e as Error).message;
        return msg.startsWith(filename) ? (e as Error) : new Error(`${where}: ${msg}`);
      };
      let rendered: RenderedSeries | null;
      try {
        rendered = renderSeries(images, opts, refImages, where);
      } catch (e) {
        throw named(e);
      }
      if (!rendered) continue;
      const name = previewFileName(filename, group, series, rendered.suffix, rendered.filetype);
      let w: Awaited<ReturnType<typeof writeRendered>>;
      try {
        w = await writeRendered(rendered, outDir, name, opts, pool);
      } catch (e) {
        throw named(e);
      }
      outputs.push({ group, series, filetype: rendered.filetype, files: w.files, frames: rendered.frames.length, width: w.width, height: w.height });
    }
    return outputs;
  } finally {
    file.close();
    ref?.close();
    await pool?.close();
  }
}
