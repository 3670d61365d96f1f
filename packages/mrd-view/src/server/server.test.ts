/**
 * mrd-view's server and its API on the reference files and a written file (complex images,
 * two series): what each endpoint answers against independent reads of the same files with
 * mrd-core and mrd2gif's frame sources, the choice of the first view, the host check, the
 * static page's headers, and the errors for bad requests.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { createImage, type Image } from '@mrd-tools/core/messages';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import type { AcquisitionHeader } from '@mrd-tools/core/headers';
import { reference } from '@mrd-tools/core/testing';
import { seriesFrameWindows, sourceFramesOf } from '@mrd-tools/mrd2gif/source-frames';
import { decodeEnvelope } from '../protocol/envelope.js';
import { ViewServer } from './http-server.js';
import { jsonHeader, MrdSource } from './mrd-source.js';

const FILES = ['inputs/phantom_m64_waveforms.h5', 'outputs/invertcontrast_roi.h5', 'inputs/cpp_phantom_m64_c4_noise_traj.h5'];

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('mrd-view server', () => {
  let server: ViewServer;
  let url: string;
  let sources: MrdSource[];
  let complexFile: string;
  let dir: string;
  const json = async (path: string) => {
    const r = await get(url + path.replace(/^\//, ''));
    expect(r.status, r.body.toString()).toBe(200);
    return JSON.parse(r.body.toString());
  };
  const binary = async (path: string) => {
    const r = await get(url + path.replace(/^\//, ''));
    expect(r.status, r.body.toString()).toBe(200);
    return decodeEnvelope<Record<string, unknown>>(r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength) as ArrayBuffer);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mrd-view-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title><body></body>');
    complexFile = join(dir, 'complex.h5');
    const w = await MrdWriter.create(complexFile, { group: 'dataset' });
    for (let k = 0; k < 3; k++) {
      const data = Float32Array.from({ length: 2 * 2 * 8 * 6 }, (_, i) => Math.sin(i * 0.37 + k) * (k + 1) * 10);
      await w.appendImage(createImage({ matrixSize: [8, 6, 1], channels: 2, data, dataType: 7, head: { image_index: k, slice: k % 2 } }), { series: 'image_1' });
    }
    await w.appendImage(createImage({ matrixSize: [4, 4, 1], data: new Float32Array(16).fill(3) }), { series: 'image_0' });
    await w.close();
    sources = [];
    for (const [k, f] of [...FILES.map(reference), complexFile].entries()) sources.push(await MrdSource.open(k, f));
    server = new ViewServer(sources, { webRoot: dir });
    url = await server.listen();
  });
  afterAll(async () => {
    await server?.close();
    for (const s of sources ?? []) s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the files and picks the first view: acquisitions of a raw file, the last series of an image file', async () => {
    const files = await json('/api/files');
    expect(files.files.map((f: { name: string }) => f.name)).toEqual(['phantom_m64_waveforms.h5', 'invertcontrast_roi.h5', 'cpp_phantom_m64_c4_noise_traj.h5', 'complex.h5']);
    expect(files.files[0].groups[0]).toMatchObject({ name: 'dataset', xml: true, acquisitions: 160, waveforms: 20, series: [] });
    expect(files.files[2].groups[0].datasets.map((d: { name: string }) => d.name)).toEqual(['coil_images', 'csm', 'phantom']);
    expect(files.initial).toEqual({ view: 'acquisitions', g: 'dataset', f: 0 });
    expect(sources[1]!.initialView()).toEqual({ view: 'images', g: 'dataset', s: 'image_0' });
    expect(sources[3]!.initialView()).toEqual({ view: 'images', g: 'dataset', s: 'image_1' });
    expect(files.flags[String(AcquisitionFlag.IS_NOISE_MEASUREMENT)]).toBe('IS_NOISE_MEASUREMENT');
  });

  it('serves the page with a CSP that allows this server only; refuses other hosts, methods, paths', async () => {
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    // the file tree comes with the page, as a JSON data block
    const inline = /<script type="application\/json" id="mrd-files">(.*?)<\/script>/.exec(page.body.toString())!;
    expect(JSON.parse(inline[1]!)).toEqual(await json('/api/files'));
    const port = new URL(url).port;
    expect((await get(url, { host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(url, { host: `localhost:${port}` })).status).toBe(200);
    expect((await get(url, { host: `10.1.2.3:${port}` })).status).toBe(200); // an address (server on 0.0.0.0)
    expect((await get(url, { host: `10.1.2.3:${Number(port) + 1}` })).status).toBe(403);
    expect((await get(url, { host: `localhost.evil.example:${port}` })).status).toBe(403);
    expect((await get(url + 'api/files', {}, 'POST')).status).toBe(405);
    expect((await get(url + '../etc/passwd')).status).toBe(404);
    expect((await get(url + 'api/nope')).status).toBe(404);
  });

  it('acquisition rows: every header as the file holds it, filtered by flags and counters', async () => {
    const f = await MrdFile.open(reference(FILES[0]!));
    const heads: AcquisitionHeader[] = [];
    try {
      for await (const a of f.acquisitions('dataset')) heads.push(a.head);
    } finally {
      f.close();
    }
    const all = await json('/api/acquisitions?f=0&g=dataset&start=0&end=1000');
    expect(all.total).toBe(160);
    expect(all.rows.map((r: { i: number }) => r.i)).toEqual(heads.map((_, i) => i));
    expect(all.rows.map((r: { h: unknown }) => r.h)).toEqual(heads.map(jsonHeader));
    const page = await json('/api/acquisitions?f=0&g=dataset&start=150&end=170');
    expect(page.rows.map((r: { i: number }) => r.i)).toEqual([150, 151, 152, 153, 154, 155, 156, 157, 158, 159]);
    const noise = heads.flatMap((h, i) => ((h.flags >> 18n) & 1n ? [i] : []));
    const q = (filter: object, start = 0, end = 1000) => json(`/api/acquisitions?f=0&g=dataset&start=${start}&end=${end}&filter=${encodeURIComponent(JSON.stringify(filter))}`);
    const onlyNoise = await q({ require: [19] });
    expect(onlyNoise.total).toBe(32);
    expect(onlyNoise.rows.map((r: { i: number }) => r.i)).toEqual(noise);
    const rep1 = await q({ exclude: [19], counters: { repetition: [1, 1], kspace_encode_step_1: [10, 19] } }, 2, 5);
    const want = heads.flatMap((h, i) => (!((h.flags >> 18n) & 1n) && h.idx.repetition === 1 && h.idx.kspace_encode_step_1 >= 10 && h.idx.kspace_encode_step_1 <= 19 ? [i] : []));
    expect(rep1.total).toBe(want.length);
    expect(rep1.rows.map((r: { i: number }) => r.i)).toEqual(want.slice(2, 5));
    const summary = await json('/api/acquisitions/summary?f=0&g=dataset');
    expect(summary).toMatchObject({ count: 160, noise: 32 });
    expect(summary.counters.kspace_encode_step_1).toEqual([0, 63]);
    expect((await get(url + 'api/acquisitions?f=0&g=dataset&filter=%7Bbad')).status).toBe(400);
    expect((await get(url + `api/acquisitions?f=0&g=dataset&filter=${encodeURIComponent('{"require":[99]}')}`)).status).toBe(400);
  });

  it('one readout and its trajectory; k-space per coil; trajectory scatter', async () => {
    const f = await MrdFile.open(reference(FILES[2]!));
    try {
      const a = await f.acquisition('dataset', 5);
      const r = await binary('/api/readout?f=2&g=dataset&i=5');
      expect(Array.from(r.arrays.data!)).toEqual(Array.from(a.data));
      expect(Array.from(r.arrays.traj!)).toEqual(Array.from(a.traj));
      const k = await binary('/api/kspace?f=2&g=dataset');
      expect(k.json).toMatchObject({ coils: 4, ny: 64, nx: 128, lines: 64 });
      const ky = a.head.idx.kspace_encode_step_1;
      const ns = a.head.number_of_samples;
      expect(k.arrays.mag![(2 * 64 + ky) * 128 + 7]).toBeCloseTo(Math.hypot(a.data[2 * (2 * ns + 7)]!, a.data[2 * (2 * ns + 7) + 1]!), 5);
      const t = await binary('/api/trajectory?f=2&g=dataset');
      expect(t.json).toMatchObject({ readouts: 64, shown: 64 });
      expect(t.arrays.kx!.length).toBe(64 * 128);
    } finally {
      f.close();
    }
    expect((await get(url + 'api/readout?f=2&g=dataset&i=65')).status).toBe(404);
    expect(JSON.parse((await get(url + 'api/readout?f=2&g=nope&i=0')).body.toString()).error).toMatch(/no group 'nope'/);
  });

  it('waveforms: every sample of an id per channel, in time order', async () => {
    const ids = await json('/api/waveforms?f=0&g=dataset');
    expect(ids).toEqual([
      { id: 0, name: 'ECG', count: 10, channels: 5, samples: 400 },
      { id: 1025, name: null, count: 10, channels: 5, samples: 400 },
    ]);
    const w = await binary('/api/waveform?f=0&g=dataset&id=1025');
    expect(w.json).toMatchObject({ channels: 5, points: 400, waveforms: 10 });
    const t = w.arrays.time!;
    for (let k = 1; k < t.length; k++) expect(t[k]!).toBeGreaterThanOrEqual(t[k - 1]!);
    for (let c = 0; c < 5; c++) expect(w.arrays[`ch${c}`]!.length).toBe(400);
    expect((await get(url + 'api/waveform?f=0&g=dataset&id=7')).status).toBe(404);
  });

  it('images: the frame values and windows mrd2gif uses, ROIs, complex data', async () => {
    const f = await MrdFile.open(reference(FILES[1]!));
    const imgs: Image[] = [];
    try {
      for await (const img of f.images('dataset', 'image_0')) imgs.push(img);
    } finally {
      f.close();
    }
    const sources = sourceFramesOf(imgs, 'x');
    const windows = seriesFrameWindows(sources, false);
    const info = await json('/api/series?f=1&g=dataset&s=image_0');
    expect(info.count).toBe(2);
    expect(info.columns.repetition).toEqual(imgs.map((i) => i.head.repetition));
    for (let i = 0; i < 2; i++) {
      const r = await binary(`/api/image?f=1&g=dataset&s=image_0&i=${i}`);
      expect(Array.from(r.arrays.values!)).toEqual(Array.from(sources[i]!.values!));
      expect(r.json.firstFrame).toBe(i);
      expect((r.json.rois as unknown[][])[0]!.length).toBeGreaterThan(0);
    }
    expect(await json('/api/window?f=1&g=dataset&s=image_0')).toEqual(windows);
    // once computed, the windows come with the image
    expect((await binary('/api/image?f=1&g=dataset&s=image_0&i=1')).json.seriesWindows).toEqual([windows[1]]);

    const c = await binary('/api/image?f=3&g=dataset&s=image_1&i=2');
    expect(c.json).toMatchObject({ complex: true, channels: 2, frames: 2, width: 8, height: 6, firstFrame: 4 });
    const cf = await MrdFile.open(complexFile);
    try {
      const img = await cf.image('dataset', 'image_1', 2);
      expect(Array.from(c.arrays.complex!)).toEqual(Array.from(img.data));
      const mag = sourceFramesOf([img], 'y');
      expect(Array.from(c.arrays.values!)).toEqual([...Array.from(mag[0]!.values!), ...Array.from(mag[1]!.values!)]);
    } finally {
      cf.close();
    }
    expect((await get(url + 'api/image?f=1&g=dataset&s=image_0&i=2')).status).toBe(404);
    expect((await get(url + 'api/image?f=1&g=dataset&s=image_9&i=0')).status).toBe(404);
    expect((await get(url + 'api/image?f=1&g=dataset&s=image_0&i=x')).status).toBe(400);
    expect((await get(url + 'api/image?f=9&g=dataset&s=image_0&i=0')).status).toBe(404);
  });
});
