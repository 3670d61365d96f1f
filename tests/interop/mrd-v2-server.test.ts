/**
 * mrd-server with MRD v2 clients against the upstream Python tools (the peer mrd-python, as
 * mrd-v2.test.ts runs it):
 * - a fresh upstream `phantom` stream through `mrd-server --stdio -c simplefft` and over TCP
 *   gives the images of upstream `stream_recon` on the same stream (int16 within 1 once
 *   upstream's floats are scaled to ours);
 * - upstream `stream_recon` reads what our server answers (acquisitions sent back by a
 *   pass-through user module: its recon of our answer has the pixels of its recon of the
 *   phantom, bit for bit), and upstream `export_png_images` reads our server's float images (the reference PNGs).
 * Missing peer: skipped by name, except under CI (CI=true), where it is a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMrdV2, type StreamItem } from '@mrd-tools/core/mrd-v2';
import { mrdPythonPeer, reference } from '@mrd-tools/core/testing';
import { exchange, startServer, type RunningServer } from '../e2e/server-harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const SERVER = join(here, '..', '..', 'packages', 'mrd-server', 'dist', 'cli.js');
const peer = mrdPythonPeer();
if (process.env.CI && !peer) throw new Error('interop peer missing: ../shared/peers/mrd-python with python3-numpy');
const skipped = peer ? '' : ' [skipped: ../shared/peers/mrd-python or python3-numpy missing]';

const work = mkdtempSync(join(tmpdir(), 'mrd-v2-server-interop-'));
const modules = join(work, 'modules');
mkdirSync(modules);
// Sends back every acquisition and image it receives, unchanged.
writeFileSync(join(modules, 'passthrough.ts'), `
export async function process(connection: any): Promise<void> {
  for await (const msg of connection) {
    if (msg.type === 'acquisition') await connection.sendAcquisition(msg.acquisition);
    else if (msg.type === 'image') await connection.sendImage(msg.image);
  }
}
`);

function py(args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(peer!.python, args, { env: peer!.env, input, cwd: work, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** `mrd-server --stdio ARGS < input`: stdout (exit status 0 required). */
function stdio(args: string[], input: Uint8Array): Buffer {
  const r = spawnSync(process.execPath, [SERVER, '--stdio', ...args], { input, maxBuffer: 256 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`mrd-server --stdio ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** `upstream phantom | mrd-server --stdio -c simplefft`, a real pipe between the two processes. */
function pipeline(phantomArgs: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const up = spawn(peer!.python, ['-m', 'mrd.tools.phantom', ...phantomArgs], { env: peer!.env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    const srv = spawn(process.execPath, [SERVER, '--stdio', '-c', 'simplefft'], { stdio: ['pipe', 'pipe', 'pipe'] });
    up.stdout.pipe(srv.stdin);
    const out: Buffer[] = [];
    let err = '';
    srv.stdout.on('data', (c: Buffer) => out.push(c));
    srv.stderr.on('data', (c: Buffer) => (err += c));
    up.stderr.on('data', (c: Buffer) => (err += c));
    const timer = setTimeout(() => {
      up.kill();
      srv.kill();
      reject(new Error('pipeline did not finish within 60 s'));
    }, 60_000);
    let upStatus: number | null = null;
    up.on('close', (code) => (upStatus = code));
    srv.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 || upStatus !== 0) reject(new Error(`phantom exit ${upStatus}, mrd-server --stdio exit ${code}: ${err}`));
      else resolve(Buffer.concat(out));
    });
  });
}

/** Our int16 images against upstream's float ones: pixels within 1 once upstream's are scaled to ours. */
function expectMatchesUpstream(ours: StreamItem[], upstream: StreamItem[]): void {
  expect(upstream.length).toBeGreaterThan(0);
  expect(ours.map((i) => i.type)).toEqual(upstream.map(() => 'imageInt16'));
  for (let k = 0; k < ours.length; k++) {
    const a = (ours[k]!.value as { data: { shape: number[]; data: Int16Array } }).data;
    const b = (upstream[k]!.value as { data: { shape: number[]; data: Float32Array } }).data;
    expect(a.shape).toEqual(b.shape);
    let ma = 0;
    let mb = 0;
    for (let i = 0; i < a.data.length; i++) {
      ma = Math.max(ma, a.data[i]!);
      mb = Math.max(mb, b.data[i]!);
    }
    let worst = 0;
    for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - Math.round((b.data[i]! * ma) / mb)));
    expect(worst, `image ${k}: largest pixel difference`).toBeLessThanOrEqual(1);
  }
}

describe.skipIf(!peer)(`mrd-server with upstream MRD v2 tools${skipped}`, () => {
  let server: RunningServer;
  let phantom: Buffer;
  let upstreamRecon: StreamItem[];
  beforeAll(async () => {
    server = await startServer(['-c', 'simplefft', '--modules-dir', modules]);
    phantom = py(['-m', 'mrd.tools.phantom', '-m', '64', '-c', '4', '-r', '2', '-n', '0']);
    upstreamRecon = decodeMrdV2(new Uint8Array(py(['-m', 'mrd.tools.stream_recon'], phantom))).items;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('upstream phantom | mrd-server --stdio -c simplefft: the images of upstream stream_recon (int16 within 1)', async () => {
    const ours = decodeMrdV2(new Uint8Array(await pipeline(['-m', '64', '-c', '4', '-r', '2', '-n', '0'])));
    expectMatchesUpstream(ours.items, upstreamRecon);
  });

  it('upstream phantom over TCP to mrd-server -c simplefft: the images of upstream stream_recon (int16 within 1)', async () => {
    const ours = decodeMrdV2(new Uint8Array(await exchange(server.port, phantom, { endAfterWrite: true })));
    expectMatchesUpstream(ours.items, upstreamRecon);
  });

  it('upstream stream_recon reads our server\'s answer (acquisitions sent back): the same images as its recon of the phantom', async () => {
    const answer = stdio(['-c', 'passthrough', '--modules-dir', modules], phantom);
    // the modules see v1 messages: the acquisitions' optional fields come back as 0 (as through upstream's converters)
    expect(decodeMrdV2(new Uint8Array(answer)).items).toHaveLength(decodeMrdV2(new Uint8Array(phantom)).items.length);
    const passthrough = await startServer(['-c', 'passthrough', '--modules-dir', modules, '-m']);
    try {
      const overTcp = await exchange(passthrough.port, phantom, { endAfterWrite: true });
      expect(Buffer.compare(overTcp, answer)).toBe(0);
    } finally {
      await passthrough.stop();
    }
    const recon = decodeMrdV2(new Uint8Array(py(['-m', 'mrd.tools.stream_recon'], answer))).items;
    expect(recon.map((i) => i.type)).toEqual(upstreamRecon.map((i) => i.type));
    for (let k = 0; k < recon.length; k++) {
      const a = (recon[k]!.value as { data: { data: Float32Array } }).data.data;
      const b = (upstreamRecon[k]!.value as { data: { data: Float32Array } }).data.data;
      expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `image ${k} pixels`).toBe(0);
    }
  });

  it('upstream export_png_images reads our server\'s float images: the reference PNGs byte for byte', () => {
    const answer = stdio(['-c', 'passthrough', '--modules-dir', modules], readFileSync(reference('mrd-v2/recon_phantom_m64_c4_r2_n0.mrd')));
    const input = join(work, 'answer.mrd');
    writeFileSync(input, answer);
    py(['-m', 'mrd.tools.export_png_images', '-i', input, '-o', join(work, 'png_')]);
    for (const n of ['00000', '00001']) {
      expect(Buffer.compare(readFileSync(join(work, `png_${n}.png`)), readFileSync(reference(`mrd-v2/png/recon_m64_n0${n}.png`)))).toBe(0);
    }
  });
});
