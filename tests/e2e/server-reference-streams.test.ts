/**
 * Acceptance: replaying each reference `*.client-to-server.bin` byte for byte into a running
 * mrd-server (over TCP) gives a response equivalent to the reference `*.server-to-client.bin`.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStream } from '@mrd-tools/core/stream';
import { parseMeta } from '@mrd-tools/core/meta';
import { reference } from '@mrd-tools/core/testing';
import { compareMessageSequences, exchange, startServer, tempDir, type RunningServer } from './server-harness.js';

const dir = reference('streams');
const cases = existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith('.client-to-server.bin')).map((f) => f.replace('.client-to-server.bin', '')).sort()
  : [];

describe('mrd-server replays the reference streams', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(['-S', tempDir('mrd-server-replay-')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const name of cases) {
    it(`${name}: same messages as the reference server`, async () => {
      const input = readFileSync(reference(`streams/${name}.client-to-server.bin`));
      const expected = decodeStream(readFileSync(reference(`streams/${name}.server-to-client.bin`)));
      const answer = await exchange(server.port, input);
      const ours = decodeStream(answer);
      const problems = compareMessageSequences(ours, expected, (xml) => parseMeta(xml).toObject());
      expect(problems, problems.join('\n') + '\n--- server log ---\n' + server.log().slice(-3000)).toEqual([]);
    });
  }
});
