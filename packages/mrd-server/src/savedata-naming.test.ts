import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  incomingDataFileName, measFileName, protocolFileName, sanitizeFileNamePart, uniquePathInFolder, isInsideFolder,
} from './savedata-naming.js';

const d = new Date(2024, 0, 2, 3, 4, 5);

describe('savedata naming', () => {
  it('names incoming data as the reference', () => {
    expect(incomingDataFileName(d, 7)).toBe('MRD_input_2024-01-02-030405_7.h5');
  });
  it('renames to the protocol name, sanitised and confined', () => {
    expect(protocolFileName('MRD_input_2024-01-02-030405_7.h5', 'gre_cine')).toBe('gre_cine_2024-01-02-030405_7.h5');
    expect(protocolFileName('MRD_input_x.h5', '../../etc/passwd')).toBe('etc_passwd_x.h5');
    expect(protocolFileName('MRD_input_x.h5', '/abs/path')).toBe('abs_path_x.h5');
    expect(protocolFileName('MRD_input_x.h5', '..')).toBeNull();
    expect(protocolFileName('MRD_input_x.h5', '')).toBeNull();
    expect(protocolFileName('MRD_input_x.h5', 'a\\b\u0000c d')).toBe('a_b_c_d_x.h5');
    expect(protocolFileName('other.h5', 'p')).toBeNull();
  });
  it('sanitises to a bounded plain name', () => {
    expect(sanitizeFileNamePart('x'.repeat(500)).length).toBe(100);
    expect(sanitizeFileNamePart('...')).toBe('');
    expect(sanitizeFileNamePart(42)).toBe('');
  });
  it('names savedata files as the reference', () => {
    const h = { measurementInformation: { protocolName: 'cine', measurementID: '45678_123_42' } };
    expect(measFileName(h, d)).toBe('meas_MID00042_cine_030405.h5');
    expect(measFileName({ measurementInformation: { protocolName: '', measurementID: '7' } }, d)).toBe('meas_MID00007_UnknownProtocol_2024-01-02-030405.h5');
    expect(measFileName({ measurementInformation: { protocolName: '../x', measurementID: 'abc' } }, d)).toBe('meas_MID00000_x_030405.h5');
    expect(measFileName('not a header', d)).toBe('meas_MID00000_UnknownProtocol_2024-01-02-030405.h5');
  });
  it('never replaces an existing file and never leaves the folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'naming-'));
    writeFileSync(join(dir, 'a.h5'), 'x');
    writeFileSync(join(dir, 'a_1.h5'), 'x');
    expect(uniquePathInFolder(dir, 'a.h5')).toBe(join(dir, 'a_2.h5'));
    expect(uniquePathInFolder(dir, 'b.h5')).toBe(join(dir, 'b.h5'));
    expect(() => uniquePathInFolder(dir, '../b.h5')).toThrow(/outside/);
    expect(isInsideFolder(dir, join(dir, 'sub', 'x'))).toBe(false);
  });
});
