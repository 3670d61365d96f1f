/**
 * mrd-client against mrd-server on each reference input: the files written are checked with
 * python3-h5py (independently of our reader) against the reference client's outputs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStream } from '@mrd-tools/core/stream';
import { reference } from '@mrd-tools/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const serverCli = join(root, 'packages/mrd-server/dist/cli.js');
const clientCli = join(root, 'packages/mrd-client/dist/cli.js');
// Debian's python3 (python3-h5py) may not be the first python3 on PATH (pyenv, venvs).
const python = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import h5py, numpy']).status === 0);
const hasH5py = python !== undefined;

const CASES: [string, string, string[]][] = [
  ['invertcontrast_m64', 'inputs/phantom_m64_c4_r2.h5', ['-c', 'invertcontrast']],
  ['simplefft_m64', 'inputs/phantom_m64_c4_r2.h5', ['-c', 'simplefft']],
  ['invertcontrast_rgb', 'inputs/phantom_m64_c4_r2.h5', ['-c', 'invertcontrast']],
  ['invertcontrast_roi', 'inputs/phantom_m64_c4_r2.h5', ['-c', 'invertcontrast']],
  ['invertcontrast_complex', 'inputs/phantom_m64_c4_r2.h5', ['-c', 'invertcontrast']],
  ['images_invertcontrast_sendoriginal', 'outputs/invertcontrast_m64.h5', ['-c', 'invertcontrast']],
  ['cpp_invertcontrast', 'inputs/cpp_phantom_m64_c4_noise_traj.h5', ['-c', 'invertcontrast']],
  ['waveforms_savedataonly', 'inputs/phantom_m64_waveforms.h5', ['-w', '-c', 'savedataonly']],
];

describe.skipIf(!hasH5py)(`mrd-client + mrd-server outputs checked with h5py${hasH5py ? '' : ' [skipped: python3-h5py missing]'}`, () => {
  let server: ChildProcess;
  let port = 0;
  let log = '';
  beforeAll(async () => {
    server = spawn(process.execPath, [serverCli, '-p', '0', '-S', mkdtempSync(join(tmpdir(), 'mrd-h5py-saved-'))], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr!.on('data', (c) => (log += c));
    port = await new Promise<number>((resolve, reject) => {
      server.stdout!.on('data', (c) => {
        log += c;
        const m = /Server listening at [^\s]+:(\d+)/.exec(log);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', () => reject(new Error(log)));
    });
  });
  afterAll(() => {
    server?.kill('SIGTERM');
  });

  for (const [name, input, args] of CASES) {
    it(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), `mrd-h5py-${name}-`));
      const text = decodeStream(readFileSync(reference(`streams/${name}.client-to-server.bin`))).find((m) => m.type === 'text');
      if (text && text.type === 'text') writeFileSync(join(dir, 'invertcontrast.json'), text.text);
      const out = join(dir, 'out.h5');
      const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, [clientCli, '-p', String(port), '-G', 'dataset', '-o', out, ...args, reference(input)], { cwd: dir });
        let o = '';
        p.stdout.on('data', (c) => (o += c));
        p.stderr.on('data', (c) => (o += c));
        p.on('exit', (code) => resolve({ code, out: o }));
      });
      expect(run.code, run.out).toBe(0);
      expect(existsSync(out)).toBe(true);
      const check = spawnSync(python!, [join(here, 'server-client-h5py.py'), out, 'dataset', reference(`outputs/${name}.h5`), 'dataset'], { encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    });
  }
});
