/**
 * Every tool's command line behaves like the tools users know (issue 13, section 6), on the built
 * CLIs (packages/<tool>/dist/cli.js):
 * - `--version` prints the tool's own version, also when run in a folder whose package.json says
 *   something else (yargs used to read the working directory's package.json);
 * - a usage error prints one error line first (an unknown option with "did you mean" for a near
 *   miss, a number out of range, a bad choice), then the usage line, nothing on stdout (no help
 *   text), exit status 2, as argparse;
 * - numbers are validated before anything happens: no "listening at ...:NaN", no "Matrix -5x-5",
 *   no file written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@mrd-tools/core/testing';

const TOOLS: Record<string, { dir: string; nearMiss: [string, string]; args?: string[] }> = {
  'mrd-server': { dir: 'mrd-server', nearMiss: ['--defaultConfg', '--defaultConfig'] },
  'mrd-client': { dir: 'mrd-client', nearMiss: ['--confg', '--config'], args: ['in.h5'] },
  'mrd-phantom': { dir: 'phantom-gen', nearMiss: ['--matrx-size', '--matrix-size'] },
  dicom2mrd: { dir: 'dicom2mrd', nearMiss: ['--outfile', '--outFile'], args: ['folder'] },
  mrd2dicom: { dir: 'mrd2dicom', nearMiss: ['--out-foldr', '--out-folder'], args: ['in.h5'] },
  mrd2gif: { dir: 'mrd2gif', nearMiss: ['--rescal', '--rescale'], args: ['in.h5'] },
};

const root = repoRoot();
const work = mkdtempSync(join(tmpdir(), 'mrd-cli-conventions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
// a folder whose package.json claims another version (yargs' default would print it)
writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'someone-elses-project', version: '9.9.9' }));

function run(tool: string, args: string[], timeout = 30_000) {
  const cli = join(root, 'packages', TOOLS[tool]!.dir, 'dist', 'cli.js');
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(Object.keys(TOOLS))('%s command line', (tool) => {
  const t = TOOLS[tool]!;

  it('--version prints the tool\'s own version, whatever package.json the working folder has', () => {
    const version = (JSON.parse(readFileSync(join(root, 'packages', t.dir, 'package.json'), 'utf8')) as { version: string }).version;
    const r = run(tool, ['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    expect(version).not.toBe('9.9.9');
  });

  it('an unknown option near a known one: the error line with "did you mean", the usage line, exit 2, no help text', () => {
    const r = run(tool, [t.nearMiss[0], 'x', ...(t.args ?? [])]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      `${tool}: error: unrecognized option ${t.nearMiss[0]} (did you mean ${t.nearMiss[1]}?)`,
      expect.stringMatching(new RegExp(`^usage: ${tool} \\[options\\]`)),
    ]);
  });
});

describe('numbers are validated before anything happens', () => {
  it('mrd-server -p notanumber: exit 2 naming the port, never listening at NaN', () => {
    const r = run('mrd-server', ['-p', 'notanumber']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("mrd-server: error: argument -p/--port: invalid value 'notanumber' (expected an integer from 0 to 65535)");
    expect(r.stderr).not.toMatch(/NaN|listening/);
  });

  it('mrd-phantom -m -5: exit 2 before any output or file', () => {
    const before = readdirSync(work).sort();
    const r = run('mrd-phantom', ['-m', '-5', '-o', 'ph.h5']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("mrd-phantom: error: argument -m/--matrix-size/--matrix: invalid value '-5' (expected an integer from 2 to 65536)");
    expect(readdirSync(work).sort()).toEqual(before);
    for (const bad of [['-c', '0'], ['-n', '-1'], ['--trajectory', 'spiral', '--vd', '1.5'], ['--trajectory', 'spiral', '--arms', '2.5'], ['--seed', '-3']]) {
      const b = run('mrd-phantom', [...bad, '-o', 'ph.h5']);
      expect(b.status, bad.join(' ')).toBe(2);
      expect(b.stderr, bad.join(' ')).toMatch(/^mrd-phantom: error: argument .*: invalid value/);
      expect(b.stdout).toBe('');
    }
    expect(existsSync(join(work, 'ph.h5'))).toBe(false);
  });

  it('mrd-client -p 70000 and mrd2gif --rescale 0: exit 2 naming the option', () => {
    const c = run('mrd-client', ['-p', '70000', 'in.h5']);
    expect([c.status, c.stderr.split('\n')[0]]).toEqual([2, "mrd-client: error: argument -p/--port: invalid value '70000' (expected an integer from 1 to 65535)"]);
    const g = run('mrd2gif', ['-r', '0', 'in.h5']);
    expect([g.status, g.stderr.split('\n')[0]]).toEqual([2, "mrd2gif: error: argument -r/--rescale: invalid value '0' (expected an integer from 1 to 64)"]);
  });

  it('a bad choice and a missing input are usage errors too', () => {
    const c = run('mrd-phantom', ['--trajectory', 'spirl']);
    expect([c.status, c.stderr.split('\n')[0]]).toEqual([2, "mrd-phantom: error: argument --trajectory: invalid choice 'spirl' (choose from 'cartesian', 'spiral'; did you mean 'spiral'?)"]);
    const m = run('mrd2dicom', []);
    expect([m.status, m.stderr.split('\n')[0]]).toEqual([2, 'mrd2dicom: error: an input file is required']);
  });
});
