/**
 * mrd-phantom against the ISMRMRD C++ tools (Debian ismrmrd-tools) and python3-h5py:
 * - `ismrmrd_recon_cartesian_2d` (C++ library reading our file, FFTW recon) and our simplefft
 *   module both reconstruct our data into the analytic Shepp-Logan phantom;
 * - with -a/-w/-k our readouts carry the same lines, counters, flags and trajectory as
 *   `ismrmrd_generate_cartesian_shepp_logan` with the same options;
 * - h5py reads our file (the layout ismrmrd-python uses).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { isFlagSet } from '@mrd-tools/core/headers';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { sheppLoganPhantom } from '@mrd-tools/phantom-gen/phantom';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { commandRuns, findPython, readAcquisitions } from '@mrd-tools/core/testing';
import { reconstructSimpleFft } from '@mrd-tools/mrd-server/modules';
import { writeCartesianPhantom } from '@mrd-tools/phantom-gen/cartesian';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cppRecon = commandRuns('ismrmrd_recon_cartesian_2d', []);
const cppGenerator = commandRuns('ismrmrd_generate_cartesian_shepp_logan');
const python = findPython(['h5py', 'numpy']);
const tmp = () => mkdtempSync(join(tmpdir(), 'phantom-interop-'));

/** Max |a/max(a) - b/max(b)| over the image. */
function normalisedMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma = Math.max(ma, Math.abs(a[i]));
    mb = Math.max(mb, Math.abs(b[i]));
  }
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(Math.abs(a[i]) / ma - Math.abs(b[i]) / mb));
  return e;
}

/** Pearson correlation of two images (noisy data). */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += Math.abs(b[i]) / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = Math.abs(b[i]) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('mrd-phantom reconstructs into the Shepp-Logan phantom', () => {
  it.skipIf(!cppRecon)('with ismrmrd_recon_cartesian_2d (C++)', async () => {
    for (const noise of [0, 0.05]) {
      const file = join(tmp(), 'p.h5');
      await writeCartesianPhantom({ output: file, matrixSize: 128, coils: 8, noiseLevel: noise, seed: 11 });
      const r = spawnSync('ismrmrd_recon_cartesian_2d', [file], { encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      const f = await MrdFile.open(file);
      const imgs = [];
      for await (const img of f.images('dataset', 'cpp')) imgs.push(img);
      f.close();
      expect(imgs).toHaveLength(1);
      expect(imgs[0].head.matrix_size.slice(0, 2)).toEqual([128, 128]);
      const ph = sheppLoganPhantom(128);
      if (noise === 0) expect(normalisedMaxError(imgs[0].data, ph)).toBeLessThan(1e-4);
      else expect(correlation(imgs[0].data, ph)).toBeGreaterThan(0.9); // noise 0.05 per coil: about 0.95; a wrong image is far below
    }
  });

  it('with our simplefft module', async () => {
    const file = join(tmp(), 'p.h5');
    await writeCartesianPhantom({ output: file, matrixSize: 96, coils: 4, noiseLevel: 0, seed: 2 });
    const f = await MrdFile.open(file);
    const header = parseIsmrmrdHeader(f.readHeader('dataset')!);
    f.close();
    const imaging = (await readAcquisitions(file)).filter((a) => !isFlagSet(a.head.flags, AcquisitionFlag.IS_NOISE_MEASUREMENT));
    const img = reconstructSimpleFft(imaging, header, await getFftEngine());
    expect(img.head.matrix_size.slice(0, 2)).toEqual([96, 96]);
    // int16 output normalised to the reference's 12-bit range: quantisation 1/4095
    expect(normalisedMaxError(img.data, sheppLoganPhantom(96))).toBeLessThan(2 / 4095);
  });
});

describe.skipIf(!cppGenerator)('layout of ismrmrd_generate_cartesian_shepp_logan', () => {
  it.each([
    ['-a 2 -w 8 -r 2', { acceleration: 2, calibrationWidth: 8, repetitions: 2 }],
    ['-a 3 -w 6 -k', { acceleration: 3, calibrationWidth: 6, kCoordinates: true }],
    ['-a 4 -w 0', { acceleration: 4, calibrationWidth: 0 }],
  ])('%s: same lines, counters, flags and trajectory', async (args, opts) => {
    const dir = tmp();
    const cpp = join(dir, 'cpp.h5');
    const r = spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', '32', '-c', '2', '-o', cpp, ...args.split(' ')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ours = join(dir, 'ours.h5');
    await writeCartesianPhantom({ output: ours, matrixSize: 32, coils: 2, noiseCalibration: false, seed: 1, ...opts });
    const a = await readAcquisitions(ours);
    const b = await readAcquisitions(cpp);
    expect(a.length).toBe(b.length);
    for (let i = 0; i < b.length; i++) {
      const [ha, hb] = [a[i].head, b[i].head];
      expect([ha.idx.kspace_encode_step_1, ha.idx.repetition, ha.flags], `readout ${i}`).toEqual([hb.idx.kspace_encode_step_1, hb.idx.repetition, hb.flags]);
      expect([ha.number_of_samples, ha.active_channels, ha.available_channels, ha.center_sample, ha.trajectory_dimensions])
        .toEqual([hb.number_of_samples, hb.active_channels, hb.available_channels, hb.center_sample, hb.trajectory_dimensions]);
      expect(Array.from(a[i].traj)).toEqual(Array.from(b[i].traj));
    }
    const hdr = (p: string) => MrdFile.open(p).then((f) => { const x = parseIsmrmrdHeader(f.readHeader('dataset')!); f.close(); return x; });
    const [xa, xb] = [await hdr(ours), await hdr(cpp)];
    expect(xa.encoding[0].encodingLimits.repetition?.maximum).toBe(xb.encoding[0].encodingLimits.repetition?.maximum);
    expect(xa.encoding[0].parallelImaging?.accelerationFactor).toEqual(xb.encoding[0].parallelImaging?.accelerationFactor);
  });
});

describe.skipIf(!python)('python3-h5py reads our file', () => {
  it('the acquisitions and header as ismrmrd-python would see them', async () => {
    const file = join(tmp(), 'p.h5');
    await writeCartesianPhantom({ output: file, matrixSize: 32, coils: 3, noiseLevel: 0.05, seed: 4, kCoordinates: true });
    const ours = await readAcquisitions(file);
    const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
d = f['dataset/data']
out = {'n': len(d), 'xml': f['dataset/xml'][0].decode() if isinstance(f['dataset/xml'][0], bytes) else f['dataset/xml'][0],
       'steps': [int(r['head']['idx']['kspace_encode_step_1']) for r in d],
       'flags': [int(r['head']['flags']) for r in d],
       'data40': [float(v) for v in d[40]['data'][:6]], 'traj40': [float(v) for v in d[40]['traj'][:4]]}
print(json.dumps(out))
`;
    const r = spawnSync(python!, ['-c', script, file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.n).toBe(ours.length);
    expect(got.steps).toEqual(ours.map((a) => a.head.idx.kspace_encode_step_1));
    expect(got.flags).toEqual(ours.map((a) => Number(a.head.flags)));
    expect(got.data40).toEqual(Array.from(ours[40].data.subarray(0, 6)));
    expect(got.traj40).toEqual(Array.from(ours[40].traj.subarray(0, 4)));
    expect(parseIsmrmrdHeader(got.xml).encoding[0].encodedSpace.matrixSize).toEqual({ x: 64, y: 32, z: 1 });
  });
});

describe('mrd-phantom CLI', () => {
  const cli = join(root, 'packages/phantom-gen/dist/cli.js');
  it('writes the default file name in the working directory, refuses to mix, --force replaces', () => {
    const dir = tmp();
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
    const a = run('-m', '32', '-c', '2', '--seed', '7');
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toContain('Saved to testdata.h5');
    expect(a.stdout).toContain('Matrix 32x32 at R=1 with 1 repetitions');
    expect(a.stdout).toContain('2 coils with 2 oversampling and 0.05 noise level');
    const b = run('-m', '64', '-c', '2');
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/^mrd-phantom: testdata\.h5: group 'dataset' holds a different acquisition \(encoded matrix 64x32x1 vs 128x64x1, recon matrix 32x32x1 vs 64x64x1\)/);
    const c = run('-m', '64', '-c', '2', '--force', '-q');
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toBe('');
    // a number out of range is a usage error (exit 2), found before anything is generated
    const d = run('-m', '0');
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/^mrd-phantom: error: argument -m\/--matrix-size\/--matrix: invalid value '0' \(expected an integer from 2 to 65536\)/);
  });
});
