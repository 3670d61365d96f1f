/**
 * The recon kernels against numpy / scipy (python3-numpy, python3-scipy), on random data:
 * - FFT engine `fftn` and `centredIfft2` against np.fft on complex64 arrays of awkward sizes
 *   (Bluestein lengths, odd lengths, PFFFT lengths);
 * - `medianFilter` against scipy.ndimage.median_filter on 5-D int16 stacks shaped as the
 *   reference filter module's [y, x, z, cha, img], odd and even sizes;
 * - `encodeNpy` files read by numpy.load.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { centredIfft2 } from '@mrd-tools/recon-kernels/centred-fft';
import { encodeNpy } from '@mrd-tools/recon-api/debug-dump';
import { medianFilter } from '@mrd-tools/recon-kernels/image';

const work = mkdtempSync(join(tmpdir(), 'mrd-recon-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const python = spawnSync('python3', ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
const hasPeers = !python.error && python.status === 0;
if (process.env.CI && !hasPeers) throw new Error('interop peers missing: apt-get install python3-numpy python3-scipy');

function py(script: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

function npyData(file: string): ArrayBuffer {
  const b = readFileSync(file);
  const hlen = b.readUInt16LE(8);
  return b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length);
}

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = s / 2147483648 - 0.5; }
  return a;
}

describe.skipIf(!hasPeers)('recon kernels against numpy / scipy', () => {
  for (const shape of [[2, 250, 500], [3, 97, 31], [1, 16, 48], [2, 7, 1]]) {
    it(`fftn and centred ifft2 equal numpy on complex64 ${shape.join('x')}`, async () => {
      const fft = await getFftEngine();
      const [b, ny, nx] = shape;
      const x = random(2 * b * ny * nx, ny + nx);
      const inFile = join(work, `fft_in_${shape.join('x')}.npy`);
      writeFileSync(inFile, encodeNpy(x, shape, true));
      const outPlain = join(work, 'fft_plain.npy'), outCentred = join(work, 'fft_centred.npy'), outFwd = join(work, 'fft_fwd.npy');
      py(`import sys, numpy as np
a = np.load(sys.argv[1])
np.save(sys.argv[2], np.fft.ifft2(a, axes=(1, 2)).astype(np.complex64))
np.save(sys.argv[3], np.fft.ifftshift(np.fft.ifft2(np.fft.fftshift(a, axes=(1, 2)), axes=(1, 2)), axes=(1, 2)).astype(np.complex64))
np.save(sys.argv[4], np.fft.fftn(a, axes=(0, 2)).astype(np.complex64))`, inFile, outPlain, outCentred, outFwd);
      const check = (got: Float32Array, file: string) => {
        const ref = new Float32Array(npyData(file));
        let err = 0, mag = 0;
        for (let i = 0; i < ref.length; i++) { err = Math.max(err, Math.abs(got[i] - ref[i])); mag = Math.max(mag, Math.abs(ref[i])); }
        expect(err / mag).toBeLessThan(1e-5);
      };
      const plain = x.slice();
      fft.fftn(plain, shape, [1, 2], true);
      check(plain, outPlain);
      const centred = x.slice();
      centredIfft2(fft, centred, b, ny, nx);
      check(centred, outCentred);
      const fwd = x.slice();
      fft.fftn(fwd, shape, [0, 2], false);
      check(fwd, outFwd);
    });
  }

  for (const [shape, size] of [[[9, 7, 1, 1, 3], 3], [[8, 6, 1, 1, 2], 2], [[6, 5, 2, 1, 3], 4], [[12, 10, 1, 1, 1], 5]] as [number[], number][]) {
    it(`medianFilter equals scipy.ndimage.median_filter for shape ${shape.join('x')}, size ${size}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      let s = n + size;
      const data = Int16Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) % 4096) - 2048);
      const inFile = join(work, 'med_in.npy'), outFile = join(work, 'med_out.npy');
      writeFileSync(inFile, encodeNpy(data, shape));
      py(`import sys, numpy as np
from scipy.ndimage import median_filter
np.save(sys.argv[2], median_filter(np.load(sys.argv[1]), size=int(sys.argv[3])))`, inFile, outFile, String(size));
      expect([...medianFilter(data, shape, size)]).toEqual([...new Int16Array(npyData(outFile))]);
    });
  }

  it('numpy.load reads what encodeNpy writes (dtype, shape, values)', () => {
    const file = join(work, 'roundtrip.npy');
    writeFileSync(file, encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), [2, 3], true));
    const out = py(`import sys, numpy as np
a = np.load(sys.argv[1]); print(a.dtype, a.shape, a[1, 2])`, file);
    expect(out.trim()).toBe('complex64 (2, 3) (11+12j)');
  });
});
