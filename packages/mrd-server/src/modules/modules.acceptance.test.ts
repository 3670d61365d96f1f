/**
 * Acceptance: each reference client-to-server stream replayed through our built-in module gives
 * what the reference server answered (server-to-client stream): the same message sequence,
 * equal image headers, identical meta attributes, pixels within 1 (integer data) or 1e-4 of
 * the image's peak (float data). The timing text's number is free.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '@mrd-tools/core/stream';
import type { Image } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { reference } from '@mrd-tools/core/testing';
import { ReplayConnection, replaySession } from '@mrd-tools/recon-api/testing';
import { builtInModule } from './index.js';

const CASES = [
  'invertcontrast_m64', 'simplefft_m64', 'invertcontrast_rgb', 'invertcontrast_roi', 'invertcontrast_complex',
  'images_invertcontrast_sendoriginal', 'cpp_invertcontrast',
];

function streamFiles(name: string): [string, string] {
  return [`streams/${name}.client-to-server.bin`, `streams/${name}.server-to-client.bin`];
}

function withoutClose(msgs: MrdMessage[]): MrdMessage[] {
  return msgs.filter((m) => m.type !== 'close');
}

function expectImagesEquivalent(actual: Image, expected: Image, where: string): void {
  const { attribute_string_len: _a, ...ah } = actual.head;
  const { attribute_string_len: _e, ...eh } = expected.head;
  expect(ah, `${where}: image header`).toEqual(eh);
  expect(actual.attribute, `${where}: meta attributes`).toBe(expected.attribute);
  expect(actual.data.constructor.name, `${where}: pixel type`).toBe(expected.data.constructor.name);
  expect(actual.data.length, `${where}: pixel count`).toBe(expected.data.length);
  const isFloat = expected.data instanceof Float32Array || expected.data instanceof Float64Array;
  let peak = 0;
  for (let i = 0; i < expected.data.length; i++) peak = Math.max(peak, Math.abs(expected.data[i]));
  const tol = isFloat ? 1e-4 * peak : 1;
  let worst = 0, at = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const d = Math.abs(actual.data[i] - expected.data[i]);
    if (d > worst) { worst = d; at = i; }
  }
  expect(worst, `${where}: worst pixel difference at ${at} (ours ${actual.data[at]}, reference ${expected.data[at]})`).toBeLessThanOrEqual(tol);
}

describe('built-in modules replay the reference streams', () => {
  for (const name of CASES) {
    it(`${name}: same answer as the reference server`, async () => {
      const [inFile, outFile] = streamFiles(name).map(reference);
      const session = await replaySession(decodeStream(new Uint8Array(readFileSync(inFile))));
      const expected = withoutClose(decodeStream(new Uint8Array(readFileSync(outFile))));
      const mod = builtInModule(session.configName);
      expect(mod, `module ${session.configName}`).toBeDefined();
      const conn = new ReplayConnection(session.rest);
      await mod!.process(conn, session.config, session.header);
      const actual = conn.sent;
      expect(actual.map((m) => m.type)).toEqual(expected.map((m) => m.type));
      actual.forEach((a, i) => {
        const e = expected[i];
        if (a.type === 'text' && e.type === 'text') {
          if (/^INFO {5}Total processing time: [0-9.]+ ms/.test(e.text)) expect(a.text).toMatch(/^INFO {5}Total processing time: [0-9]+\.[0-9]{2} ms$/);
          else expect(a.text).toBe(e.text.replace(/\0+$/, ''));
        } else if (a.type === 'image' && e.type === 'image') {
          expectImagesEquivalent(a.image, e.image, `${name} message ${i}`);
        }
      });
    });
  }
});

describe('debug dumps', () => {
  it('invertcontrast and simplefft write the reference\'s .npy intermediates into an existing debug folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-debug-'));
    const saved = process.env.MRD_DEBUG_FOLDER;
    process.env.MRD_DEBUG_FOLDER = dir;
    try {
      const session = await replaySession(decodeStream(new Uint8Array(readFileSync(reference(streamFiles('invertcontrast_m64')[0])))));
      await builtInModule('invertcontrast')!.process(new ReplayConnection(session.rest), session.config, session.header);
      expect(readdirSync(dir).sort()).toEqual(['imgCrop.npy', 'imgInverted.npy', 'imgOrig.npy', 'img.npy', 'raw.npy'].sort());
      const header = (f: string) => { const b = readFileSync(join(dir, f)); return b.subarray(10, 10 + b.readUInt16LE(8)).toString(); };
      expect(header('raw.npy')).toContain("'descr': '<c8', 'fortran_order': False, 'shape': (4, 64, 128, 1)");
      expect(header('img.npy')).toContain("'shape': (64, 128, 1)");
      expect(header('imgCrop.npy')).toContain("'shape': (64, 64, 1)");
      expect(header('imgOrig.npy')).toContain("'shape': (64, 64, 1, 1, 1)");
      expect(header('imgInverted.npy')).toContain("'descr': '<i2'");
      for (const f of readdirSync(dir)) rmSync(join(dir, f));
      // simplefft: the [cha, RO, PE] stack and the [RO, PE] images
      const sf = await replaySession(decodeStream(new Uint8Array(readFileSync(reference(streamFiles('simplefft_m64')[0])))));
      await builtInModule('simplefft')!.process(new ReplayConnection(sf.rest), sf.config, sf.header);
      expect(readdirSync(dir).sort()).toEqual(['img.npy', 'imgCrop.npy', 'raw.npy']);
      expect(header('raw.npy')).toContain("'descr': '<c8', 'fortran_order': False, 'shape': (4, 128, 64)");
      expect(header('img.npy')).toContain("'descr': '<f4', 'fortran_order': False, 'shape': (128, 64)");
      expect(header('imgCrop.npy')).toContain("'descr': '<i2', 'fortran_order': False, 'shape': (64, 64)");
    } finally {
      if (saved === undefined) delete process.env.MRD_DEBUG_FOLDER;
      else process.env.MRD_DEBUG_FOLDER = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
