/**
 * The layering check of `pnpm test` (dependency-cruiser with .dependency-cruiser.cjs, see
 * docs/architecture.md): the repository passes it, and it fails on each kind of violation,
 * planted in a temporary copy of the workspace (package manifests and their node_modules links
 * as pnpm made them, each package's real source folders linked in, the planted files beside them).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@mrd-tools/core/testing';

const root = repoRoot();
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string, paths: string[]): { status: number; out: string } {
  const r = spawnSync(process.execPath, [depcruise, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...paths], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Recreates the node_modules/@mrd-tools links of `from` (relative, as pnpm makes them) under `to`. */
function copyWorkspaceLinks(from: string, to: string): void {
  const dir = join(from, 'node_modules', '@mrd-tools');
  if (!existsSync(dir)) return;
  mkdirSync(join(to, 'node_modules', '@mrd-tools'), { recursive: true });
  for (const name of readdirSync(dir)) symlinkSync(readlinkSync(join(dir, name)), join(to, 'node_modules', '@mrd-tools', name));
}

let copy: string;
beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'mrd-layers-'));
  for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json', 'tsconfig.base.json', 'package.json']) cpSync(join(root, f), join(copy, f));
  copyWorkspaceLinks(root, copy);
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src');
    if (!existsSync(src)) continue;
    const dst = join(copy, 'packages', pkg);
    mkdirSync(join(dst, 'src'), { recursive: true });
    cpSync(join(root, 'packages', pkg, 'package.json'), join(dst, 'package.json'));
    copyWorkspaceLinks(join(root, 'packages', pkg), dst);
    // the real source folders, so that imports of them resolve; planted files go beside them
    for (const entry of readdirSync(src)) {
      const target = join(src, entry);
      symlinkSync(target, join(dst, 'src', entry), lstatSync(target).isDirectory() ? 'dir' : 'file');
    }
  }
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function plant(rel: string, code: string): string {
  mkdirSync(dirname(join(copy, rel)), { recursive: true });
  writeFileSync(join(copy, rel), code);
  return rel;
}

describe('layering check (dependency-cruiser)', () => {
  it('the repository passes it', () => {
    const r = cruise(root, ['packages', 'tests']);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  });

  it('a file that keeps the rules passes in the copy too (the copy resolves like the repository)', () => {
    const ok = plant('packages/mrd-info/src/probe-ok/ok.ts', "import { logger } from '@mrd-tools/core/logging';\nimport { toolParser } from '@mrd-tools/tool-kit/cli';\nexport const x = [logger, toolParser];\n");
    const r = cruise(copy, [ok]);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  });

  const CASES: [rule: string, file: string, code: string][] = [
    ['no-relative-into-another-package', 'packages/mrd-info/src/probe-relative/a.ts', "import { logger } from '../../../mrd-core/src/logging/index.js';\nexport const x = logger;\n"],
    ['no-relative-from-tests-into-packages', 'tests/probe/a.test.ts', "import { logger } from '../../packages/mrd-core/src/logging/index.js';\nexport const x = logger;\n"],
    ['no-undeclared-dependency', 'packages/mrd-info/src/probe-undeclared/a.ts', "import { getFftEngine } from '@mrd-tools/recon-kernels/fft';\nexport const x = getFftEngine;\n"],
    ['no-unresolvable', 'packages/mrd-info/src/probe-deep/a.ts', "import { logger } from '@mrd-tools/core/src/logging/index.js';\nexport const x = logger;\n"],
    ['core-is-the-format-layer', 'packages/mrd-core/src/probe-core/a.ts', "import { getFftEngine } from '@mrd-tools/recon-kernels/fft';\nexport const x = getFftEngine;\n"],
    ['numerics-know-no-mrd', 'packages/recon-kernels/src/probe-numerics/a.ts', "import { emptyAcquisitionHeader } from '@mrd-tools/core/headers';\nexport const x = emptyAcquisitionHeader;\n"],
    ['generic-numerics-not-on-mri', 'packages/recon-kernels/src/probe-generic/a.ts', "import { nlinv } from '../mri/nlinv/index.js';\nexport const x = nlinv;\n"],
    ['test-fixtures-only-in-tests', 'packages/mrd-info/src/probe-fixture/a.ts', "import { repoRoot } from '@mrd-tools/core/testing';\nexport const x = repoRoot;\n"],
    ['module-api-on-the-format-layer', 'packages/recon-api/src/probe-api/a.ts', "import { mrd2gif } from '../../../mrd2gif/src/index.js';\nexport const x = mrd2gif;\n"],
  ];
  for (const [rule, file, code] of CASES) {
    it(`fails on a planted violation of ${rule}`, () => {
      plant(file, code);
      const r = cruise(copy, [file]);
      expect(r.status, r.out).not.toBe(0);
      expect(r.out).toContain(`${rule}: ${file}`);
    });
  }
});
