/**
 * dicom2mrd / mrd2dicom against independent DICOM peers (Debian dicom3tools, dcmtk, h5py):
 * - every file mrd2dicom writes passes `dciodvfy` with no errors, and `dcmdump` and dicom-parser
 *   read it;
 * - DICOM -> MRD -> DICOM with the built CLIs on the reference DICOM folder (all transfer syntaxes,
 *   the three series, a truncated and a non-DICOM file): `dcm2json` of every output holds every
 *   original tag (pixel data excepted) with the original value, except the UIDs mrd2dicom replaces
 *   on purpose (SOP/Series Instance UID; Study UID unified per MRD file), and identical pixel data;
 * - the MRD file dicom2mrd writes is read by h5py, its XML header validates against the ISMRMRD
 *   schema (xmllint), and MRD -> DICOM -> MRD through both
 *   executables keeps pixels, geometry and times (compared with h5py);
 * - mrd2dicom on every reference output (*.h5) gives valid DICOM.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { commandOnPath, findPython, reference, writeImageFileDeclaring } from '@mrd-tools/core/testing';
import { e, syntheticMr } from '@mrd-tools/dicom2mrd/testing';
import { convertDicomFolder } from '@mrd-tools/dicom2mrd';
import { readDicomBytes } from '@mrd-tools/dicom2mrd';
import { mrdImagesToDicom } from '@mrd-tools/mrd2dicom';
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { MetaAttributes, parseMeta } from '@mrd-tools/core/meta';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { createImage } from '@mrd-tools/core/messages';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
// dicom-parser is a dependency of the dicom2mrd package, not of the repository root.
const dicomParser = createRequire(join(root, 'packages/dicom2mrd/package.json'))('dicom-parser') as typeof import('dicom-parser');
const dicom2mrdCli = join(root, 'packages/dicom2mrd/dist/cli.js');
const mrd2dicomCli = join(root, 'packages/mrd2dicom/dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'mrd-dicom-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const peers = ['dciodvfy', 'dcmdump', 'dcm2json'].every(commandOnPath);
if (process.env.CI && !peers) throw new Error('interop peers missing: apt-get install dicom3tools dcmtk');
const python = findPython(['h5py']);


function node(cli: string, args: string[], cwd = work) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function dciodvfyErrors(file: string): string[] {
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  return (r.stdout + r.stderr).split('\n').filter((l) => /^Error/.test(l));
}

/** dciodvfy's notes on attributes whose condition does not hold (an empty or unwarranted type 2C). */
function dciodvfyConditionNotes(file: string): string[] {
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  return (r.stdout + r.stderr).split('\n').filter((l) => /only permitted to be empty when actually unknown|condition unsatisfied|Lateral/i.test(l));
}

let decompressed = 0;
function dcm2json(file: string): Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string }> {
  // dcm2json cannot write compressed pixel data: decompress RLE / JPEG-LS originals first (dcmtk).
  const ts = spawnSync('dcmdump', ['-q', '+P', '0002,0010', file], { encoding: 'utf8' }).stdout;
  const tool = /RLELossless/.test(ts) ? 'dcmdrle' : /JPEGLS/.test(ts) ? 'dcmdjpls' : undefined;
  if (tool) {
    const plain = join(work, `decompressed-${decompressed++}.dcm`);
    const d = spawnSync(tool, [file, plain], { encoding: 'utf8' });
    if (d.status !== 0) throw new Error(`${tool} ${file}: ${d.stderr}`);
    file = plain;
  }
  const r = spawnSync('dcm2json', ['-fc', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`dcm2json ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function dcmdumpOk(file: string): boolean {
  const r = spawnSync('dcmdump', ['-q', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return r.status === 0 && !/^E:/m.test(r.stderr);
}

function pixelBytes(file: string): Buffer {
  const bytes = new Uint8Array(readFileSync(file));
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements.x7fe00010!;
  return Buffer.from(bytes.buffer, bytes.byteOffset + el.dataOffset, el.length);
}

function checkWritten(folder: string): string[] {
  const files = readdirSync(folder).filter((f) => f.endsWith('.dcm')).map((f) => join(folder, f));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    expect(dciodvfyErrors(f), `dciodvfy ${f}`).toEqual([]);
    expect(dcmdumpOk(f), `dcmdump ${f}`).toBe(true);
    expect(() => dicomParser.parseDicom(new Uint8Array(readFileSync(f))), `dicom-parser ${f}`).not.toThrow();
  }
  return files;
}

const REPLACED = new Set(['00080018', '0020000E', '0020000D']);

describe.skipIf(!peers)('DICOM interop' + (peers ? '' : ' [skipped: dicom3tools/dcmtk missing]'), () => {
  it('DICOM -> MRD -> DICOM with the CLIs: valid DICOM, every original tag and value, identical pixels', () => {
    const input = join(work, 'input');
    for (const sub of ['mr_small', 'series']) {
      mkdirSync(join(input, sub), { recursive: true });
      for (const f of readdirSync(reference(`dicom/${sub}`))) copyFileSync(join(reference(`dicom/${sub}`), f), join(input, sub, f));
    }
    writeFileSync(join(input, 'mr_small', 'README.dcm'), 'not a DICOM file');
    for (const sub of ['mr_small', 'series']) {
      const h5 = join(work, `${sub}.h5`);
      const r1 = node(dicom2mrdCli, [join(input, sub) + '/', '-o', h5]);
      if (sub === 'mr_small') {
        expect(r1.status, r1.out).toBe(3);
        expect(r1.out).toMatch(/MR_truncated\.dcm.*truncated/);
        expect(r1.out).toMatch(/README\.dcm.*not a DICOM file/);
      } else expect(r1.status, r1.out).toBe(0);
      if (python) {
        const py = spawnSync(python, ['-c', `import h5py,sys; f=h5py.File(sys.argv[1],'r'); print(sorted(f['dataset'].keys())); print(sum(f['dataset'][k]['data'].shape[0] for k in f['dataset'] if k.startswith('image_')))`, h5], { encoding: 'utf8' });
        expect(py.status, py.stderr).toBe(0);
        expect(py.stdout).toContain('xml');
        expect(Number(py.stdout.trim().split('\n').pop())).toBe(sub === 'mr_small' ? 5 : 17);
      }
      if (commandOnPath('xmllint')) {
        // the MRD XML header validates against the ISMRMRD schema
        const xml = spawnSync(python ?? 'python3', ['-c', `import h5py,sys; x=h5py.File(sys.argv[1],'r')['dataset']['xml'][0]; sys.stdout.write(x.decode() if isinstance(x, bytes) else x)`, h5], { encoding: 'utf8' });
        if (xml.status === 0) {
          const xf = join(work, `${sub}.xml`);
          writeFileSync(xf, xml.stdout);
          const v = spawnSync('xmllint', ['--noout', '--schema', join(root, 'packages/mrd-core/src/xml-header/fixtures/ismrmrd.xsd'), xf], { encoding: 'utf8' });
          expect(v.status, v.stderr).toBe(0);
        }
      }
      const outDir = join(work, `${sub}-dicom`);
      const r2 = node(mrd2dicomCli, [h5, '-o', outDir]);
      expect(r2.status, r2.out).toBe(0);
      const written = checkWritten(outDir);
      const originals = readdirSync(join(input, sub)).filter((f) => !/README|truncated/.test(f)).sort().map((f) => join(input, sub, f));
      expect(written).toHaveLength(originals.length);
      const origJson = originals.map((f) => ({ f, j: dcm2json(f) }));
      const outJson = written.map((f) => ({ f, j: dcm2json(f) }));
      const used = new Set<string>();
      for (const o of origJson) {
        // the output derived from this original: it references its SOP instance and is not yet matched
        const src = (o.j['00080018']!.Value![0]) as string;
        const match = outJson.find((w) => !used.has(w.f) && ((w.j['00082112']?.Value?.[0] as Record<string, { Value: string[] }>)?.['00081155']?.Value[0] === src));
        expect(match, `output for ${o.f}`).toBeDefined();
        used.add(match!.f);
        for (const [tag, el] of Object.entries(o.j)) {
          if (tag.startsWith('0002') || tag === '7FE00010') continue;
          expect(match!.j[tag], `${o.f}: ${tag} present in ${match!.f}`).toBeDefined();
          if (REPLACED.has(tag)) continue;
          if (tag === '00200052' && el.Value?.[0] === o.j['0020000D']?.Value?.[0]) continue; // FoR == Study UID: dciodvfy error, replaced
          if (el.vr === 'US' || el.vr === 'SS') { expect(match!.j[tag]!.Value).toEqual(el.Value); continue; }
          expect(match!.j[tag], `${o.f}: ${tag} value`).toEqual(el);
        }
      }
      // identical pixel data: against the natively encoded originals
      for (const o of originals.filter((f) => !/RLE|jpeg|bigendian/.test(f))) {
        const src = dcm2json(o)['00080018']!.Value![0];
        const w = outJson.find((x) => (x.j['00082112']?.Value?.[0] as Record<string, { Value: string[] }>)?.['00081155']?.Value[0] === src)!;
        expect(pixelBytes(w.f).equals(pixelBytes(o)), `pixels of ${o}`).toBe(true);
      }
    }
  });

  it('enhanced MR: one valid classic MR file per frame', () => {
    const input = join(work, 'enhanced');
    mkdirSync(input, { recursive: true });
    const frame = (z: number, t: string, trig: number) => ({
      '00209113': { vr: 'SQ', Value: [{ '00200032': e('DS', '0', '0', String(z)) }] },
      '00209111': { vr: 'SQ', Value: [{ '00189074': e('DT', `20240101${t}`) }] },
      '00189118': { vr: 'SQ', Value: [{ '00209153': e('FD', trig) }] },
    });
    writeFileSync(join(input, 'enh.dcm'), syntheticMr({
      seriesNumber: 1, instanceNumber: 1, rows: 4, cols: 6, frames: 3, sopClass: '1.2.840.10008.5.1.4.1.1.4.1', extra: {
        '00080016': e('UI', '1.2.840.10008.5.1.4.1.1.4.1'),
        '00280008': e('IS', '3'),
        '52009229': { vr: 'SQ', Value: [{
          '00289110': { vr: 'SQ', Value: [{ '00280030': e('DS', '2', '2'), '00180050': e('DS', '4') }] },
          '00209116': { vr: 'SQ', Value: [{ '00200037': e('DS', '1', '0', '0', '0', '1', '0') }] },
        }] },
        '52009230': { vr: 'SQ', Value: [frame(0, '101010.5', 0), frame(5, '101011', 50), frame(10, '101012', 100)] },
      },
    }));
    const h5 = join(work, 'enhanced.h5');
    expect(node(dicom2mrdCli, [input, '-o', h5]).status).toBe(0);
    expect(node(mrd2dicomCli, [h5, '-o', join(work, 'enhanced-dicom')]).status).toBe(0);
    const files = checkWritten(join(work, 'enhanced-dicom'));
    expect(files).toHaveLength(3);
    const positions = files.map((f) => dcm2json(f)['00200032']!.Value).sort((a, b) => Number(a![2]) - Number(b![2]));
    expect(positions).toEqual([[0, 0, 0], [0, 0, 5], [0, 0, 10]]);
  });

  it.skipIf(!python)('restores a DicomJson written by pydicom (the reference dicom2mrd format)', async () => {
    const src = reference('dicom/mr_small/MR_small.dcm');
    const py = spawnSync(python!, ['-c', 'import pydicom,base64,sys; d=pydicom.dcmread(sys.argv[1]); del d["PixelData"]; print(base64.b64encode(d.to_json().encode()).decode())', src], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const conv = await convertDicomFolder(reference('dicom/mr_small'));
    const img = conv.series[0]!.images[0]!;
    const meta = parseMeta(img.attribute);
    meta.set('DicomJson', py.stdout.trim());
    const out = mrdImagesToDicom(conv.xml, [{ name: 'image_0', images: [{ ...img, attribute: new MetaAttributes(meta).serialize() }] }]);
    const file = join(work, 'pydicom-json.dcm');
    writeFileSync(file, out[0]!.bytes);
    expect(dciodvfyErrors(file)).toEqual([]);
    const orig = dcm2json(src);
    const back = dcm2json(file);
    for (const [tag, el] of Object.entries(orig)) {
      if (tag.startsWith('0002') || tag === '7FE00010' || REPLACED.has(tag)) continue;
      expect(back[tag], tag).toBeDefined();
      if (el.vr === 'DS' || el.vr === 'IS') expect(back[tag]!.Value?.map(Number), tag).toEqual(el.Value?.map(Number));
      else if (el.vr !== 'US' && el.vr !== 'SS') expect(back[tag], tag).toEqual(el);
    }
    expect(pixelBytes(file).equals(pixelBytes(src))).toBe(true);
  });

  it.skipIf(!python)('MRD -> DICOM -> MRD with the CLIs, compared with h5py: pixels, geometry and times kept', () => {
    const compare = `
import h5py, sys, numpy as np
a = h5py.File(sys.argv[1], 'r')['dataset']; b = h5py.File(sys.argv[2], 'r')['dataset']
sa = sorted([k for k in a if k.startswith('image_')], key=lambda k: int(k.split('_')[1]))
sb = sorted([k for k in b if k.startswith('image_')], key=lambda k: int(k.split('_')[1]))
assert len(sa) == len(sb), (sa, sb)
for x, y in zip(sa, sb):
    da, db = a[x]['data'][()], b[y]['data'][()]
    assert da.dtype == db.dtype, (x, da.dtype, db.dtype)
    assert da.shape == db.shape, (x, da.shape, db.shape)
    assert np.array_equal(da, db), x
    ha, hb = a[x]['header'][()], b[y]['header'][()]
    for f in ['matrix_size', 'channels', 'field_of_view', 'position', 'read_dir', 'phase_dir', 'slice_dir', 'acquisition_time_stamp', 'image_type', 'data_type']:
        assert np.array_equal(ha[f], hb[f]), (x, f, ha[f], hb[f])
    assert np.array_equal(ha['physiology_time_stamp'][:, 0], hb['physiology_time_stamp'][:, 0]), x
print('ok')
`;
    const outputs = readdirSync(reference('outputs')).filter((f) => f.endsWith('.h5') && f !== 'waveforms_savedataonly.h5');
    for (const f of outputs) {
      const folder = join(work, 'rt-' + f.replace(/\.h5$/, ''));
      expect(node(mrd2dicomCli, [reference(`outputs/${f}`), '-o', folder]).status).toBe(0);
      const back = join(work, 'rt-' + f);
      const r = node(dicom2mrdCli, [folder, '-o', back]);
      expect(r.status, r.out).toBe(0);
      const py = spawnSync(python!, ['-c', compare, reference(`outputs/${f}`), back], { encoding: 'utf8' });
      expect(py.stdout.trim(), `${f}: ${py.stderr}`).toBe('ok');
    }
  });

  it('mrd2dicom on every reference output: valid DICOM', () => {
    const outputs = readdirSync(reference('outputs')).filter((f) => f.endsWith('.h5') && f !== 'waveforms_savedataonly.h5');
    for (const f of outputs) {
      const outDir = join(work, 'ref-' + f.replace(/\.h5$/, ''));
      const r = node(mrd2dicomCli, [reference(`outputs/${f}`), '-o', outDir]);
      expect(r.status, r.out).toBe(0);
      checkWritten(outDir);
    }
    // a group without images is a clear error, not a crash
    const r = node(mrd2dicomCli, [reference('outputs/waveforms_savedataonly.h5'), '-o', join(work, 'none')]);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/has no images/);
  });

  it('mrd2dicom on images of every data type and shape, without a DICOM origin: valid DICOM (dciodvfy), no invented Laterality; a 0 x 0 image is refused by name', async () => {
    const h5 = join(work, 'every-type.h5');
    const w = await MrdWriter.create(h5, { overwrite: true });
    await w.writeHeader('<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><measurementInformation><patientPosition>HFS</patientPosition><protocolName>every type</protocolName></measurementInformation><experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions><encoding><encodedSpace><matrixSize><x>8</x><y>6</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>180</y><z>5</z></fieldOfView_mm></encodedSpace><reconSpace><matrixSize><x>8</x><y>6</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>180</y><z>5</z></fieldOfView_mm></reconSpace><encodingLimits/><trajectory>cartesian</trajectory></encoding></ismrmrdHeader>');
    const geometry = { field_of_view: [240, 180, 5], read_dir: [1, 0, 0], phase_dir: [0, 1, 0], slice_dir: [0, 0, 1], position: [0, 0, 0] } as const;
    const make = (series: number, dataType: number, data: ArrayLike<number>, o: { x?: number; y?: number; z?: number; channels?: number; imageType?: number } = {}) => createImage({
      matrixSize: [o.x ?? 8, o.y ?? 6, o.z ?? 1], channels: o.channels ?? 1, data: data as never,
      head: { ...geometry, field_of_view: [...geometry.field_of_view], read_dir: [...geometry.read_dir], phase_dir: [...geometry.phase_dir], slice_dir: [...geometry.slice_dir], position: [...geometry.position], data_type: dataType, image_series_index: series, image_type: o.imageType ?? ImageType.MAGNITUDE },
    });
    const n = 48;
    const ramp = (k: number, f: (i: number) => number) => Array.from({ length: k }, (_, i) => f(i));
    await w.appendImages([make(1, DataType.USHORT, Uint16Array.from(ramp(n, (i) => i * 100)))], { series: 'image_1' });
    await w.appendImages([make(2, DataType.SHORT, Int16Array.from(ramp(n, (i) => i * 100 - 2000)))], { series: 'image_2' });
    await w.appendImages([make(3, DataType.FLOAT, Float32Array.from(ramp(n, (i) => Math.sin(i) * 3.5)))], { series: 'image_3' });
    await w.appendImages([make(4, DataType.CXFLOAT, Float32Array.from(ramp(2 * n, (i) => Math.cos(i))), { imageType: ImageType.COMPLEX })], { series: 'image_4' });
    await w.appendImages([make(5, DataType.INT, Int32Array.from(ramp(n, (i) => i * 100000)))], { series: 'image_5' });
    await w.appendImages([make(6, DataType.USHORT, Uint16Array.from(ramp(3 * n, (i) => (i * 37) % 256)), { channels: 3, imageType: ImageType.RGB })], { series: 'image_6' });
    await w.appendImages([make(7, DataType.USHORT, Uint16Array.from(ramp(2 * 2 * n, (i) => i)), { channels: 2, z: 2 })], { series: 'image_7' });
    await w.close();
    const out = join(work, 'every-type');
    const r = node(mrd2dicomCli, [h5, '-o', out]);
    expect(r.status, r.out).toBe(0);
    const files = checkWritten(out);
    expect(files.length).toBe(1 + 1 + 1 + 1 + 1 + 1 + 4);
    for (const f of files) {
      const ds = dicomParser.parseDicom(new Uint8Array(readFileSync(f)));
      expect(ds.elements.x00200060, `${f}: no Laterality was invented`).toBeUndefined();
      expect(dciodvfyConditionNotes(f), `dciodvfy ${f}`).toEqual([]);
      expect(Number(ds.uint16('x00280010'))).toBeGreaterThan(0);
      expect(ds.string('x00280030')).not.toMatch(/Infinity|NaN/);
    }
    // an image of 0 x 0 pixels (the writer refuses to make one: patched from a valid file) is refused by name
    const zero = join(work, 'zero.h5');
    await writeImageFileDeclaring(zero, 0, 0);
    const z = node(mrd2dicomCli, [zero, '-o', join(work, 'zero')]);
    expect(z.status, z.out).toBe(1);
    expect(z.out).toMatch(/image_0 image 0: matrix size 0x0x1 cannot be a DICOM image .*; skipped/);
    expect(z.out).toMatch(/mrd2dicom: .*zero\.h5: no image could be written as DICOM \(1 skipped: image_0 image 0\)/);
    expect(readdirSync(join(work, 'zero'))).toEqual([]);
  });
});

/**
 * Compressed transfer syntaxes dicom2mrd decodes, produced from the real MR reference files by
 * independent encoders: dcmtk's dcmcjpeg (JPEG lossless process 14 selection 6 -> 4.57, SV1 ->
 * 4.70) and GDCM's gdcmconv (JPEG 2000 lossless -> 4.90, lossy -> 4.91). Lossless: the pixels
 * dicom2mrd gives equal those of the uncompressed original; lossy: those gdcmconv --raw decodes
 * from the same file, within +-1. JPEG baseline (4.50) needs 8-bit input and these are 16-bit MR
 * images, so it is covered by the unit tests only; JPEG extended (4.51) is not decoded.
 */
const dcmcjpeg = commandOnPath('dcmcjpeg');
const gdcmconv = commandOnPath('gdcmconv');
if (process.env.CI && !gdcmconv) throw new Error('interop peer missing: apt-get install libgdcm-tools');

describe('dicom2mrd on compressed copies of the reference MR files', () => {
  const originals = () => [reference('dicom/mr_small/MR_small.dcm'), ...readdirSync(reference('dicom/series')).sort().map((f) => join(reference('dicom/series'), f))];

  /** Compresses every original into a fresh folder of `work` with `tool args in out`. */
  function compressAll(name: string, tool: string, args: string[]): string {
    const dir = join(work, `compressed-${name}`);
    mkdirSync(dir, { recursive: true });
    for (const f of originals()) {
      const out = join(dir, f.split('/').pop()!);
      const r = spawnSync(tool, [...args, f, out], { encoding: 'utf8' });
      expect(r.status, `${tool} ${args.join(' ')} ${f}: ${r.stderr}`).toBe(0);
    }
    return dir;
  }

  function transferSyntaxOf(file: string): string {
    return dicomParser.parseDicom(new Uint8Array(readFileSync(file)), { untilTag: 'x00020010' }).string('x00020010')!.replace(/\0/g, '').trim();
  }

  /** The pixels dicom2mrd reads from a file (its decoding path, as the conversion uses it). */
  async function pixelsOf(file: string): Promise<number[]> {
    const d = await readDicomBytes(file, new Uint8Array(readFileSync(file)));
    expect(d.pixels.frames, file).toHaveLength(1);
    return Array.from(d.pixels.frames[0]!);
  }

  function originalOf(name: string): string {
    return name === 'MR_small.dcm' ? reference('dicom/mr_small/MR_small.dcm') : join(reference('dicom/series'), name);
  }

  /** The built CLI converts the folder (exit status 0: nothing skipped). */
  function cliConverts(dir: string) {
    const r = node(dicom2mrdCli, [dir, '-o', `${dir}.h5`]);
    expect(r.status, r.out).toBe(0);
  }

  async function expectLossless(dir: string, ts: string) {
    const files = readdirSync(dir);
    expect(files).toHaveLength(18);
    for (const f of files) {
      expect(transferSyntaxOf(join(dir, f)), f).toBe(ts);
      expect(await pixelsOf(join(dir, f)), f).toEqual(await pixelsOf(originalOf(f)));
    }
    cliConverts(dir);
  }

  it.skipIf(!dcmcjpeg)('JPEG lossless SV1 (4.70) from dcmcjpeg +e1: identical pixels' + (dcmcjpeg ? '' : ' [skipped: dcmcjpeg (dcmtk) missing]'), async () => {
    await expectLossless(compressAll('sv1', 'dcmcjpeg', ['+e1']), '1.2.840.10008.1.2.4.70');
  });

  it.skipIf(!dcmcjpeg)('JPEG lossless process 14, selection 6 (4.57) from dcmcjpeg +el: identical pixels' + (dcmcjpeg ? '' : ' [skipped: dcmcjpeg (dcmtk) missing]'), async () => {
    await expectLossless(compressAll('p14', 'dcmcjpeg', ['+el']), '1.2.840.10008.1.2.4.57');
  });

  it.skipIf(!gdcmconv)('JPEG 2000 lossless (4.90) from gdcmconv --j2k: identical pixels' + (gdcmconv ? '' : ' [skipped: gdcmconv (libgdcm-tools) missing]'), async () => {
    await expectLossless(compressAll('j2k', 'gdcmconv', ['--j2k']), '1.2.840.10008.1.2.4.90');
  });

  it.skipIf(!gdcmconv)('JPEG 2000 lossy (4.91) from gdcmconv --j2k --lossy: within +-1 of gdcmconv --raw' + (gdcmconv ? '' : ' [skipped: gdcmconv (libgdcm-tools) missing]'), async () => {
    const dir = compressAll('j2k-lossy', 'gdcmconv', ['--j2k', '--lossy', '-q', '20']);
    for (const f of readdirSync(dir)) expect(transferSyntaxOf(join(dir, f)), f).toBe('1.2.840.10008.1.2.4.91');
    // GDCM's own decoding of the same lossy files, written uncompressed
    const raw = join(work, 'compressed-j2k-lossy-raw');
    mkdirSync(raw, { recursive: true });
    for (const f of readdirSync(dir)) {
      const r = spawnSync('gdcmconv', ['--raw', join(dir, f), join(raw, f)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    let maxDiff = 0;
    let lossyDiff = 0;
    const files = readdirSync(dir);
    expect(files).toHaveLength(18);
    for (const f of files) {
      const px = await pixelsOf(join(dir, f));
      const w = await pixelsOf(join(raw, f));
      const o = await pixelsOf(originalOf(f));
      expect(px.length, f).toBe(w.length);
      for (let i = 0; i < px.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(px[i]! - w[i]!));
        lossyDiff = Math.max(lossyDiff, Math.abs(px[i]! - o[i]!));
      }
    }
    // measured (gdcm 3.0.21, -q 20): max difference 0 from gdcmconv --raw (same OpenJPEG
    // decoding); the compression itself is lossy (max difference 2098 from the originals)
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(lossyDiff).toBeGreaterThan(0);
    cliConverts(dir);
  });

  it.skipIf(!dcmcjpeg)('JPEG extended 12-bit (4.51) from dcmcjpeg +ee: skipped with the named error (no 12-bit decoder)' + (dcmcjpeg ? '' : ' [skipped: dcmcjpeg (dcmtk) missing]'), () => {
    const dir = join(work, 'compressed-extended');
    mkdirSync(dir, { recursive: true });
    const c = spawnSync('dcmcjpeg', ['+ee', reference('dicom/mr_small/MR_small.dcm'), join(dir, 'MR_small.dcm')], { encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    const r = node(dicom2mrdCli, [dir, '-o', `${dir}.h5`]);
    expect(r.status).toBe(1); // nothing readable
    expect(r.out).toMatch(/MR_small\.dcm.*unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.51 \(JPEG Extended\)/);
  });
});
