import { describe, expect, it } from 'vitest';
import { applyJetColormap, jetLookupTable } from './jet-colormap.js';

describe('jet colormap (matplotlib)', () => {
  it('has matplotlib jet\'s end points and knots', () => {
    const [r, g, b] = jetLookupTable();
    expect([r[0], g[0], b[0]]).toEqual([0, 0, 0.5]); // jet(0.0)
    expect([r[255], g[255], b[255]]).toEqual([0.5, 0, 0]); // jet(1.0)
    // between knots the table is linear in i/255: red rises from 0 at x = 0.35 to 1 at x = 0.66
    const i = 128, x = i / 255;
    expect(r[i]).toBeCloseTo((x - 0.35) / (0.66 - 0.35), 12);
    expect(g[i]).toBe(1);
  });

  it('normalises the group to [0, 1], maps to 0..255 and truncates, planes R, G, B', () => {
    const [a] = applyJetColormap([Int16Array.from([10, 20])]);
    expect([...a]).toEqual([0, 127, 0, 0, 127, 0]); // (0,0,127.5) and (127.5,0,0) truncated
  });
});
