/**
 * The built mrd-info command: --help, exit codes (usage error 2, unreadable input 1 with a
 * one-line message), --json, and the example in its README run as written.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reference } from '@mrd-tools/core/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages/mrd-info/dist/cli.js');
const run = (args: string[], cwd = root) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8' });

describe('mrd-info command', () => {
  it('--help describes every option', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const o of ['--group', '--json', '--help']) expect(r.stdout).toContain(o);
  });
  it('usage errors exit 2, an unreadable file exits 1 with one line naming it', () => {
    const u = run(['--bogus', 'x.h5']);
    expect(u.status).toBe(2);
    expect(u.stderr).toBe('mrd-info: error: unrecognized option --bogus\nusage: mrd-info [options] <file> (mrd-info --help lists the options)\n');
    expect(run(['--jsn', 'x.h5']).stderr).toMatch(/^mrd-info: error: unrecognized option --jsn \(did you mean --json\?\)\n/);
    expect(run([]).status).toBe(2);
    const m = run(['/nonexistent/file.h5']);
    expect(m.status).toBe(1);
    expect(m.stderr.trim()).toBe('mrd-info: /nonexistent/file.h5: no such file');
    const notHdf5 = run([cli]);
    expect(notHdf5.status).toBe(1);
    expect(notHdf5.stderr).toMatch(/not an HDF5 file/);
  });
  it('the README example prints what the README shows', () => {
    const readme = readFileSync(join(root, 'packages/mrd-info/README.md'), 'utf8');
    const block = /```\n\$ mrd-info (\S+)\n([\s\S]*?)```/.exec(readme)!;
    const r = run([block[1]!], dirname(reference('inputs/phantom_m64_waveforms.h5')));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(block[2]);
  });
  it('--json and --group', () => {
    const r = run(['--json', '-g', 'dataset', reference('inputs/phantom_m64_c4_r2.h5')]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.schema).toBe('mrd-info/1');
    expect(s.groups[0].acquisitions.count).toBe(160);
    const bad = run(['--group', 'nope', reference('inputs/phantom_m64_c4_r2.h5')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/no group 'nope' \(groups: dataset\)/);
  });
  it('reads MRD v2 files: the text says which encoding, --json keeps schema mrd-info/1', () => {
    const t = run([reference('mrd-v2/phantom_m16_c2_n0_traj.ndjson')]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^File: .*phantom_m16_c2_n0_traj\.ndjson \(85\.8 kB, MRD v2 NDJSON stream\)\nGroups: dataset\n/);
    expect(t.stdout).toContain('Acquisitions: 16 (0 noise)');
    const j = run(['--json', reference('mrd-v2/recon_m16.mrd')]);
    expect(j.status, j.stderr).toBe(0);
    const s = JSON.parse(j.stdout);
    expect(s.schema).toBe('mrd-info/1');
    expect(s.groups[0].image_series[0].count).toBeGreaterThan(0);
  });
});
