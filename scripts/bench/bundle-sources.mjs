// The esbuild step the benches share: the project's TypeScript sources bundled into one ESM file
// for Node 20 (a stdin entry of re-exports resolved from the repository root, or one entry file),
// the third-party packages they import left external. Those are either resolved to file URLs from
// a package's dependencies (`from`, by default packages/recon-kernels: the bundle may then sit
// anywhere, e.g. .bench-data/build) or kept as written (`from: null`: the outfile must then sit
// beside a package's dist folder so that its node_modules resolve them).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** PFFFT's WebAssembly package (it loads its .wasm beside its own JS): kept out of every recon bundle. */
export const PFFFT_EXTERNAL = /^@echogarden\/pffft-wasm/;

/**
 * Bundles `source` into `outfile` and returns the outfile's file URL (for `import()`).
 * - source: `{ contents }` (TypeScript statements, a string or lines joined by newlines) or
 *   `{ entry }` (a file's path);
 * - external: the imports left out (a RegExp; default PFFFT_EXTERNAL);
 * - from: the package folder (repository-relative) whose dependencies resolve them, or null to
 *   keep them as written;
 * - resolve(specifier, require): what an external import becomes, instead of `from`'s file URL;
 * - banner: JS put at the top of the bundle.
 */
export async function bundleSources(outfile, source, { external = PFFFT_EXTERNAL, from = 'packages/recon-kernels', resolve, banner } = {}) {
  const req = from === null ? null : createRequire(join(repoRoot, from, 'package.json'));
  const target = resolve ?? ((spec) => (req === null ? spec : pathToFileURL(req.resolve(spec)).href));
  const input = source.entry !== undefined
    ? { entryPoints: [source.entry] }
    : { stdin: { contents: [source.contents].flat().join('\n'), resolveDir: repoRoot, loader: 'ts' } };
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    ...input,
    outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
    ...(banner === undefined ? {} : { banner: { js: banner } }),
    plugins: [{ name: 'externals', setup(b) { b.onResolve({ filter: external }, (args) => ({ path: target(args.path, req), external: true })); } }],
  });
  return pathToFileURL(outfile).href;
}
