/**
 * mrd-phantom --format mrd2 against the live upstream `mrd.tools.phantom` (the peer in
 * ../shared/peers/mrd-python): with -n 0 the two streams hold the same header, acquisition
 * headers and trajectories and data within 1e-5 relative, for upstream's options (matrix, coils,
 * repetitions, acceleration with calibration lines, oversampling, noise readouts, coordinates);
 * upstream's `stream_recon` reconstructs our stream into its own recon of its own phantom.
 * Missing peer: skipped by name, except under CI (CI=true), where it is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMrdV2, type ImageFloat } from '@mrd-tools/core/mrd-v2';
import { mrdPythonPeer } from '@mrd-tools/core/testing';
import { mrdV2PhantomDifferences } from '@mrd-tools/phantom-gen/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'packages/phantom-gen/dist/cli.js');
const peer = mrdPythonPeer();
if (process.env.CI && !peer) throw new Error('interop peer missing: ../shared/peers/mrd-python with python3-numpy');
const skipped = peer ? '' : ' [skipped: ../shared/peers/mrd-python or python3-numpy missing]';
const work = mkdtempSync(join(tmpdir(), 'phantom-mrd2-interop-'));

function upstream(args: string[]): Uint8Array {
  const r = spawnSync(peer!.python, ['-m', 'mrd.tools.phantom', ...args], { env: peer!.env, cwd: work, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`phantom ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

function ours(args: string[]): Uint8Array {
  const r = spawnSync(process.execPath, [CLI, '--format', 'mrd2', ...args], { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`mrd-phantom ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

const CASES: string[][] = [
  ['-n', '0'],
  ['-m', '32', '-c', '3', '-r', '3', '-n', '0', '-K'],
  ['-m', '24', '-c', '5', '-r', '2', '-a', '2', '-w', '6', '-C', '-n', '0'],
  ['-m', '16', '-c', '2', '-s', '3', '-a', '3', '-r', '4', '-n', '0'],
];

describe.skipIf(!peer)(`mrd-phantom --format mrd2 against upstream phantom${skipped}`, () => {
  for (const args of CASES) {
    it(`${args.join(' ')}: every header field equal, data within 1e-5 relative`, () => {
      const theirs = decodeMrdV2(upstream(args));
      const mine = decodeMrdV2(ours(args));
      const d = mrdV2PhantomDifferences(mine, theirs);
      expect(d.problems).toEqual([]);
      expect(d.worstRelative).toBeLessThan(1e-5);
    });
  }

  it('--output-phantom / --output-csm / --output-coils: upstream\'s arrays (header equal, values within 1e-6 of the largest)', () => {
    const dir = mkdtempSync(join(work, 'arrays-'));
    const names = (who: string) => ['phantom', 'csm', 'coils'].map((k) => join(dir, `${who}-${k}.mrd`));
    const opts = (files: string[]) => ['-m', '24', '-c', '3', '-s', '3', '-n', '0', '--output-phantom', files[0]!, '--output-csm', files[1]!, '--output-coils', files[2]!];
    upstream(opts(names('theirs')));
    ours(opts(names('ours')));
    names('theirs').forEach((t, k) => {
      const a = decodeMrdV2(new Uint8Array(readFileSync(names('ours')[k]!)));
      const b = decodeMrdV2(new Uint8Array(readFileSync(t)));
      expect(a.header).toEqual(b.header);
      expect(a.items.length).toBe(1);
      const x = a.items[0]!.value as { shape: number[]; data: Float32Array };
      const y = b.items[0]!.value as { shape: number[]; data: Float32Array };
      expect(x.shape).toEqual(y.shape);
      let max = 0;
      let diff = 0;
      for (let i = 0; i < y.data.length; i++) {
        max = Math.max(max, Math.abs(y.data[i]!));
        diff = Math.max(diff, Math.abs(x.data[i]! - y.data[i]!));
      }
      expect(diff, t).toBeLessThanOrEqual(1e-6 * max);
    });
  });

  it('stream_recon reconstructs our -m 64 -c 4 -r 2 -n 0 stream into its recon of its own phantom (within 1e-5 of the largest pixel)', () => {
    const recon = (input: Uint8Array) => {
      const r = spawnSync(peer!.python, ['-m', 'mrd.tools.stream_recon'], { env: peer!.env, cwd: work, input, maxBuffer: 256 << 20 });
      if (r.status !== 0) throw new Error(`stream_recon failed (${r.status}): ${r.stderr}`);
      return decodeMrdV2(new Uint8Array(r.stdout));
    };
    const args = ['-m', '64', '-c', '4', '-r', '2', '-n', '0'];
    const a = recon(ours(args));
    const b = recon(upstream(args));
    expect(a.header).toEqual(b.header);
    expect(a.items.length).toBe(2);
    a.items.forEach((item, i) => {
      const x = (item.value as ImageFloat).data.data;
      const y = (b.items[i]!.value as ImageFloat).data.data;
      expect(x.length).toBe(y.length);
      let max = 0;
      let diff = 0;
      for (let k = 0; k < y.length; k++) {
        max = Math.max(max, Math.abs(y[k]!));
        diff = Math.max(diff, Math.abs(x[k]! - y[k]!));
      }
      expect(diff).toBeLessThanOrEqual(1e-5 * max);
    });
  });
});
