/**
 * Runs the README's "Spiral reconstructions" commands as written (between <!-- spiral:start -->
 * and <!-- spiral:end -->), in README order, in an empty folder whose `packages` links to this
 * repository, with the built tools on PATH under their command names:
 * - a ```sh block holding an `mrd-server` line starts that server in the background (stopping
 *   the one before, as the README says), as "in a second terminal";
 * - every other ```sh block runs as one shell script (so its here-documents work), stopping at
 *   the first failing command.
 * The one change to the commands: the server gets `-p 0` and the `mrd-client` on PATH passes the
 * port it chose (tests use port 0; the README uses the default 9002).
 * Then the outputs are checked: the real-time frames, the TFD frames and the XD-GRASP bins, the
 * previews, and the progress lines the iterative recons sent to the client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { repoRoot } from '@mrd-tools/core/testing';
import { tempDir } from './server-harness.js';

const root = repoRoot();
const TOOLS: Record<string, string> = {
  'mrd-server': 'packages/mrd-server/dist/cli.js',
  'mrd-client': 'packages/mrd-client/dist/cli.js',
  'mrd-phantom': 'packages/phantom-gen/dist/cli.js',
  mrd2gif: 'packages/mrd2gif/dist/cli.js',
};

/** The ```sh blocks of the README's spiral section, in order. */
export function spiralBlocks(readme: string): string[][] {
  const a = readme.indexOf('<!-- spiral:start -->');
  const b = readme.indexOf('<!-- spiral:end -->');
  if (a < 0 || b < a) throw new Error('README.md has no spiral section (<!-- spiral:start --> ... <!-- spiral:end -->)');
  const lines = readme.slice(a, b).split('\n');
  const blocks: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```sh\s*$/.test(lines[i])) continue;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    blocks.push(body);
  }
  return blocks;
}

async function images(file: string): Promise<{ series: string[]; count: number }> {
  const f = await MrdFile.open(file);
  try {
    const g = f.groups()[0]!;
    const series = f.imageSeries(g);
    return { series, count: series.reduce((n, s) => n + f.imageCount(g, s), 0) };
  } finally {
    f.close();
  }
}

describe('README "Spiral reconstructions", run as written', () => {
  let server: ChildProcess | undefined;
  const stopServer = async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  };
  afterAll(async () => {
    await stopServer();
  });

  it('runs every command; the real-time and both iterative recons give their images, and the iterative ones report progress', async () => {
    for (const f of Object.values(TOOLS)) expect(existsSync(join(root, f)), `${f} (build first)`).toBe(true);
    const work = tempDir('mrd-readme-spiral-');
    symlinkSync(join(root, 'packages'), join(work, 'packages'));
    const bin = join(work, '.bin');
    mkdirSync(bin);
    for (const [name, file] of Object.entries(TOOLS)) {
      const port = name === 'mrd-client' ? '-p "$README_TEST_PORT" ' : '';
      writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${join(root, file)}" ${port}"$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    // configs of this machine must not interfere with the README's own
    delete env.MRD_TOOLS_CONFIG_PATH;
    delete env.MRD_TOOLS_METAFILE_PATH;
    let serverLog = '';
    let commandLog = '';
    const blocks = spiralBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(blocks.filter((b) => b.some((l) => l.startsWith('mrd-server'))).length).toBe(2);
    for (const block of blocks) {
      const serverLine = block.find((l) => l.startsWith('mrd-server'));
      if (serverLine) {
        expect(block.filter((l) => l.trim() !== ''), 'an mrd-server block holds just that command').toEqual([serverLine]);
        await stopServer();
        serverLog = '';
        const proc = spawn('/bin/sh', ['-c', `exec ${serverLine} -p 0`], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
        server = proc;
        proc.stdout!.on('data', (c) => (serverLog += c.toString()));
        proc.stderr!.on('data', (c) => (serverLog += c.toString()));
        const port = await new Promise<string>((resolve, reject) => {
          const t = setInterval(() => {
            const m = /Server listening at [^\s]+:(\d+)/.exec(serverLog);
            if (m) { clearInterval(t); resolve(m[1]!); }
            if (proc.exitCode !== null) { clearInterval(t); reject(new Error(`"${serverLine}" exited:\n${serverLog}`)); }
          }, 50);
        });
        env.README_TEST_PORT = port;
        continue;
      }
      const script = ['set -e', ...block].join('\n');
      const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
        const p = spawn('/bin/sh', ['-c', script], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout!.on('data', (c) => (out += c.toString()));
        p.stderr!.on('data', (c) => (out += c.toString()));
        const t = setTimeout(() => p.kill('SIGKILL'), 240_000);
        p.on('exit', (status) => { clearTimeout(t); resolve({ status, out }); });
      });
      expect(r.status, `block failed:\n${block.join('\n')}\n${r.out}\n--- server ---\n${serverLog.slice(-4000)}`).toBe(0);
      commandLog += `$ ${block.join('\n$ ')}\n${r.out}\n`;
    }

    // the quick start: the metafile beside the phantom in seq_meta/, frames every 17 arms from the 55th
    expect(readdirSync(join(work, 'seq_meta')).filter((f) => f.endsWith('.mat')).length).toBe(2);
    const rt = await images(join(work, 'spiral_img.h5'));
    expect(rt.count).toBe(Math.floor((240 - 55) / 17) + 1);
    // the iterative recons, sized by the configs the README writes
    expect((await images(join(work, 'spiral_tv.h5'))).count).toBe(40);
    expect((await images(join(work, 'spiral_xdgrasp.h5'))).count).toBe(4 * 6);
    const gifs = readdirSync(work).filter((f) => f.endsWith('.gif'));
    expect(gifs.some((g) => g.startsWith('spiral_img_')) && gifs.some((g) => g.startsWith('spiral_tv_')), gifs.join(', ')).toBe(true);
    // progress reached the client (plain lines: not a terminal)
    expect(commandLog).toMatch(/INFO {5}rtspiral_bart_tvrecon: TV solve \(40 frames in 2 chunk\(s\), 20 CG steps each\): started/);
    expect(commandLog).toMatch(/INFO {5}spiral_xdgrasp_recon: coil maps \(nlinv, \d+ arms\): started/);
    expect(serverLog).not.toMatch(/Could not find config module|falling back/);
  }, 600_000);
});
