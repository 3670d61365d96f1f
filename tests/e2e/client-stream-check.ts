/**
 * A check the client's end-to-end and interop suites share: mrd-client (the built CLI) streams an
 * input file to a stub server, and what it sends must be the file's contents encoded as the
 * protocol says.
 */
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { encodeMessages } from '@mrd-tools/core/stream';
import { runClient } from './server-harness.js';

/**
 * Runs the client (`-c null`) on `path` against a stub server; the bytes it sends must be what
 * the file holds, encoded as the protocol says (the in-thread path's bytes). Returns the input
 * reader its MRD_PHASE_TIMES line names (worker/native: no h5wasm loaded in the reader).
 */
export async function streamedAsTheFileHolds(path: string, out: string, large = true, waveforms = false): Promise<string> {
  const f = await MrdFile.open(path);
  const expected: MrdMessage[] = [{ type: 'config_file', name: 'null' }, { type: 'header', xml: f.readHeader('dataset')! }];
  if (waveforms) for await (const waveform of f.waveforms('dataset')) expected.push({ type: 'waveform', waveform });
  let count = 0;
  for await (const batch of f.acquisitionBatches('dataset')) {
    for (const acquisition of batch) expected.push({ type: 'acquisition', acquisition });
    count += batch.length;
  }
  expected.push({ type: 'close' });
  f.close();
  const want = Buffer.from(encodeMessages(expected));
  if (large) expect(want.length).toBeGreaterThan(32 * 1024 * 1024);
  else expect(want.length).toBeLessThan(32 * 1024 * 1024);
  const chunks: Buffer[] = [];
  let received = 0;
  const stub = createServer((sock) => {
    sock.on('data', (b) => {
      // counted, not re-joined per chunk (joining 32 MB on every chunk made this test quadratic)
      chunks.push(b);
      received += b.length;
      if (received >= want.length) sock.end(Buffer.from([4, 0]));
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
  try {
    const run = await runClient(['-p', String((stub.address() as { port: number }).port), '-c', 'null', ...(waveforms ? ['-w'] : []), '-o', out, path], { env: { MRD_PHASE_TIMES: '1' } });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(new RegExp(`Sent +${count} acquisitions`));
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(want.length);
    expect(Buffer.compare(got, want)).toBe(0);
    const phases = /mrd-client phases (\{.*\})/.exec(run.out);
    expect(phases, run.out).not.toBeNull();
    return JSON.parse(phases![1]!).inputReader;
  } finally {
    stub.close();
  }
}
