import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { reference, simulateFullDisk, simulateReadOnlyFolder } from '@mrd-tools/core/testing';
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { MetaAttributes, parseMeta } from '@mrd-tools/core/meta';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { Tag, dicomTimeToTicks, type DicomJsonDataset } from '@mrd-tools/dicom-mapping';
import { emptyImageHeader } from '@mrd-tools/core/headers';
import { logger } from '@mrd-tools/core/logging';
import type { Image } from '@mrd-tools/core/messages';
import { convertDicomFolder } from '@mrd-tools/dicom2mrd';
import { readDicomBytes, type DicomFile } from '@mrd-tools/dicom2mrd';
import { dicomFilesToMrd } from '@mrd-tools/dicom2mrd';
import { normaliseDatesAndTimes } from './image-to-dicom.js';
import { writeDicomFile, writeDicomFileWithDcmjs } from './dicom-writer.js';
import { originalDataset } from './image-to-dicom.js';
import { MrdToDicomConverter, defaultOutputFolder, dicomFileName, mrdFileToDicom, mrdImagesToDicom, readMrdImages, safeFileNamePart, writeFilesNoOverwrite, type DicomFileOut } from './mrd2dicom.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mrd2dicom-'));
  logger.setSinks([]);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  logger.setSinks([(line) => process.stderr.write(line + '\n')]);
});

function parse(bytes: Uint8Array) {
  return dicomParser.parseDicom(bytes);
}

async function readBack(out: DicomFileOut[]): Promise<DicomFile[]> {
  return Promise.all(out.map((f) => readDicomBytes(f.fileName, f.bytes)));
}

/** Tags whose value mrd2dicom replaces on purpose (new instance and series; see image-to-dicom.ts). */
const REPLACED = new Set<string>([Tag.SOPInstanceUID, Tag.SeriesInstanceUID]);

function compareDatasets(orig: DicomJsonDataset, back: DicomJsonDataset, where: string, studyUid: string): void {
  for (const tag of Object.keys(orig)) {
    expect(back[tag], `${where}: tag ${tag} present again`).toBeDefined();
    if (REPLACED.has(tag)) continue;
    if (tag === Tag.StudyInstanceUID) { expect(back[tag]!.Value).toEqual([studyUid]); continue; }
    if (tag === Tag.FrameOfReferenceUID && orig[tag]!.Value?.[0] === orig[Tag.StudyInstanceUID]?.Value?.[0]) continue;
    expect(back[tag], `${where}: tag ${tag} value`).toEqual(orig[tag]);
  }
}

describe('DICOM -> MRD -> DICOM', () => {
  for (const folder of ['dicom/mr_small', 'dicom/series']) {
    it(`${folder}: identical pixel data, every original tag present again with its value`, async () => {
      const conv = await convertDicomFolder(reference(folder));
      const originals = (await Promise.all(readdirSync(reference(folder)).filter((f) => f !== 'MR_truncated.dcm').sort().map(async (f) => readDicomBytes(f, new Uint8Array(readFileSync(join(reference(folder), f)))))));
      const out = mrdImagesToDicom(conv.xml, conv.series.map((s) => ({ name: `image_${s.index}`, images: s.images })));
      expect(out).toHaveLength(originals.length);
      const back = await readBack(out);
      const studyUid = back[0]!.dataset[Tag.StudyInstanceUID]!.Value![0] as string;
      // match outputs to originals through SourceImageSequence
      const seen = new Map<unknown, number>();
      for (const b of back) {
        const src = (b.dataset[Tag.SourceImageSequence]!.Value![0] as DicomJsonDataset)[Tag.ReferencedSOPInstanceUID]!.Value![0];
        const candidates = originals.filter((o) => o.dataset[Tag.SOPInstanceUID]!.Value![0] === src);
        expect(candidates.length).toBeGreaterThan(0);
        // mr_small: five encodings of one SOP instance; they convert in file-name order
        const k = seen.get(src) ?? 0;
        seen.set(src, k + 1);
        const o = candidates[k]!;
        expect(Array.from(b.pixels.frames[0]!), b.path).toEqual(Array.from(o.pixels.frames[0]!));
        expect(b.pixels.dataType).toBe(o.pixels.dataType);
        compareDatasets(o.dataset, b.dataset, `${folder} ${b.path}`, studyUid);
        // dicom-parser reads it, explicit VR little endian, the pixel bytes as stored in the native original
        const p = parse(out.find((f) => f.fileName === b.path)!.bytes);
        expect(p.string('x00020010')).toBe('1.2.840.10008.1.2.1');
        expect(p.elements.x7fe00010!.length).toBe(o.description.rows * o.description.columns * 2);
      }
      // consistent UIDs: one study, one series UID per MRD series, unique SOP instances
      expect(new Set(back.map((b) => b.dataset[Tag.StudyInstanceUID]!.Value![0])).size).toBe(1);
      expect(new Set(back.map((b) => b.dataset[Tag.SeriesInstanceUID]!.Value![0])).size).toBe(conv.series.length);
      expect(new Set(back.map((b) => b.dataset[Tag.SOPInstanceUID]!.Value![0])).size).toBe(back.length);
      // never two images to one name
      expect(new Set(out.map((f) => f.fileName)).size).toBe(out.length);
    });
  }
});

const OUTPUTS = ['cpp_invertcontrast', 'images_invertcontrast_sendoriginal', 'invertcontrast_complex', 'invertcontrast_m64', 'invertcontrast_rgb', 'invertcontrast_roi', 'simplefft_m64'];

describe('MRD -> DICOM -> MRD on the reference outputs', () => {
  for (const name of OUTPUTS) {
    it(`${name}: pixels, geometry and times kept`, async () => {
      const { xml, series } = await readMrdImages(reference(`outputs/${name}.h5`));
      const out = mrdImagesToDicom(xml, series);
      const files = await readBack(out);
      const mrd = dicomFilesToMrd(files);
      const before = series.flatMap((s) => s.images);
      const after = mrd.series.flatMap((s) => s.images);
      expect(after).toHaveLength(before.length);
      for (let i = 0; i < before.length; i++) {
        const a = before[i]!.head, b = after[i]!.head;
        expect(b.data_type, `${name} ${i} data_type`).toBe(a.data_type);
        expect(Array.from(after[i]!.data), `${name} ${i} pixels`).toEqual(Array.from(before[i]!.data));
        expect(b.matrix_size).toEqual(a.matrix_size);
        expect(b.channels).toBe(a.channels);
        expect(b.field_of_view).toEqual(a.field_of_view);
        expect(b.position).toEqual(a.position);
        expect(b.read_dir).toEqual(a.read_dir);
        expect(b.phase_dir).toEqual(a.phase_dir);
        expect(b.slice_dir).toEqual(a.slice_dir);
        expect(b.acquisition_time_stamp).toBe(a.acquisition_time_stamp);
        expect(b.physiology_time_stamp[0]).toBe(a.physiology_time_stamp[0]);
        expect(b.image_type, `${name} ${i} image_type`).toBe(a.image_type);
      }
    });
  }
});

function image(o: { data: Image['data']; dataType: number; x?: number; y?: number; z?: number; channels?: number; index?: number; series?: number; type?: number; meta?: Record<string, string | string[]>; ts?: number; trig?: number }): Image {
  const head = emptyImageHeader();
  head.data_type = o.dataType;
  head.matrix_size = [o.x ?? 4, o.y ?? 3, o.z ?? 1];
  head.channels = o.channels ?? 1;
  head.field_of_view = [8, 9, 5];
  head.read_dir = [1, 0, 0];
  head.phase_dir = [0, 1, 0];
  head.slice_dir = [0, 0, 1];
  head.position = [1.1, -2.2, 3.3];
  head.image_index = o.index ?? 0;
  head.image_series_index = o.series ?? 0;
  head.image_type = o.type ?? ImageType.MAGNITUDE;
  head.acquisition_time_stamp = o.ts ?? 0;
  head.physiology_time_stamp = [o.trig ?? 0, 0, 0];
  const meta = new MetaAttributes(o.meta ?? {});
  return { head, attribute: meta.serialize(), data: o.data };
}

describe('mrd2dicom mapping', () => {
  it('times: ticks multiplied by 2.5 ms (AcquisitionTime, TriggerTime)', async () => {
    const ts = (1 * 3600 + 2 * 60 + 3) * 400 + 3; // 01:02:03.0075
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data: new Uint16Array(12), dataType: DataType.USHORT, ts, trig: 100 })] }]);
    const p = parse(out[0]!.bytes);
    expect(p.string('x00080032')).toBe('010203.0075');
    expect(dicomTimeToTicks(p.string('x00080032'))).toBe(ts);
    expect(Number(p.string('x00181060'))).toBe(250);
    // TriggerTime is allowed only for gated scans: ScanOptions says so
    expect(p.string('x00180022')).toBe('CG');
    const none = parse(mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data: new Uint16Array(12), dataType: DataType.USHORT })] }])[0]!.bytes);
    expect(none.elements.x00181060).toBeUndefined();
  });

  it('signed data: PixelRepresentation 1, values kept', async () => {
    const data = Int16Array.from([-5, 0, 5, 1000, -32768, 32767, 1, 2, 3, 4, 5, 6]);
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data, dataType: DataType.SHORT })] }]);
    const p = parse(out[0]!.bytes);
    expect(p.uint16('x00280103')).toBe(1);
    const px = new Int16Array(out[0]!.bytes.slice(p.elements.x7fe00010!.dataOffset, p.elements.x7fe00010!.dataOffset + 24).buffer);
    expect(Array.from(px)).toEqual(Array.from(data));
  });

  it('float data: 16-bit with RescaleSlope/Intercept (documented), exact values restored by dicom2mrd', async () => {
    const data = Float32Array.from([0.5, 1.25, -3.75, 100.125, 7, 8, 9, 10, 11, 12, 13, 14.5]);
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data, dataType: DataType.FLOAT })] }]);
    const p = parse(out[0]!.bytes);
    const slope = Number(p.string('x00281053'));
    const intercept = Number(p.string('x00281052'));
    const off = p.elements.x7fe00010!.dataOffset;
    const stored = new Uint16Array(out[0]!.bytes.slice(off, off + 24).buffer);
    stored.forEach((s, i) => expect(Math.abs(s * slope + intercept - data[i]!)).toBeLessThanOrEqual(slope));
    const back = dicomFilesToMrd(await readBack(out)).series[0]!.images[0]!;
    expect(back.head.data_type).toBe(DataType.FLOAT);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('integral float data fits 16 bits exactly', async () => {
    const data = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 4095]);
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data, dataType: DataType.FLOAT })] }]);
    const p = parse(out[0]!.bytes);
    expect(p.string('x00281053')).toBeUndefined();
    const back = dicomFilesToMrd(await readBack(out)).series[0]!.images[0]!;
    expect(back.head.data_type).toBe(DataType.FLOAT);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('multi-channel and z > 1 images: one file per channel and slice, unique names and instance numbers', async () => {
    const data = new Uint16Array(4 * 3 * 2 * 2).map((_, i) => i);
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data, dataType: DataType.USHORT, z: 2, channels: 2 })] }]);
    expect(out).toHaveLength(4);
    expect(out.map((f) => f.fileName)).toEqual(['00__001.dcm', '00__002.dcm', '00__003.dcm', '00__004.dcm']);
    const firsts = out.map((f) => { const p = parse(f.bytes); return new Uint16Array(f.bytes.slice(p.elements.x7fe00010!.dataOffset, p.elements.x7fe00010!.dataOffset + 2).buffer)[0]; });
    expect(firsts).toEqual([0, 12, 24, 36]);
  });

  it('RGB images become RGB DICOM (Secondary Capture) and come back as 3-channel RGB', async () => {
    const data = new Uint16Array(3 * 12).map((_, i) => i * 7 % 256);
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data, dataType: DataType.USHORT, channels: 3, type: ImageType.RGB })] }]);
    expect(out).toHaveLength(1);
    const p = parse(out[0]!.bytes);
    expect(p.string('x00280004')).toBe('RGB');
    expect(p.uint16('x00280002')).toBe(3);
    expect(p.uint16('x00280100')).toBe(8);
    expect(p.string('x00080016')).toBe('1.2.840.10008.5.1.4.1.1.7');
    const back = dicomFilesToMrd(await readBack(out)).series[0]!.images[0]!;
    expect(back.head.image_type).toBe(ImageType.RGB);
    expect(back.head.channels).toBe(3);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('never two images to one name, never overwriting files already there', async () => {
    const imgs = [0, 1].map(() => image({ data: new Uint16Array(12), dataType: DataType.USHORT, index: 0, meta: { SeriesDescription: 'a/b c' } }));
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: imgs }]);
    expect(out.map((f) => f.fileName)).toEqual(['00_a_b_c_000.dcm', '00_a_b_c_000_1.dcm']);
    writeFileSync(join(dir, '00_a_b_c_000.dcm'), 'precious');
    const written = await writeFilesNoOverwrite(dir, out);
    expect(readFileSync(join(dir, '00_a_b_c_000.dcm'), 'utf8')).toBe('precious');
    expect(written.map((w) => w.split('/').pop())).toEqual(['00_a_b_c_000_1.dcm', '00_a_b_c_000_1_1.dcm']);
  });

  it('refuses images without pixels (0 x N) or beyond DICOM\'s 65535 rows/columns by name, writing nothing for them', () => {
    const conv = new MrdToDicomConverter(undefined);
    expect(conv.convert('image_0', image({ data: new Uint16Array(0), dataType: DataType.USHORT, x: 0, y: 0 }), 0)).toEqual([]);
    expect(conv.convert('image_0', image({ data: new Uint16Array(0), dataType: DataType.USHORT, x: 4, y: 0 }), 1)).toEqual([]);
    expect(conv.convert('image_0', image({ data: new Uint16Array(70000), dataType: DataType.USHORT, x: 70000, y: 1 }), 2)).toEqual([]);
    expect(conv.skipped).toEqual(['image_0 image 0', 'image_0 image 1', 'image_0 image 2']);
    expect(conv.convert('image_0', image({ data: new Uint16Array(12), dataType: DataType.USHORT }), 3)).toHaveLength(1);
  });

  it('adds no Laterality (type 2C: only for a paired body part, which MRD does not record) but an empty Image Laterality (unknown); keeps an original one', async () => {
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data: new Uint16Array(12), dataType: DataType.USHORT })] }]);
    expect(parse(out[0]!.bytes).elements.x00200060).toBeUndefined();
    expect(parse(out[0]!.bytes).elements.x00200062?.length).toBe(0);
    // type 2 attributes are still present (empty)
    expect(parse(out[0]!.bytes).elements.x00201040).toBeDefined();
    const withOriginal = image({ data: new Uint16Array(12), dataType: DataType.USHORT, meta: { DicomJson: JSON.stringify({ '00200060': { vr: 'CS', Value: ['L'] } }) } });
    const kept = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [withOriginal] }]);
    expect(parse(kept[0]!.bytes).string('x00200060')).toBe('L');
    expect(parse(kept[0]!.bytes).elements.x00200062).toBeUndefined();
  });

  it('on a full disk: the error names the file, no partial DICOM is left, files written before are complete', async () => {
    const imgs = Array.from({ length: 20 }, (_, i) => image({ data: new Uint16Array(64 * 64), dataType: DataType.USHORT, x: 64, y: 64, index: i }));
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: imgs }]);
    const folder = join(dir, 'full');
    const disk = simulateFullDisk(dir, 3 * out[0]!.bytes.length + 100);
    let err: unknown;
    try {
      err = await writeFilesNoOverwrite(folder, out).catch((e: unknown) => e);
    } finally {
      disk.uninstall();
    }
    expect((err as Error).message).toMatch(new RegExp(`^cannot write ${folder}/00__0\\d\\d\\.dcm: no space left on device$`));
    const left = readdirSync(folder);
    expect(left.every((f) => /^00__0\d\d\.dcm$/.test(f))).toBe(true);
    expect(left.length).toBeGreaterThan(0);
    for (const f of left) expect(readFileSync(join(folder, f)).equals(out.find((o) => o.fileName === f)!.bytes)).toBe(true);
  });

  it('a failure before any file is written leaves no output folder behind (one that was there stays)', async () => {
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data: new Uint16Array(64 * 64), dataType: DataType.USHORT, x: 64, y: 64 })] }]);
    const folder = join(dir, 'none', 'dcm');
    const disk = simulateFullDisk(dir, 10);
    try {
      await expect(writeFilesNoOverwrite(folder, out)).rejects.toThrow('no space left on device');
      expect(existsSync(join(dir, 'none'))).toBe(false);
      mkdirSync(join(dir, 'mine'));
      await expect(writeFilesNoOverwrite(join(dir, 'mine'), out)).rejects.toThrow('no space left on device');
      expect(readdirSync(join(dir, 'mine'))).toEqual([]);
    } finally {
      disk.uninstall();
    }
  });

  it('a read-only output folder is reported as read-only', async () => {
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [image({ data: new Uint16Array(12), dataType: DataType.USHORT })] }]);
    const disk = simulateReadOnlyFolder(dir);
    try {
      await expect(writeFilesNoOverwrite(join(dir, 'a', 'b'), out)).rejects.toThrow(`cannot write ${join(dir, 'a', 'b')}: folder ${dir} is read-only`);
    } finally {
      disk.uninstall();
    }
  });

  it('rewrites ACR-NEMA dates and times (dciodvfy rejects them), nested too', () => {
    const ds: DicomJsonDataset = {
      '00080020': { vr: 'DA', Value: ['1997.04.24'] },
      '00080030': { vr: 'TM', Value: ['14:04:38'] },
      '00081140': { vr: 'SQ', Value: [{ '00080023': { vr: 'DA', Value: ['2001.02.03'] } }] },
      '00080021': { vr: 'DA', Value: ['20000101'] },
    };
    normaliseDatesAndTimes(ds);
    expect(ds['00080020']!.Value).toEqual(['19970424']);
    expect(ds['00080030']!.Value).toEqual(['140438']);
    expect((ds['00081140']!.Value![0] as DicomJsonDataset)['00080023']!.Value).toEqual(['20010203']);
    expect(ds['00080021']!.Value).toEqual(['20000101']);
  });

  it('the element cache writes exactly what dcmjs DicomDict.write writes', async () => {
    for (const folder of ['dicom/series', 'dicom/mr_small']) {
      const conv = await convertDicomFolder(reference(folder));
      for (const s of conv.series) {
        for (const img of s.images) {
          const ds = originalDataset(parseMeta(img.attribute), 'test')!;
          const px = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
          for (let k = 0; k < 2; k++) { // second time from the cache
            const a = writeDicomFile(ds, px, 16, '1.2.840.10008.5.1.4.1.1.4', '1.2.3.4');
            const b = writeDicomFileWithDcmjs(ds, px, 16, '1.2.840.10008.5.1.4.1.1.4', '1.2.3.4');
            expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
          }
        }
      }
    }
  });

  it('file names and default folder', () => {
    expect(safeFileNamePart('../x y:z')).toBe('__x_y_z');
    expect(dicomFileName(3, 'FIRE', 7)).toBe('03_FIRE_007.dcm');
    expect(defaultOutputFolder('a/b/phantom.h5')).toBe('a/b/phantom');
    expect(defaultOutputFolder('xh5')).toBe('xh5_dicom');
    expect(defaultOutputFolder('phantom.h5')).toBe('phantom');
  });

  it('shares the tags of the reference mrd2dicom output', async () => {
    // pydicom wrote it without the 128-byte preamble: add one for dicom-parser
    const raw = readFileSync(reference('outputs/mrd2dicom_phantom_img_00__000.dcm'));
    const refBytes = new Uint8Array(Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), raw]));
    const ref = parse(refBytes);
    const off = ref.elements.x7fe00010!.dataOffset;
    const data = new Uint16Array(refBytes.slice(off, off + 256 * 256 * 2).buffer);
    const img = image({ data, dataType: DataType.USHORT, x: 256, y: 256, meta: { WindowCenter: '2048.0', WindowWidth: '4096' } });
    img.head.field_of_view = [256, 256, 5];
    img.head.position = [0, 0, 0];
    const out = mrdImagesToDicom(undefined, [{ name: 'image_0', images: [img] }]);
    expect(out[0]!.fileName).toBe('00__000.dcm');
    // and dicom2mrd reads the reference file although pydicom wrote it without a preamble
    const back = await readDicomBytes('ref', new Uint8Array(raw));
    expect(Array.from(back.pixels.frames[0]!)).toEqual(Array.from(data));
    const ours = parse(out[0]!.bytes);
    for (const tag of Object.keys(ref.elements)) {
      if (tag.startsWith('x0002')) continue;
      // TriggerTime 0: the reference always writes it; the MR Image IOD allows it only for gated
      // scans (dciodvfy error otherwise), so we write it only when there is a trigger delay.
      if (tag === 'x00181060') { expect(ours.elements[tag]).toBeUndefined(); continue; }
      expect(ours.elements[tag], `tag ${tag}`).toBeDefined();
      if (tag === 'x7fe00010') {
        expect(Buffer.compare(Buffer.from(out[0]!.bytes.slice(ours.elements[tag]!.dataOffset, ours.elements[tag]!.dataOffset + ours.elements[tag]!.length)), Buffer.from(refBytes.slice(off, off + ref.elements[tag]!.length)))).toBe(0);
        continue;
      }
      const vr = ref.elements[tag]!.vr;
      if (vr === 'US') expect(ours.uint16(tag), tag).toBe(ref.uint16(tag));
      else if (vr === 'DS' || vr === 'IS') expect(ours.string(tag)?.split('\\').map(Number), tag).toEqual(ref.string(tag)?.split('\\').map(Number));
      else if (vr === 'TM') expect(dicomTimeToTicks(ours.string(tag))).toBe(dicomTimeToTicks(ref.string(tag)));
      else expect(ours.string(tag) ?? '', tag).toBe(ref.string(tag) ?? '');
    }
  });
});

describe('mrd2dicom on a file', () => {
  it('defaults to the last group and writes every series', async () => {
    const r = await mrdFileToDicom(reference('outputs/invertcontrast_m64.h5'), { outFolder: join(dir, 'out') });
    expect(r.group).toBe('dataset');
    // as the reference: no SeriesDescription meta, so an empty description (two phases, one index: two names)
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['00__000.dcm', '00__000_1.dcm']);
    await expect(mrdFileToDicom(reference('outputs/invertcontrast_m64.h5'), { group: 'nope', outFolder: join(dir, 'o2') })).rejects.toThrow(/no group 'nope'/);
    void MrdFile;
  });
});
