/**
 * Behaviour of the built-in modules on synthetic input (no reference data needed): the image
 * paths of invertcontrast and filter, analyzeflow, option handling and failures.
 */
import { describe, expect, it } from 'vitest';
import { emptyImageHeader } from '@mrd-tools/core/headers';
import { MetaAttributes, parseMeta, serializeMeta } from '@mrd-tools/core/meta';
import type { Image } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { builtInModule, BUILT_IN_MODULES } from './index.js';

function image(values: number[], nx: number, ny: number, opts: { type?: number; series?: number; index?: number; slice?: number; phase?: number; meta?: Record<string, string> } = {}): Image {
  const head = emptyImageHeader();
  head.data_type = 2;
  head.matrix_size = [nx, ny, 1];
  head.channels = 1;
  head.image_type = opts.type ?? 1;
  head.image_series_index = opts.series ?? 0;
  head.image_index = opts.index ?? 0;
  head.slice = opts.slice ?? 0;
  head.phase = opts.phase ?? 0;
  head.read_dir = [1, 0, 0];
  head.phase_dir = [0, 1, 0];
  return { head, attribute: serializeMeta(new MetaAttributes(opts.meta ?? { DataRole: 'Image' })), data: Int16Array.from(values) };
}

async function run(name: string, input: MrdMessage[], config: unknown, header: unknown = { experimentalConditions: { H1resonanceFrequency_Hz: 1 }, encoding: [] }): Promise<MrdMessage[]> {
  const conn = new ReplayConnection(input);
  await builtInModule(name)!.process(conn, config as Record<string, unknown>, header);
  return conn.sent;
}

const images = (msgs: MrdMessage[]): Image[] => msgs.flatMap((m) => (m.type === 'image' ? [m.image] : []));

describe('registry', () => {
  it('maps the reference module names, not the server\'s own configs nor inherited keys', () => {
    expect(Object.keys(BUILT_IN_MODULES)).toEqual(expect.arrayContaining(['analyzeflow', 'filter', 'invertcontrast', 'simplefft']));
    for (const own of ['null', 'savedataonly', 'savedata']) expect(builtInModule(own)).toBeUndefined();
    expect(builtInModule('toString')).toBeUndefined();
    expect(builtInModule('null')).toBeUndefined();
  });
});

describe('invertcontrast image path', () => {
  it('normalises to BitsStored from the header, inverts, and groups by series', async () => {
    const header = { experimentalConditions: { H1resonanceFrequency_Hz: 1 }, encoding: [], userParameters: { userParameterLong: [{ name: 'BitsStored', value: 8 }] } };
    const out = await run('invertcontrast', [
      { type: 'image', image: image([0, 10, 20, 40], 2, 2) },
      { type: 'image', image: image([5, 5, 5, 10], 2, 2, { series: 1 }) },
    ], 'invertcontrast', header);
    const imgs = images(out);
    expect(imgs).toHaveLength(2);
    // series 0 group: max 40 -> 255; inverted 255 - round(v * 255/40)
    expect([...imgs[0].data]).toEqual([255, 255 - 64, 255 - 128, 0]);
    expect([...imgs[1].data]).toEqual([255 - 128, 255 - 128, 255 - 128, 0]);
    const m = parseMeta(imgs[0].attribute);
    expect(m.get('WindowCenter')).toBe('128.0');
    expect(m.get('WindowWidth')).toBe('256');
    expect(m.getAll('ImageProcessingHistory')).toEqual(['PYTHON', 'INVERT']);
    expect(imgs[1].head.image_series_index).toBe(1);
  });

  it('echoes non-magnitude images at once with Keep_image_geometry, and applies colormap', async () => {
    const out = await run('invertcontrast', [
      { type: 'image', image: image([1, 2, 3, 4], 2, 2) },
      { type: 'image', image: image([7, 7, 7, 7], 2, 2, { type: 2 }) },
    ], { parameters: { options: 'colormap' } });
    const imgs = images(out);
    expect(imgs).toHaveLength(2);
    expect(imgs[0].head.image_type).toBe(2);
    expect([...imgs[0].data]).toEqual([7, 7, 7, 7]);
    expect(parseMeta(imgs[0].attribute).get('Keep_image_geometry')).toBe('1');
    expect(parseMeta(imgs[1].attribute).get('LUTFileName')).toBe('MicroDeltaHotMetal.pal');
  });

  it('sends an ERROR text when raw data comes with an unparsable header, and keeps going', async () => {
    const out = await run('invertcontrast', [{ type: 'acquisition', acquisition: { head: { ...(await import('@mrd-tools/core/headers')).emptyAcquisitionHeader(), flags: 1n << 7n, active_channels: 1, number_of_samples: 1 }, traj: new Float32Array(0), data: new Float32Array(2) } }], 'invertcontrast', 'not xml');
    expect(out).toHaveLength(1);
    expect(out[0].type === 'text' && out[0].text.startsWith('ERROR    ')).toBe(true);
  });
});

describe('invertcontrast options on images', () => {
  it('rgb: jet colours over the whole group, 3 channels, RGB image type, no windowing', async () => {
    const out = await run('invertcontrast', [
      { type: 'image', image: image([0, 4095], 2, 1) },
      { type: 'image', image: image([4095, 4095], 2, 1, { index: 1 }) },
    ], { parameters: { options: 'rgb' } });
    const imgs = images(out);
    expect(imgs.map((i) => [i.head.channels, i.head.image_type, i.head.data_type, i.data.constructor.name])).toEqual([[3, 6, 1, 'Uint16Array'], [3, 6, 1, 'Uint16Array']]);
    // inverted: [4095, 0] and [0, 0]; normalised over both: 1 -> jet(1) = (127, 0, 0), 0 -> jet(0) = (0, 0, 127)
    expect([...imgs[0].data]).toEqual([127, 0, 0, 0, 0, 127]);
    expect([...imgs[1].data]).toEqual([0, 0, 0, 0, 127, 127]);
    const m = parseMeta(imgs[0].attribute);
    expect(m.has('WindowCenter')).toBe(false);
    expect(m.getAll('ImageProcessingHistory')).toEqual(['PYTHON', 'INVERT', 'RGB']);
    expect(m.get('SequenceDescriptionAdditional')).toBe('FIRE_RGB');
    expect(m.get('InternalSend')).toBe('1');
  });

  it('roi: the heart ROI (colour, thickness, style, visibility, then 50 x/y pairs) in the bottom right', async () => {
    const out = await run('invertcontrast', [{ type: 'image', image: image(new Array(100 * 80).fill(1), 80, 100) }], { parameters: { options: 'roi' } });
    const roi = parseMeta(images(out)[0].attribute).getAll('ROI_example')!;
    expect(roi).toHaveLength(6 + 100);
    expect(roi.slice(0, 6)).toEqual(['1.000000', '0.000000', '0.000000', '1.000000', '0', '1']);
    const xs = roi.slice(6).filter((_, i) => i % 2 === 0).map(Number), ys = roi.slice(6).filter((_, i) => i % 2 === 1).map(Number);
    // x in [80 - 16, 80 - 8], y in [100 - 16, 100 - 8] (10% of min(100, 80) = 8, offset 20%)
    expect(Math.min(...xs)).toBeCloseTo(64, 5);
    expect(Math.max(...xs)).toBeCloseTo(72, 5);
    expect(Math.min(...ys)).toBeCloseTo(84, 5);
    expect(Math.max(...ys)).toBeCloseTo(92, 5);
  });

  it('rgb on multi-channel images logs an error and sends nothing for the group', async () => {
    const img = image([1, 2, 3, 4], 2, 1);
    img.head.channels = 2;
    const out = await run('invertcontrast', [{ type: 'image', image: img }], { parameters: { options: 'rgb' } });
    expect(images(out)).toHaveLength(0);
  });
});

describe('filter', () => {
  it('median-filters without inverting, notes the filter and comments, and sends originals first', async () => {
    const values = [0, 100, 0, 0, 100, 0, 0, 0, 100];
    const out = await run('filter', [{ type: 'image', image: image(values, 3, 3, { index: 4 }) }], { parameters: { filterSize: '3', sendOriginal: 'True', comments: 'hello' } });
    const imgs = images(out);
    expect(imgs).toHaveLength(2);
    expect(imgs[0].head.image_series_index).toBe(99);
    expect([...imgs[0].data]).toEqual(values);
    // normalised to 4095 (100 -> 4095), then a 3x3 median with reflection: isolated peaks vanish
    // except where reflection doubles them (corners): computed by hand
    expect([...imgs[1].data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 4095]);
    const m = parseMeta(imgs[1].attribute);
    expect(m.getAll('ImageProcessingHistory')).toEqual(['PYTHON', 'FILT']);
    expect(m.get('SequenceDescriptionAdditional')).toBe('FILT');
    expect(m.get('ImageComments')).toBe('Median filter size 3\nhello');
  });
});

describe('analyzeflow', () => {
  it('masks pixels with large temporal differences per flow direction and rescales around 2048', async () => {
    const mk = (dir: string, phase: number, v: number[]) => ({ type: 'image' as const, image: image(v, 2, 1, { type: 2, phase, meta: { FlowDirDisplay: dir } }) });
    const out = await run('analyzeflow', [
      mk('y', 0, [2048, 2048]), mk('y', 1, [2048, 3000]),
      mk('x', 0, [4096, 0]), mk('x', 1, [4096, 1000]),
      { type: 'image', image: image([1, 2], 2, 1) },
    ], 'analyzeflow');
    expect(out[0].type).toBe('image'); // the magnitude image, passed straight on
    expect(out[1].type === 'text' && /^INFO {5}Total processing time: /.test(out[1].text)).toBe(true);
    const imgs = images(out).slice(1);
    expect(imgs.map((i) => [i.head.image_series_index, i.head.image_index])).toEqual([[10, 0], [10, 1], [11, 0], [11, 1]]);
    // 'x' first (sorted): pixel 0 constant 4096 -> (4096-2048)*4095/2048 = 4095; pixel 1 mean diff 1000 > 250 -> 2048 -> 0
    expect([...imgs[0].data]).toEqual([4095, 0]);
    expect([...imgs[1].data]).toEqual([4095, 0]);
    // 'y': pixel 1 diff 952 -> masked; pixel 0 stays 2048 -> 0
    expect([...imgs[2].data]).toEqual([0, 0]);
    expect(parseMeta(imgs[0].attribute).get('Keep_image_geometry')).toBe('1');
  });

  it('answers an INFO text for every raw readout it ignores', async () => {
    const { emptyAcquisitionHeader } = await import('@mrd-tools/core/headers');
    const acq = { type: 'acquisition' as const, acquisition: { head: emptyAcquisitionHeader(), traj: new Float32Array(0), data: new Float32Array(0) } };
    const out = await run('analyzeflow', [acq, acq], 'analyzeflow');
    expect(out.map((m) => (m.type === 'text' ? m.text : m.type))).toEqual([
      'INFO     Received an ismrmrd.Acquisition which is ignored by this analysis',
      'INFO     Received an ismrmrd.Acquisition which is ignored by this analysis',
    ]);
  });
});
