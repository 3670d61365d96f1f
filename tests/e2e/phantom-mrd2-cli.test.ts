/**
 * The built mrd-phantom with --format mrd2 / ndjson: upstream `mrd.tools.phantom -n 0`'s stream
 * (reference file) reproduced on stdout and into files, messages kept off stdout when it carries
 * the stream, existing files kept.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMrdV2, decodeMrdV2Ndjson } from '@mrd-tools/core/mrd-v2';
import { reference } from '@mrd-tools/core/testing';
import { mrdV2PhantomDifferences } from '@mrd-tools/phantom-gen/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages/phantom-gen/dist/cli.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
const refFile = (name: string) => decodeMrdV2(new Uint8Array(readFileSync(reference(`mrd-v2/${name}`))));

describe('mrd-phantom --format mrd2', () => {
  it('--format mrd2 -m 64 -c 4 -r 2 -n 0 on stdout equals upstream `phantom -n 0` (phantom_m64_c4_r2_n0.mrd): every header field, data within 1e-5', () => {
    const r = run(['--format', 'mrd2', '-m', '64', '-c', '4', '-r', '2', '-n', '0']);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    const d = mrdV2PhantomDifferences(decodeMrdV2(new Uint8Array(r.stdout)), refFile('phantom_m64_c4_r2_n0.mrd'));
    expect(d.problems).toEqual([]);
    expect(r.stdout.length).toBe(readFileSync(reference('mrd-v2/phantom_m64_c4_r2_n0.mrd')).length);
  });

  it('upstream\'s option names (--matrix --coils --repetitions --noise-level --store-coordinates) into a .mrd file and as NDJSON to -', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-mrd2-'));
    const out = join(dir, 'p.mrd');
    const args = ['--matrix', '16', '--coils', '2', '--repetitions', '1', '--noise-level', '0', '--store-coordinates'];
    const f = run([...args, '-o', out]);
    expect(f.status, f.stderr.toString()).toBe(0);
    expect(f.stdout.toString()).toContain(`Saved 16 readouts to ${out}`);
    const ref = refFile('phantom_m16_c2_n0_traj.mrd');
    expect(mrdV2PhantomDifferences(decodeMrdV2(new Uint8Array(readFileSync(out))), ref).problems).toEqual([]);
    const j = run([...args, '--format', 'ndjson', '-o', '-']);
    expect(j.status).toBe(0);
    expect(mrdV2PhantomDifferences(decodeMrdV2Ndjson(new Uint8Array(j.stdout)), ref).problems).toEqual([]);
    // The same text as upstream's stream in NDJSON, up to the last digits of the floats.
    const refLines = readFileSync(reference('mrd-v2/phantom_m16_c2_n0_traj.ndjson'), 'utf8').split('\n');
    expect(j.stdout.toString().split('\n').slice(0, 2)).toEqual(refLines.slice(0, 2));
  });

  it('keeps an existing file unless --force; a spiral in MRD v2 is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-mrd2-'));
    const out = join(dir, 'keep.mrd');
    writeFileSync(out, 'mine');
    const r = run(['-m', '8', '-c', '1', '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toBe(`mrd-phantom: cannot write ${out}: file exists (use --force to replace it)\n`);
    expect(readFileSync(out, 'utf8')).toBe('mine');
    expect(run(['-m', '8', '-c', '1', '-o', out, '--force', '-q']).status).toBe(0);
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('yardl');
    const s = run(['--format', 'mrd2', '--trajectory', 'spiral']);
    expect(s.status).toBe(2);
    expect(s.stderr.toString()).toMatch(/^mrd-phantom: error: --trajectory spiral is written as HDF5 only/);
    expect(run(['--help']).stdout.toString()).toMatch(/--format[\s\S]*mrd2[\s\S]*--store-coordinates[\s\S]*--output-phantom/);
    const h = run(['-o', join(dir, 'x.h5'), '--output-csm', join(dir, 'csm.mrd')]);
    expect(h.status).toBe(2);
    expect(h.stderr.toString()).toMatch(/^mrd-phantom: error: --output-csm belongs to --format mrd2/);
  });

  it('--output-phantom writes the phantom image as upstream: the header and one ArrayComplexFloat [1, 1, n, n], real, its maximum 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-mrd2-'));
    const ph = join(dir, 'phantom.mrd');
    const r = run(['--format', 'mrd2', '-m', '16', '-c', '2', '-n', '0', '-q', '-o', join(dir, 'p.mrd'), '--output-phantom', ph]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const { header, items } = decodeMrdV2(new Uint8Array(readFileSync(ph)));
    expect(header).toEqual(decodeMrdV2(new Uint8Array(readFileSync(join(dir, 'p.mrd')))).header);
    expect(items.map((i) => i.type)).toEqual(['arrayComplexFloat']);
    const a = items[0]!.value as { shape: number[]; data: Float32Array };
    expect(a.shape).toEqual([1, 1, 16, 16]);
    expect(Math.max(...a.data.filter((_, k) => k % 2 === 0))).toBeCloseTo(1, 6);
    expect(a.data.filter((_, k) => k % 2 === 1).every((v) => v === 0)).toBe(true);
  });
});
