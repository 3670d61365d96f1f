import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DebugDumper } from './debug-dump.js';

describe('DebugDumper', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('writes .npy files only into an existing folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-debug-'));
    dirs.push(dir);
    const d = new DebugDumper(dir);
    expect(d.enabled).toBe(true);
    d.save('raw.npy', Float32Array.from([1, 2]), [1], true);
    expect(readFileSync(join(dir, 'raw.npy')).subarray(1, 6).toString()).toBe('NUMPY');
    const missing = join(dir, 'nope');
    const off = new DebugDumper(missing);
    expect(off.enabled).toBe(false);
    let called = false;
    off.save('x.npy', () => { called = true; return new Float32Array(1); }, [1]);
    expect(called).toBe(false);
    expect(existsSync(missing)).toBe(false);
  });

  it('never throws when a dump fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-debug-'));
    dirs.push(dir);
    const d = new DebugDumper(dir);
    expect(() => d.save('sub/dir/x.npy', new Float32Array(1), [1])).not.toThrow();
    expect(() => d.save('y.npy', () => { throw new Error('boom'); }, [1])).not.toThrow();
  });
});
