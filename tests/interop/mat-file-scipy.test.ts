/**
 * MAT v5 interop with python3-scipy: files scipy.io.savemat writes (metafile layout, compressed
 * and not, every class the spiral recons meet) read by our reader; files our writer produces
 * (the spiral phantom's metafile layout) read back by scipy.io.loadmat value for value.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMatFile, matDouble, matField, matNumber, matReal, matScalar, matString, matStruct, readMatFile } from '@mrd-tools/core/mat-file';

const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import scipy.io, numpy']).status === 0);

function py(code: string): string {
  const r = spawnSync(python!, ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

(python ? describe : describe.skip)(`MAT v5 files and python3-scipy${python ? '' : ' [skipped: python3 with scipy not installed]'}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mat-interop-'));

  for (const compress of [true, false]) {
    it(`reads scipy.io.savemat output (metafile layout, do_compression=${compress})`, () => {
      const f = join(dir, `scipy-${compress}.mat`);
      py(`
import numpy as np
from scipy.io import savemat
S, A = 7, 3
kx = np.arange(S*A, dtype=np.float64).reshape(S, A) * 0.5
ky = -kx
w = np.linspace(0, 1, S).reshape(1, S)
param = {'fov': 24.0, 'spatial_resolution': 1.875, 'interleaves': np.int64(3), 'repetitions': 10, 'dt': 1e-6, 'pre_discard': np.int32(12)}
savemat('${f}', {'kx': kx, 'ky': ky, 'w': w, 'param': param, 'c64': np.array([[1+2j, -3.5-4j]], dtype=np.complex64),
  'i64': np.array([[1, -2**40]], dtype=np.int64), 's': 'spiral', 'u8': np.array([[255]], dtype=np.uint8), 'cellv': np.array([[1.0, 'ab']], dtype=object)},
  do_compression=${compress ? 'True' : 'False'})
`);
      const m = readMatFile(f);
      const kx = m.variables.get('kx')!;
      expect(kx.dims).toEqual([7, 3]);
      // column-major: kx[s, a] = (s*3 + a) * 0.5 at index s + 7a
      expect(matReal(kx)[2 + 7 * 1]).toBe((2 * 3 + 1) * 0.5);
      expect(m.variables.get('w')!.dims).toEqual([1, 7]);
      const p = m.variables.get('param')!;
      expect(matNumber(matField(p, 'interleaves')!)).toBe(3);
      expect(matField(p, 'interleaves')!.kind === 'numeric' && (matField(p, 'interleaves') as { class: string }).class).toBe('int64');
      expect(matNumber(matField(p, 'pre_discard')!)).toBe(12);
      expect(matNumber(matField(p, 'dt')!)).toBe(1e-6);
      const c = m.variables.get('c64')!;
      expect(c.kind === 'numeric' && [c.class, [...c.real], [...c.imag!]]).toEqual(['single', [1, -3.5], [2, -4]]);
      const i = m.variables.get('i64')!;
      expect(i.kind === 'numeric' && [...(i.real as BigInt64Array)]).toEqual([1n, -(2n ** 40n)]);
      expect(m.variables.get('s')).toEqual({ kind: 'char', dims: [1, 6], text: 'spiral' });
      const cell = m.variables.get('cellv')!;
      expect(cell.kind === 'cell' && cell.elements.length).toBe(2);
    });
  }

  it('scipy.io.loadmat reads our writer (the phantom metafile layout)', () => {
    const f = join(dir, 'ours.mat');
    writeFileSync(f, encodeMatFile({
      kx: matDouble([2, 3], [1, 2, 3, 4, 5, 6]),
      w: matDouble([1, 2], [0.25, 1]),
      param: matStruct({ fov: matScalar(24), interleaves: matScalar(3), name: matString('vd spiral') }),
      c: { kind: 'numeric', class: 'single', dims: [1, 2], real: Float32Array.from([1, 2]), imag: Float32Array.from([-1, 0.5]) },
      i: { kind: 'numeric', class: 'int64', dims: [1, 1], real: BigInt64Array.from([-(2n ** 50n)]) },
    }));
    const out = py(`
from scipy.io import loadmat
m = loadmat('${f}')
print(m['kx'].shape, m['kx'][1, 2], m['w'].shape, m['param']['fov'][0,0][0,0], m['param']['interleaves'][0,0][0,0], m['param']['name'][0,0][0])
print(m['c'].dtype, m['c'][0,1], m['i'].dtype, m['i'][0,0])
`);
    expect(out.trim().split('\n')).toEqual(['(2, 3) 6.0 (1, 2) 24.0 3.0 vd spiral', `complex64 (2+0.5j) int64 ${-(2 ** 50)}`]);
  });
});
