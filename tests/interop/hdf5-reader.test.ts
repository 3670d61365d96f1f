/**
 * Reader interop: files written by python3-h5py (ismrmrd-python's layout, MATLAB's layout, odd
 * group names, every image data type, waveforms, UTF-8 texts, malformed parts, a file over 2 and
 * 4 GB) and by the ISMRMRD C++ library (ismrmrd_generate_cartesian_shepp_logan), read by MrdFile
 * and compared value for value with what h5py wrote / reads (tests/interop/hdf5-reader-fixtures.py).
 *
 * The dense >2 GB test (2.2 GB of real acquisition data written by h5py, then read back in
 * batches) is OPT-IN: MRD_BIG_FILE_TEST=1. Its file is deleted afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MrdFile, MrdFileError } from '@mrd-tools/core/hdf5/reader';
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import { commandRuns, findPython, jsonShape as plain } from '@mrd-tools/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, 'hdf5-reader-fixtures.py');

const python = findPython(['h5py', 'numpy']);
const cppGenerator = commandRuns('ismrmrd_generate_cartesian_shepp_logan');

function fixture(kind: string, h5: string, json: string, ...extra: string[]): Record<string, any> {
  const r = spawnSync(python!, [FIXTURES, kind, h5, json, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fixture ${kind} failed: ${r.stderr}`);
  return JSON.parse(readFileSync(json, 'utf8'));
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Compares everything MrdFile reads in group `g` with the JSON the fixture wrote. */
async function expectGroup(f: MrdFile, g: string, e: Record<string, any>): Promise<void> {
  if ('xml' in e) expect(f.readHeader(g)).toBe(e.xml);
  else expect(f.readHeader(g)).toBeUndefined();
  for (const t of ['config_file', 'config', 'configAdditional']) expect(f.readText(g, t)).toBe(e[t]);
  if (e.acquisitions) {
    expect(f.acquisitionCount(g)).toBe(e.acquisitions.length);
    for (const batchSize of [undefined, 1, 4]) {
      const acqs: Acquisition[] = await collect(f.acquisitions(g, { batchSize }));
      expect(acqs.map(plain)).toEqual(e.acquisitions);
    }
  }
  if (e.waveforms) {
    expect(f.waveformCount(g)).toBe(e.waveforms.length);
    const ws: Waveform[] = await collect(f.waveforms(g, { batchSize: 5 }));
    expect(ws.map(plain)).toEqual(e.waveforms);
  }
  const series = Object.keys(e.images ?? {});
  expect(f.imageSeries(g)).toEqual(e.series ?? series);
  for (const s of series) {
    const imgs: Image[] = await collect(f.images(g, s, { batchSize: 2 }));
    expect(imgs.map(plain)).toEqual(e.images[s]);
    for (const im of imgs) {
      const ctor = ['', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Float32Array', 'Float64Array'][im.head.data_type];
      expect(im.data.constructor.name).toBe(ctor);
    }
  }
  for (const [name, arr] of Object.entries((e.arrays ?? {}) as Record<string, { shape: number[]; data: number[] }>)) {
    const got = f.readArray(`/${g}/${name}`);
    expect(got.shape).toEqual(arr.shape);
    expect(Array.from(got.data as Float32Array)).toEqual(arr.data);
  }
}

(python ? describe : describe.skip)(`MrdFile reads what python3-h5py writes${python ? '' : ' [skipped: python3 with h5py not installed]'}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mrd-reader-interop-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ismrmrd-python and MATLAB layouts, odd group names, all image data types (one series gzip+shuffle), waveforms, texts: value for value', async () => {
    const h5 = join(dir, 'all.h5');
    const want = fixture('all', h5, join(dir, 'all.json'), '7');
    const f = await MrdFile.open(h5);
    try {
      expect(f.groups().sort()).toEqual(Object.keys(want).sort());
      for (const [g, e] of Object.entries(want)) await expectGroup(f, g, e);
      // the u64 fields really span the whole range (the fixture randomises every field)
      const acqs = await collect(f.acquisitions('2026-11-24 05:10:11.123456'));
      expect(acqs.some((a) => a.head.flags > 2n ** 63n)).toBe(true);
      expect(acqs.some((a) => a.data.length === 0)).toBe(true);
      expect(acqs.some((a) => a.traj.length > 0)).toBe(true);
      expect(f.acquisitionCount('empty')).toBe(0);
      expect(await collect(f.acquisitions('empty'))).toEqual([]);
      expect(f.imageCount('empty', 'image_0')).toBe(0);
    } finally {
      f.close();
    }
  });

  it('the same content with the newest HDF5 format (v3 superblock, new chunk indexes, dense groups) and a 1 KB userblock', async () => {
    const h5 = join(dir, 'latest.h5');
    const want = fixture('all', h5, join(dir, 'latest.json'), '8', 'latest', '1024');
    const head = readFileSync(h5).subarray(1024, 1032);
    expect(Array.from(head)).toEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    const f = await MrdFile.open(h5);
    try {
      expect(f.groups().sort()).toEqual(Object.keys(want).sort());
      for (const [g, e] of Object.entries(want)) await expectGroup(f, g, e);
    } finally {
      f.close();
    }
  });

  it('malformed parts give errors naming the file and the path at fault', async () => {
    const h5 = join(dir, 'malformed.h5');
    fixture('malformed', h5, join(dir, 'malformed.json'));
    const f = await MrdFile.open(h5);
    try {
      await expect(collect(f.acquisitions('badlen'))).rejects.toThrow(
        /malformed\.h5: \/badlen\/data\[1\]: data has 30 floats, header says 2 channels x 8 samples/,
      );
      // the records before the bad one were delivered
      const seen: number[] = [];
      await expect((async () => {
        for await (const a of f.acquisitions('badlen', { batchSize: 1 })) seen.push(a.head.scan_counter);
      })()).rejects.toThrow(MrdFileError);
      expect(seen).toEqual([0]);
      await expect(collect(f.images('badimage', 'image_0'))).rejects.toThrow(
        /malformed\.h5: \/badimage\/image_0\/data\[1\]: holds 16 pixels per image \(shape 1x1x4x4\), header\[1\] says 1 channels x 4x3x1/,
      );
      await expect(collect(f.acquisitions('badhead'))).rejects.toThrow(
        /malformed\.h5: \/badhead\/data: malformed acquisition header type: member 'head\.scan_counter' missing/,
      );
      await expect(collect(f.images('shortimages', 'image_0'))).rejects.toThrow(
        /malformed\.h5: \/shortimages\/image_0\/data: holds 2 images, header holds 3/,
      );
      await expect(collect(f.waveforms('badwave'))).rejects.toThrow(
        /malformed\.h5: \/badwave\/waveforms\[0\]: data has 9 values, header says 2 channels x 5 samples/,
      );
      // stored pixel type differs from data_type: converted to the header's type, no attributes dataset: ''
      const [asFloat] = await collect(f.images('converted', 'image_0'));
      expect(asFloat!.data).toEqual(new Float32Array([-3, 7, 300, -32768]));
      expect(asFloat!.attribute).toBe('');
      const [asComplex] = await collect(f.images('converted', 'image_1'));
      expect(asComplex!.data).toEqual(new Float32Array([1.5, 0, -2, 0, 0.25, 0, 8, 0]));
    } finally {
      f.close();
    }
  });

  it('a file over 4 GB (sparse filler first) whose MRD content lies past the 2 GB and 4 GB marks', async () => {
    const h5 = join(dir, 'sparse-big.h5');
    const want = fixture('sparse-big', h5, join(dir, 'sparse-big.json'), '3', '4400');
    try {
      expect(statSync(h5).size).toBeGreaterThan(2 ** 32);
      expect(want.offsets.firstAcquisitionChunk).toBeGreaterThan(2 ** 32);
      expect(want.offsets.imageChunk).toBeGreaterThan(2 ** 32);
      const f = await MrdFile.open(h5);
      try {
        expect(f.groups().sort()).toEqual(['dataset']);
        await expectGroup(f, 'dataset', want.dataset);
      } finally {
        f.close();
      }
    } finally {
      rmSync(h5, { force: true });
    }
  });

  (process.env.MRD_BIG_FILE_TEST === '1' ? it : it.skip)(
    `OPT-IN (MRD_BIG_FILE_TEST=1): 2.2 GB of real acquisition data written by h5py, read in bounded batches${process.env.MRD_BIG_FILE_TEST === '1' ? '' : ' [skipped: set MRD_BIG_FILE_TEST=1]'}`,
    async () => {
      const h5 = join(dir, 'dense-big.h5');
      const n = 1100; // 2 MB each
      try {
        fixture('dense-big', h5, join(dir, 'dense-big.json'), '1', String(n));
        expect(statSync(h5).size).toBeGreaterThan(2.2e9);
        const f = await MrdFile.open(h5);
        let count = 0;
        let maxRss = 0;
        try {
          for await (const a of f.acquisitions('dataset')) {
            expect(a.head.scan_counter).toBe(count);
            expect(a.data.length).toBe(2 * 32 * 8192);
            expect(a.data[0]).toBe(count);
            expect(a.data[a.data.length - 1]).toBe(2 * 32 * 8192 - 1 + count);
            count++;
            if (count % 50 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
          }
        } finally {
          f.close();
        }
        expect(count).toBe(n);
        // batches of ~1 MB: the process never holds the file (2.2 GB) in memory
        expect(maxRss).toBeLessThan(1.2e9);
      } finally {
        rmSync(h5, { force: true });
      }
    },
  );
});

(python && cppGenerator ? describe : describe.skip)(
  `MrdFile reads what the ISMRMRD C++ library writes${python && cppGenerator ? '' : ' [skipped: needs ismrmrd-tools and python3-h5py]'}`,
  () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mrd-reader-cpp-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    for (const args of [['-m', '32', '-c', '2', '-r', '2', '-C', '-k'], ['-m', '48', '-c', '3', '-a', '2', '-w', '8', '-d', 'other group']]) {
      it(`ismrmrd_generate_cartesian_shepp_logan ${args.join(' ')}: acquisitions and phantom arrays as h5py reads them`, async () => {
        const h5 = join(dir, 'cpp.h5');
        rmSync(h5, { force: true });
        const g = spawnSync('ismrmrd_generate_cartesian_shepp_logan', [...args, '-o', h5], { encoding: 'utf8' });
        expect(g.status, g.stderr).toBe(0);
        const want = fixture('dump', h5, join(dir, 'cpp.json'));
        const f = await MrdFile.open(h5);
        try {
          expect(f.groups()).toEqual(Object.keys(want));
          for (const [grp, e] of Object.entries(want)) {
            expect(e.acquisitions.length).toBeGreaterThan(0);
            await expectGroup(f, grp, e);
          }
        } finally {
          f.close();
        }
      });
    }
  },
);
