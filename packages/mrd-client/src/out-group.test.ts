import { describe, expect, it } from 'vitest';
import { pythonNowString } from './out-group.js';

describe('pythonNowString', () => {
  it('formats as str(datetime.now())', () => {
    expect(pythonNowString(new Date(2024, 0, 2, 3, 4, 5, 123), 123456)).toBe('2024-01-02 03:04:05.123456');
    expect(pythonNowString(new Date(2024, 11, 31, 23, 59, 59, 0), 0)).toBe('2024-12-31 23:59:59');
    expect(pythonNowString()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
  });
});
