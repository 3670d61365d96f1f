/**
 * early-input.ts: the input file found before parsing, and `openLargeInput`'s choice of reader:
 * on this thread for the ISMRMRD C library's layout, else the worker, decided before the reading
 * code (input-file-reader.ts) is loaded, which a file of another layout never loads here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { createAcquisition } from '@mrd-tools/core/messages';
import { reference } from '@mrd-tools/core/testing';
import { inputFileBeforeParsing, openLargeInput } from './early-input.js';

// whether this thread loaded the reading code
const loaded = vi.hoisted(() => ({ reader: 0 }));
vi.mock('./input-file-reader.js', async (original) => {
  loaded.reader++;
  return await original();
});

const dir = mkdtempSync(join(tmpdir(), 'early-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inputFileBeforeParsing', () => {
  it('finds the one positional, skipping option values', () => {
    expect(inputFileBeforeParsing(['-q', '-p', '9002', '-c', 'null', '-G', 'bench', '-o', 'out.h5', 'in.h5'])).toBe('in.h5');
    expect(inputFileBeforeParsing(['in.h5', '--config', 'x', '--outfile=o.h5', '-w'])).toBe('in.h5');
    expect(inputFileBeforeParsing(['-a', 'host', '--', '-odd-name.h5'])).toBe('-odd-name.h5');
  });
  it('gives up when none or several positionals', () => {
    expect(inputFileBeforeParsing(['-c', 'null'])).toBeUndefined();
    expect(inputFileBeforeParsing(['a.h5', 'b.h5'])).toBeUndefined();
    // an option value is not taken for the input
    expect(inputFileBeforeParsing(['-o', 'out.h5'])).toBeUndefined();
  });
});

describe('openLargeInput', () => {
  // a stand-in for the reader worker's script: it answers with an error, as the worker does for a file it cannot read
  const entry = join(dir, 'stand-in-reader.mjs');
  writeFileSync(entry, "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ t: 'error', message: 'stand-in reader' });\n");

  it("hands a file of mrd-core's writer's layout to the worker without loading the reading code on this thread", async () => {
    const path = join(dir, 'w.h5');
    const w = await MrdWriter.create(path, { group: 'dataset' });
    await w.appendAcquisitions(Array.from({ length: 10 }, () => createAcquisition({ head: { number_of_samples: 64, active_channels: 2 } })));
    await w.close();
    await expect(openLargeInput(path, entry)).rejects.toThrow('stand-in reader');
    await expect(openLargeInput(join(dir, 'missing.h5'), entry)).rejects.toThrow('stand-in reader');
    expect(loaded.reader).toBe(0);
  });

  it('reads an ISMRMRD C library file on this thread', async () => {
    const src = await openLargeInput(reference('inputs/cpp_phantom_m64_c4_noise_traj.h5'), entry);
    try {
      expect(src.reader.thread).toBe('main');
      expect(loaded.reader).toBe(1);
    } finally {
      await src.close();
    }
  });
});
