/**
 * Runs the README tutorials ("Tutorials: your own recon modules") exactly as written there: the
 * shell commands of every ```sh block in order (mrd-server started in the background, as "in a
 * second terminal"), and the Old code -> New code edits of the ```ts old:/new: blocks applied to
 * the files they name. Runs in a fresh folder whose `packages` links to this repository, with the
 * built tools on PATH under their command names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MrdFile } from '../../packages/mrd-core/src/index.js';
import { repoRoot } from '../../packages/mrd-core/src/testing/index.js';
import { tempDir } from './server-harness.js';

const root = repoRoot();
const TOOLS: Record<string, string> = {
  'mrd-server': 'packages/mrd-server/dist/cli.js',
  'mrd-client': 'packages/mrd-client/dist/cli.js',
  'mrd-phantom': 'packages/phantom-gen/dist/cli.js',
  mrd2gif: 'packages/mrd2gif/dist/cli.js',
};

type Step = { kind: 'sh'; lines: string[] } | { kind: 'edit'; file: string; old: string; new: string };

/** The tutorial steps, in README order. */
export function tutorialSteps(readme: string): Step[] {
  const a = readme.indexOf('<!-- tutorials:start -->');
  const b = readme.indexOf('<!-- tutorials:end -->');
  if (a < 0 || b < a) throw new Error('README.md has no tutorials section');
  const lines = readme.slice(a, b).split('\n');
  const steps: Step[] = [];
  let pendingOld: { file: string; text: string } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)```(\S+)(?:\s+(\S+))?\s*$/.exec(lines[i]);
    if (!m) continue;
    const indent = m[1].length;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i].slice(Math.min(indent, lines[i].length - lines[i].trimStart().length)));
    const [lang, tag] = [m[2], m[3]];
    if (lang === 'sh') steps.push({ kind: 'sh', lines: body.filter((l) => l.trim() !== '') });
    else if (tag?.startsWith('old:')) pendingOld = { file: tag.slice(4), text: body.join('\n') };
    else if (tag?.startsWith('new:')) {
      const file = tag.slice(4);
      if (!pendingOld || pendingOld.file !== file) throw new Error(`README: "new:${file}" block without its "old:${file}" block`);
      steps.push({ kind: 'edit', file, old: pendingOld.text, new: body.join('\n') });
      pendingOld = null;
    }
  }
  return steps;
}

function applyEdit(text: string, step: { file: string; old: string; new: string }): string {
  const at = text.indexOf(step.old);
  if (at < 0) throw new Error(`README edit of ${step.file}: the "Old code" is not in the file`);
  if (text.indexOf(step.old, at + 1) >= 0) throw new Error(`README edit of ${step.file}: the "Old code" is in the file more than once`);
  return text.slice(0, at) + step.new + text.slice(at + step.old.length);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('README tutorials, run as written', () => {
  const servers: ChildProcess[] = [];
  afterAll(() => {
    for (const s of servers) s.kill('SIGTERM');
  });

  it('runs every command and edit; the server runs both user modules', async () => {
    for (const f of Object.values(TOOLS)) expect(existsSync(join(root, f)), `${f} (build first)`).toBe(true);
    expect(await portFree(9002), 'the tutorials use the default port 9002, which is busy').toBe(true);
    const work = tempDir('mrd-tutorial-');
    symlinkSync(join(root, 'packages'), join(work, 'packages'));
    const bin = join(work, '.bin');
    mkdirSync(bin);
    for (const [name, file] of Object.entries(TOOLS)) {
      writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${join(root, file)}" "$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    let serverLog = '';
    let commandLog = '';
    for (const step of tutorialSteps(readFileSync(join(root, 'README.md'), 'utf8'))) {
      if (step.kind === 'edit') {
        const path = join(work, step.file);
        writeFileSync(path, applyEdit(readFileSync(path, 'utf8'), step));
        continue;
      }
      for (const line of step.lines) {
        if (line.startsWith('mrd-server')) {
          const proc = spawn('/bin/sh', ['-c', `exec ${line}`], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
          servers.push(proc);
          proc.stdout!.on('data', (c) => (serverLog += c.toString()));
          proc.stderr!.on('data', (c) => (serverLog += c.toString()));
          await new Promise<void>((resolve, reject) => {
            const t = setInterval(() => {
              if (/Server listening at/.test(serverLog)) { clearInterval(t); resolve(); }
              if (proc.exitCode !== null) { clearInterval(t); reject(new Error(`"${line}" exited:\n${serverLog}`)); }
            }, 50);
          });
          continue;
        }
        // Asynchronously, so the server's output keeps being read meanwhile.
        const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
          const p = spawn('/bin/sh', ['-c', line], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          p.stdout!.on('data', (c) => (out += c.toString()));
          p.stderr!.on('data', (c) => (out += c.toString()));
          const t = setTimeout(() => p.kill('SIGKILL'), 120_000);
          p.on('exit', (status) => { clearTimeout(t); resolve({ status, out }); });
        });
        expect(r.status, `"${line}" failed:\n${r.out}\n--- server ---\n${serverLog.slice(-3000)}`).toBe(0);
        commandLog += `$ ${line}\n${r.out}\n`;
      }
    }
    expect(serverLog, commandLog).toContain('Applying Hanning filter to k-space data');
    expect(serverLog).toContain('Applying high-pass image filter');
    expect(serverLog).not.toMatch(/falling back to default config/);
    const f = await MrdFile.open(join(work, 'phantom_img.h5'));
    try {
      const groups = f.groups();
      expect(groups).toHaveLength(2);
      for (const g of groups) expect(f.imageCount(g, 'image_0')).toBeGreaterThan(0);
    } finally {
      f.close();
    }
    expect(readdirSync(work).filter((n) => n.endsWith('.gif')).length).toBeGreaterThan(0);
  }, 240_000);
});
