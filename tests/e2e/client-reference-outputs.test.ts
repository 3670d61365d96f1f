/**
 * Acceptance for mrd-client, two ways:
 * - against a stand-in server that records what the client sends and answers the reference
 *   server's bytes: the client's stream is byte-identical to the reference client's, and the file
 *   it writes equals the reference output;
 * - against mrd-server (end to end): the file written equals the reference output (groups,
 *   datasets, headers, meta, pixels within tolerance).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStream, MrdStreamDecoder } from '@mrd-tools/core/stream';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { parseMeta } from '@mrd-tools/core/meta';
import type { Image } from '@mrd-tools/core/messages';
import { reference } from '@mrd-tools/core/testing';
import { compareImages, runClient, startServer, tempDir, type RunningServer } from './server-harness.js';

interface Case {
  name: string;
  input: string;
  args: string[];
}

const CASES: Case[] = [
  { name: 'invertcontrast_m64', input: 'inputs/phantom_m64_c4_r2.h5', args: ['-c', 'invertcontrast'] },
  { name: 'simplefft_m64', input: 'inputs/phantom_m64_c4_r2.h5', args: ['-c', 'simplefft'] },
  { name: 'invertcontrast_rgb', input: 'inputs/phantom_m64_c4_r2.h5', args: ['-c', 'invertcontrast'] },
  { name: 'invertcontrast_roi', input: 'inputs/phantom_m64_c4_r2.h5', args: ['-c', 'invertcontrast'] },
  { name: 'invertcontrast_complex', input: 'inputs/phantom_m64_c4_r2.h5', args: ['-c', 'invertcontrast'] },
  { name: 'images_invertcontrast_sendoriginal', input: 'outputs/invertcontrast_m64.h5', args: ['-c', 'invertcontrast'] },
  { name: 'cpp_invertcontrast', input: 'inputs/cpp_phantom_m64_c4_noise_traj.h5', args: ['-c', 'invertcontrast'] },
  { name: 'waveforms_savedataonly', input: 'inputs/phantom_m64_waveforms.h5', args: ['-w', '-c', 'savedataonly'] },
];

/** The JSON additional config the reference client sent (from its invertcontrast.json), if any. */
function referenceJson(name: string): string | null {
  const msgs = decodeStream(readFileSync(reference(`streams/${name}.client-to-server.bin`)));
  const t = msgs.find((m) => m.type === 'text');
  return t && t.type === 'text' ? t.text : null;
}

/** Prepares a working directory as the reference run had it (invertcontrast.json). */
function workdir(c: Case): string {
  const dir = tempDir(`mrd-client-${c.name}-`);
  const json = referenceJson(c.name);
  if (json !== null) writeFileSync(join(dir, 'invertcontrast.json'), json);
  return dir;
}

/** Compares an MRD file group with the reference output group `dataset`. */
async function compareFiles(oursPath: string, refPath: string, group: string): Promise<string[]> {
  const problems: string[] = [];
  const [ours, ref] = await Promise.all([MrdFile.open(oursPath), MrdFile.open(refPath)]);
  {
    try {
      if (!ours.groups().includes(group)) return [`${oursPath}: no group ${group} (has ${ours.groups().join(', ')})`];
      const a = ours.list(`/${group}`).sort();
      const b = ref.list('/dataset').sort();
      if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`members differ: ours ${a.join(',')} ref ${b.join(',')}`);
      if (ours.readHeader(group) !== ref.readHeader('dataset')) problems.push('xml header differs');
      for (const series of ref.imageSeries('dataset')) {
        const ri: Image[] = [];
        for await (const img of ref.images('dataset', series)) ri.push(img);
        const oi: Image[] = [];
        if (a.includes(series)) for await (const img of ours.images(group, series)) oi.push(img);
        if (oi.length !== ri.length) {
          problems.push(`${series}: ${oi.length} images vs ${ri.length}`);
          continue;
        }
        ri.forEach((r, i) => problems.push(...compareImages(oi[i], r, `${series}[${i}]`, (x) => parseMeta(x).toObject())));
      }
      if (b.includes('data') && ours.acquisitionCount(group) !== ref.acquisitionCount('dataset')) problems.push('acquisition count differs');
      if (b.includes('waveforms') && ours.waveformCount(group) !== ref.waveformCount('dataset')) problems.push('waveform count differs');
      return problems;
    } finally {
      ours.close();
      ref.close();
    }
  }
}

/** A server stand-in: records the client's bytes up to CLOSE, then answers `answer` and closes. */
function recordingServer(answer: Uint8Array): Promise<{ port: number; server: Server; received: Promise<Buffer> }> {
  return new Promise((resolve) => {
    let resolveReceived!: (b: Buffer) => void;
    const received = new Promise<Buffer>((r) => (resolveReceived = r));
    const server = createServer((sock) => {
      const chunks: Buffer[] = [];
      const decoder = new MrdStreamDecoder();
      sock.on('data', (c) => {
        chunks.push(c);
        const msgs = decoder.push(c);
        if (msgs.some((m) => m.type === 'close')) {
          resolveReceived(Buffer.concat(chunks));
          sock.end(answer);
        }
      });
      sock.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ port: typeof addr === 'object' && addr ? addr.port : 0, server, received });
    });
  });
}

describe('mrd-client sends what the reference client sends and stores what it stores', () => {
  for (const c of CASES) {
    it(`${c.name}: byte-identical stream, equal output`, async () => {
      const dir = workdir(c);
      const rec = await recordingServer(readFileSync(reference(`streams/${c.name}.server-to-client.bin`)));
      try {
        const out = join(dir, 'out.h5');
        const run = await runClient(['-p', String(rec.port), '-G', 'dataset', '-o', out, ...c.args, reference(c.input)], { cwd: dir });
        expect(run.code, run.out).toBe(0);
        const sent = await rec.received;
        const expected = readFileSync(reference(`streams/${c.name}.client-to-server.bin`));
        expect(sent.length, 'stream length').toBe(expected.length);
        expect(Buffer.compare(sent, expected), 'stream bytes').toBe(0);
        expect(await compareFiles(out, reference(`outputs/${c.name}.h5`), 'dataset')).toEqual([]);
      } finally {
        rec.server.close();
      }
    });
  }
});

describe('mrd-client against mrd-server writes the reference outputs', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(['-S', tempDir('mrd-e2e-saved-')]);
  });
  afterAll(async () => {
    await server?.stop();
  });
  for (const c of CASES) {
    it(`${c.name}: output equals the reference`, async () => {
      const dir = workdir(c);
      const out = join(dir, 'out.h5');
      const run = await runClient(['-p', String(server.port), '-G', 'dataset', '-o', out, ...c.args, reference(c.input)], { cwd: dir });
      expect(run.code, run.out + '\n--- server ---\n' + server.log().slice(-2000)).toBe(0);
      expect(existsSync(out)).toBe(true);
      expect(await compareFiles(out, reference(`outputs/${c.name}.h5`), 'dataset')).toEqual([]);
      // The summary counts what came back (the reference prints the waveform count as acquisitions).
      const received = /Received +(\d+) images/.exec(run.out);
      expect(received).not.toBeNull();
    });
  }
});
