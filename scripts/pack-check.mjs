#!/usr/bin/env node
// Checks that every tool package packs into a tarball that installs and runs on its own.
//
// For each package with a `bin` (mrd-server, mrd-client, mrd-phantom, dicom2mrd, mrd2dicom,
// mrd2gif, mrd-convert, mrd-info, mrd-view):
//   1. `pnpm pack` (or `npm pack` with --packer npm);
//   2. the packed manifest: bin files present in the tarball, every built entry (dist/*.js) in
//      it, the package README, no sources; no workspace:/link:/file: or
//      @mrd-tools/* runtime dependency (mrd-core is inlined by scripts/build.mjs);
//   2b. the tarball's size against scripts/pack-baseline.json (each tool's tarball as last
//      recorded, with the reasons for each raise; with --packer pnpm, the packer of the
//      baseline): a tool whose tarball grew by more than 0.5 % fails; the sizes are printed as
//      a table at the end;
//   3. `npm install <tarball>` into an empty folder of its own (npm registry needed), so a
//      missing dependency of one tool cannot be hidden by another's;
//   4. `<tool> --help` through the installed bin link, and every package the bundle loads on
//      demand with a createRequire require() loaded from the install (WebAssembly factories
//      instantiated).
// Then a smoke run of the "Getting Started" flow, every tool run from its own install:
//   mrd-phantom -> mrd-server (worker thread sessions, --http-port: its /view/ page lists the
//   session) -> mrd-client (invertcontrast; and a file over 32 MB, which mrd-client reads in a
//   worker thread)
//   -> mrd2gif -> mrd2dicom -> dicom2mrd, mrd-info on the raw and image files (text and --json),
// mrd-view serving its page (bundled dist/web) and API for the image file,
// plus mrd-server -m (a process per session, simplefft) and a TypeScript user module loaded
// through --modules-dir (the server's run-time esbuild dependency).
//
// Usage: node scripts/pack-check.mjs [--no-build] [--keep] [--packer pnpm|npm] [--json <file>]
//   --no-build  use the existing packages/*/dist (default: run scripts/build.mjs first)
//   --keep      keep the temporary folder (its path is printed)
//   --packer    pnpm (default: workspace: specifiers rewritten, as a publish from this repository
//               does) or npm (`npm pack`: devDependencies keep "workspace:*", which npm ignores
//               when installing the tarball as a dependency)
//   --json      also write the report as JSON to <file>
// Exit code 0 when everything passed, 1 otherwise. Prints one line per check.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const isWin = process.platform === 'win32';
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmSpec = rootPkg.packageManager ?? 'pnpm@9.15.9';
const packer = opt('--packer') ?? 'pnpm';
if (packer !== 'pnpm' && packer !== 'npm') {
  process.stderr.write(`pack-check: --packer must be pnpm or npm, not ${packer}\n`);
  process.exit(2);
}

const results = [];
function record(what, ok, detail = '') {
  results.push({ what, ok, detail });
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` -- ${detail}` : ''}\n`);
  return ok;
}

/** Runs a command; resolves { code, stdout, stderr } (never rejects on a non-zero exit). */
function run(cmd, argv, { cwd, timeoutMs = 180_000, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, shell: isWin, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { stderr += `\n(timed out after ${timeoutMs} ms)`; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); resolve({ code: -1, stdout, stderr: stderr + String(err) }); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr }); });
  });
}

/** The line that says what went wrong: the first error line of the output, else its last lines. */
function lastLine(r) {
  const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter((l) => l && !/Unknown user config/.test(l));
  const error = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.find((l) => /\b(Error|error:)/.test(l));
  return (error ?? lines.slice(-3).join(' | ')).slice(0, 400);
}

/** Entries of a .tgz (path without the leading "package/" -> file bytes). */
function readTarball(file) {
  const tar = gunzipSync(readFileSync(file));
  const files = new Map();
  let off = 0;
  let longName = null;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a, b) => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    let name = str(0, 100);
    const prefix = str(345, 500);
    if (prefix) name = `${prefix}/${name}`;
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const body = tar.subarray(off + 512, off + 512 + size);
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else {
      if (longName) { name = longName; longName = null; }
      if (type === '0' || type === '\0') files.set(name.replace(/^package\//, ''), Buffer.from(body));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function fileStarts(file, magic, at = 0) {
  if (!existsSync(file)) return false;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(magic.length);
    return readSync(fd, buf, 0, magic.length, at) === magic.length && buf.equals(Buffer.from(magic));
  } finally {
    closeSync(fd);
  }
}
const HDF5 = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

// ---- the tool packages
const tools = [];
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const pkgFile = join(root, 'packages', dir, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  if (!pkg.bin || pkg.private) continue;
  const bins = typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : pkg.bin;
  tools.push({ dir, pkgDir: join(root, 'packages', dir), pkg, bins, command: Object.keys(bins)[0] });
}

const started = Date.now();
if (!flag('--no-build')) {
  const r = await run(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root });
  if (!record('build (scripts/build.mjs)', r.code === 0, r.code === 0 ? '' : lastLine(r))) process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'mrd-pack-check-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
process.stdout.write(`pack-check: working in ${work}\n`);

// Each tool's tarball size before the split of mrd-core (see the file's comment).
const baseline = JSON.parse(readFileSync(join(root, 'scripts', 'pack-baseline.json'), 'utf8'));
const kib = (bytes) => (bytes / 1024).toFixed(0);
const signedPercent = (now, before) => `${now >= before ? '+' : ''}${((100 * (now - before)) / before).toFixed(1)} %`;

// ---- 1+2: pack and inspect (sequential: pnpm pack is quick)
for (const t of tools) {
  for (const entry of Object.keys(t.pkg.mrdBuild?.entries ?? {})) {
    if (!existsSync(join(t.pkgDir, 'dist', `${entry}.js`))) {
      record(`${t.pkg.name}: built`, false, `packages/${t.dir}/dist/${entry}.js is missing (run node scripts/build.mjs)`);
      t.failed = true;
    }
  }
  if (t.failed) continue;
  const dest = join(tarballs, t.dir);
  mkdirSync(dest);
  const r = packer === 'pnpm'
    ? await run('npx', ['--yes', pnpmSpec, 'pack', '--pack-destination', dest], { cwd: t.pkgDir })
    : await run('npm', ['pack', '--pack-destination', dest], { cwd: t.pkgDir });
  const tgz = existsSync(dest) ? readdirSync(dest).find((f) => f.endsWith('.tgz')) : undefined;
  if (!record(`${t.pkg.name}: ${packer} pack`, r.code === 0 && !!tgz, r.code === 0 ? `${tgz} (${tgz ? (statSync(join(dest, tgz)).size / 1024).toFixed(0) : '?'} KiB)` : lastLine(r))) { t.failed = true; continue; }
  t.tarball = join(dest, tgz);
  t.size = statSync(t.tarball).size;
  const before = baseline.bytes?.[t.pkg.name];
  if (packer === baseline.packer && before !== undefined) {
    // 0.5 % of slack: the compressed size moves by a few hundred bytes with the checkout's path
    // (bundles name their sources relative to it), not with the code.
    record(`${t.pkg.name}: tarball no larger than the baseline`, t.size <= before * 1.005,
      `${kib(t.size)} KiB, baseline ${kib(before)} KiB (${baseline.recordedFrom}), ${signedPercent(t.size, before)}`);
  }

  const files = readTarball(t.tarball);
  const manifest = JSON.parse(files.get('package.json').toString('utf8'));
  const problems = [];
  for (const [name, target] of Object.entries(t.bins)) {
    const packedTarget = (manifest.bin ?? {})[name];
    if (!packedTarget) problems.push(`bin "${name}" missing from the packed manifest`);
    else if (!files.has(packedTarget.replace(/^\.\//, ''))) problems.push(`bin "${name}" -> ${packedTarget} is not in the tarball`);
    else if (!files.get(packedTarget.replace(/^\.\//, '')).toString('utf8').startsWith('#!/usr/bin/env node')) problems.push(`bin ${target} has no "#!/usr/bin/env node" line`);
  }
  for (const entry of Object.keys(t.pkg.mrdBuild?.entries ?? {})) {
    if (!files.has(`dist/${entry}.js`)) problems.push(`dist/${entry}.js is not in the tarball`);
  }
  // a bundled web page (mrdBuild.web): its scripts, styles and static files
  const web = t.pkg.mrdBuild?.web;
  for (const entry of Object.keys(web?.entries ?? {})) {
    if (!files.has(`dist/web/${entry}.js`)) problems.push(`dist/web/${entry}.js is not in the tarball`);
  }
  for (const file of web?.static ?? []) {
    const name = `dist/web/${file.split('/').pop()}`;
    if (!files.has(name)) problems.push(`${name} is not in the tarball`);
  }
  if (!files.has('README.md')) problems.push('README.md is not in the tarball');
  const sources = [...files.keys()].filter((f) => f.startsWith('src/') || f.endsWith('.ts'));
  if (sources.length) problems.push(`sources in the tarball: ${sources.slice(0, 3).join(', ')}`);
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (name.startsWith('@mrd-tools/')) problems.push(`${field} has ${name} (mrd-core must be inlined, not a dependency)`);
      if (/^(workspace|link|file|portal):/.test(String(spec))) problems.push(`${field}.${name} is "${spec}" (not installable from a tarball)`);
    }
  }
  if (packer === 'pnpm' && JSON.stringify(manifest).includes('workspace:')) problems.push('the packed manifest still contains a workspace: specifier');
  record(`${t.pkg.name}: packed manifest and files`, problems.length === 0, problems.length ? problems.join('; ') : `${files.size} files, dependencies: ${Object.keys(manifest.dependencies ?? {}).join(' ')}`);
  if (problems.length) t.failed = true;
}

// ---- 3+4: install each tarball into its own empty folder, then --help through the bin link
async function install(t) {
  t.installDir = join(work, 'install', t.dir);
  mkdirSync(t.installDir, { recursive: true });
  writeFileSync(join(t.installDir, 'package.json'), JSON.stringify({ name: `pack-check-${t.dir}`, private: true }, null, 2));
  const t0 = Date.now();
  const r = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', t.tarball], { cwd: t.installDir, timeoutMs: 300_000 });
  if (!record(`${t.pkg.name}: npm install <tarball> into an empty folder`, r.code === 0, r.code === 0 ? `${((Date.now() - t0) / 1000).toFixed(1)} s` : lastLine(r))) { t.failed = true; return; }
  for (const name of Object.keys(t.bins)) {
    const bin = binPath(t, name);
    if (!record(`${name}: bin link installed`, existsSync(bin), existsSync(bin) ? '' : `${bin} missing`)) { t.failed = true; continue; }
    const h = await run(bin, ['--help'], { cwd: t.installDir, timeoutMs: 60_000 });
    const ok = h.code === 0 && h.stdout.includes(name) && /--help/.test(h.stdout);
    if (!record(`${name} --help`, ok, ok ? h.stdout.split('\n')[0] : `exit ${h.code}: ${lastLine(h)}`)) t.failed = true;
    // the installed tool's own version, not the install folder's package.json (which has none)
    const v = await run(bin, ['--version'], { cwd: t.installDir, timeoutMs: 60_000 });
    const vOk = v.code === 0 && v.stdout.trim() === t.pkg.version;
    if (!record(`${name} --version`, vOk, vOk ? v.stdout.trim() : `exit ${v.code}: '${v.stdout.trim()}', expected ${t.pkg.version}`)) t.failed = true;
  }
  // Packages the bundle loads on demand through a createRequire require() (dicom2mrd's
  // WebAssembly codecs) are not reached by --help nor by the smoke flow: load each from the
  // installed package; an Emscripten factory (a "wasm" module exporting a function) is also
  // instantiated, which finds and compiles its .wasm file.
  const specs = new Set();
  for (const entry of Object.keys(t.pkg.mrdBuild?.entries ?? {})) {
    const text = readFileSync(join(t.pkgDir, 'dist', `${entry}.js`), 'utf8');
    for (const m of text.matchAll(/\brequire\d*(?:\.resolve)?\(\s*["'`]([^"'`./][^"'`]*)["'`]\s*[,)]/g)) {
      if (!m[1].startsWith('node:')) specs.add(m[1]);
    }
  }
  if (specs.size) {
    const installedCli = join(t.installDir, 'node_modules', ...t.pkg.name.split('/'), 'dist', 'cli.js');
    const probe = [
      "import { createRequire } from 'node:module';",
      `const req = createRequire(${JSON.stringify(installedCli)});`,
      `for (const spec of ${JSON.stringify([...specs])}) {`,
      '  const mod = req(spec);',
      "  if (/wasm/i.test(spec) && typeof mod === 'function') await mod();",
      '}',
    ].join('\n');
    const r = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: t.installDir, timeoutMs: 60_000 });
    if (!record(`${t.pkg.name}: packages loaded on demand load from the install`, r.code === 0, r.code === 0 ? [...specs].join(', ') : lastLine(r))) t.failed = true;
  }
}
const binPath = (t, name) => join(t.installDir, 'node_modules', '.bin', isWin ? `${name}.cmd` : name);

const queue = tools.filter((t) => !t.failed);
await Promise.all([0, 1].map(async () => { for (let t; (t = queue.shift());) await install(t); }));

// ---- smoke: the Getting Started flow, each tool from its own install
const byCommand = Object.fromEntries(tools.map((t) => [t.command, t]));
const usable = (cmd) => byCommand[cmd] && !byCommand[cmd].failed && byCommand[cmd].installDir;
const smoke = join(work, 'smoke');
mkdirSync(smoke);
const tool = (cmd, argv, timeoutMs = 120_000) => run(binPath(byCommand[cmd], cmd), argv, { cwd: smoke, timeoutMs });

const servers = new Set();
process.on('exit', () => { for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
function startServer(extra) {
  return new Promise((resolve) => {
    const child = spawn(binPath(byCommand['mrd-server'], 'mrd-server'), ['-p', '0', '-H', '127.0.0.1', ...extra], { cwd: smoke, shell: isWin, stdio: ['ignore', 'pipe', 'pipe'] });
    servers.add(child);
    let out = '';
    const done = (port, why) => { clearTimeout(timer); resolve({ child, port, why, log: () => out }); };
    const timer = setTimeout(() => done(null, 'no "Server listening" line within 30 s'), 30_000);
    const onData = (d) => {
      out += d;
      const m = /listening at [^\s]*:(\d+)/i.exec(out);
      if (m && Number(m[1]) > 0) done(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => done(null, `exited early (code ${code}): ${out.trim().split('\n').slice(-2).join(' | ')}`));
  });
}
function stopServer(s) {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve(s.child.exitCode);
    const timer = setTimeout(() => { s.child.kill('SIGKILL'); }, 15_000);
    s.child.once('exit', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
    s.child.kill('SIGTERM');
  });
}

async function step(what, cmd, argv, check) {
  if (!usable(cmd)) return record(what, false, `${cmd} did not install or start (see above)`);
  const r = await tool(cmd, argv);
  if (r.code !== 0) return record(what, false, `exit ${r.code}: ${lastLine(r)}`);
  const problem = check ? await check(r) : null;
  return record(what, !problem, problem ?? '');
}

const raw = join(smoke, 'phantom_raw.h5');
await step('smoke: mrd-phantom writes a 64x64, 2-coil Cartesian phantom', 'mrd-phantom', ['-o', raw, '-m', '64', '-c', '2', '--seed', '1', '-q'],
  () => (fileStarts(raw, HDF5) ? null : 'phantom_raw.h5 is not an HDF5 file'));

const img = join(smoke, 'phantom_img.h5');
if (usable('mrd-server')) {
  // Worker-thread sessions (the default): the session worker is dist/cli.js of the installed package.
  const s = await startServer(['--http-port', '0']);
  if (record('smoke: mrd-server -p 0 starts and reports its port', s.port !== null, s.port ? `port ${s.port}` : s.why)) {
    await step('smoke: mrd-client -c invertcontrast through mrd-server (worker session)', 'mrd-client',
      ['-a', '127.0.0.1', '-p', String(s.port), '-c', 'invertcontrast', '-G', 'dataset', '-o', img, '-q', raw],
      () => (fileStarts(img, HDF5) ? null : 'phantom_img.h5 was not written'));
    // --http-port: the live view's page (bundled dist/web) and the session just run in its recent list
    const http = /HTTP endpoints .* listening at [^\s]+:(\d+)/.exec(s.log());
    const problems = [];
    if (!http) problems.push('no HTTP endpoints line in the log');
    else {
      const base = `http://127.0.0.1:${http[1]}/view/`;
      for (const path of ['', 'live.js', 'live.css']) {
        const res = await fetch(base + path).catch((e) => ({ status: String(e) }));
        if (res.status !== 200) problems.push(`/view/${path}: ${res.status}`);
      }
      let recent = null;
      for (let i = 0; i < 50 && !recent; i++) {
        const snap = await fetch(base + 'api/sessions').then((r) => r.json()).catch(() => null);
        recent = snap?.recent?.[0] ?? null;
        if (!recent) await new Promise((r) => setTimeout(r, 100));
      }
      if (recent?.config !== 'invertcontrast' || recent?.outcome !== 'ok') problems.push(`recent session: ${JSON.stringify(recent)}`);
    }
    record('smoke: mrd-server --http-port serves /view/ (live view) and lists the session run', problems.length === 0, problems.join('; '));
    // An input of 32 MB or more is read by mrd-client in a worker thread (dist/cli.js again).
    const big = join(smoke, 'phantom_big.h5');
    const made = await step('smoke: mrd-phantom writes a 256x256, 8-coil, 4-repetition phantom (> 32 MB)', 'mrd-phantom',
      ['-o', big, '-m', '256', '-c', '8', '-r', '4', '--seed', '1', '-q'],
      () => (fileStarts(big, HDF5) && statSync(big).size > 32 * 1024 * 1024 ? null : 'phantom_big.h5 missing or not over 32 MB'));
    if (made) {
      const before = s.log().length;
      await step('smoke: mrd-client -c null sends the > 32 MB file (worker-thread reader)', 'mrd-client',
        ['-a', '127.0.0.1', '-p', String(s.port), '-c', 'null', '-o', join(smoke, 'phantom_big_out.h5'), '-q', big],
        async () => {
          // The server logs its session summary as the session ends: give it a moment.
          for (let i = 0; i < 50 && !/Total received acquisitions/.test(s.log().slice(before)); i++) await new Promise((r) => setTimeout(r, 100));
          const m = /Total received acquisitions:\s+(\d+)/.exec(s.log().slice(before));
          return m && Number(m[1]) >= 1024 ? null : `the server did not report >= 1024 acquisitions received (${m ? m[1] : 'no summary line'})`;
        });
      rmSync(big, { force: true });
    }
    const code = await stopServer(s);
    record('smoke: mrd-server stops on SIGTERM', code === 0 || code === 'SIGTERM' || code === 130 || code === 143, `exit ${code}`);
  }
  // A process per session (-m) and a TypeScript user module (esbuild at run time).
  const mods = join(smoke, 'modules');
  mkdirSync(mods);
  writeFileSync(join(mods, 'packcheck_echo.ts'), [
    "import { logger } from '@mrd-tools/core';",
    'interface Counts { acquisitions: number }',
    '// Echoes the acquisitions back: the client stores them in its output group.',
    'export async function process(connection: any): Promise<void> {',
    '  const counts: Counts = { acquisitions: 0 };',
    '  for await (const m of connection) {',
    "    if (m.type === 'acquisition') { counts.acquisitions++; await connection.sendAcquisition(m.acquisition); }",
    '  }',
    "  logger.info(`packcheck_echo: ${counts.acquisitions} acquisitions`);",
    '}',
    '',
  ].join('\n'));
  const m = await startServer(['-m', '--modules-dir', mods]);
  if (record('smoke: mrd-server -m --modules-dir starts', m.port !== null, m.port ? `port ${m.port}` : m.why)) {
    const fft = join(smoke, 'phantom_simplefft.h5');
    await step('smoke: mrd-client -c simplefft through mrd-server -m (process session)', 'mrd-client',
      ['-a', '127.0.0.1', '-p', String(m.port), '-c', 'simplefft', '-G', 'dataset', '-o', fft, '-q', raw],
      () => (fileStarts(fft, HDF5) ? null : 'phantom_simplefft.h5 was not written'));
    const echo = join(smoke, 'phantom_echo.h5');
    await step('smoke: mrd-client -c packcheck_echo (TypeScript user module compiled by the server)', 'mrd-client',
      ['-a', '127.0.0.1', '-p', String(m.port), '-c', 'packcheck_echo', '-G', 'dataset', '-o', echo, '-q', raw],
      async () => {
        if (!fileStarts(echo, HDF5)) return 'phantom_echo.h5 was not written';
        for (let i = 0; i < 50 && !/packcheck_echo: \d+ acquisitions/.test(m.log()); i++) await new Promise((r) => setTimeout(r, 100));
        return /packcheck_echo: \d+ acquisitions/.test(m.log()) ? null : `the server did not log the module's line: ${m.log().trim().split('\n').slice(-2).join(' | ')}`;
      });
    await stopServer(m);
  }
} else {
  record('smoke: mrd-server', false, 'mrd-server did not install or start (see above)');
}

if (fileStarts(img, HDF5)) {
  await step('smoke: mrd2gif writes a GIF preview of the images', 'mrd2gif', ['-q', img], () => {
    const gifs = readdirSync(smoke).filter((f) => f.endsWith('.gif'));
    if (!gifs.length) return 'no .gif written';
    return gifs.every((g) => fileStarts(join(smoke, g), 'GIF89a')) ? null : 'not a GIF89a file';
  });
  const dcmDir = join(smoke, 'dicom');
  await step('smoke: mrd2dicom converts the images to DICOM', 'mrd2dicom', ['-q', '-o', dcmDir, img], () => {
    const dcm = existsSync(dcmDir) ? readdirSync(dcmDir, { recursive: true }).filter((f) => String(f).endsWith('.dcm')) : [];
    if (!dcm.length) return 'no .dcm written';
    return dcm.every((f) => fileStarts(join(dcmDir, String(f)), 'DICM', 128)) ? null : 'a file without the DICM preamble';
  });
  const back = join(smoke, 'from_dicom.h5');
  await step('smoke: dicom2mrd converts the DICOM folder back to MRD', 'dicom2mrd', ['-q', '-o', back, dcmDir],
    () => (fileStarts(back, HDF5) ? null : 'from_dicom.h5 was not written'));
} else {
  for (const c of ['mrd2gif', 'mrd2dicom', 'dicom2mrd']) record(`smoke: ${c}`, false, 'no reconstructed images to work on (mrd-client step failed)');
}

// mrd-info: the raw phantom (text) and the images (--json)
if (fileStarts(raw, HDF5)) {
  await step('smoke: mrd-info summarises the raw phantom', 'mrd-info', [raw], (r) => (/Acquisitions: \d+ \(\d+ noise\)/.test(r.stdout) ? null : `unexpected output: ${r.stdout.slice(0, 200)}`));
}
if (fileStarts(img, HDF5)) {
  await step('smoke: mrd-info --json on the images', 'mrd-info', ['--json', img], (r) => {
    try {
      const s = JSON.parse(r.stdout);
      return s.schema === 'mrd-info/1' && s.groups.some((g) => g.image_series.length > 0) ? null : 'no image series in the JSON summary';
    } catch (e) {
      return `not JSON: ${e.message}`;
    }
  });
}

// mrd-view: serves its bundled page and the first image of the image file
if (usable('mrd-view') && fileStarts(img, HDF5)) {
  const child = spawn(binPath(byCommand['mrd-view'], 'mrd-view'), ['-p', '0', img], { cwd: smoke, shell: isWin, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.add(child);
  let out = '';
  const url = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 30_000);
    const on = (d) => {
      out += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.on('exit', () => { clearTimeout(timer); resolve(null); });
  });
  if (record('smoke: mrd-view starts and prints its URL', !!url, url ?? out.trim().split('\n').slice(-2).join(' | '))) {
    const problems = [];
    for (const path of ['', 'app.js', 'app.css']) {
      const res = await fetch(url + path).catch((e) => ({ status: String(e) }));
      if (res.status !== 200) problems.push(`/${path}: ${res.status}`);
    }
    const files = await fetch(url + 'api/files').then((r) => r.json()).catch(() => null);
    const first = files?.initial;
    if (!first || first.view !== 'images') problems.push(`first view: ${JSON.stringify(first)}`);
    else {
      const image = await fetch(`${url}api/image?f=0&g=${encodeURIComponent(first.g)}&s=${encodeURIComponent(first.s)}&i=0`);
      if (image.status !== 200 || (await image.arrayBuffer()).byteLength < 1000) problems.push(`first image: HTTP ${image.status}`);
    }
    record('smoke: mrd-view serves its page, the file tree and the first image', problems.length === 0, problems.join('; '));
  }
  await stopServer({ child });
}

// The tarball sizes, against the baseline
const sized = tools.filter((t) => t.size !== undefined);
if (sized.length) {
  process.stdout.write(`\ntarball sizes (${packer} pack; baseline: ${baseline.recordedFrom}, ${baseline.packer} pack)\n`);
  process.stdout.write(`${'tool'.padEnd(26)}${'KiB'.padStart(8)}${'baseline'.padStart(10)}${'change'.padStart(10)}\n`);
  for (const t of sized) {
    const before = baseline.bytes?.[t.pkg.name];
    process.stdout.write(`${t.pkg.name.padEnd(26)}${kib(t.size).padStart(8)}${(before === undefined ? '-' : kib(before)).padStart(10)}${(before === undefined ? '-' : signedPercent(t.size, before)).padStart(10)}\n`);
  }
}

const failed = results.filter((r) => !r.ok);
process.stdout.write(`\npack-check: ${results.length - failed.length}/${results.length} checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s${failed.length ? `; FAILED: ${failed.map((f) => f.what).join('; ')}` : ''}\n`);
const jsonOut = opt('--json');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ tools: tools.map((t) => ({ name: t.pkg.name, command: t.command, ok: !t.failed, tarballBytes: t.size, baselineBytes: baseline.bytes?.[t.pkg.name] })), results }, null, 2));
if (flag('--keep')) process.stdout.write(`pack-check: kept ${work}\n`);
else rmSync(work, { recursive: true, force: true });
process.exit(failed.length ? 1 : 0);
