/**
 * User recon modules: a `<name>.ts`, `.mts`, `.js` or `.mjs` file in one of the server's
 * `--modules-dir` folders, exporting `process(connection, config, header)`. They are loaded at
 * run time with no build step: esbuild bundles the file (TypeScript stripped, relative imports
 * and packages from the module's own node_modules included) in memory, and the bundle is imported
 * from a data: URL. `import ... from '@mrd-tools/recon-api'` (and the `@mrd-tools/core/...`,
 * `@mrd-tools/recon-kernels/...`, `ndarray` and `ndarray-ops` entries listed in
 * core-namespaces.ts) resolves to the server's
 * own instance (a shim module reading it from a global the server sets), so a user module shares
 * the server's logger, codec and numerics rather than loading a second copy.
 *
 * The module is looked up only by a config name that passed `isValidConfigName`, and the file
 * found must lie directly inside the modules folder: a config name never becomes a path.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReconModule } from '@mrd-tools/recon-api/module';
import { isValidConfigName } from './config-name.js';

const USER_MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];
const CORE_GLOBAL = Symbol.for('@mrd-tools/core');
const CORE_SPECIFIER = '@mrd-tools/core';
/** The specifiers served from the server's instance (see core-namespaces.ts for the list). */
const PROVIDED = /^(@mrd-tools\/(core|recon-api|recon-kernels)(\/[\w-]+)*|ndarray|ndarray-ops)$/;

/** The file implementing config `name` in the first modules folder that has one, or null. */
export function findUserModule(dirs: readonly string[], name: string): string | null {
  if (!isValidConfigName(name)) return null;
  for (const dir of dirs) {
    for (const ext of USER_MODULE_EXTENSIONS) {
      const candidate = join(dir, name + ext);
      if (!existsSync(candidate)) continue;
      try {
        if (!statSync(candidate).isFile()) continue;
        // The real file must sit directly in the real modules folder (no symlink escape).
        if (dirname(realpathSync(candidate)) !== realpathSync(dir)) continue;
      } catch {
        continue;
      }
      return resolve(candidate);
    }
  }
  return null;
}

/** Makes these module namespaces what user modules get for `import ... from '<specifier>'`. */
export function provideCoreToUserModules(namespaces: Record<string, Record<string, unknown>>): void {
  (globalThis as Record<symbol, unknown>)[CORE_GLOBAL] = namespaces;
}

function provided(): Record<string, Record<string, unknown>> {
  const all = (globalThis as Record<symbol, unknown>)[CORE_GLOBAL] as Record<string, Record<string, unknown>> | undefined;
  if (!all) throw new Error('user modules: the server core instance was not provided');
  return all;
}

function coreShimSource(specifier: string): string {
  const ns = provided()[specifier];
  if (!ns) throw new Error(`user modules: '${specifier}' is not provided by this server (available: ${Object.keys(provided()).join(', ')})`);
  const names = Object.keys(ns).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  return [
    `const ns = globalThis[Symbol.for(${JSON.stringify(CORE_SPECIFIER)})][${JSON.stringify(specifier)}];`,
    names.length ? `export const { ${names.join(', ')} } = ns;` : '',
    // a CommonJS package's module.exports (ndarray's constructor), else the namespace itself
    "export default 'default' in ns ? ns.default : ns;",
  ].join('\n');
}

/**
 * Error thrown when a user module cannot be compiled or does not export `process`. `message`
 * (for the log) names the file and every compiler location; `clientMessage` is the one line a
 * client is told, without paths.
 */
export class UserModuleLoadError extends Error {
  constructor(message: string, readonly clientMessage: string) {
    super(message);
  }
}

/** Compiles and imports a user module file; resolves to its `process` function. */
export async function loadUserModule(file: string): Promise<ReconModule> {
  const esbuild = await import('esbuild');
  let code: string;
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'silent',
      absWorkingDir: dirname(file),
      banner: {
        js: `import { createRequire as __mrdUserRequire } from 'node:module'; const require = __mrdUserRequire(${JSON.stringify(pathToFileURL(file).href)});`,
      },
      plugins: [{
        name: 'mrd-core-shim',
        setup(b) {
          b.onResolve({ filter: PROVIDED }, (args) => ({ path: args.path, namespace: 'mrd-core-shim' }));
          b.onLoad({ filter: /.*/, namespace: 'mrd-core-shim' }, (args) => ({ contents: coreShimSource(args.path), loader: 'js' }));
        },
      }],
    });
    code = result.outputFiles[0].text;
  } catch (err) {
    const e = err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[]; message?: string };
    const detail = e.errors?.length
      ? e.errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text)).join('\n')
      : String(e.message ?? err);
    const first = e.errors?.[0];
    const brief = first ? `${first.text}${first.location ? ` (line ${first.location.line})` : ''}` : 'compilation failed';
    throw new UserModuleLoadError(`cannot compile user module ${file}:\n${detail}`, `cannot compile ${basename(file)}: ${brief.split('\n')[0]}`);
  }
  const mod = (await import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'))) as Record<string, unknown>;
  const proc = typeof mod.process === 'function' ? mod.process : (mod.default as Record<string, unknown> | undefined)?.process;
  if (typeof proc !== 'function') throw new UserModuleLoadError(`user module ${file} does not export a function named 'process'`, `${basename(file)} does not export a function named 'process'`);
  return { process: proc as ReconModule['process'] };
}
