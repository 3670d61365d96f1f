/**
 * mrd2dicom as a library: MRD images (+ XML header) -> DICOM files in memory, and an MRD file ->
 * a folder of DICOM files.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { OutputFileError, prepareOutputFolder, removeCreatedFolders, writeFileAtomic, type CreatedFolders } from '@mrd-tools/core/file-output';
import { Tag, generateUid, stringValue, decodeDicomJsonMeta } from '@mrd-tools/dicom-mapping';
import { logger } from '@mrd-tools/core/logging';
import { parseIsmrmrdHeader, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { parseMeta, MetaAttributes } from '@mrd-tools/core/meta';
import type { Image } from '@mrd-tools/core/messages';
import { imagePartToDicom, type DicomImagePart, type UidContext } from './image-to-dicom.js';
import { writeDicomFile } from './dicom-writer.js';

export interface MrdImageSeries {
  /** The series group name, e.g. `image_0`. */
  name: string;
  images: Image[];
}

export interface DicomFileOut {
  /** Suggested file name `<series>_<description>_<instance>.dcm` (sanitised, unique in this set). */
  fileName: string;
  bytes: Uint8Array;
  series: string;
  sopInstanceUID: string;
}

/** Only letters, digits, `-`, `_`, `.` (no path separators, no leading dot). */
export function safeFileNamePart(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, 100);
}

function pad(n: number, width: number): string {
  const s = String(Math.round(Math.abs(n))).padStart(width, '0');
  return n < 0 ? '-' + s : s;
}

export function dicomFileName(seriesNumber: number, description: string, instance: number): string {
  return `${pad(seriesNumber, 2)}_${safeFileNamePart(description)}_${pad(instance, 3)}.dcm`;
}

/** A name not in `used` (adding `_1`, `_2`, ... before `.dcm`); records it in `used`. */
function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let k = 1; used.has(candidate.toLowerCase()); k++) candidate = name.replace(/\.dcm$/, `_${k}.dcm`);
  used.add(candidate.toLowerCase());
  return candidate;
}

function parseHeader(xml: string | undefined): IsmrmrdHeader | undefined {
  if (!xml) return undefined;
  try {
    return parseIsmrmrdHeader(xml);
  } catch (e) {
    logger.warning(`The MRD XML header is not a valid ismrmrdHeader (${e instanceof Error ? e.message : String(e)}); patient/series/equipment tags come from the images only`);
    return undefined;
  }
}

function parseImageMeta(image: Image, where: string): MetaAttributes {
  try {
    return parseMeta(image.attribute ?? '');
  } catch (e) {
    logger.warning(`${where}: meta attributes are not readable (${e instanceof Error ? e.message : String(e)}); ignored`);
    return new MetaAttributes();
  }
}

function expectedLength(image: Image): number {
  const h = image.head;
  const complex = h.data_type === DataType.CXFLOAT || h.data_type === DataType.CXDOUBLE;
  return h.channels * h.matrix_size[0]! * h.matrix_size[1]! * Math.max(1, h.matrix_size[2]!) * (complex ? 2 : 1);
}

/** The StudyInstanceUID all files of one MRD file share: the header's, else the first image's original, else new. */
function studyUid(header: IsmrmrdHeader | undefined, first: Image | undefined): string {
  const fromHeader = header?.studyInformation?.studyInstanceUID?.trim();
  if (fromHeader) return fromHeader;
  if (first) {
    try {
      const j = parseMeta(first.attribute ?? '').get('DicomJson');
      if (j) {
        const uid = stringValue(decodeDicomJsonMeta(j), Tag.StudyInstanceUID)?.trim();
        if (uid) return uid;
      }
    } catch { /* warned when the image is converted */ }
  }
  return generateUid();
}

function isRgb(image: Image): boolean {
  return image.head.image_type === ImageType.RGB && image.head.channels === 3;
}

/** Whether images of this shape give several DICOM files each (channels or slices). */
function splits(image: Image): boolean {
  return Math.max(1, image.head.matrix_size[2]!) > 1 || (image.head.channels > 1 && !isRgb(image));
}

/**
 * Converts MRD images one at a time (so a large file streams through in bounded memory). One
 * converter per MRD file: it holds the file's StudyInstanceUID, a SeriesInstanceUID per series and
 * the names already given. Multi-channel and multi-slice (z > 1) images give one file per channel
 * and slice, numbered 1..N through their series; RGB images (image_type 6, 3 channels) one RGB
 * file per slice.
 */
export class MrdToDicomConverter {
  private readonly header: IsmrmrdHeader | undefined;
  private uids: UidContext | undefined;
  private readonly used: Set<string>;
  private readonly counters = new Map<string, number>();
  /** Images that could not be converted (named in warnings). */
  readonly skipped: string[] = [];

  constructor(xml: string | undefined, usedNames: Iterable<string> = []) {
    this.header = parseHeader(xml);
    this.used = new Set([...usedNames].map((n) => n.toLowerCase()));
  }

  /** The DICOM files of one image of series `series` (`index`: its position in the series). */
  convert(series: string, image: Image, index: number): DicomFileOut[] {
    this.uids ??= { studyInstanceUID: studyUid(this.header, image), seriesUids: new Map(), defaultFrameOfReferenceUID: generateUid() };
    const h = image.head;
    const where = `${series} image ${index}`;
    if (image.data.length !== expectedLength(image)) {
      logger.warning(`${where}: data has ${image.data.length} values, header says ${expectedLength(image)}; skipped`);
      this.skipped.push(where);
      return [];
    }
    const [mx, my] = h.matrix_size as [number, number, number];
    if (!(mx >= 1 && my >= 1 && mx <= 65535 && my <= 65535)) {
      // DICOM Rows/Columns are 1..65535 (US); a 0 x N image has no pixels and no pixel spacing
      logger.warning(`${where}: matrix size ${h.matrix_size.join('x')} cannot be a DICOM image (rows and columns must be 1..65535); skipped`);
      this.skipped.push(where);
      return [];
    }
    const meta = parseImageMeta(image, where);
    const z = Math.max(1, h.matrix_size[2]!);
    const parts: DicomImagePart[] = [];
    if (isRgb(image)) {
      for (let k = 0; k < z; k++) parts.push({ series, image, meta, channel: -1, slice: k, instanceNumber: h.image_index });
    } else {
      for (let c = 0; c < h.channels; c++) for (let k = 0; k < z; k++) parts.push({ series, image, meta, channel: c, slice: k, instanceNumber: h.image_index });
    }
    if (splits(image)) {
      for (const p of parts) {
        const n = (this.counters.get(series) ?? 0) + 1;
        this.counters.set(series, n);
        p.instanceNumber = n;
      }
    }
    return parts.map((part) => {
      const d = imagePartToDicom(part, this.header, this.uids!);
      const bytes = writeDicomFile(d.dataset, d.pixels.bytes, d.pixels.bitsAllocated, d.sopClassUID, d.sopInstanceUID);
      return { fileName: uniqueName(dicomFileName(d.seriesNumber, d.seriesDescription, d.instanceNumber), this.used), bytes, series, sopInstanceUID: d.sopInstanceUID };
    });
  }
}

/** Converts images to DICOM files in memory (see MrdToDicomConverter). */
export function mrdImagesToDicom(xml: string | undefined, series: MrdImageSeries[]): DicomFileOut[] {
  const conv = new MrdToDicomConverter(xml);
  const out: DicomFileOut[] = [];
  for (const s of series) s.images.forEach((image, i) => out.push(...conv.convert(s.name, image, i)));
  return out;
}

/** Writes files into `folder` (created if needed), never overwriting: a taken name gets `_1`, `_2`, ... */
export async function writeFilesNoOverwrite(folder: string, files: DicomFileOut[]): Promise<string[]> {
  const created = await prepareOutputFolder(folder);
  // Names are chosen up front against what the folder already holds (deterministic), and each
  // file is still created with O_EXCL ('wx') in case something else takes a name meanwhile.
  const used = new Set((await readdir(folder)).map((n) => n.toLowerCase()));
  const names = files.map((f) => uniqueName(f.fileName, used));
  const written: string[] = new Array(files.length);
  let next = 0;
  let failure: unknown;
  // A few writes in flight, each atomic and never replacing a file; after a failure no new
  // write starts, and the error is reported once every write in flight has finished.
  async function worker(): Promise<void> {
    while (next < files.length && failure === undefined) {
      const i = next++;
      try {
        written[i] = await writeOneNoOverwrite(folder, names[i]!, files[i]!.bytes);
      } catch (e) {
        failure ??= e;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
  if (failure !== undefined) {
    await removeCreatedFolders(created); // only if nothing was written into it
    throw failure;
  }
  return written;
}

/** The default output folder: the input path without its `.h5` extension (else with `_dicom` added). */
export function defaultOutputFolder(file: string): string {
  const dir = dirname(file);
  const base = basename(file);
  const stem = /\.h5$/i.test(base) ? base.replace(/\.h5$/i, '') : /\.(hdf5|mrd)$/i.test(base) ? base.replace(/\.(hdf5|mrd)$/i, '') : base + '_dicom';
  return dir === '.' && !file.startsWith('./') ? stem : join(dir, stem);
}

export interface MrdToDicomOptions {
  group?: string;
  outFolder?: string;
}

export interface MrdToDicomResult {
  group: string;
  outFolder: string;
  files: string[];
  /** Images skipped (named in the warnings). */
  skipped: string[];
}

/** The group to read: the one asked for, else the last (the most recent, as the reference). */
function chooseGroup(f: MrdFile, path: string, group: string | undefined): string {
  const groups = f.groups();
  if (groups.length === 0) throw new Error(`${path}: the file has no groups`);
  if (group === undefined) {
    const g = groups[groups.length - 1]!;
    if (groups.length > 1) logger.info(`Input group not specified -- selecting most recent: ${g}`);
    return g;
  }
  if (!groups.includes(group)) throw new Error(`${path}: no group '${group}' (groups: ${groups.join(', ')})`);
  return group;
}

/**
 * Writes `name` in `folder` atomically (whole or not at all, ../mrd-core file-output), never
 * replacing a file: a taken name gets `_1`, `_2`... Returns the path.
 */
async function writeOneNoOverwrite(folder: string, name: string, bytes: Uint8Array): Promise<string> {
  let candidate = name;
  for (let k = 1; ; k++) {
    const path = join(folder, candidate);
    try {
      await writeFileAtomic(path, bytes);
      return path;
    } catch (e) {
      if (!(e instanceof OutputFileError && e.code === 'EEXIST')) throw e;
      candidate = name.replace(/\.dcm$/, `_${k}.dcm`);
    }
  }
}

/** Reads every image series of a group of an MRD file. */
export async function readMrdImages(path: string, group?: string): Promise<{ group: string; xml: string | undefined; series: MrdImageSeries[] }> {
  const f = await MrdFile.open(path);
  try {
    const g = chooseGroup(f, path, group);
    const xml = f.readHeader(g);
    const series: MrdImageSeries[] = [];
    for (const name of f.imageSeries(g)) {
      const images: Image[] = [];
      for await (const im of f.images(g, name)) images.push(im);
      series.push({ name, images });
    }
    return { group: g, xml, series };
  } finally {
    f.close();
  }
}

export async function mrdFileToDicom(path: string, opts: MrdToDicomOptions & { onProgress?: (done: number, total: number) => void } = {}): Promise<MrdToDicomResult> {
  const f = await MrdFile.open(path);
  let created: CreatedFolders | undefined;
  try {
    const g = chooseGroup(f, path, opts.group);
    const outFolder = opts.outFolder ?? defaultOutputFolder(path);
    const seriesNames = f.imageSeries(g);
    const total = seriesNames.reduce((a, s) => a + f.imageCount(g, s), 0);
    if (total === 0) throw new Error(`${path}: group '${g}' has no images`);
    logger.info(`Reading ${total} images in ${seriesNames.length} series from group '${g}' of ${path}`);
    created = await prepareOutputFolder(outFolder);
    const conv = new MrdToDicomConverter(f.readHeader(g), await readdir(outFolder));
    const files: string[] = [];
    const pending = new Set<Promise<void>>();
    let failure: unknown;
    let done = 0;
    for (const s of seriesNames) {
      let i = 0;
      for await (const image of f.images(g, s)) {
        for (const file of conv.convert(s, image, i)) {
          const p: Promise<void> = writeOneNoOverwrite(outFolder, file.fileName, file.bytes)
            .then((written) => { files.push(written); }, (e: unknown) => { failure ??= e; })
            .finally(() => { pending.delete(p); });
          pending.add(p);
          // bounded number of writes in flight (and so of converted files held in memory)
          if (pending.size >= 8) await Promise.race(pending);
          if (failure !== undefined) break;
        }
        if (failure !== undefined) break;
        i++;
        opts.onProgress?.(++done, total);
      }
      if (failure !== undefined) break;
    }
    await Promise.all(pending);
    if (failure !== undefined) {
      // the files already written are complete DICOMs; none is left half-written; a folder this
      // run created and could put nothing into is removed (below)
      const e = failure instanceof Error ? failure : new Error(String(failure));
      e.message += ` (${files.length} complete file(s) written to ${outFolder} before the failure)`;
      throw e;
    }
    logger.info(`Wrote ${files.length} DICOM files to ${outFolder}`);
    return { group: g, outFolder, files: files.sort(), skipped: conv.skipped };
  } catch (e) {
    await removeCreatedFolders(created); // a folder this run created stays only if it holds files
    throw e;
  } finally {
    f.close();
  }
}
