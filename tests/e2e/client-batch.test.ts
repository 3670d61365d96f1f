/**
 * mrd-client batch reprocessing, end to end on the built client and server: a folder of inputs
 * with --jobs (every output equal to the single-input output), the summary and exit status,
 * --skip-existing, a failed input named, retries of a session whose server was killed in the
 * middle of it (through a forwarder that sends the next connection elsewhere, as a balancer
 * would), retries after "server busy", no retry after a module's ERROR, usage errors.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { Image } from '@mrd-tools/core/messages';
import { reference, repoRoot } from '@mrd-tools/core/testing';
import { compareImages, runClient, startServer, tempDir, type RunningServer } from './server-harness.js';

const phantomCli = join(repoRoot(), 'packages/phantom-gen/dist/cli.js');
const SUMMARY = /Batch of (\d+) inputs done in [\d.]+ s: (\d+) ok, (\d+) failed, (\d+) skipped; [\d.]+ MB of input reconstructed \([\d.]+ MB\/s\)/;

async function imagesOf(path: string, group: string): Promise<Image[]> {
  const f = await MrdFile.open(path);
  try {
    const out: Image[] = [];
    for (const s of f.imageSeries(group)) for await (const img of f.images(group, s)) out.push(img);
    return out;
  } finally {
    f.close();
  }
}

let root: string;
let inputs: string;
const servers: RunningServer[] = [];
let modules: string;

beforeAll(() => {
  root = tempDir('mrd-batch-');
  inputs = join(root, 'in');
  mkdirSync(inputs);
  for (let i = 1; i <= 6; i++) {
    const r = spawnSync(process.execPath, [phantomCli, '-o', join(inputs, `p0${i}.h5`), '-m', '32', '-c', '2', '--seed', String(i)], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  modules = join(root, 'modules');
  mkdirSync(modules);
  // drains the input, then takes its time: a session that is in flight for a while
  writeFileSync(join(modules, 'slow.js'), 'export async function process(conn) { for await (const m of conn) { void m; } await new Promise((r) => setTimeout(r, 1200)); }\n');
  writeFileSync(join(modules, 'boom.js'), 'export async function process() { throw new Error("this module always fails"); }\n');
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  rmSync(root, { recursive: true, force: true });
});

async function server(args: string[] = []): Promise<RunningServer> {
  const s = await startServer(['--modules-dir', modules, ...args]);
  servers.push(s);
  return s;
}

describe('mrd-client batch', () => {
  it('a folder with --jobs 3: one output per input, each equal to the single-input output; one summary; exit 0', async () => {
    const s = await server();
    const ref = join(root, 'ref');
    mkdirSync(ref);
    for (const f of readdirSync(inputs)) {
      const r = await runClient(['-p', String(s.port), '-G', 'res', '-o', join(ref, f), join(inputs, f)]);
      expect(r.code, r.out).toBe(0);
    }
    const out = join(root, 'out');
    const r = await runClient(['-p', String(s.port), '-G', 'res', '--jobs', '3', '-o', out, inputs]);
    expect(r.code, r.out).toBe(0);
    expect(SUMMARY.exec(r.out)?.slice(1)).toEqual(['6', '6', '0', '0']);
    expect(r.out.match(new RegExp(SUMMARY.source, 'g'))).toHaveLength(1);
    expect(readdirSync(out).sort()).toEqual(readdirSync(inputs).sort()); // no temporary file left
    for (const f of readdirSync(inputs)) {
      const [a, b] = [await imagesOf(join(out, f), 'res'), await imagesOf(join(ref, f), 'res')];
      expect(a.length).toBeGreaterThan(0);
      expect(a.length).toBe(b.length);
      a.forEach((img, i) => expect(compareImages(img, b[i]!, `${f} image ${i}`)).toEqual([]));
    }

    // --skip-existing: only the missing output is made again
    rmSync(join(out, 'p02.h5'));
    const again = await runClient(['-p', String(s.port), '-G', 'res', '--jobs', '3', '--skip-existing', '-o', out, inputs]);
    expect(again.code, again.out).toBe(0);
    expect(SUMMARY.exec(again.out)?.slice(1)).toEqual(['6', '1', '0', '5']);
    expect(again.out).toMatch(/p01\.h5: skipped: .*p01\.h5 is complete \(group 'res'\)/);
    expect(again.out).toMatch(/p02\.h5: ok -> /);
    // without it, an output that has the group already is not touched, and the input fails
    const clash = await runClient(['-p', String(s.port), '-G', 'res', '-o', out, join(inputs, 'p01.h5'), join(inputs, 'p02.h5')]);
    expect(clash.code).toBe(1);
    expect(clash.out).toMatch(/p01\.h5: failed: .*already has a group 'res': remove that file or choose another -G \(or --skip-existing\)/);
  });

  it('names the inputs that failed and exits 1; the others complete', async () => {
    const s = await server();
    const mixed = join(root, 'mixed');
    mkdirSync(mixed);
    for (const f of ['p01.h5', 'p02.h5']) writeFileSync(join(mixed, f), readFileSync(join(inputs, f)));
    writeFileSync(join(mixed, 'bad.h5'), 'not an HDF5 file\n');
    const r = await runClient(['-p', String(s.port), '--jobs', '2', '-o', join(root, 'mixed-out'), mixed]);
    expect(r.code).toBe(1);
    expect(SUMMARY.exec(r.out)?.slice(1)).toEqual(['3', '2', '1', '0']);
    expect(r.out).toMatch(/bad\.h5: failed: Not a valid dataset/);
    expect(r.out).toContain('mrd-client: 1 of 3 inputs failed: bad.h5');
  });

  it('retries a session whose server was killed in the middle of it, on another server, and ends complete', async () => {
    const a = await server();
    const b = await server();
    // a balancer stand-in: the first connection goes to A, the next ones to B
    let n = 0;
    const routed: Socket[] = [];
    const fwd: Server = createServer((c) => {
      const target = connect({ host: '127.0.0.1', port: n++ === 0 ? a.port : b.port });
      routed.push(c, target);
      c.pipe(target).pipe(c);
      const end = () => { c.destroy(); target.destroy(); };
      c.on('error', end);
      target.on('error', end);
      c.on('close', end);
      target.on('close', end);
    });
    await new Promise<void>((r) => fwd.listen(0, '127.0.0.1', () => r()));
    const port = (fwd.address() as { port: number }).port;
    const killer = (async () => {
      while (n === 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 500));
      a.proc.kill('SIGKILL');
    })();
    const out = join(root, 'retry-out');
    const r = await runClient(['-p', String(port), '-c', 'slow', '-G', 'res', '--jobs', '1', '-o', out, join(inputs, 'p01.h5'), join(inputs, 'p02.h5')]);
    await killer;
    fwd.close();
    for (const s of routed) s.destroy();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/p01\.h5: the server went away before CLOSE; new session in 0\.2 s \(retry 1 of 2\)/);
    expect(SUMMARY.exec(r.out)?.slice(1)).toEqual(['2', '2', '0', '0']);
    expect(r.out).toMatch(/; 1 session retried/);
    expect(readdirSync(out).sort()).toEqual(['p01.h5', 'p02.h5']);
    const f = await MrdFile.open(join(out, 'p01.h5'));
    try {
      expect(f.groups()).toEqual(['res']);
      expect(f.readText('res', 'incomplete')).toBeUndefined();
    } finally {
      f.close();
    }
  });

  it('retries "server busy" after a backoff; never retries a session that ended with the module\'s ERROR', async () => {
    const s = await server(['--max-sessions', '1']);
    const busy = await runClient(['-p', String(s.port), '-c', 'slow', '--jobs', '2', '-o', join(root, 'busy-out'), join(inputs, 'p01.h5'), join(inputs, 'p02.h5')]);
    expect(busy.code, busy.out).toBe(0);
    expect(busy.out).toMatch(/p0[12]\.h5: server busy: .*; new session in \d\.\d s \(refused 1 time\)/);
    expect(SUMMARY.exec(busy.out)?.slice(1)).toEqual(['2', '2', '0', '0']);
    const boom = await runClient(['-p', String(s.port), '-c', 'boom', '-o', join(root, 'boom-out'), join(inputs, 'p01.h5'), join(inputs, 'p02.h5')]);
    expect(boom.code).toBe(1);
    expect(boom.out).not.toMatch(/retry/);
    expect(boom.out).toMatch(/p01\.h5: failed: the server reported 1 error\(s\): boom: this module always fails/);
    expect(boom.out).toContain('mrd-client: 2 of 2 inputs failed: p01.h5, p02.h5');
  });

  it('an MRD v2 input gets an MRD v2 output (the bytes of a single-input run), an MRD v1 input HDF5; an existing v2 output is kept: failed, or skipped with --skip-existing', async () => {
    const s = await server();
    const gens = join(root, 'generations');
    mkdirSync(gens);
    copyFileSync(reference('mrd-v2/phantom_m64_c4_r2_n0.mrd'), join(gens, 'scan.mrd'));
    copyFileSync(join(inputs, 'p01.h5'), join(gens, 'p01.h5'));
    const single = join(root, 'single.mrd');
    const one = await runClient(['-p', String(s.port), '-o', single, join(gens, 'scan.mrd')]);
    expect(one.code, one.out).toBe(0);
    const out = join(root, 'generations-out');
    const r = await runClient(['-p', String(s.port), '-G', 'res', '--jobs', '2', '-o', out, gens]);
    expect(r.code, r.out).toBe(0);
    expect(SUMMARY.exec(r.out)?.slice(1)).toEqual(['2', '2', '0', '0']);
    expect(readdirSync(out).sort()).toEqual(['p01.h5', 'scan.mrd']);
    expect(readFileSync(join(out, 'scan.mrd')).subarray(0, 5).toString('latin1')).toBe('yardl');
    expect(readFileSync(join(out, 'scan.mrd')).equals(readFileSync(single))).toBe(true);
    expect((await imagesOf(join(out, 'p01.h5'), 'res')).length).toBeGreaterThan(0);
    const before = readFileSync(join(out, 'scan.mrd'));
    const again = await runClient(['-p', String(s.port), '-G', 'res2', '-o', out, gens]);
    expect(again.code).toBe(1);
    expect(again.out).toContain(`scan.mrd: failed: ${join(out, 'scan.mrd')} exists (an MRD v2 output holds one stream`);
    expect(readFileSync(join(out, 'scan.mrd')).equals(before)).toBe(true);
    const skip = await runClient(['-p', String(s.port), '-G', 'res', '--skip-existing', '-o', out, gens]);
    expect(skip.code, skip.out).toBe(0);
    expect(SUMMARY.exec(skip.out)?.slice(1)).toEqual(['2', '0', '0', '2']);
    expect(readdirSync(out).sort()).toEqual(['p01.h5', 'scan.mrd']);
  });

  it('batch options need a batch; -o must be a folder for one', async () => {
    const one = await runClient(['--jobs', '2', join(inputs, 'p01.h5')]);
    expect([one.code, one.out.split('\n')[0]]).toEqual([2, 'mrd-client: error: --jobs applies to a batch: give several input files or a folder']);
    const file = join(root, 'afile.h5');
    writeFileSync(file, '');
    const notDir = await runClient(['-o', file, join(inputs, 'p01.h5'), join(inputs, 'p02.h5')]);
    expect(notDir.code).toBe(2);
    expect(notDir.out).toContain(`-o ${file} is a file: with several inputs or a folder, -o names the output folder`);
  });
});
