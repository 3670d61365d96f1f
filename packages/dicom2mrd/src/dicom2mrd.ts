/**
 * dicom2mrd as a library: a folder of DICOM files -> MRD images (in memory), and -> an MRD file.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ImageSeriesGroups, MrdWriter, logger, type Image } from '@mrd-tools/core';
import { DicomReadError, readDicomBytes, type DicomFile } from './dicom-file.js';
import { dicomFilesToMrd, type DicomToMrdResult } from './convert.js';
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
export async function readDicomFolder(folder: string, onProgress?: (done: number, total: number) => void): Promise<ReadFolderResult> {
  const paths = await findDicomFiles(folder);
  const results: (DicomFile | SkippedFile)[] = new Array(paths.length);
  let done = 0;
  let next = 0;
  // A few reads in flight so that file I/O overlaps parsing; results keep the path order.
  async function worker(): Promise<void> {
    while (next < paths.length) {
      const i = next++;
      const p = paths[i]!;
      try {
        const bytes = await readFile(p);
        results[i] = await readDicomBytes(p, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
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

export interface ConvertFolderResult extends DicomToMrdResult {
  skipped: SkippedFile[];
  fileCount: number;
}

/** Reads and converts a folder in memory. Throws when no file could be converted. */
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
  /** Images that went to a sibling group because their shape differs from their series. */
  siblings: string[];
}

/**
 * Writes a conversion result into `outFile`, group `group`. A new file is created; to an existing
 * file the group is added (existing content is never altered; an existing group of that name is
 * refused rather than mixed with these images).
 */
export async function writeMrdFile(result: DicomToMrdResult, outFile: string, group = 'dataset'): Promise<WriteMrdResult> {
  const writer = existsSync(outFile) ? await MrdWriter.addGroup(outFile, { group }) : await MrdWriter.create(outFile, { group });
  const groups = new ImageSeriesGroups();
  const siblings = new Set<string>();
  let images = 0;
  try {
    await writer.writeHeader(result.xml);
    for (const s of result.series) {
      const runs = new Map<string, Image[]>();
      for (const img of s.images) {
        const c = groups.choose(img);
        if (c.sibling && c.firstInGroup) {
          siblings.add(c.group);
          logger.warning(`Series ${s.seriesNumber}: image ${img.head.image_index} is ${ImageSeriesGroups.shapeOf(img)}, unlike the rest of its series; stored in ${c.group}`);
        }
        const run = runs.get(c.group) ?? [];
        run.push(img);
        runs.set(c.group, run);
      }
      for (const [name, imgs] of runs) {
        await writer.appendImages(imgs, { series: name });
        images += imgs.length;
      }
    }
    await writer.close();
  } catch (e) {
    await writer.abandon().catch(() => undefined);
    throw e;
  }
  return { outFile, group, images, siblings: [...siblings] };
}

/** dicom2mrd: converts the folder and writes the MRD file. */
export async function dicom2mrd(folder: string, opts: { outFile?: string; outGroup?: string; onProgress?: (done: number, total: number) => void } = {}): Promise<WriteMrdResult & { skipped: SkippedFile[]; fileCount: number }> {
  const st = await stat(folder).catch(() => undefined);
  if (!st) throw new Error(`${folder}: no such folder`);
  if (!st.isDirectory()) throw new Error(`${folder}: not a folder`);
  const result = await convertDicomFolder(folder, opts.onProgress);
  const outFile = opts.outFile ?? defaultOutputFile(folder);
  const group = opts.outGroup ?? 'dataset';
  logger.info(`Creating MRD file ${outFile} with group ${group}`);
  const w = await writeMrdFile(result, outFile, group);
  return { ...w, skipped: result.skipped, fileCount: result.fileCount };
}
