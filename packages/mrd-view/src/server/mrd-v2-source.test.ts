/**
 * mrd-view on MRD v2 files, at the endpoint level: a v2 stream (binary and NDJSON) of raw data
 * with waveforms, and upstream's v2 conversion of an image output, served next to the v1 HDF5
 * files they hold the same data as; every endpoint (tree, header, acquisition rows and summary,
 * readouts, k-space, trajectory, waveforms, series, images, windows) answers the same for both.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { acquisitionToV2, encodeMrdV2, encodeMrdV2Ndjson, headerToV2, waveformToV2, type StreamItem } from '@mrd-tools/core/mrd-v2';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { reference } from '@mrd-tools/core/testing';
import { ViewServer } from './http-server.js';
import { MrdSource } from './mrd-source.js';
import { decodeEnvelope } from '../protocol/envelope.js';

function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

/** The v2 stream of a v1 HDF5 raw file: header, acquisitions, waveforms. */
async function v2Of(h5: string): Promise<{ bin: Uint8Array; nd: string }> {
  const f = await MrdFile.open(h5);
  try {
    const header = headerToV2(parseIsmrmrdHeader(f.readHeader('dataset')!), 'complete');
    const items: StreamItem[] = [];
    for await (const a of f.acquisitions('dataset')) items.push({ type: 'acquisition', value: acquisitionToV2(a) });
    for await (const w of f.waveforms('dataset')) items.push({ type: 'waveformUint32', value: waveformToV2(w) });
    return { bin: encodeMrdV2(header, items), nd: encodeMrdV2Ndjson(header, items) };
  } finally {
    f.close();
  }
}

describe('mrd-view serves MRD v2 files as their v1 counterparts', () => {
  let server: ViewServer;
  let url: string;
  let sources: MrdSource[];
  let dir: string;
  const body = async (path: string) => {
    const r = await get(url + path.replace(/^\//, ''));
    expect(r.status, `${path}: ${r.body.toString()}`).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mrd-view-v2-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title><body></body>');
    const raw = reference('inputs/phantom_m64_waveforms.h5');
    const { bin, nd } = await v2Of(raw);
    writeFileSync(join(dir, 'raw.mrd'), bin);
    writeFileSync(join(dir, 'raw.ndjson'), nd);
    const files = [raw, join(dir, 'raw.mrd'), join(dir, 'raw.ndjson'), reference('outputs/invertcontrast_m64.h5'), reference('mrd-v2/v1_to_v2/invertcontrast_m64.mrd')];
    sources = [];
    for (const [k, f] of files.entries()) sources.push(await MrdSource.open(k, f));
    server = new ViewServer(sources, { webRoot: dir });
    url = await server.listen();
  });
  afterAll(async () => {
    await server?.close();
    for (const s of sources ?? []) s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('file tree: one group dataset with the same counts and series; the same first view', async () => {
    const files = JSON.parse((await body('/api/files')).toString()).files;
    const strip = (t: { groups: { datasets: unknown }[] }) => t.groups.map((g) => ({ ...g, datasets: [] }));
    expect(strip(files[1])).toEqual(strip(files[0]));
    expect(strip(files[2])).toEqual(strip(files[0]));
    expect(files[1].groups[0]).toMatchObject({ name: 'dataset', xml: true, acquisitions: 160, waveforms: 20, series: [] });
    expect(strip(files[4])).toEqual(strip(files[3]));
    for (const k of [1, 2]) expect(sources[k]!.initialView()).toEqual(sources[0]!.initialView());
    expect(sources[4]!.initialView()).toEqual({ view: 'images', g: 'dataset', s: 'image_0' });
  });

  it('raw data: header, acquisition rows (filtered too), summary, every readout, k-space, trajectory, waveforms: the same answers', async () => {
    const xml = (await body('/api/xml?f=1&g=dataset')).toString();
    expect(parseIsmrmrdHeader(xml)).toEqual(parseIsmrmrdHeader((await body('/api/xml?f=0&g=dataset')).toString()));
    const filter = encodeURIComponent(JSON.stringify({ flags: { include: [], exclude: [19] }, counters: { repetition: [1, 1] } }));
    const paths = [
      '/api/acquisitions?g=dataset&start=0&end=160', `/api/acquisitions?g=dataset&start=0&end=50&filter=${filter}`, '/api/acquisitions/summary?g=dataset',
      '/api/kspace?g=dataset&repetition=1', '/api/trajectory?g=dataset', '/api/waveforms?g=dataset', '/api/waveform?g=dataset&id=0', '/api/waveform?g=dataset&id=1025',
      ...Array.from({ length: 160 }, (_, i) => `/api/readout?g=dataset&i=${i}`),
    ];
    for (const p of paths) {
      const want = await body(`${p}&f=0`);
      for (const f of [1, 2]) expect((await body(`${p}&f=${f}`)).equals(want), `${p} of file ${f}`).toBe(true);
    }
  });

  it('images (upstream\'s v2 conversion of an image output): series, every image with meta and ROIs, windows: the same answers', async () => {
    for (const p of ['/api/series?g=dataset&s=image_0', '/api/window?g=dataset&s=image_0']) expect((await body(`${p}&f=4`)).equals(await body(`${p}&f=3`)), p).toBe(true);
    for (const i of [0, 1]) {
      const p = `/api/image?g=dataset&s=image_0&i=${i}`;
      const [a, b] = [await body(`${p}&f=4`), await body(`${p}&f=3`)].map((x) => decodeEnvelope<Record<string, unknown>>(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength) as ArrayBuffer));
      // Upstream's conversion turns the meta text "1.000000000000000000" into the float 1.0
      // (reference README): the meta and the attribute length in the header differ by that only.
      const metaOf = (e: typeof a) => new Map((e!.json as { meta: [string, string[]][] }).meta);
      const ma = metaOf(a);
      const mb = metaOf(b);
      const changed = [...mb.keys()].filter((k) => JSON.stringify(ma.get(k)) !== JSON.stringify(mb.get(k)));
      for (const k of changed) expect(ma.get(k)!.map(Number), k).toEqual(mb.get(k)!.map(Number));
      expect([...ma.keys()].sort()).toEqual([...mb.keys()].sort());
      const plain = (e: typeof a) => {
        const j: Record<string, unknown> = { ...(e!.json as Record<string, unknown>), meta: null, arrays: null };
        j.head = { ...(j.head as Record<string, unknown>), attribute_string_len: 0 };
        return j;
      };
      expect(plain(a)).toEqual(plain(b));
      expect(Object.keys(a!.arrays)).toEqual(Object.keys(b!.arrays));
      for (const k of Object.keys(b!.arrays)) expect(a!.arrays[k], k).toEqual(b!.arrays[k]);
    }
  });

  it('bad requests name the v2 file and what is missing', async () => {
    const r = await get(`${url}api/image?f=4&g=dataset&s=image_0&i=7`);
    expect(r.status).toBe(404);
    expect(r.body.toString()).toMatch(/invertcontrast_m64\.mrd: \/dataset\/image_0 has no image 7 \(it holds 2\)/);
    // (the xml endpoint answered 200 and then cut the connection for an unknown group, v1 files too)
    for (const f of [0, 1]) {
      const x = await get(`${url}api/xml?f=${f}&g=other`);
      expect(x.status).toBe(404);
      expect(x.body.toString()).toMatch(/no group 'other'/);
    }
  });
});
