/**
 * Native TV solver vs BART `pics` (the Debian bart, 0.8 here) on the same spiral data, maps, data
 * scale and iteration count: the temporal TFD problem (-R T:1024:1024, ADMM) and the XD-GRASP
 * two-dimensional problem (-R T:1024:0 -R T:2048:0). The native nlinv (@mrd-tools/core/nlinv)
 * against `bart nlinv` (Cartesian, and the reference's spiral coil-map pipeline). And the whole
 * bart backends (BART nlinv maps) against the native backends (native nlinv maps), the issue's
 * acceptance (< 5 %), measured: TFD 1.2 %, XD-GRASP 1.2 %. The history of the XD-GRASP figure:
 * 55 % before the native backend zero-filled bins as the reference, 36 % with Sobolev maps,
 * 10.7 % with native nlinv maps gridded at SigPy's 1.25 / 4, 5.6 % at BART's 2x with full width 3,
 * 4.2 % with width 6 and the SENSE operator planning repeated k = 0 samples once, 1.2 % with
 * BART's no-wrap-around gridding and kernel table in nlinv (maps now within BART's own run-to-run
 * spread).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSessionMessages } from '@mrd-tools/core/testing';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { Bart } from '@mrd-tools/spiral-recon/bart';
import type { ArmSamples } from '@mrd-tools/recon-kernels/mri/coil-maps';
import { nlinv } from '@mrd-tools/recon-kernels/mri/nlinv';
import { centredFftn } from '@mrd-tools/recon-kernels/centred-fft';
import { normalisedMagnitudes, nrmseInside, syntheticCoilObject } from '@mrd-tools/recon-kernels/testing';
import { writeSpiralPhantom } from '@mrd-tools/phantom-gen/spiral';
import { findMetafile, readSpiralMetafile, sequenceHash } from '@mrd-tools/spiral-recon/metafile';
import { allArmsMetafile, bufferSpiralSession, reconstructTfd } from '@mrd-tools/spiral-recon/tvrecon';
import { binGroups, reconstructXdGrasp, zeroFilledBins } from '@mrd-tools/spiral-recon/xdgrasp';
import { bartCoilMaps, bartPics, nativeCoilMaps, nlinvCoilMaps, nativeDataScale, nativeSolve, type ArmGroup, type SpiralArms } from '@mrd-tools/spiral-recon/tvrecon/series';

function hasBart(): boolean {
  try {
    execFileSync('bart', ['version']);
    return true;
  } catch {
    return false;
  }
}

const describeBart = hasBart() ? describe : describe.skip;

let series: SpiralArms;
let arms: ArmSamples[];

beforeAll(async () => {
  if (!hasBart()) return;
  const dir = mkdtempSync(join(tmpdir(), 'tv-interop-'));
  await writeSpiralPhantom({ output: join(dir, 'raw.h5'), metafileDir: dir, interleaves: 12, fovCm: 24, resolutionMm: 6, arms: 48, coils: 4, seed: 8, noiseLevel: 0.002, trMs: 18 });
  const { header, messages } = await readSessionMessages(join(dir, 'raw.h5'));
  const fft = await getFftEngine();
  const meta = allArmsMetafile(readSpiralMetafile(findMetafile(sequenceHash(header), [dir], dir)));
  const s = await bufferSpiralSession(new ReplayConnection(messages), fft, header, meta, 1, undefined);
  series = s.series;
  arms = s.arms;
});

function nrmse(a: Float32Array, b: Float32Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < a.length; i++) { e += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return Math.sqrt(e / n);
}

function magnitudeNrmse(a: Float32Array, b: Float32Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < a.length; i += 2) {
    const ma = Math.hypot(a[i], a[i + 1]), mb = Math.hypot(b[i], b[i + 1]);
    e += (ma - mb) ** 2; n += mb * mb;
  }
  return Math.sqrt(e / n);
}

/** Magnitude NRMSE of `a` against `b` after the least-squares scale of |a| onto |b|. */
function lsMagnitudeNrmse(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0, e = 0, s = 0;
  for (let i = 0; i < a.length; i += 2) {
    const ma = Math.hypot(a[i], a[i + 1]), mb = Math.hypot(b[i], b[i + 1]);
    num += ma * mb; den += ma * ma;
  }
  const k = num / den;
  for (let i = 0; i < a.length; i += 2) {
    const ma = Math.hypot(a[i], a[i + 1]), mb = Math.hypot(b[i], b[i + 1]);
    e += (k * ma - mb) ** 2; s += mb * mb;
  }
  return Math.sqrt(e / s);
}

describeBart('native TV solver vs BART pics', () => {
  it('temporal TV (TFD): same data, maps, scale, iterations -> NRMSE < 2.5 %', async () => {
    const fft = await getFftEngine();
    const bart = await Bart.locate();
    const apf = 6, frames = 8;
    const groups: ArmGroup[] = Array.from({ length: frames }, (_, f) => arms.slice(f * apf, (f + 1) * apf));
    const maps = await nativeCoilMaps(fft, series, arms);
    const scale = nativeDataScale(fft, series, groups, maps);
    const lambda = 0.02 * frames, iter = 20;
    const nat = await nativeSolve(fft, series, groups, maps, [frames], [{ axis: 0, lambda, joint: [0] }], iter, scale);
    const ref = await bartPics(bart, `-m -w ${scale} -e -S -R T:1024:1024:${lambda} -i ${iter}`, series, groups, maps, { 10: frames });
    const e = nrmse(nat, ref), em = magnitudeNrmse(nat, ref);
    console.log(`TFD native vs BART ${bart.version.text}: complex NRMSE ${(100 * e).toFixed(2)} %, magnitude ${(100 * em).toFixed(2)} %`);
    // 1.41 % measured
    expect(e).toBeLessThan(0.025);
    // the same solve with A^H A by the Toeplitz embedding (what rtspiral_bart_tvrecon runs)
    const toep = await nativeSolve(fft, series, groups, maps, [frames], [{ axis: 0, lambda, joint: [0] }], iter, scale, undefined, 1, true);
    const et = nrmse(toep, ref);
    console.log(`TFD native (Toeplitz normal operator) vs BART: complex NRMSE ${(100 * et).toFixed(2)} %`);
    expect(et).toBeLessThan(0.025);
  });

  it('XD-GRASP (TV along respiratory and cardiac bins): NRMSE < 2.5 %', async () => {
    const fft = await getFftEngine();
    const bart = await Bart.locate();
    const nr = 2, nc = 3, apb = 6;
    const groups: ArmGroup[] = Array.from({ length: nr * nc }, (_, g) => arms.slice(g * apb, (g + 1) * apb));
    const maps = await nativeCoilMaps(fft, series, arms);
    const scale = nativeDataScale(fft, series, groups, maps);
    const lr = 0.05, lc = 0.03, iter = 20;
    // our groups are [resp][card] (card fastest); BART: card at dim 11? no - resp at dim 10 fastest
    const byBart: ArmGroup[] = [];
    for (let c = 0; c < nc; c++) for (let r = 0; r < nr; r++) byBart.push(groups[r * nc + c]);
    const nat = await nativeSolve(fft, series, groups, maps, [nr, nc], [{ axis: 0, lambda: lr }, { axis: 1, lambda: lc }], iter, scale);
    const refB = await bartPics(bart, `-e -r 0 -w ${scale} -S -R T:1024:0:${lr} -R T:2048:0:${lc} -i ${iter}`, series, byBart, maps, { 10: nr, 11: nc });
    const npix = series.msize * series.msize;
    const ref = new Float32Array(refB.length);
    for (let c = 0; c < nc; c++) for (let r = 0; r < nr; r++) ref.set(refB.subarray(2 * (c * nr + r) * npix, 2 * (c * nr + r + 1) * npix), 2 * (r * nc + c) * npix);
    const e = nrmse(nat, ref);
    console.log(`XD-GRASP native vs BART: complex NRMSE ${(100 * e).toFixed(2)} %`);
    // 1.41 % measured
    expect(e).toBeLessThan(0.025);
  });

  it('whole TFD recon, bart backend (BART nlinv maps) vs native backend (native nlinv maps): magnitude NRMSE < 2.5 %', async () => {
    const fft = await getFftEngine();
    const bart = await Bart.locate();
    const p = { series, arms, armsPerFrame: 6, frames: 8, chunks: 1, regLambda: 0.02, iterations: 20 };
    const nat = await reconstructTfd(fft, { ...p, backend: 'native' });
    const ref = await reconstructTfd(fft, { ...p, backend: 'bart', bart });
    // per-series least-squares scale (the maps' global scale and phase differ), magnitudes
    const err = lsMagnitudeNrmse(nat.images, ref.images);
    console.log(`TFD whole recon, bart backend vs native: magnitude NRMSE ${(100 * err).toFixed(2)} % (scales ${ref.scale.toFixed(4)} / ${nat.scale.toFixed(4)})`);
    // 1.2 % measured (13 % with Inati's maps, 8.1 % with the Sobolev maps before the native nlinv)
    expect(err).toBeLessThan(0.025);
    // the native pipeline (scale rule on frames 5.., native solver) on the bart backend's nlinv maps
    const groups: ArmGroup[] = Array.from({ length: 8 }, (_, f) => arms.slice(f * 6, (f + 1) * 6));
    const shared = await nativeSolve(fft, series, groups, ref.maps, [8], [{ axis: 0, lambda: 0.02 * 8, joint: [0] }], 20, nativeDataScale(fft, series, groups.slice(5), ref.maps));
    const errShared = lsMagnitudeNrmse(shared, ref.images);
    console.log(`TFD whole recon with the bart backend's maps, native vs bart: magnitude NRMSE ${(100 * errShared).toFixed(2)} %`);
    expect(errShared).toBeLessThan(0.025);
  });

  // The reference zero-fills small bins with k = 0 arms of zero data (fill_small_bins); both
  // backends solve that problem. Thousands of k = 0 samples make the 20-iteration ADMM result
  // sensitive to the operator and the maps (history in the file header): with the same maps
  // 1.1 % (an exact NUDFT solve agrees with BART to 0.9 %), with the native nlinv maps 1.2 %.
  it('whole XD-GRASP recon, bart backend (nlinv maps, zero-filled bins) vs native (native nlinv maps): magnitude NRMSE < 2.5 %, also with the same maps', async () => {
    const fft = await getFftEngine();
    const bart = await Bart.locate();
    // 2 respiratory x 2 cardiac bins of unequal sizes (fill_small_bins: BART gets zero arms)
    const n = arms.length;
    const resp = Int32Array.from({ length: n }, (_, i) => (i % 5 < 2 ? 0 : 1));
    const card = Int32Array.from({ length: n }, (_, i) => (Math.floor(i / 3) % 2));
    const p = { series, arms, respBins: resp, cardBins: card, nResp: 2, nCard: 2, fillSmallBins: true, lambdaResp: 0.01, lambdaCard: 0.01, iterations: 20 };
    const nat = await reconstructXdGrasp(fft, { ...p, backend: 'native' });
    const ref = await reconstructXdGrasp(fft, { ...p, backend: 'bart', bart });
    const err = lsMagnitudeNrmse(nat, ref);
    console.log(`XD-GRASP whole recon, bart backend vs native: magnitude NRMSE ${(100 * err).toFixed(2)} %`);
    expect(ref.length).toBe(nat.length);
    expect(ref.every((v) => Number.isFinite(v))).toBe(true);
    // 1.23 % measured
    expect(err).toBeLessThan(0.025);
    // the native pipeline (zero-filled bins, native scale, native solver) on the bart backend's maps
    const groups = binGroups(arms, resp, card, 2, 2, true);
    const maps = await bartCoilMaps(bart, series, arms, 14);
    const z = zeroFilledBins(series, groups);
    const shared = await nativeSolve(fft, z.series, z.groups, maps, [2, 2], [{ axis: 0, lambda: 0.01 }, { axis: 1, lambda: 0.01 }], 20, nativeDataScale(fft, series, groups, maps));
    const errShared = lsMagnitudeNrmse(shared, ref);
    console.log(`XD-GRASP whole recon with the bart backend's maps, native vs bart: magnitude NRMSE ${(100 * errShared).toFixed(2)} %`);
    // 1.06-1.40 % measured (BART's maps vary a little run to run)
    expect(errShared).toBeLessThan(0.025);
  });
});

describeBart('native nlinv vs bart nlinv', () => {
  it('Cartesian, 2x undersampled with a full centre, 8 Newton steps: |maps| and |image| agree to < 0.1 %', async () => {
    const fft = await getFftEngine();
    const bart = await Bart.locate();
    const n = 48, nc = 4, npix = n * n;
    const { rho, maps, inside } = syntheticCoilObject(n, nc);
    const pattern = new Float32Array(npix);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pattern[i * n + j] = i % 2 === 0 || Math.abs(i - n / 2) < 8 ? 1 : 0;
    const y = new Float32Array(2 * nc * npix);
    for (let c = 0; c < nc; c++) for (let p = 0; p < npix; p++) {
      const d = 2 * (c * npix + p);
      y[d] = rho[2 * p] * maps[d] + 0.01 * Math.sin(1.7 * d);
      y[d + 1] = rho[2 * p] * maps[d + 1] + 0.01 * Math.cos(2.3 * d);
    }
    centredFftn(fft, y, [nc, n, n], [1, 2], false, 'ortho');
    for (let c = 0; c < nc; c++) for (let p = 0; p < npix; p++) { y[2 * (c * npix + p)] *= pattern[p]; y[2 * (c * npix + p) + 1] *= pattern[p]; }
    const ours = nlinv(fft, y, pattern, nc, n, n, { iterations: 8 });
    // C order [coil][n0][n1] is BART's column-major [n1][n0][1][coil]
    const [img, sens] = await bart.run('nlinv -i8', [{ dims: [n, n, 1, nc], data: y }], 2);
    const eMaps = nrmseInside(normalisedMagnitudes(ours.sens, nc, npix), normalisedMagnitudes(sens.data, nc, npix), inside, nc);
    const all = new Uint8Array(npix).fill(1);
    const mag = (a: Float32Array) => Float64Array.from({ length: a.length / 2 }, (_, i) => Math.hypot(a[2 * i], a[2 * i + 1]));
    const eRaw = nrmseInside(mag(ours.sens), mag(sens.data), new Uint8Array(nc * npix).fill(1), 1);
    const eImgRaw = nrmseInside(mag(ours.image), mag(img.data), all, 1);
    console.log(`nlinv Cartesian native vs ${bart.version.text}: |maps| (unit RSS, in object) ${(100 * eMaps).toFixed(4)} %, raw |sens| ${(100 * eRaw).toFixed(4)} %, raw |image| ${(100 * eImgRaw).toFixed(4)} %`);
    expect(eMaps).toBeLessThan(0.001);
    expect(eRaw).toBeLessThan(0.001);
    expect(eImgRaw).toBeLessThan(0.001);
  });

  it("the reference's spiral coil maps (nlinv -a 32 -b 16 -i13 on all arms, resized, normalised): native vs BART |maps| < 0.1 % in the object", async () => {
    const fft = await getFftEngine();
    const bart = await Bart.locate();
    const ref = await bartCoilMaps(bart, series, arms, 13);
    const nat = await nlinvCoilMaps(fft, series, arms, 13);
    const m = series.msize, npix = m * m, nc = series.ncoils;
    // the phantom's object: a disc of radius 0.35 msize around the centre
    const inside = Uint8Array.from({ length: npix }, (_, i) => ((Math.floor(i / m) - m / 2) ** 2 + ((i % m) - m / 2) ** 2 <= (0.35 * m) ** 2 ? 1 : 0));
    const e = nrmseInside(normalisedMagnitudes(nat, nc, npix), normalisedMagnitudes(ref, nc, npix), inside, nc);
    console.log(`nlinv spiral maps native vs BART: |maps| NRMSE ${(100 * e).toFixed(2)} % in the object`);
    // 0.03 % measured with BART's gridding inside nlinv (2x, full width 6, no wrap-around, kernel
    // table; BART against itself run to run: 0.02 %); 0.10 % with wrap-around and the exact
    // kernel, 0.20 % at full width 3, 0.64 % with SigPy's 1.25 / 4
    expect(e).toBeLessThan(0.001);
  });
});
