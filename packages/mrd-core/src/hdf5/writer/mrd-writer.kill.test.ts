/**
 * Crash consistency without the Debian peers: a writer process (testing/kill-child/child.ts, bundled
 * with esbuild) killed with SIGKILL at a random moment, creating a file or appending to a copy of
 * a reference file; the file must open with h5wasm (MrdFile) and hold everything handed over a
 * second before the kill, and, when appending, every original record unchanged. Also: an I/O
 * failure leaves the last commit; `durable` commits.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAcquisitions, reference } from '../../testing/index.js';
import { emptyAcquisitionHeader } from '../../headers/types.js';
import type { Acquisition } from '../../messages/types.js';
import { MrdFile } from '../reader/index.js';
import { MrdWriter } from './index.js';
import { bundleKillChild, runAndKill } from '../../testing/kill-child/harness.js';

let dir: string;
let child: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mrd-writer-kill-'));
  child = await bundleKillChild(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkStreamed(acqs: Acquisition[], base: number): void {
  acqs.forEach((a, i) => {
    expect(a.head.scan_counter).toBe(base + i);
    expect(a.data.length).toBe(2 * (64 + (i % 7)) * 4);
    expect(a.data[a.data.length - 1]).toBe(Math.fround(i + (a.data.length - 1) / 1000));
  });
}

describe('SIGKILL while writing', () => {
  for (const interval of ['default', '5']) {
    it(`creating a file (checkpoint interval ${interval})`, async () => {
      const file = join(dir, `created-${interval}.h5`);
      const handedOver = await runAndKill(child, file, interval, 'create', 1500);
      expect(handedOver).toBeGreaterThan(0);
      const acqs = await readAcquisitions(file);
      expect(acqs.length).toBeGreaterThanOrEqual(handedOver);
      checkStreamed(acqs, 0);
      const f = await MrdFile.open(file);
      try {
        const n = f.imageCount('dataset', 'image_0');
        expect(n).toBeGreaterThanOrEqual(Math.floor(handedOver / 10));
        let j = 0;
        for await (const im of f.images('dataset', 'image_0')) {
          expect(im.head.image_index).toBe(j * 10 + 9);
          expect(im.attribute).toBe(`<meta>${j * 10 + 9}</meta>`);
          expect(im.data[0]).toBe(j);
          j++;
        }
        expect(j).toBe(n);
      } finally {
        f.close();
      }
    });
  }

  for (const interval of ['default', '5']) {
    it(`appending to a reference file keeps every original record (checkpoint interval ${interval})`, async () => {
      const file = join(dir, `appended-${interval}.h5`);
      copyFileSync(reference('inputs/phantom_m64_c4_r2.h5'), file);
      const original = await readAcquisitions(reference('inputs/phantom_m64_c4_r2.h5'));
      const handedOver = await runAndKill(child, file, interval, 'append', 1500);
      const acqs = await readAcquisitions(file);
      expect(acqs.slice(0, original.length)).toEqual(original);
      const added = acqs.slice(original.length);
      expect(added.length).toBeGreaterThanOrEqual(handedOver);
      checkStreamed(added, 1_000_000);
    });
  }
});

describe('SIGKILL right after start (while creating)', () => {
  for (let run = 0; run < 4; run++) {
    it(`run ${run + 1}: no file, or a valid one`, async () => {
      const file = join(dir, `early-${run}.h5`);
      const p = spawn(process.execPath, [child, file, 'default', 'create'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 200));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      if (!existsSync(file)) return;
      const f = await MrdFile.open(file);
      const hasData = f.has('/dataset/data');
      expect(f.groups()).toEqual(['dataset']);
      f.close();
      if (hasData) checkStreamed(await readAcquisitions(file), 0);
    });
  }
});

describe('failures', () => {
  function acq(i: number): Acquisition {
    const head = emptyAcquisitionHeader();
    head.scan_counter = i;
    head.number_of_samples = 16;
    head.active_channels = 1;
    return { head, traj: new Float32Array(0), data: new Float32Array(32).fill(i) };
  }

  it('an I/O error leaves the last commit, refuses further work, and close() still releases the file', async () => {
    const file = join(dir, 'io-error.h5');
    const w = await MrdWriter.create(file, { checkpointIntervalMs: 3_600_000 });
    await w.appendAcquisitions(Array.from({ length: 10 }, (_, i) => acq(i)));
    await w.checkpoint();
    // the disk fails from now on
    const fh = (w as unknown as { file: { fh: { write: unknown } } }).file.fh;
    fh.write = () => Promise.reject(new Error('EIO: simulated'));
    await w.appendAcquisitions(Array.from({ length: 10 }, (_, i) => acq(10 + i)));
    await expect(w.checkpoint()).rejects.toThrow(/EIO/);
    await expect(w.appendAcquisition(acq(99))).rejects.toThrow(/unusable after an earlier failure/);
    await expect(w.close()).rejects.toThrow(/without a final checkpoint/);
    const acqs = await readAcquisitions(file);
    expect(acqs.map((a) => a.head.scan_counter)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('durable mode commits with fdatasync and reads back', async () => {
    const file = join(dir, 'durable.h5');
    const w = await MrdWriter.create(file, { durable: true });
    await w.appendAcquisitions([acq(1), acq(2)]);
    await w.close();
    expect((await readAcquisitions(file)).map((a) => a.head.scan_counter)).toEqual([1, 2]);
  });
});
