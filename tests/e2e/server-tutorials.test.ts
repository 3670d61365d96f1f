/**
 * Runs the README tutorials ("Tutorials: your own recon modules") exactly as written there: the
 * shell commands of every ```sh block in order (mrd-server started in the background, as "in a
 * second terminal"), and the Old code -> New code edits of the ```ts old:/new: blocks applied to
 * the files they name. Runs in a fresh folder whose `packages` links to this repository, with the
 * built tools on PATH under their command names. No fixed port: the server listens on the port the
 * system picks and the client is pointed at it (onPort below).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { repoRoot } from '@mrd-tools/core/testing';
import { ignoredByRepository, tempDir } from './server-harness.js';

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

/**
 * A README command with the port the test uses. The README's commands rely on the tools' default
 * port (9002), which may be busy on the machine running the tests, so a command starting
 * `mrd-server` is run with port 0 (the system picks a free port; the server logs which) and a
 * command starting `mrd-client` with the port that server actually bound. A command that names a
 * port (`-p N`, `--port N`, `--port=N`) has N replaced; one that names none gets `-p <port>` right
 * after the tool's name. The rest of the line runs exactly as written, so the README keeps showing
 * the commands a user types.
 */
export function onPort(line: string, port: number): string {
  const tool = /^(mrd-server|mrd-client)(?=\s|$)/.exec(line);
  if (!tool) return line;
  const named = /(\s)(-p|--port)(=|\s+)\d+(?=\s|$)/;
  if (named.test(line)) return line.replace(named, `$1$2$3${port}`);
  return `${tool[1]} -p ${port}${line.slice(tool[1]!.length)}`;
}

describe('README tutorials, run as written', () => {
  it('onPort: the server on port 0, the client on the bound port, whether or not the line names one', () => {
    expect(onPort('mrd-server -v --modules-dir modules', 0)).toBe('mrd-server -p 0 -v --modules-dir modules');
    expect(onPort('mrd-server', 0)).toBe('mrd-server -p 0');
    expect(onPort('mrd-client -c filterkspace -o phantom_img.h5 phantom_raw.h5', 40123)).toBe('mrd-client -p 40123 -c filterkspace -o phantom_img.h5 phantom_raw.h5');
    expect(onPort('mrd-client -p 9002 -c x in.h5', 40123)).toBe('mrd-client -p 40123 -c x in.h5');
    expect(onPort('mrd-client -c x --port 9002 in.h5', 40123)).toBe('mrd-client -c x --port 40123 in.h5');
    expect(onPort('mrd-server -v --port=9002', 0)).toBe('mrd-server -v --port=0');
    expect(onPort('mrd2gif phantom_img.h5', 40123)).toBe('mrd2gif phantom_img.h5');
    expect(onPort('mrd-phantom -o phantom_raw.h5', 40123)).toBe('mrd-phantom -o phantom_raw.h5');
  });

  const servers: ChildProcess[] = [];
  afterAll(() => {
    for (const s of servers) s.kill('SIGTERM');
  });

  it('runs every command and edit; the server runs both user modules', async () => {
    for (const f of Object.values(TOOLS)) expect(existsSync(join(root, f)), `${f} (build first)`).toBe(true);
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
    /** The port the last mrd-server started by the README bound. */
    let serverPort: number | undefined;
    for (const step of tutorialSteps(readFileSync(join(root, 'README.md'), 'utf8'))) {
      if (step.kind === 'edit') {
        const path = join(work, step.file);
        writeFileSync(path, applyEdit(readFileSync(path, 'utf8'), step));
        continue;
      }
      for (const written of step.lines) {
        if (written.startsWith('mrd-server')) {
          const line = onPort(written, 0);
          let log = '';
          const proc = spawn('/bin/sh', ['-c', `exec ${line}`], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
          servers.push(proc);
          proc.stdout!.on('data', (c) => { log += c.toString(); serverLog += c.toString(); });
          proc.stderr!.on('data', (c) => { log += c.toString(); serverLog += c.toString(); });
          serverPort = await new Promise<number>((resolve, reject) => {
            let waited = 0;
            const t = setInterval(() => {
              const m = /Server listening at [^\s]+:(\d+)/.exec(log);
              if (m) { clearInterval(t); resolve(Number(m[1])); }
              else if (proc.exitCode !== null || (waited += 50) > 30_000) { clearInterval(t); reject(new Error(`"${line}" did not start listening:\n${log}`)); }
            }, 50);
          });
          continue;
        }
        if (written.startsWith('mrd-client') && serverPort === undefined) throw new Error(`README: "${written}" comes before any mrd-server command`);
        const line = onPort(written, serverPort ?? 0);
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
    // Run from the repository folder, as the README says, these outputs must not show up in git
    // status (packages and .bin are this test's stand-ins for the repository and the PATH).
    const outputs = readdirSync(work).filter((n) => n !== 'packages' && n !== '.bin').sort();
    expect(outputs).toEqual(expect.arrayContaining(['modules', 'phantom_img.h5', 'phantom_raw.h5']));
    expect(ignoredByRepository(work, outputs).sort()).toEqual(outputs);
  }, 240_000);
});
