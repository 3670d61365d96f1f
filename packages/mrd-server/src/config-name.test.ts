import { describe, expect, it } from 'vitest';
import { isValidConfigName } from './config-name.js';

describe('isValidConfigName', () => {
  it('accepts plain identifiers', () => {
    for (const n of ['invertcontrast', 'filterkspace', 'my_module-2', 'null', 'A1']) expect(isValidConfigName(n)).toBe(true);
  });
  it('refuses anything that could be a path or is not a string', () => {
    for (const n of ['../../x', '..', '.', '/etc/passwd', 'a/b', 'a\\b', '.hidden', 'x.ts', 'a b', '', 'a\0b', 'é', 'x'.repeat(129), 42, null, undefined, {}]) {
      expect(isValidConfigName(n)).toBe(false);
    }
  });
});
