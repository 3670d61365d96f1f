/**
 * What mrd-client loads at start-up (issue 18, streaming): the built CLI (dist/cli.js, split into
 * chunks by scripts/build.mjs) loads statically only what starting the input reader's worker
 * needs, then its command line (command-line-<hash>.js: yargs, the session), which loads
 * statically only what a single MRD v1 session needs before its first byte is sent; MRD v2
 * sessions, the output group's writer (loaded once the input is being sent), batches, GIF previews, --fix-transposed and reading the input on the main thread are
 * in chunks loaded with import() when a run needs them (their runs are tested in
 * client-series, client-batch, docs-mrd-v2 and client-reference-outputs). The chunks that do
 * not use `require` do not make one (the build's banner). Reads the build output: run `node
 * scripts/build.mjs` first, as for every e2e test.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../packages/mrd-client/dist');

/** The files of dist/ that loading `entry` loads (static imports, followed), with their text. */
function staticGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(join(dist, file), 'utf8');
    seen.set(file, text);
    // static imports only: `import ... from "./x.js"` and `import "./x.js"` (not `import("./x.js")`)
    for (const m of text.matchAll(/^(?:import|export)\b[^;(]*?["']\.\/([^"']+\.js)["']/gm)) visit(m[1]!);
  };
  visit(entry);
  return seen;
}

/** The source files bundled into `text` (esbuild marks each with a `// <path>` line), without leading ../ */
function bundledSources(text: string): Set<string> {
  return new Set([...text.matchAll(/^\/\/ (?:\.\.\/)*(\S+\.ts)$/gm)].map((m) => m[1]!));
}

/** Third-party packages a file imports statically. */
function packagesImported(text: string): string[] {
  return [...text.matchAll(/^import\b[^;(]*?from\s*["']([^"'./][^"']*)["']/gm)].map((m) => m[1]!).filter((p) => !p.startsWith('node:'));
}

/** The command line's chunk, which cli.js loads with import() once the reader's worker is started. */
function commandLineChunk(): string {
  const name = readdirSync(dist).find((f) => /^command-line-[A-Z0-9]+\.js$/.test(f));
  expect(name, 'dist/command-line-<hash>.js').toBeDefined();
  return name!;
}

describe('mrd-client start-up', () => {
  it('starts the input reader before loading yargs and the session code', () => {
    expect(existsSync(join(dist, 'cli.js')), 'build first: node scripts/build.mjs').toBe(true);
    const graph = staticGraph('cli.js');
    const packages = new Set([...graph.values()].flatMap(packagesImported));
    expect(packages.size, [...packages].join(', ')).toBe(0);
    const sources = bundledSources([...graph.values()].join('\n'));
    expect(sources.has('src/early-input.ts')).toBe(true);
    for (const module of ['src/client.ts', 'src/command-line.ts', 'tool-kit/src/cli/index.ts']) expect(sources.has(module), module).toBe(false);
    expect(graph.get('cli.js')).toMatch(new RegExp(`import\\("\\./${commandLineChunk().replace('.', '\\.')}"\\)`));
  });

  it('loads statically neither the MRD v2 codecs, the XML parser, the GIF/PNG encoders, batches nor the HDF5 reader', () => {
    expect(existsSync(join(dist, 'cli.js')), 'build first: node scripts/build.mjs').toBe(true);
    const graph = new Map([...staticGraph('cli.js'), ...staticGraph(commandLineChunk())]);
    const packages = new Set([...graph.values()].flatMap(packagesImported));
    for (const p of ['fast-xml-parser', 'gifenc', 'pngjs', 'h5wasm', 'h5wasm/node']) expect(packages.has(p), p).toBe(false);
    const sources = bundledSources([...graph.values()].join('\n'));
    expect(sources.has('src/client.ts')).toBe(true);
    for (const module of ['mrd-core/src/mrd-v2/binary/decoder.ts', 'mrd-core/src/xml-header/parse.ts', 'mrd-core/src/hdf5/reader/mrd-file.ts', 'src/batch/run-batch.ts', 'src/previews.ts', 'src/v2-session.ts', 'src/input-file-reader.ts', 'src/transpose-image.ts']) {
      expect(sources.has(module), module).toBe(false);
    }
    // what is left out is still in the build, in chunks of their own loaded with import()
    const all = [...graph.values()].join('\n');
    for (const lazy of ['v2-session', 'batch-cli', 'previews', 'input-file-reader']) expect(all).toMatch(new RegExp(`import\\("\\./${lazy}-[A-Z0-9]+\\.js"\\)`));
  });

  it("loads the output group's writer (results-writer.ts, mrd-core's HDF5 writer) after start-up, with import()", () => {
    expect(existsSync(join(dist, 'cli.js')), 'build first: node scripts/build.mjs').toBe(true);
    const graph = new Map([...staticGraph('cli.js'), ...staticGraph(commandLineChunk())]);
    const sources = bundledSources([...graph.values()].join('\n'));
    for (const module of ['src/results-writer.ts', 'mrd-core/src/hdf5/writer/mrd-writer.ts', 'mrd-core/src/hdf5/writer/hdf5-file-writer.ts', 'tool-kit/src/image-series-groups/index.ts']) {
      expect(sources.has(module), module).toBe(false);
    }
    expect([...graph.values()].join('\n')).toMatch(/import\("\.\/results-writer-[A-Z0-9]+\.js"\)/);
  });

  it("makes no `require` (the build's banner: createRequire, import.meta) in the chunks that do not use one", () => {
    expect(existsSync(join(dist, 'cli.js')), 'build first: node scripts/build.mjs').toBe(true);
    const files = readdirSync(dist).filter((f) => f.endsWith('.js'));
    for (const file of files) {
      const text = readFileSync(join(dist, file), 'utf8');
      const uses = /\brequire\b/.test(text.replace(/^const require = __mrdCreateRequire\(import\.meta\.url\);$/m, ''));
      expect(text.includes('__mrdCreateRequire'), file).toBe(uses);
    }
    // (none of the client's does: its start-up loads a score of them)
    expect(files.filter((f) => readFileSync(join(dist, f), 'utf8').includes('__mrdCreateRequire'))).toEqual([]);
  });

  it("gives the input reader's worker script its own entry, without the CLI", () => {
    const graph = staticGraph('input-reader.js');
    const sources = bundledSources([...graph.values()].join('\n'));
    expect(sources.has('src/input-file-reader.ts')).toBe(true);
    expect(sources.has('src/cli.ts')).toBe(false);
    expect(sources.has('src/client.ts')).toBe(false);
  });
});
