/**
 * The built tools fail cleanly and leave nothing broken (issue 13, section 5):
 * - on a full disk every tool that writes a file (mrd-phantom, its spiral mode and metafile,
 *   dicom2mrd, mrd2dicom, mrd2gif) exits 1 with one line naming the file, leaves no partial file
 *   (no temporary file either), and a file the user had (appended to, or an earlier preview) is
 *   byte for byte as it was;
 * - a read-only output folder is reported as read-only (never `ENOENT: mkdir`), by every tool;
 * - an image declaring enormous dimensions gives one error line, no WebAssembly runtime lines.
 *
 * The full disk is a real 512 KiB tmpfs and the read-only folder a tmpfs remounted read-only
 * when this process may mount (root, and mount permitted); otherwise both are simulated inside the
 * tool processes (`--import` of a preload built from @mrd-tools/core/testing simulated-disk,
 * which makes writes fail with ENOSPC past the same byte budget, or EROFS). `disk.kind` says which
 * was used; both give the tools the same errors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, type Image } from '@mrd-tools/core/messages';
import { DataType } from '@mrd-tools/core/constants';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { repoRoot, writeImageFileDeclaring } from '@mrd-tools/core/testing';
import { syntheticMr } from '@mrd-tools/dicom2mrd/testing';

const root = repoRoot();
const CLI: Record<string, string> = {
  'mrd-phantom': join(root, 'packages/phantom-gen/dist/cli.js'),
  dicom2mrd: join(root, 'packages/dicom2mrd/dist/cli.js'),
  mrd2dicom: join(root, 'packages/mrd2dicom/dist/cli.js'),
  mrd2gif: join(root, 'packages/mrd2gif/dist/cli.js'),
  'mrd-client': join(root, 'packages/mrd-client/dist/cli.js'),
  'mrd-server': join(root, 'packages/mrd-server/dist/cli.js'),
};
const CAPACITY = 512 * 1024;

const work = mkdtempSync(join(tmpdir(), 'mrd-fail-cleanly-'));

/** A folder that is a full-able disk or a read-only one: real (tmpfs) or simulated in the tools. */
interface TestDisk {
  kind: 'tmpfs' | 'simulated';
  dir: string;
  /** extra node arguments and environment for a tool process writing there */
  node: string[];
  env: NodeJS.ProcessEnv;
}

function tryMount(dir: string, readOnly: boolean): boolean {
  // MRD_TEST_SIMULATED_DISK_ONLY=1 runs the simulated variant even where mounting works
  if (process.getuid?.() !== 0 || process.env.MRD_TEST_SIMULATED_DISK_ONLY === '1') return false;
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${CAPACITY}`, 'tmpfs', dir]).status !== 0) return false;
  if (readOnly && spawnSync('mount', ['-o', 'remount,ro', dir]).status !== 0) {
    spawnSync('umount', [dir]);
    return false;
  }
  return true;
}

let preload: string | undefined;
function simulatedPreload(): string {
  if (preload) return preload;
  const entry = join(work, 'simulated-disk-preload.ts');
  writeFileSync(entry, [
    `import { simulateFullDisk, simulateReadOnlyFolder } from ${JSON.stringify(join(root, 'packages/mrd-core/src/testing/simulated-disk.ts'))};`,
    'const s = JSON.parse(process.env.MRD_TEST_SIMULATED_DISK ?? "null");',
    'if (s?.kind === "full") simulateFullDisk(s.dir, s.capacity);',
    'if (s?.kind === "readonly") simulateReadOnlyFolder(s.dir);',
  ].join('\n'));
  preload = join(work, 'simulated-disk-preload.mjs');
  buildSync({ entryPoints: [entry], outfile: preload, bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
  return preload;
}

function makeDisk(name: string, readOnly: boolean, prepare?: (dir: string) => void): TestDisk {
  const dir = join(work, name);
  mkdirSync(dir);
  if (tryMount(dir, false)) {
    mounted.push(dir);
    prepare?.(dir);
    if (readOnly && spawnSync('mount', ['-o', 'remount,ro', dir]).status !== 0) throw new Error(`cannot remount ${dir} read-only`);
    return { kind: 'tmpfs', dir, node: [], env: {} };
  }
  prepare?.(dir);
  const sim = readOnly ? { kind: 'readonly', dir } : { kind: 'full', dir, capacity: CAPACITY };
  return { kind: 'simulated', dir, node: ['--import', simulatedPreload()], env: { MRD_TEST_SIMULATED_DISK: JSON.stringify(sim) } };
}

function run(tool: string, args: string[], disk?: TestDisk, cwd = work) {
  const r = spawnSync(process.execPath, [...(disk?.node ?? []), CLI[tool]!, ...args], {
    cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...disk?.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Everything under `dir`, recursively (relative paths), so leftovers of any kind show. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'lost+found') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

async function writeImages(path: string, images: Image[]): Promise<void> {
  const w = await MrdWriter.create(path, { overwrite: true });
  await w.writeHeader('<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions><encoding><encodedSpace><matrixSize><x>128</x><y>128</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>240</y><z>5</z></fieldOfView_mm></encodedSpace><reconSpace><matrixSize><x>128</x><y>128</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>240</y><z>5</z></fieldOfView_mm></reconSpace><encodingLimits/><trajectory>cartesian</trajectory></encoding></ismrmrdHeader>');
  await w.appendImages(images);
  await w.close();
}

/** `n` noisy m x m images (noise so that GIF and DICOM outputs exceed the disk). */
function noisyImages(n: number, m: number): Image[] {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => {
    const data = new Uint16Array(m * m);
    for (let k = 0; k < data.length; k++) data[k] = Math.floor(rnd() * 4000);
    return createImage({ matrixSize: [m, m, 1], data, head: { data_type: DataType.USHORT, image_index: i, field_of_view: [240, 240, 5] } });
  });
}

const mounted: string[] = [];
afterAll(() => {
  for (const d of mounted) spawnSync('umount', [d]);
  rmSync(work, { recursive: true, force: true });
});

const images = join(work, 'images.h5');
const smallImages = join(work, 'small-images.h5');
const dicoms = join(work, 'dicoms');
beforeAll(async () => {
  for (const t of Object.values(CLI)) if (!existsSync(t)) throw new Error(`${t} is missing: run "node scripts/build.mjs" first`);
  await writeImages(images, noisyImages(48, 128));
  await writeImages(smallImages, noisyImages(10, 96));
  mkdirSync(dicoms);
  for (let i = 1; i <= 60; i++) writeFileSync(join(dicoms, `i${i}.dcm`), syntheticMr({ seriesNumber: 1, instanceNumber: i, rows: 96, cols: 96 }));
});

describe('on a full disk', () => {
  let disk: TestDisk;
  beforeAll(() => {
    disk = makeDisk('full', false);
    console.log(`full disk: ${disk.kind === 'tmpfs' ? `a real ${CAPACITY / 1024} KiB tmpfs` : `simulated in the tool processes (ENOSPC past ${CAPACITY} bytes; mounting a tmpfs was not permitted)`}`);
  });

  it('mrd-phantom: one line naming the file, nothing left behind', () => {
    const r = run('mrd-phantom', ['-o', 'ph.h5', '-q'], disk, disk.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('mrd-phantom: cannot write ph.h5: no space left on device\n');
    expect(listing(disk.dir)).toEqual([]);
  });

  it('mrd-phantom appending to a file the user has: the file stays byte for byte as it was', () => {
    const first = run('mrd-phantom', ['-o', 'have.h5', '-m', '16', '-c', '2', '--seed', '1', '-q'], disk, disk.dir);
    expect(first.status, first.stderr).toBe(0);
    const before = readFileSync(join(disk.dir, 'have.h5'));
    const r = run('mrd-phantom', ['-o', 'have.h5', '-m', '16', '-c', '2', '-r', '200', '--seed', '2', '-q'], disk, disk.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('mrd-phantom: cannot write have.h5: no space left on device\n');
    expect(readFileSync(join(disk.dir, 'have.h5')).equals(before)).toBe(true);
    // and --force replacing it: the old file is kept until the new one is complete
    const f = run('mrd-phantom', ['-o', 'have.h5', '--force', '-q'], disk, disk.dir);
    expect(f.status).toBe(1);
    expect(readFileSync(join(disk.dir, 'have.h5')).equals(before)).toBe(true);
    expect(listing(disk.dir)).toEqual(['have.h5']);
    rmSync(join(disk.dir, 'have.h5'));
  });

  it('mrd-phantom --trajectory spiral: neither the MRD file nor its metafile is left', () => {
    const r = run('mrd-phantom', ['--trajectory', 'spiral', '-o', 'sp.h5', '-q'], disk, disk.dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('mrd-phantom: cannot write ' + join(disk.dir, 'sp.h5') + ': no space left on device\n');
    expect(listing(disk.dir)).toEqual([]);
  });

  it('dicom2mrd: one line naming the file, no file left', () => {
    const r = run('dicom2mrd', ['-q', '-o', join(disk.dir, 'd.h5'), dicoms], disk);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`dicom2mrd: cannot write ${join(disk.dir, 'd.h5')}: no space left on device\n`);
    expect(listing(disk.dir)).toEqual([]);
  });

  it('mrd2dicom: the error names the file; every DICOM left is complete', () => {
    const out = join(disk.dir, 'dcm');
    const r = run('mrd2dicom', ['-q', '-o', out, images], disk);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^mrd2dicom: cannot write ${out}/00__\\d{3}\\.dcm: no space left on device \\(\\d+ complete file\\(s\\) written to ${out} before the failure\\)\\n$`));
    const left = listing(out);
    expect(left.every((f) => /^00__\d{3}\.dcm$/.test(f))).toBe(true);
    for (const f of left) expect(readFileSync(join(out, f)).subarray(128, 132).toString('latin1')).toBe('DICM');
    const sizes = new Set(left.map((f) => readFileSync(join(out, f)).length));
    expect(sizes.size).toBeLessThanOrEqual(2); // equal but for UID lengths: none truncated
    rmSync(out, { recursive: true });
  });

  it('mrd2gif: the error names the preview; an earlier preview is kept whole', () => {
    // mrd2gif writes beside the input as named: a link on the small disk to the input outside it
    const input = join(disk.dir, 'img.h5');
    symlinkSync(smallImages, input);
    const gif = join(disk.dir, 'img_dataset_image_0.gif');
    writeFileSync(gif, 'earlier preview');
    const r = run('mrd2gif', ['-q', '-r', '4', input], disk);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mrd2gif: cannot write ${gif}: no space left on device\n`);
    expect(readFileSync(gif, 'utf8')).toBe('earlier preview');
    expect(listing(disk.dir)).toEqual(['img.h5', 'img_dataset_image_0.gif']);
  });
});

describe('a read-only output folder is reported as read-only', () => {
  let ro: TestDisk;
  beforeAll(() => {
    ro = makeDisk('ro', true, (dir) => {
      mkdirSync(join(dir, 'existing'));
      symlinkSync(smallImages, join(dir, 'img.h5'));
    });
    console.log(`read-only folder: ${ro.kind === 'tmpfs' ? 'a tmpfs remounted read-only' : 'simulated in the tool processes (EROFS; mounting was not permitted)'}`);
  });

  it.each([
    ['mrd-phantom', () => ['-q', '-m', '16', '-o', join(ro.dir, 'ph.h5')], () => join(ro.dir, 'ph.h5')],
    ['mrd-phantom', () => ['-q', '--trajectory', 'spiral', '-o', join(ro.dir, 'sp.h5')], () => join(ro.dir, 'sp.h5')],
    ['dicom2mrd', () => ['-q', '-o', join(ro.dir, 'd.h5'), dicoms], () => join(ro.dir, 'd.h5')],
    ['mrd2dicom', () => ['-q', '-o', join(ro.dir, 'new', 'sub'), images], () => join(ro.dir, 'new', 'sub')],
    ['mrd2dicom', () => ['-q', '-o', join(ro.dir, 'existing'), images], () => join(ro.dir, 'existing')],
    ['mrd2gif', () => ['-q', join(ro.dir, 'img.h5')], () => ro.dir],
    ['mrd-client', () => ['-q', '-p', '1', '-o', join(ro.dir, 'out.h5'), images], () => join(ro.dir, 'out.h5')],
    ['mrd-client', () => ['-q', '-p', '1', '-l', join(ro.dir, 'a', 'log.txt'), '-o', join(work, 'never.h5'), images], () => join(ro.dir, 'a', 'log.txt')],
    ['mrd-server', () => ['-p', '0', '-l', join(ro.dir, 'x', 'log.txt')], () => join(ro.dir, 'x', 'log.txt')],
  ])('%s (case %#)', (tool, args, named) => {
    const r = run(tool, args(), ro);
    expect(r.status, r.stderr).toBe(1);
    const line = r.stderr.trimEnd().split('\n').pop()!;
    expect(line).toMatch(new RegExp(`^${tool}: cannot write ${named()}: folder ${ro.dir}(/existing)? is read-only$`));
    expect(r.stderr).not.toMatch(/ENOENT|EROFS|mkdir/);
  });
});

describe('an image declaring enormous dimensions', () => {
  it.each([['mrd2gif', 40000], ['mrd2dicom', 40000], ['mrd2gif', 32700]])('%s on an image declaring %i pixels square: one error line, no WebAssembly runtime lines', async (tool, n) => {
    const path = join(work, `huge-${n}.h5`);
    await writeImageFileDeclaring(path, n, n);
    const r = run(tool, ['-q', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/Cannot enlarge memory/);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${tool}: ${path}: /dataset/image_0/data\\[0:1\\]: read failed: one record of .* GB \\(dataset shape 1x1x1x${n}x${n}\\) is too large for the HDF5 reader`));
  }, 120_000);
});
