/**
 * The built mrd2gif on MRD v2 files: previews next to the input named after the group `dataset`
 * and series `image_<index>`, as for the v1 conversion; a damaged v2 file is one line naming it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reference } from '@mrd-tools/core/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages/mrd2gif/dist/cli.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('mrd2gif command on MRD v2 files', () => {
  it('writes <base>_dataset_image_0.gif for a .mrd and a .ndjson stream_recon output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-v2-cli-'));
    copyFileSync(reference('mrd-v2/recon_m16.mrd'), join(dir, 'bin.mrd'));
    copyFileSync(reference('mrd-v2/recon_m16.ndjson'), join(dir, 'text.ndjson'));
    for (const f of ['bin.mrd', 'text.ndjson']) {
      const r = run(['-q', join(dir, f)]);
      expect(r.status, r.stderr).toBe(0);
    }
    const gifs = readdirSync(dir).filter((f) => f.endsWith('.gif')).sort();
    expect(gifs).toEqual(['bin_dataset_image_0.gif', 'text_dataset_image_0.gif']);
    expect(readFileSync(join(dir, gifs[0]!)).equals(readFileSync(join(dir, gifs[1]!)))).toBe(true);
  });

  it('a truncated v2 file: exit 1, one line naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-v2-cli-'));
    const cut = join(dir, 'cut.mrd');
    const bytes = readFileSync(reference('mrd-v2/recon_m16.mrd'));
    writeFileSync(cut, bytes.subarray(0, bytes.length - 50));
    const r = run(['-q', cut]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').length).toBe(1);
    expect(r.stderr).toContain(`${cut}: `);
  });
});
