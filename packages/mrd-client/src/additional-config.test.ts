import { describe, expect, it } from 'vitest';
import { chooseAdditionalConfig, pythonJsonDumps, stripJsonConfig } from './additional-config.js';

describe('additional config', () => {
  const files: Record<string, string> = { 'invertcontrast.json': '{"parameters": {"config": "x", "customconfig": "y", "options": "rgb"}}' };
  const fs = { cwdExists: (p: string) => p in files, read: (p: string) => files[p] };

  it('prefers <config>.json in the working directory, stripped with --ignore-json-config', () => {
    const r = chooseAdditionalConfig({ config: 'invertcontrast', ignoreJsonConfig: true, fileConfigAdditional: '{"a":1}', inputFile: 'in.h5', ...fs });
    expect(r.source).toBe('invertcontrast.json');
    expect(r.text).toBe('{\n  "parameters": {\n    "options": "rgb"\n  }\n}');
  });
  it('keeps the JSON text byte for byte without --ignore-json-config', () => {
    const r = chooseAdditionalConfig({ config: 'invertcontrast', ignoreJsonConfig: false, fileConfigAdditional: null, inputFile: 'in.h5', ...fs });
    expect(r.text).toBe(files['invertcontrast.json']);
  });
  it('ignores the local JSON with -C and falls back to the file dataset', () => {
    const r = chooseAdditionalConfig({ config: 'invertcontrast', configLocal: 'c.xml', ignoreJsonConfig: false, fileConfigAdditional: '{"a":1}', inputFile: 'in.h5', ...fs });
    expect(r).toEqual({ text: '{"a":1}', source: 'in.h5' });
  });
  it('sends nothing when there is no additional config', () => {
    expect(chooseAdditionalConfig({ config: 'simplefft', ignoreJsonConfig: true, fileConfigAdditional: null, inputFile: 'in.h5', ...fs }).text).toBeNull();
  });
  it('dumps JSON as Python json.dumps(indent=2)', () => {
    expect(pythonJsonDumps({ a: [1, 2.5, 'é'], b: {}, c: [], d: true, e: null }, 2)).toBe(
      '{\n  "a": [\n    1,\n    2.5,\n    "\\u00e9"\n  ],\n  "b": {},\n  "c": [],\n  "d": true,\n  "e": null\n}',
    );
  });
  it('names the file when the JSON is invalid', () => {
    expect(() => stripJsonConfig('{nope', 'x.json')).toThrow(/x\.json: additional config is not valid JSON/);
  });
});
