/**
 * The writer's all-or-nothing mode (`atomic: true`, used by the tools that write a whole file):
 * a new file appears only when close() succeeds, and a failed append leaves the existing file
 * byte for byte as it was. Write failures are injected in-process (simulateFullDisk: ENOSPC
 * once a byte budget under the folder is used up), so these tests need no mount and no root;
 * tests/e2e/tools-full-disk.test.ts runs the tools on a real full tmpfs where it may mount one.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateFullDisk } from '../../testing/simulated-disk.js';
import { emptyAcquisitionHeader } from '../../headers/types.js';
import type { Acquisition } from '../../messages/types.js';
import { MrdFile } from '../reader/index.js';
import { MrdWriter } from './index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mrd-atomic-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function acquisitions(n: number, samples = 256, coils = 8): Acquisition[] {
  return Array.from({ length: n }, (_, i) => {
    const head = emptyAcquisitionHeader();
    head.scan_counter = i + 1;
    head.number_of_samples = samples;
    head.active_channels = coils;
    head.available_channels = coils;
    return { head, traj: new Float32Array(0), data: new Float32Array(2 * samples * coils).fill(i) };
  });
}

async function fill(w: MrdWriter, batches: number): Promise<void> {
  await w.writeHeader('<ismrmrdHeader/>');
  for (let b = 0; b < batches; b++) await w.appendAcquisitions(acquisitions(32));
}

describe('MrdWriter atomic mode', () => {
  it('publishes a new file only at close; abandon leaves nothing', async () => {
    const sub = mkdtempSync(join(dir, 'new-'));
    const path = join(sub, 'out.h5');
    const w = await MrdWriter.create(path, { atomic: true });
    await fill(w, 4);
    expect(readdirSync(sub).filter((n) => n === 'out.h5')).toEqual([]);
    await w.close();
    expect(readdirSync(sub)).toEqual(['out.h5']);
    const f = await MrdFile.open(path);
    expect(f.acquisitionCount('dataset')).toBe(128);
    f.close();

    const path2 = join(sub, 'abandoned.h5');
    const w2 = await MrdWriter.create(path2, { atomic: true });
    await fill(w2, 2);
    await w2.abandon();
    expect(readdirSync(sub)).toEqual(['out.h5']);
  });

  it('on a full disk: the write fails with ENOSPC, no file and no temporary file remain', async () => {
    const sub = mkdtempSync(join(dir, 'full-'));
    const path = join(sub, 'ph.h5');
    const disk = simulateFullDisk(sub, 200_000);
    let failure: unknown;
    try {
      const w = await MrdWriter.create(path, { atomic: true });
      try {
        await fill(w, 10); // 320 readouts of 16 KB: far beyond 200 KB
        await w.close();
      } catch (e) {
        failure = e;
        await w.abandon();
      }
    } finally {
      disk.uninstall();
    }
    expect((failure as NodeJS.ErrnoException)?.code).toBe('ENOSPC');
    expect(readdirSync(sub)).toEqual([]);
  });

  it('on a full disk while appending: the existing file is left byte for byte as it was', async () => {
    const sub = mkdtempSync(join(dir, 'append-'));
    const path = join(sub, 'have.h5');
    const w0 = await MrdWriter.create(path);
    await fill(w0, 2);
    await w0.close();
    const before = readFileSync(path);
    const disk = simulateFullDisk(sub, 100_000);
    let failure: unknown;
    try {
      const w = await MrdWriter.open(path, { group: 'dataset', atomic: true });
      try {
        for (let b = 0; b < 10; b++) await w.appendAcquisitions(acquisitions(32));
        await w.close();
      } catch (e) {
        failure = e;
        await w.abandon();
      }
    } finally {
      disk.uninstall();
    }
    expect((failure as NodeJS.ErrnoException)?.code).toBe('ENOSPC');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(sub)).toEqual(['have.h5']);
    const f = await MrdFile.open(path);
    expect(f.acquisitionCount('dataset')).toBe(64);
    f.close();
  });

  it('a failed final commit (disk full at close) also leaves the appended file as it was', async () => {
    const sub = mkdtempSync(join(dir, 'close-'));
    const path = join(sub, 'have.h5');
    const w0 = await MrdWriter.create(path);
    await fill(w0, 1);
    await w0.close();
    const before = readFileSync(path);
    const disk = simulateFullDisk(sub, 1000);
    try {
      const w = await MrdWriter.open(path, { group: 'dataset', atomic: true });
      await w.appendAcquisitions(acquisitions(8)); // buffered in the open chunk, written at close
      await expect(w.close()).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      disk.uninstall();
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
