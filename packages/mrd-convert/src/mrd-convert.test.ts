/**
 * mrd-convert reproduces upstream's bytes on every conversion the reference shares (v1 -> v2 from
 * a stream and from HDF5, v2 -> v1, binary <-> NDJSON), round-trips where upstream does, and
 * behaves as a careful command line tool: standard input and output, formats from names or
 * content, no half-written or replaced files, clear errors and exit codes, the losses in --help.
 * The CLI tests run the built tool (packages/mrd-convert/dist/cli.js: `pnpm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { decodeStream } from '@mrd-tools/core/stream';
import { decodeMrdV2 } from '@mrd-tools/core/mrd-v2';
import { occupyNextTemporaryName, reference } from '@mrd-tools/core/testing';
import { convert } from './convert.js';
import type { Format } from './formats.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'mrd-convert-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const out = (ext: string) => join(work, `out${++n}${ext}`);

function run(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, maxBuffer: 64 << 20, cwd: work });
  return { status: r.status, stdout: r.stdout as Buffer, stderr: r.stderr.toString() };
}

function same(path: string, want: string): void {
  const a = readFileSync(path);
  const b = readFileSync(want);
  let i = 0;
  while (i < Math.min(a.length, b.length) && a[i] === b[i]) i++;
  expect(i === a.length && i === b.length, `${path} vs ${want}: ${a.length} vs ${b.length} bytes, first difference at ${i}`).toBe(true);
}

async function conv(input: string, output: string, from: Format, to: Format, extra: Partial<Parameters<typeof convert>[0]> = {}) {
  return convert({ input, output, from, to, ...extra });
}

const V = 'mrd-v2/v1_to_v2';
describe('the conversions the reference shares: upstream\'s bytes', () => {
  for (const name of ['phantom_m64_c4_r2', 'cpp_phantom_m64_c4_noise_traj', 'invertcontrast_m64']) {
    it(`${name}: v1 stream -> v2 (ismrmrd_to_mrd)`, async () => {
      const o = out('.mrd');
      await conv(reference(`${V}/${name}.v1.ismrmrd`), o, 'ismrmrd', 'mrd');
      same(o, reference(`${V}/${name}.mrd`));
    });
    it(`${name}: v2 -> v1 stream (mrd_to_ismrmrd)`, async () => {
      const o = out('.ismrmrd');
      await conv(reference(`${V}/${name}.mrd`), o, 'mrd', 'ismrmrd');
      same(o, reference(`${V}/${name === 'invertcontrast_m64' ? `${name}.roundtrip` : `${name}.v1`}.ismrmrd`));
    });
  }
  for (const name of ['phantom_m64_c4_r2', 'cpp_phantom_m64_c4_noise_traj']) {
    it(`${name}: v1 HDF5 -> v2 (ismrmrd_to_mrd --dataset) gives the same bytes as the stream path`, async () => {
      const o = out('.mrd');
      await conv(reference(`inputs/${name}.h5`), o, 'h5', 'mrd');
      same(o, reference(`${V}/${name}.mrd`));
    });
  }
  it('an images-only HDF5 file -> v2 without a header, as upstream (with a warning); --complete keeps it', async () => {
    const o = out('.mrd');
    const warnings: string[] = [];
    await conv(reference('outputs/invertcontrast_m64.h5'), o, 'h5', 'mrd', { warn: (m) => warnings.push(m) });
    same(o, reference(`${V}/invertcontrast_m64.from_h5_noheader.mrd`));
    expect(warnings.join()).toMatch(/no header is converted; --complete keeps it/);
    const c = out('.mrd');
    await conv(reference('outputs/invertcontrast_m64.h5'), c, 'h5', 'mrd', { headerMapping: 'complete' });
    const { header, items } = decodeMrdV2(new Uint8Array(readFileSync(c)));
    expect(header?.encoding[0]?.reconSpace.matrixSize).toEqual({ x: 64, y: 64, z: 1 });
    expect(items.length).toBe(decodeMrdV2(new Uint8Array(readFileSync(o))).items.length);
  });
  for (const name of ['phantom_m16_c2_n0_traj', 'recon_m16']) {
    it(`${name}: binary <-> NDJSON (mrd_binary_to_ndjson, both ways)`, async () => {
      const j = out('.ndjson');
      await conv(reference(`mrd-v2/${name}.mrd`), j, 'mrd', 'ndjson');
      same(j, reference(`mrd-v2/${name}.ndjson`));
      const b = out('.mrd');
      await conv(reference(`mrd-v2/${name}.ndjson`), b, 'ndjson', 'mrd');
      same(b, reference(`mrd-v2/${name}.mrd`));
    });
  }

  it('round trips where upstream\'s do: v1 stream -> v2 -> v1 stream (phantoms) and v2 -> NDJSON -> v2', async () => {
    const a = out('.mrd');
    const b = out('.ismrmrd');
    await conv(reference(`${V}/cpp_phantom_m64_c4_noise_traj.v1.ismrmrd`), a, 'ismrmrd', 'mrd');
    await conv(a, b, 'mrd', 'ismrmrd');
    same(b, reference(`${V}/cpp_phantom_m64_c4_noise_traj.v1.ismrmrd`));
    const j = out('.ndjson');
    const c = out('.mrd');
    await conv(reference(`${V}/invertcontrast_m64.mrd`), j, 'mrd', 'ndjson');
    await conv(j, c, 'ndjson', 'mrd');
    same(c, reference(`${V}/invertcontrast_m64.mrd`));
  });

  it('v2 -> HDF5 -> v2: an HDF5 file with the header, acquisitions and the same v2 bytes back', async () => {
    const h = out('.h5');
    const back = out('.mrd');
    await conv(reference(`${V}/cpp_phantom_m64_c4_noise_traj.mrd`), h, 'mrd', 'h5');
    const f = await MrdFile.open(h);
    try {
      expect(f.readHeader('dataset')).toMatch(/<ismrmrdHeader/);
      expect(f.acquisitionCount('dataset')).toBe(decodeMrdV2(new Uint8Array(readFileSync(reference(`${V}/cpp_phantom_m64_c4_noise_traj.mrd`)))).items.length);
    } finally {
      f.close();
    }
    await conv(h, back, 'h5', 'mrd');
    same(back, reference(`${V}/cpp_phantom_m64_c4_noise_traj.mrd`));
  });

  it('v1 HDF5 -> v1 stream -> HDF5: the same acquisitions', async () => {
    const s = out('.ismrmrd');
    const h = out('.h5');
    await conv(reference('inputs/phantom_m64_c4_r2.h5'), s, 'h5', 'ismrmrd');
    const msgs = decodeStream(new Uint8Array(readFileSync(s)));
    expect(msgs[0]!.type).toBe('header');
    expect(msgs.at(-1)!.type).toBe('close');
    await conv(s, h, 'ismrmrd', 'h5', { group: 'converted' });
    const a = await MrdFile.open(reference('inputs/phantom_m64_c4_r2.h5'));
    const b = await MrdFile.open(h);
    try {
      expect(b.groups()).toEqual(['converted']);
      expect(b.readHeader('converted')).toBe(a.readHeader('dataset'));
      const ia = a.acquisitions('dataset');
      for await (const acq of b.acquisitions('converted')) {
        const want = (await ia.next()).value!;
        expect(acq.head).toEqual(want.head);
        expect(acq.data).toEqual(want.data);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  describe('command line', () => {
    it('converts from standard input to standard output with --from/--to', () => {
      const r = run(['-', '-o', '-', '--from', 'mrd', '--to', 'ndjson'], readFileSync(reference('mrd-v2/recon_m16.mrd')));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(Buffer.compare(r.stdout, readFileSync(reference('mrd-v2/recon_m16.ndjson')))).toBe(0);
      const h = run(['-', '-o', '-', '--from', 'h5', '--to', 'mrd'], readFileSync(reference('inputs/phantom_m64_c4_r2.h5')));
      expect(h.status).toBe(0);
      expect(Buffer.compare(h.stdout, readFileSync(reference(`${V}/phantom_m64_c4_r2.mrd`)))).toBe(0);
      const toH5 = run(['-', '-o', '-', '--from', 'v2', '--to', 'hdf5'], readFileSync(reference('mrd-v2/recon_m16.mrd')));
      expect(toH5.status).toBe(0);
      expect(toH5.stdout.subarray(0, 4).toString('latin1')).toBe('\x89HDF');
    });

    it('tells the format of standard input from its first bytes (v2 binary, NDJSON, v1 stream, HDF5)', () => {
      const v2 = run(['-', '-o', '-', '--to', 'ndjson'], readFileSync(reference('mrd-v2/recon_m16.mrd')));
      expect(v2.stderr).toBe('');
      expect(v2.status).toBe(0);
      expect(Buffer.compare(v2.stdout, readFileSync(reference('mrd-v2/recon_m16.ndjson')))).toBe(0);
      const nd = run(['-', '-o', '-', '--to', 'mrd'], readFileSync(reference('mrd-v2/recon_m16.ndjson')));
      expect(nd.status).toBe(0);
      expect(Buffer.compare(nd.stdout, readFileSync(reference('mrd-v2/recon_m16.mrd')))).toBe(0);
      const h5 = run(['-', '-o', '-', '--to', 'mrd'], readFileSync(reference('inputs/phantom_m64_c4_r2.h5')));
      expect(h5.status).toBe(0);
      expect(Buffer.compare(h5.stdout, readFileSync(reference(`${V}/phantom_m64_c4_r2.mrd`)))).toBe(0);
      const junk = run(['-', '-o', '-', '--to', 'mrd'], Buffer.from('not MRD at all'));
      expect(junk.status).toBe(2);
      expect(junk.stderr).toMatch(/standard input: not a format mrd-convert knows/);
    });

    it('tells the input format from its content when the extension says nothing', () => {
      const unnamed = join(work, 'data.dat');
      copyFileSync(reference('mrd-v2/recon_m16.ndjson'), unnamed);
      const o = out('.mrd');
      const r = run([unnamed, '-o', o]);
      expect(r.status).toBe(0);
      same(o, reference('mrd-v2/recon_m16.mrd'));
    });

    it('never replaces a file without --force, never the input', () => {
      const o = out('.mrd');
      writeFileSync(o, 'mine');
      let r = run([reference('mrd-v2/recon_m16.ndjson'), '-o', o]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/file exists \(use --force to replace it\)/);
      expect(readFileSync(o, 'utf8')).toBe('mine');
      r = run([reference('mrd-v2/recon_m16.ndjson'), '-o', o, '--force']);
      expect(r.status).toBe(0);
      same(o, reference('mrd-v2/recon_m16.mrd'));
      const input = join(work, 'input.mrd');
      copyFileSync(reference('mrd-v2/recon_m16.mrd'), input);
      r = run([input, '-o', input, '--to', 'mrd', '--force']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/is the input file/);
      same(input, reference('mrd-v2/recon_m16.mrd'));
    });

    it('a failed conversion leaves no output and no temporary file, and says where the input is broken', () => {
      const broken = join(work, 'broken.mrd');
      const full = readFileSync(reference('mrd-v2/phantom_m16_c2_n0_traj.mrd'));
      writeFileSync(broken, full.subarray(0, full.length - 100));
      const dir = mkdtempSync(join(work, 'outdir-'));
      const o = join(dir, 'out.ismrmrd');
      const r = run([broken, '-o', o]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^mrd-convert: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: MRD v2 stream offset \\d+: the stream ended inside StreamItem #\\d+`));
      expect(readdirSync(dir)).toEqual([]);
    });

    it('usage errors exit 2: unknown output format, missing input, an output folder that does not exist', () => {
      expect(run([reference('mrd-v2/recon_m16.mrd'), '-o', join(work, 'x.txt')]).status).toBe(2);
      for (const ext of ['.ndjson', '.h5']) {
        const r = run([reference('mrd-v2/recon_m16.mrd'), '-o', join(work, 'no-such-folder', `x${ext}`)]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/the folder .*no-such-folder does not exist/);
      }
      expect(run(['-o', join(work, 'y.mrd')]).status).toBe(2);
      const g = run([reference('inputs/phantom_m64_c4_r2.h5'), '-o', out('.mrd'), '--group', 'nope']);
      expect(g.status).toBe(1);
      expect(g.stderr).toMatch(/no group 'nope' \(groups: dataset\)/);
    });

    it('--help describes every option and what the conversions lose (a v1 waveform\'s version among them)', () => {
      const r = run(['--help']);
      expect(r.status).toBe(0);
      const text = r.stdout.toString();
      for (const opt of ['--output', '--from', '--to', '--group', '--complete', '--skip-unsupported', '--force', '--progress', '--verbose', '--quiet']) expect(text).toContain(opt);
      expect(text).toMatch(/v1 -> v2 waveforms: version \(comes back as 0\)/);
      expect(text).toMatch(/operator-precedence bug/);
    });

    it('--progress draws a bar on stderr', () => {
      const r = run([reference('inputs/phantom_m64_c4_r2.h5'), '-o', out('.mrd'), '--progress']);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/converting .*phantom_m64_c4_r2\.h5 \[#+\] 100%/);
    });
  });
});

describe('temporary files', () => {

  for (const to of ['h5', 'ismrmrd', 'mrd', 'ndjson'] as const) {
    it(`a file that has the drawn temporary name is not written, published or removed (${to}), on success and on failure`, async () => {
      const dir = mkdtempSync(join(work, `clash-${to}-`));
      const o = join(dir, `out.${to}`);
      const { taken, draws, restore } = occupyNextTemporaryName(resolve(o));
      onTestFinished(restore);
      await conv(reference('mrd-v2/recon_m16.mrd'), o, 'mrd', to);
      expect(draws(), 'the taken name was drawn, then another').toBeGreaterThanOrEqual(2);
      expect(readFileSync(taken, 'utf8')).toBe('not yours');
      expect(readFileSync(o).length).toBeGreaterThan(100);
      expect(readdirSync(dir).sort()).toEqual([taken.slice(dir.length + 1), `out.${to}`].sort());

      // A conversion that fails after its temporary file was made removes its own file only.
      const broken = join(work, `broken-${to}.mrd`);
      const full = readFileSync(reference('mrd-v2/phantom_m16_c2_n0_traj.mrd'));
      writeFileSync(broken, full.subarray(0, full.length - 100));
      const o2 = join(dir, `failed.${to}`);
      const second = occupyNextTemporaryName(o2);
      await expect(conv(broken, o2, 'mrd', to)).rejects.toThrow(/the stream ended inside/);
      expect(readFileSync(second.taken, 'utf8')).toBe('not yours');
      expect(existsSync(o2)).toBe(false);
      expect(readdirSync(dir).sort()).toEqual([taken.slice(dir.length + 1), second.taken.slice(dir.length + 1), `out.${to}`].sort());
    });
  }
});

describe('the built CLI', () => {
  it('exists (pnpm test builds it first)', () => {
    expect(existsSync(CLI), CLI).toBe(true);
  });
});
