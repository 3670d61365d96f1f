import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreNamespaces } from './core-namespaces.js';
import { findUserModule, loadUserModule, provideCoreToUserModules, UserModuleLoadError } from './user-modules.js';

function dirs() {
  const root = mkdtempSync(join(tmpdir(), 'user-modules-'));
  const mods = join(root, 'modules');
  mkdirSync(mods);
  return { root, mods };
}

describe('user modules', () => {
  it('finds <name>.ts/.js only directly in the modules folders, by plain names', () => {
    const { root, mods } = dirs();
    writeFileSync(join(mods, 'a.ts'), 'export async function process() {}');
    writeFileSync(join(mods, 'b.js'), 'export async function process() {}');
    writeFileSync(join(root, 'outside.ts'), 'export async function process() {}');
    symlinkSync(join(root, 'outside.ts'), join(mods, 'link.ts'));
    expect(findUserModule([mods], 'a')).toBe(join(mods, 'a.ts'));
    expect(findUserModule([mods], 'b')).toBe(join(mods, 'b.js'));
    expect(findUserModule([mods], 'missing')).toBeNull();
    expect(findUserModule([mods], '../outside')).toBeNull();
    expect(findUserModule([mods], 'link')).toBeNull(); // a symlink leaving the folder
    expect(findUserModule(['/nonexistent', mods], 'a')).toBe(join(mods, 'a.ts'));
  });

  it('compiles TypeScript at load time and gives it the server core instance', async () => {
    const { mods } = dirs();
    writeFileSync(join(mods, 'helper.ts'), 'export const twice = (n: number): number => 2 * n;');
    writeFileSync(join(mods, 'm.ts'), `
import { logger, emptyImageHeader } from '@mrd-tools/core';
import core from '@mrd-tools/core';
import { twice } from './helper.js';
interface Probe { same: boolean; n: number; version: number }
export async function process(connection: any, config: any): Promise<void> {
  const p: Probe = { same: core.logger === logger, n: twice(config.n), version: emptyImageHeader().version };
  connection.result = p;
}`);
    provideCoreToUserModules(coreNamespaces());
    const mod = await loadUserModule(findUserModule([mods], 'm')!);
    const conn: Record<string, unknown> = {};
    await mod.process(conn as never, { n: 21 }, null);
    expect(conn.result).toEqual({ same: true, n: 42, version: 1 });
    expect((conn.result as { same: boolean }).same).toBe(true);
  });

  it('gives modules the module API, the numerics, and the server\'s ndarray and ndarray-ops (not installed beside them)', async () => {
    const { mods } = dirs();
    writeFileSync(join(mods, 'nd.ts'), `
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { hanning, outer } from '@mrd-tools/recon-api';
import { fftshift } from '@mrd-tools/recon-kernels/centred-fft';
export async function process(connection: any): Promise<void> {
  const a = ndarray(new Float64Array([1, 2, 3, 4]), [2, 2]);
  ops.mulseq(a, 10);
  connection.result = { a: [...a.data], w: [...outer(hanning(3), hanning(3)).data], s: [...fftshift(Float64Array.from([0, 1, 2]), [3])] };
}`);
    provideCoreToUserModules(coreNamespaces());
    const mod = await loadUserModule(findUserModule([mods], 'nd')!);
    const conn: Record<string, unknown> = {};
    await mod.process(conn as never, 'nd', null);
    expect(conn.result).toEqual({ a: [10, 20, 30, 40], w: [0, 0, 0, 0, 1, 0, 0, 0, 0], s: [2, 0, 1] });
  });

  it('reports compile errors with file and line, and a missing process export', async () => {
    const { mods } = dirs();
    writeFileSync(join(mods, 'bad.ts'), 'export async function process( {');
    writeFileSync(join(mods, 'noproc.ts'), 'export const x = 1;');
    provideCoreToUserModules(coreNamespaces());
    await expect(loadUserModule(join(mods, 'bad.ts'))).rejects.toThrow(/bad\.ts:1:\d+/);
    await expect(loadUserModule(join(mods, 'noproc.ts'))).rejects.toBeInstanceOf(UserModuleLoadError);
  });
});
