/**
 * mrd2dicom as a library: MRD images (+ XML header) -> DICOM files in memory, and an MRD file ->
 * a folder of DICOM files.
 */
import { mkdir, open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  DataType, ImageType, MrdFile, Tag, generateUid, logger, parseIsmrmrdHeader, parseMeta, MetaAttributes,
  stringValue, decodeDicomJsonMeta,
  type Image, type IsmrmrdHeader,
} from '@mrd-tools/core';
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
export function uniqueName(name: string, used: Set<string>): string {
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

/** The StudyInstanceUID all files of one MRD file share. */
function studyUid(header: IsmrmrdHeader | undefined, series: MrdImageSeries[]): string {
  const fromHeader = header?.studyInformation?.studyInstanceUID?.trim();
  if (fromHeader) return fromHeader;
  const first = series.find((s) => s.images.length > 0)?.images[0];
  if (first) {
    try {
      const meta = parseMeta(first.attribute ?? '');
      const j = meta.get('DicomJson');
      if (j) {
        const uid = stringValue(decodeDicomJsonMeta(j), Tag.StudyInstanceUID)?.trim();
        if (uid) return uid;
      }
    } catch { /* warned later */ }
  }
  return generateUid();
}

/**
 * Converts images to DICOM files in memory. Multi-channel and multi-slice (z > 1) images give
 * one file per channel and slice; RGB images (image_type 6, 3 channels) one RGB file per slice.
 */
export function mrdImagesToDicom(xml: string | undefined, series: MrdImageSeries[]): DicomFileOut[] {
  const header = parseHeader(xml);
  const uids: UidContext = { studyInstanceUID: studyUid(header, series), seriesUids: new Map(), defaultFrameOfReferenceUID: generateUid() };
  const out: DicomFileOut[] = [];
  const used = new Set<string>();
  for (const s of series) {
    const parts: DicomImagePart[] = [];
    for (let i = 0; i < s.images.length; i++) {
      const image = s.images[i]!;
      const h = image.head;
      const where = `${s.name} image ${i}`;
      if (image.data.length !== expectedLength(image)) {
        logger.warning(`${where}: data has ${image.data.length} values, header says ${expectedLength(image)}; skipped`);
        continue;
      }
      const meta = parseImageMeta(image, where);
      const z = Math.max(1, h.matrix_size[2]!);
      if (h.image_type === ImageType.RGB && h.channels === 3) {
        for (let k = 0; k < z; k++) parts.push({ series: s.name, image, meta, channel: -1, slice: k, instanceNumber: h.image_index });
      } else {
        for (let c = 0; c < h.channels; c++) for (let k = 0; k < z; k++) parts.push({ series: s.name, image, meta, channel: c, slice: k, instanceNumber: h.image_index });
      }
    }
    const split = s.images.some((im) => Math.max(1, im.head.matrix_size[2]!) > 1 || (im.head.channels > 1 && !(im.head.image_type === ImageType.RGB && im.head.channels === 3)));
    if (split) parts.forEach((p, k) => { p.instanceNumber = k + 1; });
    for (const part of parts) {
      const d = imagePartToDicom(part, header, uids);
      const bytes = writeDicomFile(d.dataset, d.pixels.bytes, d.pixels.bitsAllocated, d.sopClassUID, d.sopInstanceUID);
      out.push({ fileName: uniqueName(dicomFileName(d.seriesNumber, d.seriesDescription, d.instanceNumber), used), bytes, series: s.name, sopInstanceUID: d.sopInstanceUID });
    }
  }
  return out;
}

/** Writes files into `folder` (created if needed), never overwriting: a taken name gets `_1`, `_2`, ... */
export async function writeFilesNoOverwrite(folder: string, files: DicomFileOut[]): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  // Names are chosen up front against what the folder already holds (deterministic), and each
  // file is still created with O_EXCL ('wx') in case something else takes a name meanwhile.
  const used = new Set((await readdir(folder)).map((n) => n.toLowerCase()));
  const names = files.map((f) => uniqueName(f.fileName, used));
  const written: string[] = new Array(files.length);
  let next = 0;
  // A few writes in flight; names are claimed with O_EXCL ('wx'), so nothing is ever overwritten.
  async function worker(): Promise<void> {
    while (next < files.length) {
      const i = next++;
      const f = files[i]!;
      let name = names[i]!;
      for (let k = 1; ; k++) {
        try {
          const fh = await open(join(folder, name), 'wx');
          try { await fh.writeFile(f.bytes); } finally { await fh.close(); }
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          name = names[i]!.replace(/\.dcm$/, `_${k}.dcm`);
        }
      }
      written[i] = join(folder, name);
    }
  }
  await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
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
}

/** Reads every image series of a group of an MRD file. */
export async function readMrdImages(path: string, group?: string): Promise<{ group: string; xml: string | undefined; series: MrdImageSeries[] }> {
  const f = await MrdFile.open(path);
  try {
    const groups = f.groups();
    if (groups.length === 0) throw new Error(`${path}: the file has no groups`);
    let g = group;
    if (g === undefined) {
      g = groups[groups.length - 1]!;
      if (groups.length > 1) logger.info(`Input group not specified -- selecting most recent: ${g}`);
    } else if (!groups.includes(g)) {
      throw new Error(`${path}: no group '${g}' (groups: ${groups.join(', ')})`);
    }
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

export async function mrdFileToDicom(path: string, opts: MrdToDicomOptions = {}): Promise<MrdToDicomResult> {
  const { group, xml, series } = await readMrdImages(path, opts.group);
  const outFolder = opts.outFolder ?? defaultOutputFolder(path);
  const count = series.reduce((a, s) => a + s.images.length, 0);
  if (count === 0) throw new Error(`${path}: group '${group}' has no images`);
  logger.info(`Reading ${count} images in ${series.length} series from group '${group}' of ${path}`);
  const files = mrdImagesToDicom(xml, series);
  const written = await writeFilesNoOverwrite(outFolder, files);
  logger.info(`Wrote ${written.length} DICOM files to ${outFolder}`);
  return { group, outFolder, files: written };
}
