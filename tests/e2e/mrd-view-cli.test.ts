/**
 * The built mrd-view command without a browser: --help, usage errors (exit 2), unreadable
 * files (exit 1, one line naming the file), serving the page and the API on 127.0.0.1 with the
 * URL printed, port choice (explicit port taken: error; 0: any free port), --open failing
 * politely without a browser, and a clean exit on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reference } from '@mrd-tools/core/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'packages/mrd-view/dist/cli.js');

function start(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ proc: ChildProcess; url: string; out: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d;
      const m = /at (http:\/\/\S+\/)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, out: () => out });
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out}`));
    });
  });
}

function stop(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    proc.once('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

describe('mrd-view command', () => {
  it('--help describes every option', () => {
    const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const o of ['--port', '--host', '--open', '--help', '8090']) expect(r.stdout).toContain(o);
  });
  it('usage errors exit 2; an unreadable file exits 1 naming it', () => {
    expect(spawnSync(process.execPath, [cli], { encoding: 'utf8' }).status).toBe(2);
    const bad = spawnSync(process.execPath, [cli, '--port', 'x', 'a.h5'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    const missing = spawnSync(process.execPath, [cli, '-p', '0', '/nonexistent/raw.h5'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe('mrd-view: /nonexistent/raw.h5: no such file');
  });
  it('serves the page and the API on 127.0.0.1, stops on SIGTERM', async () => {
    const v = await start(['-p', '0', reference('inputs/phantom_m64_c4_r2.h5')]);
    try {
      expect(v.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(v.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<script type="module" src="app.js">/);
      expect((await fetch(v.url + 'app.js')).status).toBe(200);
      expect((await fetch(v.url + 'app.css')).status).toBe(200);
      const files = await (await fetch(v.url + 'api/files')).json();
      expect(files.initial).toEqual({ view: 'acquisitions', g: 'dataset', f: 0 });
    } finally {
      expect(await stop(v.proc)).toBe(0);
    }
  });
  it('an explicit port that is taken is an error; --open without a browser says so and keeps serving', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = spawnSync(process.execPath, [cli, '-p', String(port), reference('inputs/phantom_m64_c4_r2.h5')], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`port ${port} is in use`);
    } finally {
      blocker.close();
    }
    const v = await start(['-p', '0', '--open', reference('inputs/phantom_m64_c4_r2.h5')], { ...process.env, PATH: '/nonexistent' });
    try {
      for (let k = 0; k < 50 && !/could not open a browser/.test(v.out()); k++) await new Promise((r) => setTimeout(r, 100));
      expect(v.out()).toMatch(/could not open a browser .*; open http:\/\/127\.0\.0\.1:\d+\/ yourself/);
      expect((await fetch(v.url + 'api/files')).status).toBe(200);
    } finally {
      await stop(v.proc);
    }
  });
});
