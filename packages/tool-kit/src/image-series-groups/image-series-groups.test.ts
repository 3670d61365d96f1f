import { describe, expect, it } from 'vitest';
import { ImageSeriesGroups } from './index.js';
import { emptyImageHeader } from '@mrd-tools/core/headers';
import type { Image } from '@mrd-tools/core/messages';

function img(series: number, x: number, y: number, type = 1, ch = 1): Image {
  const head = emptyImageHeader();
  head.image_series_index = series;
  head.matrix_size = [x, y, 1];
  head.channels = ch;
  head.data_type = type;
  return { head, attribute: '', data: new Uint16Array(x * y * ch) };
}

describe('ImageSeriesGroups', () => {
  it('keeps a uniform series in image_<series>', () => {
    const g = new ImageSeriesGroups();
    expect(g.choose(img(0, 64, 64))).toEqual({ group: 'image_0', sibling: false, firstInGroup: true });
    expect(g.choose(img(0, 64, 64))).toEqual({ group: 'image_0', sibling: false, firstInGroup: false });
    expect(g.choose(img(1, 32, 32)).group).toBe('image_1');
  });
  it('routes a different matrix size or type into a sibling group named after its shape', () => {
    const g = new ImageSeriesGroups();
    g.choose(img(0, 64, 64));
    expect(g.choose(img(0, 64, 32))).toEqual({ group: 'image_0_64x32x1x1_ushort', sibling: true, firstInGroup: true });
    expect(g.choose(img(0, 64, 32))).toEqual({ group: 'image_0_64x32x1x1_ushort', sibling: true, firstInGroup: false });
    expect(g.choose(img(0, 64, 64, 5)).group).toBe('image_0_64x64x1x1_float');
    expect(g.choose(img(0, 64, 64)).group).toBe('image_0');
  });
});
