import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCflHeader, readCfl, writeCfl } from './cfl.js';
import { Bart, BartNotFoundError, adaptBartArgs, parseBartVersion, splitBartCommand } from './runner.js';

let dir = '';
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'cfl-test-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('cfl/hdr', () => {
  it('round-trips column-major complex data and writes BART\'s 16-dimension header', async () => {
    const data = Float32Array.from({ length: 2 * 2 * 3 * 4 }, (_, i) => i * 0.5 - 3);
    await writeCfl(join(dir, 'a'), [2, 3, 1, 4], data);
    expect(await readFile(join(dir, 'a.hdr'), 'utf8')).toBe('# Dimensions\n2 3 1 4 1 1 1 1 1 1 1 1 1 1 1 1 \n');
    const back = await readCfl(join(dir, 'a'));
    expect(back.dims).toEqual([2, 3, 1, 4]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect((await readFile(join(dir, 'a.cfl'))).byteLength).toBe(8 * 24);
  });
  it('reads the little-endian float32 pairs as BART writes them', async () => {
    const buf = Buffer.alloc(16);
    buf.writeFloatLE(1.5, 0); buf.writeFloatLE(-2, 4); buf.writeFloatLE(3, 8); buf.writeFloatLE(0.25, 12);
    await writeFile(join(dir, 'b.cfl'), buf);
    await writeFile(join(dir, 'b.hdr'), '# Dimensions\n2 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n');
    const b = await readCfl(join(dir, 'b'));
    expect(b.dims).toEqual([2]);
    expect(Array.from(b.data)).toEqual([1.5, -2, 3, 0.25]);
  });
  it('names the file when sizes or headers are wrong', async () => {
    await writeFile(join(dir, 'c.cfl'), Buffer.alloc(8));
    await writeFile(join(dir, 'c.hdr'), '# Dimensions\n2 2\n');
    await expect(readCfl(join(dir, 'c'))).rejects.toThrow(/c\.cfl: 8 bytes, the header's 2x2 needs 32/);
    expect(() => parseCflHeader('nothing', 'x.hdr')).toThrow(/x\.hdr: no "# Dimensions"/);
    await expect(writeCfl(join(dir, 'd'), [2, 2], new Float32Array(4))).rejects.toThrow(/2 values for dimensions 2x2/);
  });
});

describe('BART version adaptation', () => {
  const v08 = parseBartVersion('v0.8.00\n');
  const v09 = parseBartVersion('v0.9.00-45-g1234abc');
  it('parses release and git-describe versions', () => {
    expect([v08.major, v08.minor, v08.patch]).toEqual([0, 8, 0]);
    expect([v09.major, v09.minor]).toEqual([0, 9]);
    expect(() => parseBartVersion('nonsense')).toThrow(/unrecognised BART version/);
  });
  it('drops -x and -g from the reference nlinv for 0.8, keeps -x for 0.9', () => {
    const { tool, args } = splitBartCommand('nlinv -a 32 -b 16 -S -d4 -i13 -x 32:32:1 -t');
    expect(adaptBartArgs(tool, args, v08)).toEqual(['-a', '32', '-b', '16', '-S', '-d4', '-i13', '-t']);
    expect(adaptBartArgs(tool, args, v09)).toEqual(['-a', '32', '-b', '16', '-S', '-d4', '-i13', '-x', '32:32:1', '-t']);
  });
  it('drops -g and -x from nufft, only -g from pics', () => {
    const n = splitBartCommand('nufft -g -x 64:64:1 -a');
    expect(adaptBartArgs(n.tool, n.args, v08)).toEqual(['-a']);
    const p = splitBartCommand('pics -g -m -w 2.5 -e -S -R T:1024:1024:0.8 -d 4 -i 20 -t');
    expect(adaptBartArgs(p.tool, p.args, v08)).toEqual(['-m', '-w', '2.5', '-e', '-S', '-R', 'T:1024:1024:0.8', '-d', '4', '-i', '20', '-t']);
  });
});

describe('Bart.locate', () => {
  it('without bart anywhere: an error saying how to install it', async () => {
    const path = process.env.PATH, tb = process.env.BART_TOOLBOX_PATH;
    process.env.PATH = dir;
    delete process.env.BART_TOOLBOX_PATH;
    try {
      const err = await Bart.locate(join(dir, 'nowhere')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BartNotFoundError);
      expect(String((err as Error).message)).toMatch(/BART executable not found .*nowhere\/bart.*apt-get install bart.*BART_TOOLBOX_PATH/);
    } finally {
      process.env.PATH = path;
      if (tb !== undefined) process.env.BART_TOOLBOX_PATH = tb;
    }
  });
});
