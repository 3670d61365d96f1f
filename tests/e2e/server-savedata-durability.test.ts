/**
 * mrd-server keeps what arrived when it saves incoming data (issue 13, point 4):
 * - killed with SIGKILL at ~90 % of a paced session, the saved file (-s, savedataonly, and the
 *   savedata config) is valid and holds at least everything the client had sent a second
 *   before the kill;
 * - a connection that never sends a valid config and MRD header creates no file;
 * - a save that fails (the file size limit reached: EFBIG, as a full disk's ENOSPC) at a write
 *   or at close sends the client an ERROR text naming the file, then CLOSE.
 */
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAcquisition } from '@mrd-tools/core/messages';
import { encodeMessages } from '@mrd-tools/core/stream';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { startServer, tempDir } from './server-harness.js';
import { SMALL_HEADER, sessionBytes, talk } from './server-sessions.js';

function acquisitions(from: number, count: number, samples = 256, channels = 4): MrdMessage[] {
  return Array.from({ length: count }, (_, k) => {
    const acq = createAcquisition({ head: { number_of_samples: samples, active_channels: channels, scan_counter: from + k } });
    acq.data.fill(from + k);
    return { type: 'acquisition', acquisition: acq } as MrdMessage;
  });
}

function h5Files(folder: string): string[] {
  return existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.h5')) : [];
}

async function savedAcquisitions(path: string): Promise<number[]> {
  const f = await MrdFile.open(path);
  try {
    if (!f.has('/dataset/data')) return [];
    const out: number[] = [];
    for await (const a of f.acquisitions('dataset')) out.push(a.head.scan_counter);
    return out;
  } finally {
    f.close();
  }
}

/**
 * Streams `total` acquisitions in batches every `intervalMs` (a scanner's pace), kills the server
 * with SIGKILL once 90 % are sent, and returns how many had been handed to the kernel one second
 * before the kill.
 */
async function streamAndKill(port: number, kill: () => void, config: string, total: number, batch: number, intervalMs: number): Promise<{ sentBeforeKill: number; sentAtKill: number }> {
  const sock = connect({ host: '127.0.0.1', port });
  sock.on('error', () => undefined);
  sock.on('data', () => undefined);
  await new Promise<void>((r) => sock.on('connect', () => r()));
  await new Promise<void>((r) => sock.write(encodeMessages([{ type: 'config_file', name: config }, { type: 'header', xml: SMALL_HEADER }]), () => r()));
  const log: Array<[number, number]> = [];
  let sent = 0;
  while (sent < total * 0.9) {
    const bytes = encodeMessages(acquisitions(sent, batch));
    await new Promise<void>((r) => sock.write(bytes, () => r()));
    sent += batch;
    log.push([Date.now(), sent]);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const killedAt = Date.now();
  kill();
  sock.destroy();
  const before = log.filter(([t]) => t <= killedAt - 1000).map(([, n]) => n);
  return { sentBeforeKill: before.length ? before[before.length - 1]! : 0, sentAtKill: sent };
}

describe('mrd-server saving incoming data survives SIGKILL', () => {
  for (const [what, args, config, pattern] of [
    ['-s (any config)', ['-s'], 'null', /^MRD_input_.*\.h5$/],
    ['config savedataonly', [], 'savedataonly', /^MRD_input_.*\.h5$/],
    ['config savedata', [], 'savedata', /^meas_MID.*\.h5$/],
  ] as const) {
    it(`${what}: a kill at 90 % keeps everything sent up to a second before`, async () => {
      const folder = join(tempDir('mrd-kill-'), 'saved');
      const server = await startServer([...args, '-S', folder]);
      // 4000 acquisitions of 8 KB in batches of 40 every 50 ms: a ~5 s session.
      const r = await streamAndKill(server.port, () => server.proc.kill('SIGKILL'), config, 4000, 40, 50);
      await server.stop();
      const files = h5Files(folder).filter((f) => pattern.test(f));
      expect(files).toHaveLength(1);
      const kept = await savedAcquisitions(join(folder, files[0]!));
      console.log(`${what}: SIGKILL at ${r.sentAtKill} of 4000 acquisitions sent; ${r.sentBeforeKill} sent 1 s before; ${kept.length} kept in the file`);
      expect(r.sentBeforeKill).toBeGreaterThan(1000);
      expect(kept.length).toBeGreaterThanOrEqual(r.sentBeforeKill);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i));
    }, 60_000);
  }
});

describe('mrd-server saves nothing for a connection without a valid config and header', () => {
  it('creates no file for resets, partial messages, garbage, or a config without a header; one for a valid session', async () => {
    const folder = join(tempDir('mrd-nofile-'), 'saved');
    const server = await startServer(['-s', '-S', folder]);
    try {
      const cfg = encodeMessages([{ type: 'config_file', name: 'savedataonly' }]);
      const withHeader = encodeMessages([{ type: 'config_file', name: 'savedataonly' }, { type: 'header', xml: SMALL_HEADER }]);
      const cases: Uint8Array[] = [new Uint8Array(0), cfg.subarray(0, 600), cfg, withHeader.subarray(0, cfg.length + 30), new Uint8Array(2000).fill(0xab)];
      // Each case once with a reset, once with a clean close (the client's side of the stream ends).
      for (const bytes of cases) {
        for (const reset of [true, false]) {
          await new Promise<void>((resolve) => {
            const s = connect({ host: '127.0.0.1', port: server.port });
            s.on('error', () => resolve());
            s.on('close', () => resolve());
            s.on('data', () => undefined);
            s.on('connect', () => s.write(bytes, () => setTimeout(() => (reset ? s.resetAndDestroy() : s.end()), 30)));
          });
        }
      }
      // A config then another message instead of the header (the savedata config says so).
      const noHeader = await talk(server.port, encodeMessages([{ type: 'config_file', name: 'savedataonly' }, ...acquisitions(0, 3), { type: 'close' }]));
      expect(noHeader.endsWithClose).toBe(true);
      const noHeaderSavedata = await talk(server.port, encodeMessages([{ type: 'config_file', name: 'savedata' }, ...acquisitions(0, 3), { type: 'close' }]));
      expect(noHeaderSavedata.types).toEqual(['text', 'close']);
      expect(noHeaderSavedata.texts[0]).toBe('ERROR    savedata: no MRD header received; nothing saved');
      await new Promise((r) => setTimeout(r, 500));
      expect(h5Files(folder)).toEqual([]);
      const ok = await talk(server.port, encodeMessages([{ type: 'config_file', name: 'null' }, { type: 'header', xml: SMALL_HEADER }, ...acquisitions(0, 5), { type: 'close' }]));
      expect(ok.types).toEqual(['close']);
      await new Promise((r) => setTimeout(r, 300));
      const files = h5Files(folder);
      expect(files).toHaveLength(1);
      expect(await savedAcquisitions(join(folder, files[0]!))).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('mrd-server tells the client when saving fails', () => {
  // ulimit -f: files the server writes cannot grow beyond the limit (EFBIG, as a full disk).
  it('a write that fails mid-session: ERROR naming the file, then CLOSE; the file keeps its last commit', async () => {
    const folder = join(tempDir('mrd-full-'), 'saved');
    const server = await startServer(['-S', folder], { fileSizeBlocks: 2048 }); // 1 MB
    try {
      const body: MrdMessage[] = [];
      for (let i = 0; i < 10; i++) body.push(...acquisitions(i * 60, 60)); // 5 MB
      const a = await talk(server.port, sessionBytes('savedataonly', body));
      expect(a.endsWithClose).toBe(true);
      const files = h5Files(folder);
      expect(files).toHaveLength(1);
      const path = join(folder, files[0]!);
      expect(a.texts).toHaveLength(1);
      expect(a.texts[0]).toMatch(new RegExp(`^ERROR +Saving incoming data to ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: EFBIG`));
      const kept = await savedAcquisitions(path);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i));
      // The server keeps serving.
      expect((await talk(server.port, sessionBytes('null'))).types).toEqual(['close']);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('a failure at close (the last data and the final commit): ERROR naming the file, for -s and for the savedata config', async () => {
    for (const [config, args, pattern] of [['null', ['-s'], /^ERROR +Saving incoming data to \S+\/MRD_input_\S+\.h5 failed: EFBIG/], ['savedata', [], /^ERROR +savedata: saving to \S+\/meas_MID\S+\.h5 failed: EFBIG/]] as const) {
      const folder = join(tempDir('mrd-full-close-'), 'saved');
      const server = await startServer([...args, '-S', folder], { fileSizeBlocks: 64 }); // 32 KB: the empty file fits, the data does not
      try {
        const a = await talk(server.port, sessionBytes(config, acquisitions(0, 20)));
        expect(a.endsWithClose).toBe(true);
        expect(a.texts).toHaveLength(1);
        expect(a.texts[0]).toMatch(pattern);
        const files = h5Files(folder);
        expect(files).toHaveLength(1);
        expect(a.texts[0]).toContain(join(folder, files[0]!));
      } finally {
        await server.stop();
      }
    }
  }, 60_000);
});
