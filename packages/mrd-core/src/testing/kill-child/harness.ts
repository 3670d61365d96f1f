/**
 * Test harness of the SIGKILL tests (mrd-writer.kill.test.ts and tests/interop/hdf5-writer.test.ts):
 * bundles ./child.ts with esbuild, runs it and kills it at a random moment.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles the child process script into `dir`; returns its path. */
export async function bundleKillChild(dir: string): Promise<string> {
  const child = join(dir, 'kill-child.mjs');
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: child, logLevel: 'silent' });
  return child;
}

/**
 * Runs the bundled child on `file` and kills it with SIGKILL at a random moment 1.2 s to
 * 1.2 s + `spreadMs` after it starts streaming; returns the number of acquisitions it had handed
 * over to the writer a second before the kill.
 */
export async function runAndKill(child: string, file: string, interval: string, mode: 'create' | 'append', spreadMs: number): Promise<number> {
  const p = spawn(process.execPath, [child, file, interval, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: Array<[number, number]> = [];
  let buf = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let k;
    while ((k = buf.indexOf('\n')) >= 0) {
      const [t, c] = buf.slice(0, k).split(' ').map(Number);
      log.push([t, c]);
      buf = buf.slice(k + 1);
    }
  });
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  while (!log.length) {
    if (p.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 1200 + Math.random() * spreadMs));
  const killedAt = Date.now();
  p.kill('SIGKILL');
  await new Promise((r) => p.once('exit', r));
  return Math.max(0, ...log.filter(([t]) => t <= killedAt - 1000).map(([, c]) => c));
}
