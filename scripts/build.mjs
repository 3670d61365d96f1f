#!/usr/bin/env node
// Bundles each tool package into packages/<tool>/dist with esbuild.
// mrd-core (and any other workspace package a tool imports through its exports) is inlined
// (mrd-core is private and never published on its own), so `npm pack` of a tool
// gives a tarball that installs and runs by itself. Third-party packages stay external and must
// be listed in the tool's own "dependencies": the build fails, naming the package, when a tool
// would import one it does not declare.
import { build } from 'esbuild';
import { readFileSync, readdirSync, existsSync, rmSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

// --root <dir>: build the packages of another workspace folder (used by the packaging test).
const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? process.argv[rootArg + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');
const coreManifest = join(root, 'packages/mrd-core/package.json');
const coreDeps = existsSync(coreManifest) ? Object.keys(JSON.parse(readFileSync(coreManifest, 'utf8')).dependencies ?? {}) : [];
const builtin = new Set((await import('node:module')).builtinModules);

function packageName(spec) {
  if (spec.startsWith('@')) return spec.split('/').slice(0, 2).join('/');
  return spec.split('/')[0];
}

// The banner's `require` for bundled CommonJS code and createRequire-loaded packages (see below
// for where it is left out).
const BANNER_IMPORT = "import { createRequire as __mrdCreateRequire } from 'node:module';";
const BANNER_REQUIRE = 'const require = __mrdCreateRequire(import.meta.url);';

let failed = false;
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir);
  const pkgFile = join(pkgDir, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  const entries = pkg.mrdBuild?.entries;
  if (!entries) continue;
  const present = Object.fromEntries(Object.entries(entries).filter(([, src]) => existsSync(join(pkgDir, src))));
  // A tool that bundles the numerics also gets their worker-pool script beside its cli.js
  // (recon-kernels' pool looks for ./recon-worker.js next to the bundle that runs it), unless it
  // says `mrdBuild.reconWorker: false` (its pool runs only its own worker script).
  const uses = { ...pkg.dependencies, ...pkg.devDependencies };
  if (pkg.name !== '@mrd-tools/recon-kernels' && uses['@mrd-tools/recon-kernels'] && pkg.mrdBuild?.reconWorker !== false && Object.keys(present).length > 0) {
    try {
      present['recon-worker'] = createRequire(join(pkgDir, 'package.json')).resolve('@mrd-tools/recon-kernels/pool-worker');
    } catch {
      // recon-kernels not linked (a partial checkout): the tool's pool is then unavailable
    }
  }
  if (Object.keys(present).length === 0) continue;
  const declared = new Set(Object.keys(pkg.dependencies ?? {}));
  const undeclared = new Set();
  rmSync(join(pkgDir, 'dist'), { recursive: true, force: true });
  await build({
    absWorkingDir: pkgDir,
    entryPoints: present,
    outdir: join(pkgDir, 'dist'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // `mrdBuild.splitting: true`: what a tool loads with import() goes into chunks of its own
    // (dist/<name>-<hash>.js, beside the entries so import.meta.url stays in dist/), and code its
    // entries share into a shared chunk, so the start-up of the main entry compiles and loads only
    // what it imports statically.
    splitting: pkg.mrdBuild?.splitting === true,
    chunkNames: '[name]-[hash]',
    sourcemap: true,
    logLevel: 'warning',
    // the tool's own version for --version (mrd-core cli toolVersion), never a package.json found at run time
    define: { __MRD_TOOL_VERSION__: JSON.stringify(pkg.version ?? 'unknown') },
    banner: { js: `#!/usr/bin/env node\n${BANNER_IMPORT}\n${BANNER_REQUIRE}` },
    plugins: [{
      name: 'externals',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:') || builtin.has(args.path)) return { path: args.path, external: true };
          const name = packageName(args.path);
          if (name.startsWith('@mrd-tools/')) return undefined; // workspace packages are inlined
          if (!declared.has(name)) undeclared.add(name);
          return { path: args.path, external: true };
        });
      },
    }],
  }).catch((err) => { failed = true; console.error(`build of ${pkg.name} failed: ${err.message}`); });
  // Packages loaded with a require() made by createRequire (e.g. a WebAssembly codec loaded on
  // demand) are not imports to esbuild, so the resolver above never sees them: find them in the
  // output and hold them to the same rule.
  // the pool's worker script stays only where the bundle uses the pool
  if (present['recon-worker'] && pkg.name !== '@mrd-tools/recon-kernels') {
    const usesPool = Object.keys(present).some((e) => e !== 'recon-worker' && existsSync(join(pkgDir, 'dist', `${e}.js`)) && readFileSync(join(pkgDir, 'dist', `${e}.js`), 'utf8').includes('recon-worker.js'));
    if (!usesPool) {
      for (const f of ['recon-worker.js', 'recon-worker.js.map']) rmSync(join(pkgDir, 'dist', f), { force: true });
      delete present['recon-worker'];
    }
  }
  const outputs = existsSync(join(pkgDir, 'dist')) ? readdirSync(join(pkgDir, 'dist')).filter((f) => f.endsWith('.js')) : [];
  // Each output is read once: the banner's `require` is dropped where the file does not use it
  // (its lines left empty, so the source map still holds: every module that runs it pays for
  // createRequire and import.meta at load, and a tool's start-up loads a dozen or more chunks,
  // docs/streaming-performance.md), and the packages it requires must be declared.
  for (const file of outputs) {
    const out = join(pkgDir, 'dist', file);
    const text = readFileSync(out, 'utf8');
    const lines = text.split('\n');
    if (lines[1] === BANNER_IMPORT && lines[2] === BANNER_REQUIRE && !/\brequire\b/.test(lines.slice(3).join('\n'))) {
      lines[1] = '';
      lines[2] = '';
      writeFileSync(out, lines.join('\n'));
    }
    for (const m of text.matchAll(/\brequire\d*(?:\.resolve)?\(\s*["'`]([^"'`./][^"'`]*)["'`]\s*[,)]/g)) {
      const spec = m[1];
      if (spec.startsWith('node:') || builtin.has(spec)) continue;
      const name = packageName(spec);
      if (!name.startsWith('@mrd-tools/') && !declared.has(name)) undeclared.add(name);
    }
  }
  // A web page (`mrdBuild.web`: { entries, static }) is bundled whole for the browser into
  // dist/web (its libraries are build-time devDependencies, nothing loads from elsewhere at run
  // time); its static files (the HTML) are copied beside it.
  const web = pkg.mrdBuild?.web;
  if (web?.entries) {
    const outdir = join(pkgDir, 'dist', 'web');
    await build({
      absWorkingDir: pkgDir,
      entryPoints: web.entries,
      outdir,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: ['chrome110', 'firefox115', 'safari16'],
      minify: true,
      splitting: true,
      sourcemap: true,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      logLevel: 'warning',
      loader: { '.css': 'css' },
    }).catch((err) => { failed = true; console.error(`web build of ${pkg.name} failed: ${err.message}`); });
    for (const file of web.static ?? []) {
      mkdirSync(outdir, { recursive: true });
      copyFileSync(join(pkgDir, file), join(outdir, basename(file)));
    }
  }
  for (const name of undeclared) {
    failed = true;
    console.error(`build: ${pkg.name} imports '${name}' but does not list it in dependencies (mrd-core needs: ${coreDeps.join(', ') || 'none'})`);
  }
}
if (failed) process.exit(1);
