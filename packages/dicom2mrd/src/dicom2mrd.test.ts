import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reference, simulateFullDisk, simulateReadOnlyFolder } from '@mrd-tools/core/testing';
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { Tag, decodeDicomJsonMeta } from '@mrd-tools/dicom-mapping';
import { logger } from '@mrd-tools/core/logging';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { parseMeta } from '@mrd-tools/core/meta';
import { convertDicomFolder, defaultOutputFile, dicom2mrd, readDicomFolder, writeMrdFile } from './dicom2mrd.js';
import { readDicomBytes } from './dicom-file.js';
import { e, syntheticMr } from './testing/synthetic-dicom.js';

let dir: string;
let warnings: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dicom2mrd-'));
  warnings = [];
  logger.setSinks([(line, level) => { if (level >= 30) warnings.push(line); }]);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  logger.setSinks([(line) => process.stderr.write(line + '\n')]);
});

const MR_SMALL = ['MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_jpeg_ls_lossless.dcm'].map((f) => `dicom/mr_small/${f}`);

describe('dicom2mrd on the reference DICOM files', () => {
  it('decodes every transfer syntax to the same signed 16-bit pixels', async () => {
    const ref = await readDicomBytes('x', new Uint8Array(readFileSync(reference(MR_SMALL[0]!))));
    expect(ref.pixels.dataType).toBe(DataType.SHORT);
    const refPx = ref.pixels.frames[0]!;
    expect(refPx.length).toBe(64 * 64);
    expect(refPx[0]).toBe(905);
    for (const f of MR_SMALL.slice(1)) {
      const d = await readDicomBytes(f, new Uint8Array(readFileSync(reference(f))));
      expect(d.pixels.dataType, f).toBe(DataType.SHORT);
      expect(Array.from(d.pixels.frames[0]!), f).toEqual(Array.from(refPx));
      // the JSON header is the same whatever the encoding (DS/IS text kept exactly)
      expect(d.dataset[Tag.ImagePositionPatient], f).toEqual({ vr: 'DS', Value: [-83.9063, '-91.2000', 6.6406] });
    }
  });

  it('reads a deflated data set (Deflated Explicit VR Little Endian)', async () => {
    const plain = new Uint8Array(readFileSync(reference(MR_SMALL[0]!)));
    const { deflateRawSync } = await import('node:zlib');
    const dicomParser = (await import('dicom-parser')).default;
    const meta = dicomParser.readPart10Header(plain);
    let end = 0;
    for (const el of Object.values(meta.elements)) end = Math.max(end, el.dataOffset + el.length);
    const ts = meta.elements.x00020010!;
    const dfl = Buffer.from('1.2.840.10008.1.2.1.99');
    const head = Buffer.from(plain.subarray(0, end));
    const before = head.subarray(0, ts.dataOffset - 2);
    const len = Buffer.alloc(2);
    len.writeUInt16LE(dfl.length);
    const rest = head.subarray(ts.dataOffset + ts.length);
    const newHead = Buffer.concat([before, len, dfl, rest]);
    newHead.writeUInt32LE(newHead.readUInt32LE(meta.elements.x00020000!.dataOffset) + dfl.length - ts.length, meta.elements.x00020000!.dataOffset);
    const file = Buffer.concat([newHead, deflateRawSync(plain.subarray(end))]);
    const d = await readDicomBytes('dfl', new Uint8Array(file));
    const ref = await readDicomBytes('ref', plain);
    expect(Array.from(d.pixels.frames[0]!)).toEqual(Array.from(ref.pixels.frames[0]!));
    expect(d.dataset).toEqual(ref.dataset);
  });

  it('warns by name about the truncated file and a non-DICOM file, converts the rest', async () => {
    for (const f of [...MR_SMALL, 'dicom/mr_small/MR_truncated.dcm']) copyFileSync(reference(f), join(dir, f.split('/').pop()!));
    writeFileSync(join(dir, 'notes.dcm'), 'this is not DICOM');
    writeFileSync(join(dir, 'short.IMA'), Buffer.alloc(50));
    const r = await convertDicomFolder(dir);
    expect(r.fileCount).toBe(5);
    expect(r.skipped.map((s) => s.path.split('/').pop()).sort()).toEqual(['MR_truncated.dcm', 'notes.dcm', 'short.IMA']);
    expect(r.skipped.find((s) => s.path.endsWith('MR_truncated.dcm'))!.reason).toMatch(/truncated/);
    expect(warnings.some((w) => w.includes('MR_truncated.dcm') && /truncated/.test(w))).toBe(true);
    expect(warnings.some((w) => w.includes('notes.dcm') && /not a DICOM file/.test(w))).toBe(true);
    expect(r.series).toHaveLength(1);
    expect(r.series[0]!.images).toHaveLength(5);
  });

  it('groups the three series, orders by instance number and indexes slices (no AcquisitionTime: no crash)', async () => {
    const r = await convertDicomFolder(reference('dicom/series'));
    expect(r.series.map((s) => [s.seriesNumber, s.images.length])).toEqual([[1, 3], [2, 7], [700, 7]]);
    const s700 = r.series[2]!.images;
    expect(s700.map((i) => i.head.image_index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(s700.every((i) => i.head.image_series_index === 2)).toBe(true);
    // seven distinct slice locations
    expect(new Set(s700.map((i) => i.head.slice)).size).toBe(7);
    expect(s700.every((i) => i.head.acquisition_time_stamp === 0)).toBe(true);
    const h = parseIsmrmrdHeader(r.xml);
    expect(h.measurementInformation?.patientPosition).toBe('HFS');
    expect(h.encoding[0]!.encodedSpace.matrixSize).toMatchObject({ x: 16, y: 16, z: 1 });
    const first = s700[0]!;
    const meta = parseMeta(first.attribute);
    expect(meta.get('SequenceDescription')).toBe('ANGIO Projected from   C');
    const json = decodeDicomJsonMeta(meta.get('DicomJson')!);
    expect(json[Tag.PixelData]).toBeUndefined();
    expect(json[Tag.SeriesNumber]).toEqual({ vr: 'IS', Value: [700] });
    expect(json[Tag.SpecificCharacterSet]).toEqual({ vr: 'CS', Value: ['ISO_IR 100'] });
  });
});

describe('dicom2mrd on synthetic series', () => {
  it('splits nothing, computes slice positions from ImagePositionPatient, phases from trigger times, times without fractions', async () => {
    let n = 0;
    for (const z of [10, 0, 5]) {
      for (const trig of [0, 40]) {
        n++;
        writeFileSync(join(dir, `img${n}`), syntheticMr({ seriesNumber: 3, instanceNumber: n, position: [0, 0, z], triggerTime: trig, acquisitionTime: '101010' }));
      }
    }
    const r = await convertDicomFolder(dir);
    expect(r.fileCount).toBe(6); // found by preamble, no extension
    const imgs = r.series[0]!.images;
    // first image at z=10: the reference reverses the unique list so that the first is 0
    expect(imgs.map((i) => i.head.slice)).toEqual([0, 0, 2, 2, 1, 1]);
    expect(imgs.map((i) => i.head.phase)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(imgs.map((i) => i.head.physiology_time_stamp[0])).toEqual([0, 16, 0, 16, 0, 16]);
    expect(imgs[0]!.head.acquisition_time_stamp).toBe((10 * 3600 + 10 * 60 + 10) * 400);
    expect(imgs[0]!.head.field_of_view).toEqual([6 * 2.5, 4 * 1.5, 3]);
    expect(imgs[0]!.head.matrix_size).toEqual([6, 4, 1]);
    expect(imgs[0]!.head.data_type).toBe(DataType.USHORT);
    expect(imgs[0]!.head.image_type).toBe(ImageType.MAGNITUDE);
    expect(imgs[0]!.head.slice_dir).toEqual([0, 0, 1]);
  });

  it('applies the Siemens rule: all series numbers above 1000 are floor(n/1000)', async () => {
    writeFileSync(join(dir, 'a.dcm'), syntheticMr({ seriesNumber: 2001, instanceNumber: 1 }));
    writeFileSync(join(dir, 'b.dcm'), syntheticMr({ seriesNumber: 2002, instanceNumber: 2 }));
    writeFileSync(join(dir, 'c.dcm'), syntheticMr({ seriesNumber: 3001, instanceNumber: 1 }));
    const r = await convertDicomFolder(dir);
    expect(r.series.map((s) => [s.seriesNumber, s.images.length])).toEqual([[2, 2], [3, 1]]);
    writeFileSync(join(dir, 'd.dcm'), syntheticMr({ seriesNumber: 5, instanceNumber: 1 }));
    const r2 = await convertDicomFolder(dir);
    expect(r2.series.map((s) => s.seriesNumber)).toEqual([5, 2001, 2002, 3001]);
  });

  it('orders a series by InstanceNumber whatever the file order, recursively, .IMA in any case', async () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'z.dcm'), syntheticMr({ seriesNumber: 1, instanceNumber: 1, fill: 100 }));
    writeFileSync(join(dir, 'sub', 'A.IMA'), syntheticMr({ seriesNumber: 1, instanceNumber: 3, fill: 300 }));
    writeFileSync(join(dir, 'sub', 'b.Ima'), syntheticMr({ seriesNumber: 1, instanceNumber: 2, fill: 200 }));
    writeFileSync(join(dir, 'readme.txt'), 'not dicom, ignored silently');
    const r = await convertDicomFolder(dir);
    expect(r.skipped).toEqual([]);
    expect(r.series[0]!.images.map((i) => i.data[0])).toEqual([100, 200, 300]);
  });

  it('reads flow encoding, ImageComments and the Siemens table position', async () => {
    writeFileSync(join(dir, 'a.dcm'), syntheticMr({
      seriesNumber: 1, instanceNumber: 1, extra: {
        '00180024': e('SH', 'fl2d1_v150in'),
        '00204000': e('LT', 'hello'),
        '0008103E': e('LO', 'flow'),
        '00190010': e('LO', 'SIEMENS MR HEADER'),
        '00191013': e('FD', 1.5, -2, 1200),
      },
    }));
    const r = await convertDicomFolder(dir);
    const img = r.series[0]!.images[0]!;
    const meta = parseMeta(img.attribute);
    expect(meta.get('FlowVelocity')).toBe('150.0');
    expect(meta.get('FlowDirDisplay')).toBe('FLOW_DIR_TP_IN');
    expect(meta.get('ImageComments')).toBe('hello');
    expect(meta.get('SequenceDescription')).toBe('flow');
    expect(meta.names()).toEqual(['FlowVelocity', 'FlowDirDisplay', 'ImageComments', 'SequenceDescription', 'DicomJson']);
    expect(img.head.patient_table_position).toEqual([1.5, -2, 1200]);
  });

  it('gives one MRD image per frame of an enhanced MR image, with per-frame geometry and timing', async () => {
    const frame = (z: number, t: string, trig: number) => ({
      '00209113': { vr: 'SQ', Value: [{ '00200032': e('DS', '0', '0', String(z)) }] },
      '00209111': { vr: 'SQ', Value: [{ '00189074': e('DT', `20240101${t}`) }] },
      '00189118': { vr: 'SQ', Value: [{ '00209153': e('FD', trig) }] },
    });
    const rows = 4, cols = 6, frames = 3;
    const bytes = syntheticMr({
      seriesNumber: 1, instanceNumber: 1, rows, cols, frames, sopClass: '1.2.840.10008.5.1.4.1.1.4.1', extra: {
        '00080016': e('UI', '1.2.840.10008.5.1.4.1.1.4.1'),
        '00280008': e('IS', String(frames)),
        '52009229': { vr: 'SQ', Value: [{
          '00289110': { vr: 'SQ', Value: [{ '00280030': e('DS', '2', '2'), '00180050': e('DS', '4') }] },
          '00209116': { vr: 'SQ', Value: [{ '00200037': e('DS', '1', '0', '0', '0', '1', '0') }] },
          '00189006': { vr: 'SQ', Value: [{ '00189077': e('CS', 'YES'), '00189069': e('FD', 2), '00189155': e('FD', 1) }] },
        }] },
        '52009230': { vr: 'SQ', Value: [frame(0, '101010.5', 0), frame(5, '101011', 50), frame(10, '101012', 100)] },
      },
    });
    writeFileSync(join(dir, 'enh.dcm'), bytes);
    const r = await convertDicomFolder(dir);
    const imgs = r.series[0]!.images;
    expect(imgs).toHaveLength(3);
    expect(imgs.map((i) => i.head.position[2])).toEqual([0, 5, 10]);
    expect(imgs.map((i) => i.head.slice)).toEqual([0, 1, 2]);
    expect(imgs.map((i) => i.head.acquisition_time_stamp)).toEqual([(36610.5) * 400, 36611 * 400, 36612 * 400]);
    expect(imgs.map((i) => i.head.physiology_time_stamp[0])).toEqual([0, 20, 40]);
    expect(imgs.map((i) => i.head.image_index)).toEqual([1, 2, 3]);
    expect(imgs[1]!.data[0]).toBe(rows * cols);
    expect(imgs[0]!.head.field_of_view).toEqual([12, 8, 4]);
    const h = parseIsmrmrdHeader(r.xml);
    expect(h.encoding[0]!.parallelImaging?.accelerationFactor.kspace_encoding_step_1).toBe(2);
    // each frame keeps only its own per-frame functional group item
    const json = decodeDicomJsonMeta(parseMeta(imgs[2]!.attribute).get('DicomJson')!);
    expect((json['52009230']!.Value as unknown[]).length).toBe(1);
  });
});

describe('dicom2mrd output file', () => {
  it('names the file after the folder, with or without a trailing slash', () => {
    expect(defaultOutputFile('data/')).toBe('data.h5');
    expect(defaultOutputFile('/x/y/data')).toBe('data.h5');
    expect(defaultOutputFile('./data//')).toBe('data.h5');
  });

  it('writes an MRD file, adds a group to an existing file, refuses an existing group', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.dcm'), syntheticMr({ seriesNumber: 1, instanceNumber: 1 }));
    writeFileSync(join(src, 'b.dcm'), syntheticMr({ seriesNumber: 2, instanceNumber: 1, rows: 8, cols: 8 }));
    const out = join(dir, 'out.h5');
    const w = await dicom2mrd(src, { outFile: out });
    expect(w).toMatchObject({ images: 2, group: 'dataset', skipped: [] });
    await dicom2mrd(src, { outFile: out, outGroup: 'second' });
    await expect(dicom2mrd(src, { outFile: out, outGroup: 'second' })).rejects.toThrow(/already exists/);
    const f = await MrdFile.open(out);
    try {
      expect(f.groups().sort()).toEqual(['dataset', 'second']);
      expect(f.imageSeries('dataset')).toEqual(['image_0', 'image_1']);
      const imgs = [];
      for await (const im of f.images('second', 'image_1')) imgs.push(im);
      expect(imgs[0]!.head.matrix_size).toEqual([8, 8, 1]);
      expect(parseIsmrmrdHeader(f.readHeader('dataset')!).measurementInformation?.patientPosition).toBe('HFS');
    } finally {
      f.close();
    }
  });

  it('on a full disk: the error names the file; no new file is left, an existing file keeps exactly what it had', async () => {
    const src = join(dir, 'src-full');
    mkdirSync(src);
    for (let i = 1; i <= 40; i++) writeFileSync(join(src, `i${i}.dcm`), syntheticMr({ seriesNumber: 1, instanceNumber: i, rows: 64, cols: 64 }));
    const outDir = join(dir, 'out-full');
    mkdirSync(outDir);
    const out = join(outDir, 'out.h5');
    let disk = simulateFullDisk(outDir, 100_000);
    try {
      await expect(dicom2mrd(src, { outFile: out })).rejects.toThrow(`cannot write ${out}: no space left on device`);
    } finally {
      disk.uninstall();
    }
    expect(readdirSync(outDir)).toEqual([]);
    const small = join(dir, 'src-small');
    mkdirSync(small);
    writeFileSync(join(small, 'a.dcm'), syntheticMr({ seriesNumber: 1, instanceNumber: 1 }));
    await dicom2mrd(small, { outFile: out });
    const before = readFileSync(out);
    disk = simulateFullDisk(outDir, 100_000);
    try {
      await expect(dicom2mrd(src, { outFile: out, outGroup: 'more' })).rejects.toThrow(`cannot write ${out}: no space left on device`);
    } finally {
      disk.uninstall();
    }
    expect(readFileSync(out).equals(before)).toBe(true);
  });

  it('a read-only output folder is reported as read-only before the DICOMs are read', async () => {
    const src = join(dir, 'src-ro');
    mkdirSync(src);
    writeFileSync(join(src, 'a.dcm'), syntheticMr({ seriesNumber: 1, instanceNumber: 1 }));
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const disk = simulateReadOnlyFolder(ro);
    try {
      await expect(dicom2mrd(src, { outFile: join(ro, 'x.h5') })).rejects.toThrow(`cannot write ${join(ro, 'x.h5')}: folder ${ro} is read-only`);
    } finally {
      disk.uninstall();
    }
  });

  it('with pixels beyond the memory budget read again when written: same images; a file gone meanwhile is named and skipped', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    for (let k = 1; k <= 4; k++) writeFileSync(join(src, `i${k}.dcm`), syntheticMr({ seriesNumber: 1, instanceNumber: k, fill: k * 100, position: [0, 0, k] }));
    const inMemory = await convertDicomFolder(src);
    const out = join(dir, 'budget.h5');
    const w = await dicom2mrd(src, { outFile: out, pixelBudgetBytes: 0 });
    expect(w.images).toBe(4);
    const f = await MrdFile.open(out);
    try {
      const imgs = [];
      for await (const im of f.images('dataset', 'image_0')) imgs.push(im);
      expect(imgs.map((i) => Array.from(i.data))).toEqual(inMemory.series[0]!.images.map((i) => Array.from(i.data)));
      expect(imgs.map((i) => i.attribute)).toEqual(inMemory.series[0]!.images.map((i) => i.attribute));
    } finally {
      f.close();
    }
    // a file removed between reading and writing
    const { readDicomFolder: read } = await import('./dicom2mrd.js');
    const { planDicomToMrd } = await import('./convert.js');
    const r = await read(src, undefined, 0);
    rmSync(join(src, 'i2.dcm'));
    const w2 = await writeMrdFile(planDicomToMrd(r.files), join(dir, 'gone.h5'));
    expect(w2.images).toBe(3);
    expect(w2.skipped.map((s) => s.path)).toEqual([join(src, 'i2.dcm')]);
    expect(warnings.some((x) => x.includes('i2.dcm') && /could not be read again/.test(x))).toBe(true);
  });

  it('fails clearly when nothing is readable', async () => {
    writeFileSync(join(dir, 'x.dcm'), 'nope');
    await expect(convertDicomFolder(dir)).rejects.toThrow(/no readable DICOM image/);
    await expect(dicom2mrd(join(dir, 'missing'))).rejects.toThrow(/no such folder/);
    void readDicomFolder;
    void writeMrdFile;
  });
});
