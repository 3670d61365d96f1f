/**
 * Finding the external peers interop tests compare with (Debian's python3 modules, command-line
 * tools), so a test can skip by name when one is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './reference.js';

/** The first python3 (/usr/bin/python3, then python3 on PATH) that imports every module named; undefined when none does. */
export function findPython(modules: string[]): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return py;
  }
  return undefined;
}

/** Whether the shell finds `cmd` on PATH (`command -v`; the command is not run). */
export function commandOnPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Whether `cmd` starts when run with `args` (its exit status does not matter). */
export function commandRuns(cmd: string, args: string[] = ['--help']): boolean {
  return !spawnSync(cmd, args).error;
}

/**
 * A value in the shape JSON gives it (as the python peers write it): bigints as decimal strings,
 * typed arrays as plain arrays, recursively through arrays and objects.
 */
export function jsonShape(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(jsonShape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonShape(x)]));
  return v;
}

/**
 * The upstream Python MRD v2 tools (ismrmrd/mrd's `mrd` package with ismrmrd-python, the peer of
 * the MRD v2 interop tests): `../shared/peers/mrd-python` beside the repository (as on CI), or
 * `$MRD_PEERS_DIR/mrd-python`. Returns the python3 and the environment to run its tools with
 * (`python -m mrd.tools.phantom ...`), or undefined when the folder or Debian's python3-numpy is
 * missing. `withConverters` also requires h5py and xsdata (ismrmrd_to_mrd, mrd_to_ismrmrd).
 */
export function mrdPythonPeer(opts: { withConverters?: boolean } = {}): { python: string; dir: string; env: NodeJS.ProcessEnv } | undefined {
  const peers = process.env.MRD_PEERS_DIR ? resolve(process.env.MRD_PEERS_DIR) : join(repoRoot(), '..', 'shared', 'peers');
  const dir = join(peers, 'mrd-python');
  if (!existsSync(join(dir, 'mrd', '__init__.py'))) return undefined;
  const python = findPython(opts.withConverters ? ['numpy', 'h5py', 'xsdata'] : ['numpy']);
  if (!python) return undefined;
  return { python, dir, env: { ...process.env, PYTHONPATH: dir } };
}
