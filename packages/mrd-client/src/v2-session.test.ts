/**
 * V2ResultsWriter's output file: built under a temporary name created exclusively, so a file that
 * already has the drawn name (another process's, a killed run's leftover) is neither written,
 * published as the output, nor removed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { occupyNextTemporaryName } from '@mrd-tools/core/testing';
import { V2ResultsWriter } from './v2-session.js';

const dir = mkdtempSync(join(tmpdir(), 'mrd-v2-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('V2ResultsWriter', () => {
  it('a file that has the drawn temporary name is not written, published or removed', async () => {
    const sub = mkdtempSync(join(dir, 'clash-'));
    const p = join(sub, 'out.mrd');
    const { taken, restore } = occupyNextTemporaryName(p);
    onTestFinished(restore);
    const w = new V2ResultsWriter(p, 'ndjson');
    await w.prepare();
    await w.finish();
    await w.close();
    expect(readFileSync(taken, 'utf8')).toBe('not yours');
    expect(readFileSync(p, 'utf8')).not.toContain('not yours');
    expect(readFileSync(p, 'utf8').length).toBeGreaterThan(0);
    expect(readdirSync(sub).sort()).toEqual([taken.slice(sub.length + 1), 'out.mrd'].sort());
  });

  it('a run that wrote nothing leaves no file', async () => {
    const sub = mkdtempSync(join(dir, 'none-'));
    const w = new V2ResultsWriter(join(sub, 'out.mrd'), 'mrd2');
    await w.prepare();
    await w.close();
    expect(readdirSync(sub)).toEqual([]);
  });
});
