import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMatFile, matDouble, matScalar, matStruct } from '@mrd-tools/core/mat-file';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { findMetafile, metafileSearchPath, matchReadoutOversampling, nominalGradients, prepareSpiralTrajectory, readSpiralMetafile, sequenceHash, MetafileError } from './metafile.js';

function writeMeta(dir: string, hash: string, S = 8, arms = 3, interleaves = 2): string {
  const kx = new Float64Array(S * arms), ky = new Float64Array(S * arms);
  for (let a = 0; a < arms; a++) for (let s = 0; s < S; s++) {
    const r = (s / (S - 1)) * 100, th = a + s * 0.3;
    kx[a * S + s] = r * Math.cos(th);
    ky[a * S + s] = r * Math.sin(th);
  }
  const f = join(dir, `${hash}.mat`);
  writeFileSync(f, encodeMatFile({
    kx: matDouble([S, arms], kx), ky: matDouble([S, arms], ky), w: matDouble([1, S], Array.from({ length: S }, (_, i) => i + 1)),
    param: matStruct({ fov: matScalar(24), spatial_resolution: matScalar(2.4), interleaves: matScalar(interleaves), repetitions: matScalar(10), dt: matScalar(2e-6), pre_discard: matScalar(4) }),
  }));
  return f;
}

describe('spiral metafiles', () => {
  it('hash = first 32 characters of tSequenceVariant; missing is an error', () => {
    const h = { encoding: [], userParameters: { userParameterString: [{ name: 'tSequenceVariant', value: '0123456789abcdef0123456789abcdef/OSP' }] } } as unknown as IsmrmrdHeader;
    expect(sequenceHash(h)).toBe('0123456789abcdef0123456789abcdef');
    expect(() => sequenceHash({ encoding: [], userParameters: {} } as unknown as IsmrmrdHeader)).toThrow(/tSequenceVariant/);
  });

  it('found in the first configured path holding it; missing names the hash and the paths', () => {
    const a = mkdtempSync(join(tmpdir(), 'ma-')), b = mkdtempSync(join(tmpdir(), 'mb-'));
    const f = writeMeta(b, 'h1');
    expect(findMetafile('h1', [a, b])).toBe(f);
    expect(() => findMetafile('nohash', [a, b], process.cwd(), {})).toThrow(new MetafileError(`Trajectory file nohash.mat not found in specified paths: ${a}, ${b} (set metafile_paths in the recon's config, or start mrd-server with --metafile-dir <folder holding it>)`));
    // relative paths are relative to the working directory
    const cwd = mkdtempSync(join(tmpdir(), 'mc-'));
    mkdirSync(join(cwd, 'seq_meta'));
    const g = writeMeta(join(cwd, 'seq_meta'), 'h2');
    expect(findMetafile('h2', ['seq_meta'], cwd)).toBe(g);
  });

  it('MRD_TOOLS_METAFILE_PATH (mrd-server --metafile-dir) is searched before metafile_paths', () => {
    const a = mkdtempSync(join(tmpdir(), 'ma-')), b = mkdtempSync(join(tmpdir(), 'mb-'));
    writeMeta(a, 'h3');
    const fromFlag = writeMeta(b, 'h3');
    expect(findMetafile('h3', [a], process.cwd(), { MRD_TOOLS_METAFILE_PATH: b })).toBe(fromFlag);
    expect(findMetafile('h3', [a], process.cwd(), {})).toBe(join(a, 'h3.mat'));
    expect(metafileSearchPath(['seq_meta'], '/srv', { MRD_TOOLS_METAFILE_PATH: '/x:/y' })).toEqual(['/x', '/y', '/srv/seq_meta']);
  });

  it('reads kx, ky, w, param and prepares SigPy coordinates as the reference', () => {
    const d = mkdtempSync(join(tmpdir(), 'md-'));
    const m = readSpiralMetafile(writeMeta(d, 'h'));
    expect([m.samples, m.arms, m.param.interleaves, m.param.pre_discard, m.param.fov]).toEqual([8, 3, 2, 4, 24]);
    const t = prepareSpiralTrajectory(m, 1.0);
    expect(t.msize).toBe(100); // int(1.0 * 10 * 24 / 2.4)
    expect(t.arms).toBe(2);
    // last sample of arm 1: radius kmax -> 0.5 * msize; (kx, -ky)
    const s = 7, a = 1;
    expect(Math.hypot(t.coord[2 * (a * 8 + s)], t.coord[2 * (a * 8 + s) + 1])).toBeCloseTo(50, 10);
    expect(t.coord[2 * (a * 8 + s) + 1]).toBeCloseTo(-Math.sin(1 + 7 * 0.3) * 50, 10);
    expect(prepareSpiralTrajectory(m, 1.5).msize).toBe(150);
    // readout oversampling removed: 4 + 8 samples -> (8 + 4) / 2 = 6 samples arrive
    const os = matchReadoutOversampling(t, 6, 4);
    expect(os.preDiscard).toBe(2);
    expect(os.traj.samples).toBe(4);
    expect([...os.traj.w]).toEqual([1, 3, 5, 7]);
    expect(matchReadoutOversampling(t, 12, 4).traj).toBe(t);
    // nominal gradients: 1e3 * diff(k) / dt / 42.58e6, axes (gx, -gy)
    const g = nominalGradients(m, 2e-6);
    expect(g[(1 * 2 + 0) * 2]).toBeCloseTo((1e3 * (m.kx[1] - m.kx[0])) / 2e-6 / 42.58e6, 10);
    expect(g[(1 * 2 + 0) * 2 + 1]).toBeCloseTo((-1e3 * (m.ky[1] - m.ky[0])) / 2e-6 / 42.58e6, 10);
  });

  it('clear errors for malformed metafiles', () => {
    const d = mkdtempSync(join(tmpdir(), 'me-'));
    const f = join(d, 'x.mat');
    writeFileSync(f, encodeMatFile({ kx: matDouble([2, 1], [0, 1]) }));
    expect(() => readSpiralMetafile(f)).toThrow(/missing ky/);
    writeFileSync(f, 'not a mat file');
    expect(() => readSpiralMetafile(f)).toThrow(/x.mat/);
  });
});
