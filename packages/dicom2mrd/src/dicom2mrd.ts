/**
 * dicom2mrd as a library: a folder of DICOM files -> MRD images (in memory), and -> an MRD file.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ImageSeriesGroups } from '@mrd-tools/tool-kit/image-series-groups';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { asOutputError, checkOutputPath } from '@mrd-tools/core/file-output';
import { logger } from '@mrd-tools/core/logging';
import type { Image } from '@mrd-tools/core/messages';
import { DicomReadError, readDicomBytes, type DicomFile } from './dicom-file.js';
import { dicomFilesToMrd, frameToImage, planDicomToMrd, type DicomToMrdPlan, type DicomToMrdResult } from './convert.js';
import { findDicomFiles } from './find-files.js';

const READ_CONCURRENCY = 8;

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ReadFolderResult {
  files: DicomFile[];
  skipped: SkippedFile[];
}

/**
 * The default output file for a folder: `<folder name>.h5` in the working directory. A trailing
 * slash does not matter (the reference names `data/` -> `.h5`).
 */
export function defaultOutputFile(folder: string): string {
  const name = basename(resolve(folder));
  return (name === '' || name === '/' ? 'dicom' : name) + '.h5';
}

/**
 * Reads every DICOM file under `folder`. Files that cannot be read (not DICOM, truncated,
 * undecodable pixel data) are logged as warnings naming them and returned in `skipped`.
 */
export async function readDicomFolder(folder: string, onProgress?: (done: number, total: number) => void, pixelBudgetBytes = Infinity): Promise<ReadFolderResult> {
  const paths = await findDicomFiles(folder);
  const results: (DicomFile | SkippedFile)[] = new Array(paths.length);
  let done = 0;
  let next = 0;
  let held = 0;
  // A few reads in flight so that file I/O overlaps parsing; results keep the path order.
  async function worker(): Promise<void> {
    while (next < paths.length) {
      const i = next++;
      const p = paths[i]!;
      try {
        const bytes = await readFile(p);
        const file = await readDicomBytes(p, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        held += pixelBytes(file);
        // Beyond the budget the decoded pixels are dropped now and read again when written.
        if (held > pixelBudgetBytes) release(file);
        results[i] = file;
      } catch (e) {
        const reason = e instanceof DicomReadError ? e.reason : e instanceof Error ? e.message : String(e);
        results[i] = { path: p, reason };
      }
      onProgress?.(++done, paths.length);
    }
  }
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, worker));
  const files: DicomFile[] = [];
  const skipped: SkippedFile[] = [];
  for (const r of results) {
    if ('reason' in r) {
      logger.warning(`Skipping ${r.path}: ${r.reason}`);
      skipped.push(r);
    } else files.push(r);
  }
  return { files, skipped };
}

function pixelBytes(f: DicomFile): number {
  return f.pixels.frames.reduce((a, x) => a + x.byteLength, 0);
}

function release(f: DicomFile): void {
  f.pixels = { dataType: f.pixels.dataType, frames: [] };
  f.released = true;
}

export interface ConvertFolderResult extends DicomToMrdResult {
  skipped: SkippedFile[];
  fileCount: number;
}

/** Reads and converts a folder in memory (all pixels held). Throws when no file could be converted. */
export async function convertDicomFolder(folder: string, onProgress?: (done: number, total: number) => void): Promise<ConvertFolderResult> {
  const { files, skipped } = await readDicomFolder(folder, onProgress);
  if (files.length === 0) {
    throw new Error(skipped.length ? `no readable DICOM image in ${folder} (${skipped.length} file(s) skipped)` : `no DICOM files (.dcm, .ima or with a DICM preamble) in ${folder}`);
  }
  return { ...dicomFilesToMrd(files), skipped, fileCount: files.length };
}

export interface WriteMrdResult {
  outFile: string;
  group: string;
  images: number;
  /** Groups that took images whose shape differs from the rest of their series. */
  siblings: string[];
}

/**
 * Writes a conversion plan into `outFile`, group `group`. A new file is created; to an existing
 * file the group is added (existing content is never altered; an existing group of that name is
 * refused rather than mixed with these images). Images are appended series by series in batches;
 * files whose pixels were released are read again (a file that can no longer be read is skipped
 * with a warning and reported in `skipped`).
 */
export async function writeMrdFile(plan: DicomToMrdPlan, outFile: string, group = 'dataset', onProgress?: (done: number, total: number) => void): Promise<WriteMrdResult & { skipped: SkippedFile[] }> {
  // All or nothing (atomic): a new file appears only once complete; a group added to an existing
  // file is committed only at the end, and on failure the file is cut back to what it was.
  let writer: MrdWriter;
  try {
    writer = existsSync(outFile) ? await MrdWriter.addGroup(outFile, { group, atomic: true }) : await MrdWriter.create(outFile, { group, atomic: true });
  } catch (e) {
    throw asOutputError(outFile, e);
  }
  const groups = new ImageSeriesGroups();
  const siblings = new Set<string>();
  const skipped: SkippedFile[] = [];
  const failed = new Set<DicomFile>();
  let images = 0;
  const total = plan.series.reduce((a, s) => a + s.images.length, 0);
  let done = 0;
  // the last re-read file, kept while its frames are written (multi-frame files)
  let cached: { file: DicomFile; pixels: DicomFile['pixels'] } | undefined;
  async function pixelsOf(file: DicomFile): Promise<DicomFile['pixels'] | undefined> {
    if (!file.released) return file.pixels;
    if (cached?.file === file) return cached.pixels;
    if (failed.has(file)) return undefined;
    try {
      const bytes = await readFile(file.path);
      const again = await readDicomBytes(file.path, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      cached = { file, pixels: again.pixels };
      return again.pixels;
    } catch (e) {
      const reason = `could not be read again (${e instanceof DicomReadError ? e.reason : e instanceof Error ? e.message : String(e)})`;
      logger.warning(`Skipping ${file.path}: ${reason}`);
      skipped.push({ path: file.path, reason });
      failed.add(file);
      return undefined;
    }
  }
  try {
    await writer.writeHeader(plan.xml);
    for (const s of plan.series) {
      let batch: { series: string; images: Image[] } | undefined;
      const flush = async () => {
        if (batch && batch.images.length) {
          await writer.appendImages(batch.images, { series: batch.series });
          images += batch.images.length;
        }
        batch = undefined;
      };
      for (const p of s.images) {
        const px = await pixelsOf(p.frame.file);
        onProgress?.(++done, total);
        if (!px) continue;
        const img = frameToImage(p, px);
        const c = groups.choose(img);
        if (c.sibling && c.firstInGroup) {
          siblings.add(c.group);
          logger.warning(`Series ${s.seriesNumber}: image ${img.head.image_index} is ${ImageSeriesGroups.shapeOf(img)}, unlike the rest of its series; stored in ${c.group}`);
        }
        if (batch && (batch.series !== c.group || batch.images.length >= 32)) await flush();
        batch ??= { series: c.group, images: [] };
        batch.images.push(img);
      }
      await flush();
    }
    await writer.close();
  } catch (e) {
    await writer.abandon().catch(() => undefined);
    throw asOutputError(outFile, e);
  }
  return { outFile, group, images, siblings: [...siblings], skipped };
}

/** Decoded pixels held in memory while reading a folder; beyond this they are read again when written. */
const DEFAULT_PIXEL_BUDGET_BYTES = 1 << 30;

/** dicom2mrd: converts the folder and writes the MRD file (memory bounded by `pixelBudgetBytes`). */
export async function dicom2mrd(folder: string, opts: { outFile?: string; outGroup?: string; onProgress?: (done: number, total: number) => void; onWriteProgress?: (done: number, total: number) => void; pixelBudgetBytes?: number } = {}): Promise<WriteMrdResult & { skipped: SkippedFile[]; fileCount: number }> {
  const st = await stat(folder).catch(() => undefined);
  if (!st) throw new Error(`${folder}: no such folder`);
  if (!st.isDirectory()) throw new Error(`${folder}: not a folder`);
  // a folder that cannot take the output is reported before the DICOMs are read
  await checkOutputPath(opts.outFile ?? defaultOutputFile(folder));
  const { files, skipped } = await readDicomFolder(folder, opts.onProgress, opts.pixelBudgetBytes ?? DEFAULT_PIXEL_BUDGET_BYTES);
  if (files.length === 0) {
    throw new Error(skipped.length ? `no readable DICOM image in ${folder} (${skipped.length} file(s) skipped)` : `no DICOM files (.dcm, .ima or with a DICM preamble) in ${folder}`);
  }
  const plan = planDicomToMrd(files);
  const outFile = opts.outFile ?? defaultOutputFile(folder);
  const group = opts.outGroup ?? 'dataset';
  logger.info(`Creating MRD file ${outFile} with group ${group}`);
  const w = await writeMrdFile(plan, outFile, group, opts.onWriteProgress);
  return { ...w, skipped: [...skipped, ...w.skipped], fileCount: files.length - w.skipped.length };
}
