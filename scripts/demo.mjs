#!/usr/bin/env node
// The README demo, the reference "Getting Started" in one command:
//   phantom (mrd-phantom) -> mrd-server -> mrd-client -> GIF preview (mrd2gif)
// It starts its own mrd-server on a free port (port 0: the system picks one, the server logs it),
// writes everything into a fresh folder ./mrd-demo-<date-time>/ (never an existing one), and
// stops the server at the end (or on failure / Ctrl-C).
//
// Usage: node scripts/demo.mjs [--config invertcontrast] [--out <new folder>]
// (pnpm demo builds first.)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = (pkg) => join(root, 'packages', pkg, 'dist', 'cli.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const config = opt('--config', 'invertcontrast');

for (const pkg of ['phantom-gen', 'mrd-server', 'mrd-client', 'mrd2gif']) {
  if (!existsSync(cli(pkg))) {
    console.error(`demo: ${relative(process.cwd(), cli(pkg))} is missing -- run "npx pnpm@9.15.9 build" (or "pnpm demo") first`);
    process.exit(1);
  }
}

function freshFolder() {
  const wanted = opt('--out', null);
  if (wanted) {
    if (existsSync(wanted)) {
      console.error(`demo: ${wanted} already exists; give a new folder name (nothing is ever overwritten)`);
      process.exit(1);
    }
    mkdirSync(wanted, { recursive: true });
    return resolve(wanted);
  }
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  for (let i = 0; ; i++) {
    const dir = resolve(`mrd-demo-${stamp}${i ? `-${i}` : ''}`);
    try {
      mkdirSync(dir); // fails if it exists: never reuse a folder
      return dir;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
}

function run(label, file, argv, cwd) {
  console.log(`\n$ ${label} ${argv.join(' ')}`);
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [file, ...argv], { cwd, stdio: 'inherit' });
    child.on('error', rej);
    child.on('exit', (code, sig) => (code === 0 ? res() : rej(new Error(`${label} failed (${sig ?? `exit code ${code}`})`))));
  });
}

function startServer(cwd) {
  return new Promise((res, rej) => {
    console.log(`\n$ mrd-server -v -p 0   (port 0: the system picks a free port)`);
    const server = spawn(process.execPath, [cli('mrd-server'), '-v', '-p', '0', '-H', '127.0.0.1', '-S', join(cwd, 'saved_data')], {
      cwd, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    let found = false;
    server.stdout.on('data', (chunk) => {
      const text = chunk.toString();
      process.stdout.write(text.replace(/^/gm, '  [server] ').replace(/ {2}\[server\] $/, ''));
      if (found) return;
      buf += text;
      const m = /Server listening at [^\s]+:(\d+)/.exec(buf);
      if (m) {
        found = true;
        res({ server, port: Number(m[1]) });
      }
    });
    server.on('exit', (code) => {
      if (!found) rej(new Error(`mrd-server exited early (code ${code})`));
    });
  });
}

const out = freshFolder();
console.log(`demo: writing into ${out}`);
let server = null;
const stop = () => new Promise((res) => {
  if (!server || server.exitCode !== null) return res();
  server.once('exit', () => res());
  server.kill('SIGTERM');
});
process.on('SIGINT', () => stop().then(() => process.exit(130)));

try {
  await run('mrd-phantom', cli('phantom-gen'), ['-o', 'phantom_raw.h5'], out);
  const started = await startServer(out);
  server = started.server;
  await run('mrd-client', cli('mrd-client'), ['-p', String(started.port), '-c', config, '-G', 'dataset', '-o', 'phantom_img.h5', 'phantom_raw.h5'], out);
  await run('mrd2gif', cli('mrd2gif'), ['phantom_img.h5'], out);
  await stop();
  console.log(`\ndemo: done. Files in ${out}:`);
  for (const f of readdirSync(out)) console.log(`  ${f}`);
} catch (err) {
  console.error(`\ndemo: ${err.message}`);
  await stop();
  process.exit(1);
}
