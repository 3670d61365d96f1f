import { describe, expect, it } from 'vitest';
import { MetaAttributes } from './meta.js';
import { createRoi, createText, OverlayRecordError, parseRoi, parseText } from './roi.js';

describe('ROI records', () => {
  it('creates the reference format', () => {
    expect(createRoi([1.5, 2], [3, 4.25], { rgb: [0, 1, 0.5], thickness: 2, style: 1, visibility: 0 })).toEqual([
      '0.000000', '1.000000', '0.500000', '2.000000', '1', '0', '1.500000', '3.000000', '2.000000', '4.250000',
    ]);
    expect(createRoi(new Float32Array([10]), new Float64Array([20]))).toEqual(['1.000000', '0.000000', '0.000000', '1.000000', '0', '1', '10.000000', '20.000000']);
    // '%d' truncates floats
    expect(createRoi([0], [0], { style: 1.9 })[4]).toBe('1');
  });
  it('parses it back', () => {
    const roi = parseRoi(['1.0', '0.5', '0', '2', '1.0', '1', '3', '4', '5', '6']);
    expect(roi).toEqual({ x: [3, 5], y: [4, 6], rgb: [1, 0.5, 0], thickness: 2, style: 1, visibility: 1 });
  });
  it('refuses what the reference refuses', () => {
    expect(() => parseRoi(['1', '0', '0', '1', '0', '1', '2'])).toThrow(OverlayRecordError);
    expect(() => parseRoi(['1', '0', '0', '1', '0', '1', '2', '3', '4'])).toThrow(/even number of values/);
    expect(() => parseRoi(undefined)).toThrow(OverlayRecordError);
    expect(() => parseRoi(['1', '0', '0', '1', '0', '1', 'x', '3'])).toThrow(/ROI value 6: could not convert string to float/);
    expect(() => createRoi([1, 2], [1])).toThrow(OverlayRecordError);
  });
  it('round-trips through meta attributes', () => {
    const m = new MetaAttributes();
    m.set('ROI_1', createRoi([1, 2, 3], [4, 5, 6], { rgb: [0, 0, 1] }));
    const back = parseRoi(MetaAttributes.parse(m.serialize()).getAll('ROI_1'));
    expect(back.x).toEqual([1, 2, 3]);
    expect(back.rgb).toEqual([0, 0, 1]);
  });
});

describe('Text records', () => {
  it('creates and parses the reference format', () => {
    const t = createText(12.5, 7, { rgb: [1, 1, 0], visibility: 1, text: 'Hello & <world>' });
    expect(t).toEqual(['1.000000', '1.000000', '0.000000', '12.500000', '7.000000', '1', 'Hello & <world>']);
    expect(parseText(t)).toEqual({ x: 12.5, y: 7, rgb: [1, 1, 0], visibility: 1, text: 'Hello & <world>' });
    expect(createText(0, 0)).toEqual(['1.000000', '0.000000', '0.000000', '0.000000', '0.000000', '1', '']);
    expect(() => parseText(['1', '2'])).toThrow(/exactly 7 metadata values/);
  });
});
