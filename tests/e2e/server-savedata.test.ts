/**
 * mrd-server saving incoming data (-s / savedataonly / savedata), file naming and confinement,
 * graceful SIGTERM with open sessions, and -m session isolation. A saved file is closed and
 * named before the session's CLOSE (session.ts endSession, savedata-module.ts): the tests read
 * the folder as soon as the answer is in, without a wait.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeStream, encodeMessages } from '@mrd-tools/core/stream';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { reference } from '@mrd-tools/core/testing';
import { exchange, startServer, tempDir } from './server-harness.js';

function withProtocol(xml: string, protocol: string, measurementID = '45678_123_42'): string {
  const esc = protocol.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return xml.replace('</ismrmrdHeader>', '') // keep the schema order: measurementInformation is near the top
    .replace(/(<ismrmrdHeader[^>]*>)/, `$1<measurementInformation><measurementID>${measurementID}</measurementID><patientPosition>HFS</patientPosition><protocolName>${esc}</protocolName></measurementInformation>`) + '</ismrmrdHeader>';
}

async function readAll(path: string) {
  const f = await MrdFile.open(path);
  try {
    const members = f.list('/dataset').sort();
    return {
      members,
      xml: f.readHeader('dataset'),
      configFile: members.includes('config_file') ? f.readText('dataset', 'config_file') : undefined,
      configAdditional: members.includes('configAdditional') ? f.readText('dataset', 'configAdditional') : undefined,
      acquisitions: members.includes('data') ? f.acquisitionCount('dataset') : 0,
      waveforms: members.includes('waveforms') ? f.waveformCount('dataset') : 0,
    };
  } finally {
    f.close();
  }
}

describe('mrd-server saves incoming data as the reference server', () => {
  it('savedataonly: MRD_input_<date-time>_<n>.h5 equal to the reference server\'s file', async () => {
    const folder = join(tempDir('mrd-saved-'), 'saved_data');
    const server = await startServer(['-S', folder]);
    try {
      const answer = decodeStream(await exchange(server.port, readFileSync(reference('streams/waveforms_savedataonly.client-to-server.bin'))));
      expect(answer.map((m) => m.type)).toEqual(['close']);
      const files = readdirSync(folder);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^MRD_input_\d{4}-\d\d-\d\d-\d{6}_\d{1,3}\.h5$/);
      const ours = await readAll(join(folder, files[0]));
      const ref = await readAll(reference('savedata/waveforms_savedataonly.server-saved.h5'));
      expect(ours).toEqual(ref);
      expect(await server.logMatching(/Incoming data was saved at /)).toContain(`Incoming data was saved at ${join(folder, files[0])}`);
    } finally {
      await server.stop();
    }
  });

  it('-s saves every session (with configAdditional), renamed to the sanitised protocol name, never outside the folder', async () => {
    const root = tempDir('mrd-saved-');
    const folder = join(root, 'deep', 'saved');
    const server = await startServer(['-s', '-S', folder]);
    try {
      const msgs = decodeStream(readFileSync(reference('streams/invertcontrast_m64.client-to-server.bin')));
      const hdr = msgs.find((m) => m.type === 'header') as { type: 'header'; xml: string };
      for (const protocol of ['cine_sax', '../../escape', '/abs/evil']) {
        const patched: MrdMessage[] = msgs.map((m) => (m.type === 'header' ? { type: 'header', xml: withProtocol(hdr.xml, protocol) } : m));
        const answer = decodeStream(await exchange(server.port, encodeMessages(patched)));
        expect(answer.filter((m) => m.type === 'image')).toHaveLength(2);
      }
      const files = readdirSync(folder).sort();
      expect(files).toHaveLength(3);
      expect(files.some((f) => /^cine_sax_\d{4}-\d\d-\d\d-\d{6}_\d+\.h5$/.test(f))).toBe(true);
      expect(files.some((f) => /^escape_/.test(f))).toBe(true);
      expect(files.some((f) => /^abs_evil_/.test(f))).toBe(true);
      expect(readdirSync(join(root, 'deep')).sort()).toEqual(['saved']);
      expect(readdirSync(root)).toEqual(['deep']);
      const saved = await readAll(join(folder, files.find((f) => f.startsWith('cine_sax'))!));
      expect(saved.members).toEqual(['configAdditional', 'config_file', 'data', 'xml']);
      expect(saved.configFile).toBe('invertcontrast');
      expect(saved.configAdditional).toContain('"sendOriginal"');
      expect(saved.acquisitions).toBe(160);
    } finally {
      await server.stop();
    }
  });

  it('savedata: meas_MID<id>_<protocol>_<HHMMSS>.h5 with the raw data', async () => {
    const folder = join(tempDir('mrd-saved-'), 's');
    const server = await startServer(['-S', folder]);
    try {
      const msgs = decodeStream(readFileSync(reference('streams/waveforms_savedataonly.client-to-server.bin')));
      const patched: MrdMessage[] = msgs.map((m) =>
        m.type === 'config_file' ? { type: 'config_file', name: 'savedata' } : m.type === 'header' ? { type: 'header', xml: withProtocol(m.xml, 'my/proto') } : m);
      const answer = decodeStream(await exchange(server.port, encodeMessages(patched)));
      expect(answer.map((m) => m.type)).toEqual(['close']);
      const files = readdirSync(folder);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^meas_MID00042_my_proto_\d{6}\.h5$/);
      const saved = await readAll(join(folder, files[0]));
      expect(saved.acquisitions).toBe(160);
      expect(saved.waveforms).toBe(20);
    } finally {
      await server.stop();
    }
  });

  it('SIGTERM: stops accepting, aborts the open session after the grace period, the saved file is complete and valid', async () => {
    const folder = join(tempDir('mrd-saved-'), 's');
    const server = await startServer(['-S', folder], { env: { MRD_SERVER_SHUTDOWN_GRACE_MS: '500' } });
    const bytes = readFileSync(reference('streams/waveforms_savedataonly.client-to-server.bin'));
    const msgs = decodeStream(bytes);
    const partial = encodeMessages(msgs.slice(0, msgs.length - 60)); // no CLOSE: the session stays open
    const sock = connect({ host: '127.0.0.1', port: server.port });
    sock.on('error', () => undefined);
    const answer: Buffer[] = [];
    sock.on('data', (c) => answer.push(c));
    await new Promise<void>((r) => sock.on('connect', () => sock.write(partial, () => r())));
    // The session is under way (its file started) before the signal: on a loaded machine the
    // worker may take seconds to read the config, and a session without one saves nothing.
    for (let i = 0; i < 300 && !server.log().includes('Incoming data will be saved to'); i++) await new Promise((r) => setTimeout(r, 50));
    const exit = await server.stop('SIGTERM');
    sock.destroy();
    expect(exit.code).toBe(0);
    // The aborted session still ends with an ERROR text and CLOSE.
    expect(decodeStream(Buffer.concat(answer))).toEqual([{ type: 'text', text: 'ERROR    session aborted: the server is shutting down' }, { type: 'close' }]);
    expect(server.log()).toContain('Received signal interrupt -- stopping server');
    const files = readdirSync(folder);
    expect(files).toHaveLength(1);
    const saved = await readAll(join(folder, files[0]));
    expect(saved.configFile).toBe('savedataonly');
    expect(saved.waveforms).toBe(20);
    expect(saved.acquisitions).toBe(msgs.length - 60 - 2 - 20);
  });
});

describe('mrd-server worker sessions: a session exhausting memory ends alone', () => {
  it('answers ERROR + CLOSE for the session that ran out of memory and keeps serving', async () => {
    const root = tempDir('mrd-w-');
    const modules = join(root, 'modules');
    mkdirSync(modules);
    writeFileSync(join(modules, 'hog.js'), `export async function process() { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); }`);
    const server = await startServer(['-d', 'null', '--modules-dir', modules, '-S', join(root, 's')], { env: { MRD_SERVER_WORKER_MAX_HEAP_MB: '64' } });
    const session = (config: string) => encodeMessages([{ type: 'config_file', name: config }, { type: 'header', xml: 'not xml' }, { type: 'close' }]);
    try {
      const answer = decodeStream(await exchange(server.port, session('hog'), { timeoutMs: 60_000 }));
      expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
      expect((answer[0] as { text: string }).text).toMatch(/^ERROR +session ended: .*memory/);
      expect(decodeStream(await exchange(server.port, session('null'))).map((m) => m.type)).toEqual(['close']);
      expect(server.proc.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  }, 90_000);
});

describe('mrd-server -m: each session in its own process', () => {
  it('a module that kills its process ends only its own session, which still gets an ERROR text and CLOSE', async () => {
    const root = tempDir('mrd-m-');
    const modules = join(root, 'modules');
    mkdirSync(modules);
    writeFileSync(join(modules, 'crash.ts'), `export async function process() { globalThis.process.kill(globalThis.process.pid, 'SIGKILL'); await new Promise(() => {}); }`);
    writeFileSync(join(modules, 'hog.js'), `export async function process() { const a = []; for (;;) a.push(new Array(1e6).fill(Math.random())); }`);
    const server = await startServer(['-m', '-d', 'null', '--modules-dir', modules, '-S', join(root, 's')], { env: { NODE_OPTIONS: '--max-old-space-size=128' } });
    const session = (config: string) => encodeMessages([{ type: 'config_file', name: config }, { type: 'header', xml: 'not xml' }, { type: 'close' }]);
    try {
      const healthy = exchange(server.port, session('null'));
      const crashed = decodeStream(await exchange(server.port, session('crash')));
      expect(crashed.map((m) => m.type)).toEqual(['text', 'close']);
      expect((crashed[0] as { text: string }).text).toMatch(/^ERROR +session ended: session process \d+ killed by SIGKILL$/);
      const hog = decodeStream(await exchange(server.port, session('hog'), { timeoutMs: 60_000 }));
      expect(hog.map((m) => m.type)).toEqual(['text', 'close']);
      expect((hog[0] as { text: string }).text).toMatch(/^ERROR +session ended: session process \d+ /);
      expect(decodeStream(await healthy).map((m) => m.type)).toEqual(['close']);
      expect(decodeStream(await exchange(server.port, session('null'))).map((m) => m.type)).toEqual(['close']);
      expect(server.proc.exitCode).toBeNull();
      expect(existsSync(join(root, 's'))).toBe(false);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
