/**
 * The one way tests reach the reference data: the repository's own copy in
 * tests/fixtures/reference/ (which program made each file: its README.md; third-party files and
 * their licences: its NOTICE.md). A clone alone has every fixture, so a missing one is an error
 * that names the file, never a reason to skip a test.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file holding pnpm-workspace.yaml. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repoRoot: no pnpm-workspace.yaml above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** tests/fixtures/reference/ in the repository. */
export function referenceDir(): string {
  return join(repoRoot(), 'tests', 'fixtures', 'reference');
}

/**
 * Absolute path of a reference fixture (a file or a folder), e.g.
 * `reference('inputs/phantom_m64_c4_r2.h5')`. Throws, naming the path, when it does not exist.
 */
export function reference(rel: string): string {
  const p = join(referenceDir(), rel);
  if (!existsSync(p)) {
    throw new Error(`reference fixture missing: ${relative(repoRoot(), p)} (the fixtures and their provenance: tests/fixtures/reference/README.md)`);
  }
  return p;
}
