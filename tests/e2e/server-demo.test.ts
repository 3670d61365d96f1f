/**
 * The README demo (scripts/demo.mjs): phantom -> mrd-server (own free port) -> mrd-client ->
 * GIF preview in one command, into a fresh folder; it refuses an existing folder and stops its
 * server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@mrd-tools/core/testing';
import { ignoredByRepository, tempDir } from './server-harness.js';

function demo(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(repoRoot(), 'scripts/demo.mjs'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

describe('README demo', () => {
  it('runs phantom -> server -> client -> preview into a fresh, git-ignored mrd-demo-<date-time> folder', async () => {
    const cwd = tempDir('mrd-demo-test-');
    const r = await demo([], cwd);
    expect(r.code, r.out).toBe(0);
    const made = readdirSync(cwd);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^mrd-demo-\d{8}-\d{6}$/);
    expect(readdirSync(join(cwd, made[0]!)).sort()).toEqual(['phantom_img.h5', 'phantom_img_dataset_image_0_FIRE.gif', 'phantom_raw.h5']);
    // Run from the repository folder (as the README says), the demo's folder stays out of git status.
    expect(ignoredByRepository(cwd, made)).toEqual(made);
    expect(r.out).toMatch(/Received +1 images/);
    // The server it started is gone (its log says it stopped on the signal).
    expect(r.out).toContain('Received signal interrupt -- stopping server');
  }, 120_000);

  it('never writes into an existing folder', async () => {
    const cwd = tempDir('mrd-demo-test-');
    mkdirSync(join(cwd, 'taken'));
    const r = await demo(['--out', 'taken'], cwd);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/already exists/);
    expect(readdirSync(join(cwd, 'taken'))).toEqual([]);
    expect(existsSync(join(cwd, 'taken', 'phantom_raw.h5'))).toBe(false);
  });
});
