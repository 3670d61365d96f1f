/**
 * The dicom2mrd and mrd2dicom executables (packages/dicom2mrd/dist and packages/mrd2dicom/dist, built by `pnpm test`): default output
 * names, exit statuses, warnings naming skipped files, and the round trip through both.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { reference } from '@mrd-tools/core/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const d2m = join(root, 'packages/dicom2mrd/dist/cli.js');
const m2d = join(root, 'packages/mrd2dicom/dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'dicom-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cli: string, args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

describe('dicom2mrd / mrd2dicom executables', () => {
  it('folder with a trailing slash -> <folder>.h5 in the working directory; skipped files named, exit 3 (2 is a usage error); mrd2dicom next to it', () => {
    const folder = join(work, 'scan1');
    mkdirSync(folder);
    for (const f of readdirSync(reference('dicom/mr_small'))) copyFileSync(join(reference('dicom/mr_small'), f), join(folder, f));
    writeFileSync(join(folder, 'notes.dcm'), 'not DICOM');
    const r = run(d2m, ['scan1/'], work);
    expect(r.status, r.out).toBe(3);
    expect(r.out).toMatch(/Skipping .*MR_truncated\.dcm: truncated/);
    expect(r.out).toMatch(/Skipping .*notes\.dcm: not a DICOM file/);
    expect(existsSync(join(work, 'scan1.h5'))).toBe(true);
    expect(existsSync(join(work, '.h5'))).toBe(false);
    const r2 = run(m2d, ['scan1.h5'], work);
    expect(r2.status, r2.out).toBe(0);
    expect(readdirSync(join(work, 'scan1')).filter((f) => /^01__001(_\d+)?\.dcm$/.test(f))).toHaveLength(5);
  });

  it('a second conversion into the same file adds a group; the same group again is refused (exit 1), the file intact', async () => {
    const out = join(work, 'two.h5');
    expect(run(d2m, [reference('dicom/series'), '-o', out], work).status).toBe(0);
    expect(run(d2m, [reference('dicom/series'), '-o', out, '-g', 'again'], work).status).toBe(0);
    const r = run(d2m, [reference('dicom/series'), '-o', out, '-g', 'again'], work);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/already exists/);
    const f = await MrdFile.open(out);
    try {
      expect(f.groups().sort()).toEqual(['again', 'dataset']);
      expect(f.imageSeries('again')).toEqual(['image_0', 'image_1', 'image_2']);
    } finally {
      f.close();
    }
    // mrd2dicom takes the last group by default
    const r2 = run(m2d, [out, '-o', join(work, 'two-dicom')], work);
    expect(r2.status, r2.out).toBe(0);
    expect(readdirSync(join(work, 'two-dicom'))).toHaveLength(17);
  });

  it('clear one-line errors', () => {
    const r = run(d2m, [join(work, 'nope')], work);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/dicom2mrd: .*nope: no such folder/);
    const r2 = run(m2d, [join(work, 'nope.h5')], work);
    expect(r2.status).toBe(1);
    expect(r2.out).toMatch(/mrd2dicom: .*nope\.h5/);
  });
});
