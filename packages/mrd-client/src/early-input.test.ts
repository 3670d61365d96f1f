import { describe, expect, it } from 'vitest';
import { inputFileBeforeParsing } from './early-input.js';

describe('inputFileBeforeParsing', () => {
  it('finds the one positional, skipping option values', () => {
    expect(inputFileBeforeParsing(['-q', '-p', '9002', '-c', 'null', '-G', 'bench', '-o', 'out.h5', 'in.h5'])).toBe('in.h5');
    expect(inputFileBeforeParsing(['in.h5', '--config', 'x', '--outfile=o.h5', '-w'])).toBe('in.h5');
    expect(inputFileBeforeParsing(['-a', 'host', '--', '-odd-name.h5'])).toBe('-odd-name.h5');
  });
  it('gives up when none or several positionals', () => {
    expect(inputFileBeforeParsing(['-c', 'null'])).toBeUndefined();
    expect(inputFileBeforeParsing(['a.h5', 'b.h5'])).toBeUndefined();
    // an option value is not taken for the input
    expect(inputFileBeforeParsing(['-o', 'out.h5'])).toBeUndefined();
  });
});
