/**
 * dicom2mrd as a library: a folder of DICOM files -> MRD images (in memory), and -> an MRD file.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { logger } from '@mrd-tools/core';
import { DicomReadError, readDicomBytes, type DicomFile } from './dicom-file.js';
import { dicomFilesToMrd, type DicomToMrdResult } from './convert.js';
import { findDicomFiles } from './find-files.js';

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
  const files: DicomFile[] = [];
  const skipped: SkippedFile[] = [];
  let done = 0;
  for (const p of paths) {
    try {
      const bytes = await readFile(p);
      files.push(await readDicomBytes(p, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    } catch (e) {
      const reason = e instanceof DicomReadError ? e.reason : e instanceof Error ? e.message : String(e);
      logger.warning(`Skipping ${p}: ${reason}`);
      skipped.push({ path: p, reason });
    }
    onProgress?.(++done, paths.length);
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
