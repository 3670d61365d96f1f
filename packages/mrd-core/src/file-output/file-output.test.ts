/**
 * The shared output-file helper: atomic writes that never replace what is there unless asked,
 * and one-line errors that name the file and say why in words. Full disk and read-only folders
 * are injected in-process (simulateFullDisk / simulateReadOnlyFolder), so these run anywhere;
 * tests/e2e/tools-full-disk.test.ts uses a real tmpfs where mounting is permitted.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { simulateFullDisk, simulateReadOnlyFolder } from '../testing/simulated-disk.js';
import { MrdWriter } from '../hdf5/writer/index.js';
import { occupyNextTemporaryName } from '../testing/taken-temporary-name.js';
import { checkOutputPath, createTemporaryFile, OutputFileError, outputError, prepareOutputFolder, removeCreatedFolders, temporaryNameFor, writeFileAtomic } from './index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mrd-file-output-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prepareOutputFolder / removeCreatedFolders', () => {
  it('removes only the empty folders the run created, innermost first', async () => {
    const base = join(dir, 'created');
    mkdirSync(base);
    const made = await prepareOutputFolder(join(base, 'a', 'b', 'c'));
    expect(made.first).toBe(join(base, 'a'));
    writeFileSync(join(base, 'a', 'keep.txt'), 'x');
    await removeCreatedFolders(made);
    expect(readdirSync(join(base, 'a'))).toEqual(['keep.txt']); // a holds a file: stays; b and c went
    const again = await prepareOutputFolder(join(base, 'a'));
    expect(again.first).toBeUndefined(); // already there: nothing to undo
    await removeCreatedFolders(again);
    expect(existsSync(join(base, 'a', 'keep.txt'))).toBe(true);
    const empty = await prepareOutputFolder(join(base, 'x', 'y'));
    await removeCreatedFolders(empty);
    expect(readdirSync(base)).toEqual(['a']);
  });
});

describe('writeFileAtomic', () => {
  it('writes a new file and keeps an existing one unless asked to replace it', async () => {
    const sub = mkdtempSync(join(dir, 'w-'));
    const p = join(sub, 'a.bin');
    await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    await expect(writeFileAtomic(p, 'other')).rejects.toThrow(`cannot write ${p}: file exists`);
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    await writeFileAtomic(p, 'other', { overwrite: true });
    expect(readFileSync(p, 'utf8')).toBe('other');
    expect(readdirSync(sub)).toEqual(['a.bin']);
  });

  it('on a full disk: one line naming the file, nothing left behind, the old file intact', async () => {
    const sub = mkdtempSync(join(dir, 'full-'));
    const p = join(sub, 'big.gif');
    writeFileSync(join(sub, 'kept.gif'), 'old');
    const disk = simulateFullDisk(sub, 1000);
    try {
      const err = await writeFileAtomic(p, new Uint8Array(5000)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutputFileError);
      expect((err as Error).message).toBe(`cannot write ${p}: no space left on device`);
      const err2 = await writeFileAtomic(join(sub, 'kept.gif'), new Uint8Array(5000), { overwrite: true }).catch((e: unknown) => e);
      expect((err2 as OutputFileError).code).toBe('ENOSPC');
    } finally {
      disk.uninstall();
    }
    expect(readdirSync(sub)).toEqual(['kept.gif']);
    expect(readFileSync(join(sub, 'kept.gif'), 'utf8')).toBe('old');
  });
});

describe('read-only output folders', () => {
  it('are reported as read-only, not as ENOENT from mkdir', async () => {
    const ro = mkdtempSync(join(dir, 'ro-'));
    mkdirSync(join(ro, 'existing'));
    const disk = simulateReadOnlyFolder(ro);
    try {
      await expect(prepareOutputFolder(join(ro, 'new', 'deeper'))).rejects.toThrow(`cannot write ${join(ro, 'new', 'deeper')}: folder ${ro} is read-only`);
      await expect(prepareOutputFolder(join(ro, 'existing'))).rejects.toThrow(/existing is read-only/);
      await expect(checkOutputPath(join(ro, 'x.h5'))).rejects.toThrow(`cannot write ${join(ro, 'x.h5')}: folder ${ro} is read-only`);
      await expect(writeFileAtomic(join(ro, 'x.dcm'), 'x')).rejects.toThrow(`cannot write ${join(ro, 'x.dcm')}: folder ${ro} is read-only`);
    } finally {
      disk.uninstall();
    }
    expect(existsSync(join(ro, 'new'))).toBe(false);
  });

  it('a missing folder is named as missing; a file in the way as not a folder', async () => {
    const sub = mkdtempSync(join(dir, 'missing-'));
    await expect(checkOutputPath(join(sub, 'nope', 'x.h5'))).rejects.toThrow(`folder ${join(sub, 'nope')} does not exist`);
    writeFileSync(join(sub, 'file'), '');
    await expect(prepareOutputFolder(join(sub, 'file', 'sub'))).rejects.toThrow(`${join(sub, 'file')} is not a folder`);
    await checkOutputPath(join(sub, 'made', 'x.h5'), { createFolder: true });
    expect(existsSync(join(sub, 'made'))).toBe(true);
  });
});

describe('outputError', () => {
  it('says what a system error means, without the code and syscall jargon', () => {
    const e = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC' });
    expect(outputError('ph.h5', e).message).toBe('cannot write ph.h5: no space left on device');
    const q = Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
    expect(outputError('a/b.h5', q).message).toBe('cannot write a/b.h5: disk quota exceeded');
    expect(outputError('x', new Error("EWHAT: odd thing, open 'x'")).message).toBe('cannot write x: odd thing');
  });
});

describe('temporary files', () => {
  it('names differ from draw to draw and sit beside the output, hidden', () => {
    const p = join(dir, 'out.h5');
    const names = new Set(Array.from({ length: 50 }, () => temporaryNameFor(p)));
    expect(names.size).toBe(50);
    for (const n of names) {
      expect(dirname(n)).toBe(dir);
      expect(basename(n)).toMatch(new RegExp(`^\\.out\\.h5\\.${process.pid}\\.[0-9a-z.]+\\.tmp$`));
    }
  });

  it('createTemporaryFile never opens a name that is taken: it draws another', async () => {
    const sub = mkdtempSync(join(dir, 'tmpname-'));
    const p = join(sub, 'out.h5');
    const { taken, restore } = occupyNextTemporaryName(p);
    onTestFinished(restore);
    const { tmp, fh } = await createTemporaryFile(p, 'wx+');
    await fh.writeFile('mine');
    await fh.close();
    expect(tmp).not.toBe(taken);
    expect(readFileSync(taken, 'utf8')).toBe('not yours');
    expect(readFileSync(tmp, 'utf8')).toBe('mine');
  });

  it('writeFileAtomic leaves a file that has the drawn temporary name alone', async () => {
    const sub = mkdtempSync(join(dir, 'tmpname-'));
    const p = join(sub, 'a.gif');
    const { taken, restore } = occupyNextTemporaryName(p);
    onTestFinished(restore);
    await writeFileAtomic(p, 'result');
    expect(readFileSync(p, 'utf8')).toBe('result');
    expect(readFileSync(taken, 'utf8')).toBe('not yours');
    expect(readdirSync(sub).sort()).toEqual([taken.slice(sub.length + 1), 'a.gif'].sort());
  });

  it("the HDF5 writer's new file leaves a file that has the drawn temporary name alone", async () => {
    const sub = mkdtempSync(join(dir, 'tmpname-'));
    const p = join(sub, 'r.h5');
    const { taken, restore } = occupyNextTemporaryName(p);
    onTestFinished(restore);
    const w = await MrdWriter.create(p, { group: 'g' });
    await w.writeHeader('<ismrmrdHeader/>');
    await w.close();
    expect(readFileSync(taken, 'utf8')).toBe('not yours');
    expect(readFileSync(p).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(readdirSync(sub).sort()).toEqual([taken.slice(sub.length + 1), 'r.h5'].sort());
  });
});
