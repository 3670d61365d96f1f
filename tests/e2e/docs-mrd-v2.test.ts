/**
 * Runs the commands of docs/mrd-v2.md (between <!-- v2-commands:start --> and
 * <!-- v2-commands:end -->) as written, in order, in an empty folder holding the reference
 * phantoms, with the built tools on PATH under their command names: a ```sh block that is one
 * `mrd-server` line starts that server in the background ("in a second terminal"), with `-p 0`
 * added; the `mrd-client` on PATH passes the port it chose. Every other block runs as one shell
 * script, stopping at the first failing command. Then the outputs are checked; then mrd-client's
 * failures with a v2 output: nothing written, exit status 1; and a v1 HDF5 input named .mrd.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMrdV2, decodeMrdV2Ndjson } from '@mrd-tools/core/mrd-v2';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { reference, repoRoot } from '@mrd-tools/core/testing';
import { assertBuilt, clientCli, startServer, tempDir, type RunningServer } from './server-harness.js';

const root = repoRoot();
const TOOLS: Record<string, string> = {
  'mrd-server': 'packages/mrd-server/dist/cli.js',
  'mrd-client': 'packages/mrd-client/dist/cli.js',
  'mrd-convert': 'packages/mrd-convert/dist/cli.js',
};

function blocks(doc: string): string[][] {
  const a = doc.indexOf('<!-- v2-commands:start -->');
  const b = doc.indexOf('<!-- v2-commands:end -->');
  if (a < 0 || b < a) throw new Error('docs/mrd-v2.md has no v2-commands section');
  const lines = doc.slice(a, b).split('\n');
  const out: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```sh\s*$/.test(lines[i]!)) continue;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    out.push(body);
  }
  return out;
}

describe('docs/mrd-v2.md: the MRD v2 recon commands', () => {
  const dir = tempDir('mrd-v2-docs-');
  const bin = join(dir, '.bin');
  let server: RunningServer | null = null;
  afterAll(async () => {
    await server?.stop();
  });

  it('run as written and give the outputs they say', async () => {
    assertBuilt();
    mkdirSync(bin);
    copyFileSync(reference('mrd-v2/phantom_m64_c4_r2_n0.mrd'), join(dir, 'phantom.mrd'));
    copyFileSync(reference('inputs/phantom_m64_c4_r2.h5'), join(dir, 'phantom.h5'));
    const portFile = join(dir, '.port');
    for (const [name, rel] of Object.entries(TOOLS)) {
      const extra = name === 'mrd-client' ? ' -p "$(cat ' + JSON.stringify(portFile) + ')"' : '';
      writeFileSync(join(bin, name), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, rel))}${extra} "$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const found = blocks(readFileSync(join(root, 'docs/mrd-v2.md'), 'utf8'));
    expect(found.length).toBe(3);
    for (const block of found) {
      const cmds = block.filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      if (cmds.length === 1 && /^mrd-server(\s|$)/.test(cmds[0]!)) {
        const args = cmds[0]!.trim().split(/\s+/).slice(1);
        server = await startServer(args, { cwd: dir });
        writeFileSync(portFile, String(server.port));
        continue;
      }
      const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', block.join('\n')], {
        cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8', timeout: 120_000,
      });
      expect(r.status, `${block.join('\n')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
    const recon = decodeMrdV2(new Uint8Array(readFileSync(join(dir, 'recon.mrd'))));
    expect(recon.items.map((i) => i.type)).toEqual(['imageInt16', 'imageInt16']);
    expect(Buffer.compare(readFileSync(join(dir, 'recon_tcp.mrd')), readFileSync(join(dir, 'recon.mrd')))).toBe(0);
    const pixels: Record<string, number[][]> = {};
    for (const name of ['recon.h5', 'recon_pipe.h5', 'recon_chain.h5']) {
      const h5 = await MrdFile.open(join(dir, name));
      try {
        const g = h5.groups()[0]!;
        const series = h5.imageSeries(g);
        expect(series.length, name).toBe(1);
        pixels[name] = [];
        for await (const img of h5.images(g, series[0]!)) pixels[name]!.push(Array.from(img.data as ArrayLike<number>));
      } finally {
        h5.close();
      }
    }
    // our generator's phantom (mrd-phantom --format mrd2 -n 0) against upstream's: int16 within 1
    expect(pixels['recon_chain.h5']!.length).toBe(pixels['recon_pipe.h5']!.length);
    pixels['recon_chain.h5']!.forEach((img, i) => {
      const ref = pixels['recon_pipe.h5']![i]!;
      expect(img.length).toBe(ref.length);
      expect(Math.max(...img.map((v, k) => Math.abs(v - ref[k]!)))).toBeLessThanOrEqual(1);
    });
    const tcpH5 = await MrdFile.open(join(dir, 'recon_tcp.h5'));
    try {
      const g = tcpH5.groups();
      expect(g).toHaveLength(1);
      let n = 0;
      for await (const img of tcpH5.images(g[0]!, tcpH5.imageSeries(g[0]!)[0]!)) n += img.data.length > 0 ? 1 : 0;
      expect(n).toBe(2);
    } finally {
      tcpH5.close();
    }
    const v1 = decodeMrdV2Ndjson(readFileSync(join(dir, 'recon_v1.ndjson'), 'utf8'));
    expect(v1.header).toBeDefined();
    expect(v1.items.map((i) => i.type)).toEqual(['imageInt16', 'imageInt16']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('mrd-client with a v2 output: an existing file is kept (exit 1), a failed session writes nothing (exit 1)', () => {
    expect(server).not.toBeNull();
    const run = (args: string[]) => spawnSync(process.execPath, [clientCli, '-p', String(server!.port), '-q', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const before = readFileSync(join(dir, 'recon_tcp.mrd'));
    const exists = run(['phantom.mrd', '-o', 'recon_tcp.mrd']);
    expect(exists.status).toBe(1);
    expect(exists.stderr).toMatch(/recon_tcp\.mrd: file exists/);
    expect(Buffer.compare(readFileSync(join(dir, 'recon_tcp.mrd')), before)).toBe(0);
    // a v2 stream cut short: the server's answer has no end marker, the client writes nothing
    writeFileSync(join(dir, 'cut.mrd'), readFileSync(join(dir, 'phantom.mrd')).subarray(0, 100_000));
    const cut = run(['cut.mrd', '-o', 'cut_out.mrd']);
    expect(cut.status).toBe(1);
    expect(cut.stderr).toMatch(/nothing was written to cut_out\.mrd/);
    expect(existsSync(join(dir, 'cut_out.mrd'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('mrd-client tells v2 inputs by their first bytes: a v1 HDF5 file named .mrd is sent as v1 and its default output stays HDF5', () => {
    copyFileSync(join(dir, 'phantom.h5'), join(dir, 'v1named.mrd'));
    const r = spawnSync(process.execPath, [clientCli, '-p', String(server!.port), '-q', '-c', 'simplefft', 'v1named.mrd'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'v1named_results.mrd')).subarray(0, 4).toString('latin1')).toBe('\x89HDF');
  });
});
