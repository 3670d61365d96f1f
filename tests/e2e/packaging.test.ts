/**
 * Packaging: every tool package (mrd-server, mrd-client, mrd-phantom, dicom2mrd, mrd2dicom,
 * mrd2gif, mrd-convert, mrd-info, mrd-view) packs into a tarball that installs into an empty folder with npm and runs on its own:
 * `<tool> --help` and `<tool> --version` (its own version) through the installed bin link, then the Getting Started flow with each tool
 * from its own install (scripts/pack-check.mjs does the work; see its header).
 *
 * It needs the npm registry (npm install of each tarball's dependencies). The README test command
 * runs where the registry is reachable (it has just installed the repository), and so does CI;
 * when the registry cannot be reached this suite is skipped by name, except under CI (CI=true)
 * where that is a failure. It uses the built packages/<tool>/dist (`pnpm test` builds first).
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOOLS = ['mrd-server', 'mrd-client', 'mrd-phantom', 'dicom2mrd', 'mrd2dicom', 'mrd2gif', 'mrd-convert', 'mrd-info', 'mrd-view'];

function registryUrl(): string {
  try {
    const out = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], shell: process.platform === 'win32' }).trim();
    return out.split('\n').pop()!.trim() || 'https://registry.npmjs.org/';
  } catch {
    return 'https://registry.npmjs.org/';
  }
}

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('yargs', url.endsWith('/') ? url : url + '/'), { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

// The repository install (`pnpm install` on a fresh clone) links every tool's bin into the root
// node_modules/.bin: the tools are root devDependencies and each bin is a committed launcher
// (bin/<tool>.js importing ../dist/cli.js), because pnpm links bins before the root `prepare`
// script builds dist/ and skips a bin whose file does not exist yet.
describe('tool commands in the repository (npx <tool> from the root)', () => {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const packages = ['dicom2mrd', 'mrd-client', 'mrd-convert', 'mrd-info', 'mrd-server', 'mrd-view', 'mrd2dicom', 'mrd2gif', 'phantom-gen'].map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as { name: string; bin?: Record<string, string>; files?: string[]; dependencies?: Record<string, string> };
    return { dir, pkg };
  });

  it('every tool declares its command in bin, as a committed launcher outside dist/', () => {
    const commands = packages.flatMap(({ pkg }) => Object.keys(pkg.bin ?? {}));
    expect(commands.sort()).toEqual([...TOOLS].sort());
    const tracked = new Set(execFileSync('git', ['ls-files', 'packages'], { cwd: root, encoding: 'utf8' }).split('\n'));
    for (const { dir, pkg } of packages) {
      for (const [name, target] of Object.entries(pkg.bin ?? {})) {
        const rel = `packages/${dir}/${target.replace(/^\.\//, '')}`;
        expect(target.startsWith('dist/') || target.startsWith('./dist/'), `${name}: bin must not point into dist/ (${target})`).toBe(false);
        expect(tracked.has(rel), `${rel} is committed`).toBe(true);
        expect(readFileSync(join(root, rel), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n[\s\S]*'\.\.\/dist\/cli\.js'/);
      }
      expect(pkg.files, `${pkg.name} files`).toEqual(expect.arrayContaining(['bin', 'dist', 'README.md']));
      for (const name of Object.keys(pkg.dependencies ?? {})) expect(name.startsWith('@mrd-tools/'), `${pkg.name} depends on ${name}`).toBe(false);
      expect(rootPkg.devDependencies?.[pkg.name], `root devDependency ${pkg.name}`).toBe('workspace:*');
    }
  });

  it.each(TOOLS)('%s --help runs through the root node_modules/.bin link', (tool) => {
    const bin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${tool}.cmd` : tool);
    expect(existsSync(bin), `${bin} (run the repository install)`).toBe(true);
    const out = execFileSync(bin, ['--help'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
    expect(out).toContain(tool);
    expect(out).toContain('--help');
  });
});

// scripts/build.mjs keeps third-party packages external and fails, naming the package, when a
// tool uses one it does not list in its dependencies (the packed tarball would not run). That
// includes packages loaded with a require() made by createRequire, which esbuild does not see as
// imports (dicom2mrd loads its WebAssembly codecs that way).
describe('scripts/build.mjs: third-party packages must be declared dependencies', () => {
  function fixture(dependencies: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-build-check-'));
    const pkgDir = join(dir, 'packages', 'tool');
    mkdirSync(join(pkgDir, 'src'), { recursive: true });
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: '@mrd-tools/tool', type: 'module', dependencies, mrdBuild: { entries: { cli: 'src/cli.ts' } } }));
    writeFileSync(join(pkgDir, 'src', 'cli.ts'), [
      "import { createRequire } from 'node:module';",
      "import { join } from 'node:path';",
      "import yargs from 'yargs';",
      'const require = createRequire(import.meta.url);',
      "export function codec(): unknown { return require('some-wasm-codec/decoder'); }",
      "console.log(join('a', 'b'), typeof yargs, typeof codec);",
      '',
    ].join('\n'));
    return dir;
  }
  const build = (dir: string) => spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--root', dir], { encoding: 'utf8' });

  it('fails naming an undeclared import and an undeclared createRequire package', () => {
    const dir = fixture({});
    try {
      const r = build(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("@mrd-tools/tool imports 'yargs' but does not list it in dependencies");
      expect(r.stderr).toContain("@mrd-tools/tool imports 'some-wasm-codec' but does not list it in dependencies");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds dist/cli.js with both external when they are declared', () => {
    const dir = fixture({ yargs: '17', 'some-wasm-codec': '1' });
    try {
      const r = build(dir);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = readFileSync(join(dir, 'packages/tool/dist/cli.js'), 'utf8');
      expect(out.startsWith('#!/usr/bin/env node\n')).toBe(true);
      expect(out).toMatch(/from "yargs"/);
      expect(out).toContain('"some-wasm-codec/decoder"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const registry = registryUrl();
const online = await reachable(registry);
if (!online && process.env.CI) throw new Error(`packaging test: the npm registry ${registry} is not reachable (required under CI)`);

describe.skipIf(!online)(`packed tool tarballs install and run on their own${online ? '' : ` (skipped: npm registry ${registry} not reachable)`}`, () => {
  it('pack-check: pnpm pack, npm install into an empty folder, --help, Getting Started flow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-packaging-test-'));
    const json = join(dir, 'report.json');
    try {
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [join(root, 'scripts/pack-check.mjs'), '--no-build', '--json', json], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d) => { output += d; });
        child.stderr.on('data', (d) => { output += d; });
        child.on('close', (c) => resolve({ code: c, output }));
      });
      const failures = output.split('\n').filter((l) => l.startsWith('FAIL')).join('\n');
      expect(failures, output).toBe('');
      expect(code, output).toBe(0);
      expect(existsSync(json), output).toBe(true);
      const report = JSON.parse(readFileSync(json, 'utf8')) as { tools: { command: string; ok: boolean }[]; results: { what: string; ok: boolean }[] };
      expect(report.tools.map((t) => t.command).sort()).toEqual([...TOOLS].sort());
      expect(report.tools.every((t) => t.ok)).toBe(true);
      for (const tool of TOOLS) {
        expect(report.results.find((r) => r.what === `${tool} --help`)?.ok, `${tool} --help`).toBe(true);
        expect(report.results.find((r) => r.what === `${tool} --version`)?.ok, `${tool} --version`).toBe(true);
      }
      // The smoke flow ran end to end (each step is its own check in the report).
      for (const step of ['mrd-client -c invertcontrast', 'mrd-server -m', 'packcheck_echo', 'worker-thread reader', 'mrd2gif writes', 'mrd2dicom converts', 'dicom2mrd converts', 'mrd-info summarises', 'mrd-info --json', 'mrd-view serves']) {
        expect(report.results.some((r) => r.what.includes(step) && r.ok), step).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
