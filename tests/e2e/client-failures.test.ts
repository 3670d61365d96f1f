/**
 * mrd-client when a session does not complete (issue 13, points 2 and 5): a stream that ends
 * without CLOSE is a failure (exit 1, a message naming what was received) and what arrived is
 * kept in the output group, marked incomplete; a run that fails before anything arrived
 * (connection refused, send failed) writes no file and leaves an existing output file as it was;
 * a WARNING text from the server is printed.
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessages, MrdStreamDecoder } from '@mrd-tools/core/stream';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { createAcquisition, type Image } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { runClient, startServer, tempDir, type RunningServer } from './server-harness.js';
import { SMALL_HEADER, images } from './server-sessions.js';

async function inputFile(dir: string, count: number, size = 64): Promise<string> {
  const path = join(dir, 'input.h5');
  const w = await MrdWriter.create(path, { group: 'dataset' });
  await w.writeHeader(SMALL_HEADER);
  await w.appendImages(images(count, size).map((m) => (m as { image: Image }).image));
  await w.close();
  return path;
}

/** A server that reads the client's stream up to its CLOSE, then does `answer` with the socket. */
function fakeServer(answer: (sock: Socket) => void, onFirstBytes?: (sock: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((sock) => {
      const d = new MrdStreamDecoder();
      const got: MrdMessage[] = [];
      let first = true;
      sock.on('error', () => undefined);
      sock.on('data', (c) => {
        if (first && onFirstBytes) {
          first = false;
          onFirstBytes(sock);
          return;
        }
        d.push(c, got);
        if (got.some((m) => m.type === 'close')) {
          got.length = 0;
          answer(sock);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

const threeImages = () => encodeMessages(images(3, 16));

describe('mrd-client when the session does not complete', () => {
  let dir: string;
  let input: string;
  const servers: Server[] = [];
  beforeAll(async () => {
    dir = tempDir('mrd-client-fail-');
    input = await inputFile(dir, 4);
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('a stream that ends without CLOSE: exit 1, says what arrived, keeps it in the group marked incomplete', async () => {
    const { server, port } = await fakeServer((sock) => sock.end(threeImages()));
    servers.push(server);
    const out = join(dir, 'no-close.h5');
    const r = await runClient(['-p', String(port), '-a', '127.0.0.1', '-c', 'invertcontrast', '-o', out, '-G', 'run1', input]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('mrd-client: connection closed by the server before CLOSE after 3 images, 0 acquisitions');
    expect(r.out).toContain(`marked incomplete`);
    const f = await MrdFile.open(out);
    try {
      expect(f.imageCount('run1', 'image_1')).toBe(3);
      expect(f.readText('run1', 'incomplete')).toBe('connection closed by the server before CLOSE after 3 images, 0 acquisitions');
    } finally {
      f.close();
    }
  });

  it('an ERROR from the server after some results: exit 1, the results kept and marked incomplete; a complete group has no mark', async () => {
    const { server, port } = await fakeServer((sock) => sock.end(Buffer.concat([threeImages(), encodeMessages([{ type: 'text', text: 'ERROR    boom: kaboom' }, { type: 'close' }])])));
    servers.push(server);
    const out = join(dir, 'error.h5');
    const r = await runClient(['-p', String(port), '-a', '127.0.0.1', '-c', 'invertcontrast', '-o', out, '-G', 'run1', input]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('mrd-client: the server reported 1 error(s): boom: kaboom');
    const { server: good, port: goodPort } = await fakeServer((sock) => sock.end(Buffer.concat([threeImages(), encodeMessages([{ type: 'close' }])])));
    servers.push(good);
    expect((await runClient(['-p', String(goodPort), '-a', '127.0.0.1', '-o', out, '-G', 'run2', input])).code).toBe(0);
    const f = await MrdFile.open(out);
    try {
      expect(f.readText('run1', 'incomplete')).toBe('the server reported 1 error(s): boom: kaboom');
      expect(f.readText('run2', 'incomplete')).toBeUndefined();
      expect(f.imageCount('run2', 'image_1')).toBe(3);
    } finally {
      f.close();
    }
  });

  it('connection refused: exit 1 and no output file', async () => {
    const { server, port } = await fakeServer(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    const out = join(dir, 'refused.h5');
    const r = await runClient(['-p', String(port), '-a', '127.0.0.1', '-o', out, input], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/mrd-client: cannot connect to MRD server at 127\.0\.0\.1:\d+/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.refused'))).toEqual([]);
  }, 40_000);

  // Inputs of 32 MB and more are opened by the reader worker cli.js starts before parsing; its
  // answer to 'opened' carries a single group's description (input-source.ts).
  it('a large input that is no HDF5 file: the CLI error line, exit 1, no connection and no output file', async () => {
    let connections = 0;
    const server = createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const bad = join(dir, 'large-not-hdf5.h5');
      writeFileSync(bad, 'not an HDF5 file');
      truncateSync(bad, 33 * 1024 * 1024);
      const out = join(dir, 'large-not-hdf5-out.h5');
      const r = await runClient(['-q', '-p', String(port), '-a', '127.0.0.1', '-o', out, bad], { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      // (with -q the log's ERROR line goes to stderr too, then the CLI's own line; no stack)
      expect(r.out).toMatch(/^mrd-client: Not a valid dataset: .*large-not-hdf5\.h5 \(.+\)$/m);
      expect(r.out).not.toMatch(/^\s+at /m);
      expect(connections).toBe(0);
      expect(existsSync(out)).toBe(false);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 40_000);

  it('a large input of two groups without -g: the error lists the groups; with -g the chosen group is sent', async () => {
    const two = join(dir, 'large-two-groups.h5');
    for (const group of ['first', 'second']) {
      const w = group === 'first' ? await MrdWriter.create(two, { group }) : await MrdWriter.open(two, { group });
      for (let i = 0; i < 9; i++) {
        // 16 readouts of 32 coils x 512 samples (2 MiB) per append: 18 MiB per group
        await w.appendAcquisitions(Array.from({ length: 16 }, () => createAcquisition({ head: { number_of_samples: 512, active_channels: 32 } })));
      }
      await w.writeHeader(SMALL_HEADER);
      await w.close();
    }
    expect(statSync(two).size).toBeGreaterThanOrEqual(32 * 1024 * 1024); // read by the worker
    const r = await runClient(['-q', '-p', '1', '-a', '127.0.0.1', '-o', join(dir, 'two-out.h5'), two], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^mrd-client: Input group not specified and multiple groups are present in .*large-two-groups\.h5: first, second \(choose one with -g\)$/m);
    // a server that keeps what the client sends and answers its CLOSE with CLOSE
    const got: MrdMessage[] = [];
    const server = createServer((sock) => {
      const dec = new MrdStreamDecoder();
      sock.on('error', () => undefined);
      sock.on('data', (c) => {
        const n = got.length;
        dec.push(c, got);
        if (got.slice(n).some((m) => m.type === 'close')) sock.end(Buffer.from(encodeMessages([{ type: 'close' }])));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const ok = await runClient(['-q', '-p', String(port), '-a', '127.0.0.1', '-c', 'null', '-g', 'second', '-o', join(dir, 'two-out.h5'), two], { timeoutMs: 30_000 });
      expect(ok.code, ok.out).toBe(0);
      expect(got.filter((m) => m.type === 'acquisition').length).toBe(144);
      expect(got.find((m) => m.type === 'header')).toMatchObject({ xml: SMALL_HEADER });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);

  it('a send that fails before anything arrived: no new file, and an existing output file is left byte for byte', async () => {
    const big = await inputFile(tempDir('mrd-client-big-'), 120, 256);
    // The server resets the connection as soon as the client's first bytes arrive.
    const { server, port } = await fakeServer(() => undefined, (sock) => sock.resetAndDestroy());
    servers.push(server);
    const fresh = join(dir, 'send-failed.h5');
    const r1 = await runClient(['-p', String(port), '-a', '127.0.0.1', '-o', fresh, big]);
    expect(r1.code).toBe(1);
    expect(r1.out).toMatch(/mrd-client: (sending input\.h5 failed|receiving results failed).*nothing was written to/);
    expect(existsSync(fresh)).toBe(false);
    const existing = join(dir, 'existing.h5');
    copyFileSync(input, existing);
    const before = readFileSync(existing);
    const r2 = await runClient(['-p', String(port), '-a', '127.0.0.1', '-o', existing, '-G', 'more', big]);
    expect(r2.code).toBe(1);
    expect(readFileSync(existing).equals(before)).toBe(true);
  });
});

describe('mrd-client against a busy server', () => {
  it('reports "server busy" (exit 1), writes nothing, and stops sending', async () => {
    const server = await startServer(['--max-sessions', '1', '-S', tempDir('mrd-client-busy-')]);
    const hold = connect({ host: '127.0.0.1', port: server.port });
    hold.on('error', () => undefined);
    try {
      await new Promise<void>((r) => hold.on('connect', () => hold.write(encodeMessages([{ type: 'config_file', name: 'null' }, { type: 'header', xml: SMALL_HEADER }]), () => r())));
      await new Promise((r) => setTimeout(r, 500));
      const dir = tempDir('mrd-client-busy-');
      const input = await inputFile(dir, 120, 256);
      const out = join(dir, 'out.h5');
      const r = await runClient(['-p', String(server.port), '-a', '127.0.0.1', '-o', out, input]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/mrd-client: the server reported 1 error\(s\): server busy: 1 sessions are running \(--max-sessions 1\); try again later; nothing was written to/);
      expect(existsSync(out)).toBe(false);
    } finally {
      hold.destroy();
      await server.stop();
    }
  }, 60_000);
});

describe('mrd-client prints the server\'s WARNING texts', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(['-S', tempDir('mrd-client-warn-')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a config name that is no module: the fallback is printed as a warning, the session completes', async () => {
    const dir = tempDir('mrd-client-warn-');
    const input = await inputFile(dir, 2);
    const r = await runClient(['-p', String(server.port), '-a', '127.0.0.1', '-c', 'filterkspce', '-o', join(dir, 'out.h5'), input]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ - +WARNING  Could not find config module 'filterkspce' -- falling back to default config: invertcontrast\n/);
  });
});
