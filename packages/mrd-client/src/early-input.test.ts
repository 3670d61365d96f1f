/**
 * early-input.ts: the input file found before parsing, and `openLargeInput`'s choice of reader:
 * on this thread for the ISMRMRD C library's layout, else the worker, decided before the reading
 * code (input-file-reader.ts) is loaded, which a file of another layout never loads here; and
 * when it says it has started (cli.ts loads the command line then): the first reads queued, or
 * the worker started.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { createAcquisition } from '@mrd-tools/core/messages';
import { reference } from '@mrd-tools/core/testing';
import { WORKER_READ_MIN_BYTES, inputFileBeforeParsing, openLargeInput, startInputReaderEarly } from './early-input.js';

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

  it("says it has started once the file's first reads are queued on libuv's pool, before it is ready (read on this thread)", async () => {
    let pending: string[] | null = null;
    const opening = openLargeInput(reference('inputs/cpp_phantom_m64_c4_noise_traj.h5'), entry, () => {
      pending = process.getActiveResourcesInfo();
    });
    const src = await opening;
    try {
      expect(src.reader.thread).toBe('main');
      // (fs requests whose callbacks have not run yet: the read-ahead's readv calls)
      expect(pending, 'started').not.toBeNull();
      expect(pending!.filter((r) => r === 'FSReqCallback').length).toBeGreaterThan(0);
    } finally {
      await src.close();
    }
  });

  it('says it has started once the worker is started, before the worker answers', async () => {
    const events: string[] = [];
    const opening = openLargeInput(join(dir, 'missing.h5'), entry, () => events.push('started'));
    await expect(opening.catch((e: Error) => (events.push('answered'), Promise.reject(e)))).rejects.toThrow('stand-in reader');
    expect(events).toEqual(['started', 'answered']);
  });

  it('startInputReaderEarly: `started` settles, without rejecting, also for a large file that does not open', async () => {
    const junk = join(dir, 'junk.h5');
    writeFileSync(junk, '');
    truncateSync(junk, WORKER_READ_MIN_BYTES); // (sparse: zeros, no HDF5 signature)
    const early = startInputReaderEarly(junk, entry);
    expect(early).not.toBeNull();
    await expect(early!.started).resolves.toBeUndefined();
    await expect(early!.source).rejects.toThrow('stand-in reader');
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
