import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reference, referenceDir, repoRoot } from './reference.js';

/** `sha256  path` lines of tests/fixtures/reference/SHA256SUMS (the `sha256sum` format). */
function manifest(): Map<string, string> {
  const text = readFileSync(join(referenceDir(), 'SHA256SUMS'), 'utf8');
  const entries = new Map<string, string>();
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`SHA256SUMS: malformed line: ${line}`);
    entries.set(m[2]!, m[1]!);
  }
  return entries;
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split(sep).join('/'));
}

describe('reference fixtures', () => {
  it('live in the repository, at tests/fixtures/reference', () => {
    expect(referenceDir()).toBe(join(repoRoot(), 'tests', 'fixtures', 'reference'));
  });

  it('every file of SHA256SUMS is there, through reference(), with its recorded bytes', () => {
    const entries = manifest();
    // The streams, inputs, outputs, savedata, previews, DICOM, GIRF and MRD v2 files.
    expect(entries.size).toBeGreaterThanOrEqual(76);
    for (const [rel, sum] of entries) {
      const bytes = readFileSync(reference(rel));
      expect(createHash('sha256').update(bytes).digest('hex'), rel).toBe(sum);
    }
  });

  it('every data file is listed in SHA256SUMS (and so described in README.md)', () => {
    const listed = manifest();
    const unlisted = filesBelow(referenceDir()).filter((f) => !f.endsWith('.md') && f !== 'SHA256SUMS' && !listed.has(f));
    expect(unlisted, 'add them to tests/fixtures/reference/SHA256SUMS and README.md').toEqual([]);
  });

  it('a missing fixture is an error naming it, not a skip', () => {
    expect(() => reference('inputs/no_such_phantom.h5')).toThrow(
      /^reference fixture missing: tests\/fixtures\/reference\/inputs\/no_such_phantom\.h5 /,
    );
    expect(reference('inputs')).toBe(join(referenceDir(), 'inputs'));
  });
});
