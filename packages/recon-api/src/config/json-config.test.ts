import { describe, expect, it } from 'vitest';
import { getJsonConfigParam, JsonConfigError } from './json-config.js';

describe('getJsonConfigParam', () => {
  const config = {
    parameters: {
      options: 'complex', n: '5', f: '2.5', i: 7.9, b: true, bs: 'TRUE', bf: 'False', bx: 'maybe', nul: null,
      list: ['a', 1], flag: false, big: 3,
    },
  };
  it('returns the default when config, parameters or key are missing', () => {
    expect(getJsonConfigParam(undefined, 'options')).toBeUndefined();
    expect(getJsonConfigParam('text', 'options', 'd')).toBe('d');
    expect(getJsonConfigParam([1], 'options', 'd')).toBe('d');
    expect(getJsonConfigParam({}, 'options', 'd')).toBe('d');
    expect(getJsonConfigParam({ parameters: {} }, 'options', 5, 'int')).toBe(5);
    expect(getJsonConfigParam(config, 'missing', false, 'bool')).toBe(false);
  });
  it('coerces as Python', () => {
    expect(getJsonConfigParam(config, 'options')).toBe('complex');
    expect(getJsonConfigParam(config, 'options', undefined, 'choice')).toBe('complex');
    expect(getJsonConfigParam(config, 'n', 0, 'int')).toBe(5);
    expect(getJsonConfigParam(config, 'i', 0, 'int')).toBe(7);
    expect(getJsonConfigParam(config, 'b', 0, 'int')).toBe(1);
    expect(getJsonConfigParam(config, 'f', 0, 'float')).toBe(2.5);
    expect(getJsonConfigParam(config, 'n', 0, 'double')).toBe(5);
    expect(getJsonConfigParam(config, 'b', undefined, 'str')).toBe('True');
    expect(getJsonConfigParam(config, 'nul', undefined, 'string')).toBe('None');
    expect(getJsonConfigParam(config, 'list', undefined, 'str')).toBe("['a', 1]");
    expect(getJsonConfigParam(config, 'i', undefined, 'str')).toBe('7.9');
    expect(getJsonConfigParam(config, 'big', undefined, 'str')).toBe('3');
    expect(getJsonConfigParam(config, 'b', false, 'bool')).toBe(true);
    expect(getJsonConfigParam(config, 'flag', true, 'boolean')).toBe(false);
    expect(getJsonConfigParam(config, 'bs', false, 'bool')).toBe(true);
    expect(getJsonConfigParam(config, 'bf', true, 'bool')).toBe(false);
    expect(getJsonConfigParam(config, 'bx', 'dflt', 'bool')).toBe('dflt');
  });
  it('throws where Python raises', () => {
    expect(() => getJsonConfigParam(config, 'f', 0, 'int')).toThrow(/config parameter f: invalid literal for int\(\) with base 10: '2.5'/);
    expect(() => getJsonConfigParam(config, 'nul', 0, 'int')).toThrow(JsonConfigError);
    expect(() => getJsonConfigParam(config, 'options', 0, 'float')).toThrow(/could not convert string to float/);
    expect(() => getJsonConfigParam(config, 'i', false, 'bool')).toThrow(JsonConfigError);
    expect(() => getJsonConfigParam(config, 'options', 0, 'number' as never)).toThrow(/'type' must be int, float, string, or bool/);
  });
});
