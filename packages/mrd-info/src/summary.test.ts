/**
 * mrd-info's summary on the reference inputs (ismrmrd-python and ISMRMRD C++ generated, and a
 * reference server output), against facts known from how they were made
 * (reference/README.md) and an independent full read of the same files; and its JSON against
 * the schema written in README.md.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { reference } from '@mrd-tools/core/testing';
import { SCHEMA, summarize, type Summary } from './summary.js';
import { formatSummary } from './text.js';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');

/** The schema block of README.md. */
function readmeSchema(): unknown {
  const m = /## JSON schema[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no JSON schema block');
  return JSON.parse(m[1]!);
}

/** Problems of `value` against a README schema template (empty when it conforms). */
export function conform(value: unknown, t: unknown, at = '$'): string[] {
  if (typeof t === 'string') {
    const ok = t.split('|').some((k) => {
      if (k === 'null') return value === null;
      if (k === 'string') return typeof value === 'string';
      if (k === 'number') return typeof value === 'number' && Number.isFinite(value);
      if (k === 'integer') return Number.isInteger(value);
      throw new Error(`unknown schema type ${k}`);
    });
    return ok ? [] : [`${at}: ${JSON.stringify(value)} is not ${t}`];
  }
  if (Array.isArray(t)) {
    if (!Array.isArray(value)) return [`${at}: not an array`];
    return value.flatMap((v, i) => conform(v, t[0], `${at}[${i}]`));
  }
  const tt = t as Record<string, unknown>;
  if (value === null) return tt['(nullable)'] ? [] : [`${at}: null`];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
  const v = value as Record<string, unknown>;
  if ('*' in tt) return Object.entries(v).flatMap(([k, x]) => conform(x, tt['*'], `${at}.${k}`));
  const keys = Object.keys(tt).filter((k) => k !== '(nullable)');
  const problems: string[] = [];
  for (const k of keys) {
    if (!(k in v)) problems.push(`${at}.${k}: missing`);
    else problems.push(...conform(v[k], tt[k], `${at}.${k}`));
  }
  for (const k of Object.keys(v)) if (!keys.includes(k)) problems.push(`${at}.${k}: not in the schema`);
  return problems;
}

const FILES = ['inputs/phantom_m64_c4_r2.h5', 'inputs/phantom_m64_waveforms.h5', 'inputs/cpp_phantom_m64_c4_noise_traj.h5', 'outputs/invertcontrast_m64.h5', 'outputs/invertcontrast_rgb.h5', 'outputs/invertcontrast_complex.h5'];

describe('the README schema checker', () => {
  it('rejects missing, extra and mistyped keys', () => {
    const t = { a: 'integer', b: { '(nullable)': true, c: ['string'] }, d: { '*': 'number|null' } };
    expect(conform({ a: 1, b: null, d: { x: 1, y: null } }, t)).toEqual([]);
    expect(conform({ a: 1.5, b: { c: [1] }, d: { x: 'no' }, e: 0 }, t)).toEqual([
      '$.a: 1.5 is not integer', '$.b.c[0]: 1 is not string', '$.d.x: "no" is not number|null', '$.e: not in the schema',
    ]);
    expect(conform({ b: null, d: {} }, t)).toEqual(['$.a: missing']);
  });
});

describe('mrd-info summary of the reference files', () => {
  const summaries = new Map<string, Summary>();
  const get = async (f: string) => {
    if (!summaries.has(f)) summaries.set(f, await summarize(reference(f)));
    return summaries.get(f)!;
  };

  it('every summary conforms to the README schema', async () => {
    const schema = readmeSchema();
    for (const f of FILES) {
      const s = JSON.parse(JSON.stringify(await get(f)));
      expect(conform(s, schema), f).toEqual([]);
      expect(s.schema).toBe(SCHEMA);
    }
  });

  it('Python phantom (-m 64 -c 4 -r 2): 32 noise readouts + 2 x 64 lines, 4 channels, 128 samples', async () => {
    const s = await get('inputs/phantom_m64_c4_r2.h5');
    expect(s.groups.map((g) => g.name)).toEqual(['dataset']);
    const a = s.groups[0]!.acquisitions!;
    expect(a.count).toBe(160);
    expect(a.noise).toBe(32);
    expect(a.flags.IS_NOISE_MEASUREMENT).toBe(32);
    expect(a.counters!.kspace_encode_step_1).toEqual({ min: 0, max: 63 });
    expect(a.counters!.repetition).toEqual({ min: 0, max: 1 });
    expect(a.channels).toEqual({ min: 4, max: 4 });
    expect(a.samples).toEqual({ min: 128, max: 128 });
    const h = s.groups[0]!.header!;
    expect(h.error).toBeNull();
    expect(h.encodings[0]!.trajectory).toBe('cartesian');
    expect(h.encodings[0]!.encoded_space.matrix).toEqual([128, 64, 1]);
    expect(h.encodings[0]!.recon_space.matrix).toEqual([64, 64, 1]);
    expect(s.groups[0]!.image_series).toEqual([]);
    expect(s.groups[0]!.waveforms).toBeNull();
  });

  it('flag counts and counter ranges equal a full read of the acquisitions', async () => {
    for (const f of ['inputs/phantom_m64_c4_r2.h5', 'inputs/cpp_phantom_m64_c4_noise_traj.h5']) {
      const s = await get(f);
      const file = await MrdFile.open(reference(f));
      const flags: Record<string, number> = {};
      let traj = { min: Infinity, max: -Infinity };
      try {
        for await (const acq of file.acquisitions('dataset')) {
          for (let b = 1; b <= 64; b++) {
            if ((acq.head.flags >> BigInt(b - 1)) & 1n) {
              const name = Object.keys(s.groups[0]!.acquisitions!.flags).find((n) => n === `BIT_${b}`) ?? b;
              flags[String(name)] = (flags[String(name)] ?? 0) + 1;
            }
          }
          traj = { min: Math.min(traj.min, acq.head.trajectory_dimensions), max: Math.max(traj.max, acq.head.trajectory_dimensions) };
        }
      } finally {
        file.close();
      }
      const { AcquisitionFlag } = await import('@mrd-tools/core/constants');
      const byBit = Object.fromEntries(Object.entries(s.groups[0]!.acquisitions!.flags).map(([n, c]) => [String((AcquisitionFlag as Record<string, number>)[n] ?? n), c]));
      expect(byBit, f).toEqual(flags);
      expect(s.groups[0]!.acquisitions!.trajectory_dimensions).toEqual(traj);
    }
  });

  it('waveform file: 20 waveforms, ids 0 (ECG) and 1025, 5 channels x 40 samples', async () => {
    const s = await get('inputs/phantom_m64_waveforms.h5');
    const w = s.groups[0]!.waveforms!;
    expect(w.count).toBe(20);
    expect(w.by_id.map((b) => [b.id, b.name, b.channels, b.samples])).toEqual([
      [0, 'ECG', [5], { min: 40, max: 40 }],
      [1025, null, [5], { min: 40, max: 40 }],
    ]);
    expect(w.by_id.reduce((n, b) => n + b.count, 0)).toBe(20);
  });

  it('C++ generated file: noise calibration, trajectories, the phantom/csm/coil_images arrays', async () => {
    const s = await get('inputs/cpp_phantom_m64_c4_noise_traj.h5');
    const g = s.groups[0]!;
    expect(g.acquisitions!.noise).toBe(1);
    expect(g.acquisitions!.count).toBe(65);
    expect(g.acquisitions!.trajectory_dimensions.max).toBe(2);
    expect(g.other_datasets.map((d) => [d.name, d.type, d.shape.length])).toEqual([
      ['coil_images', 'complex64', 4], ['csm', 'complex64', 4], ['phantom', 'complex64', 3],
    ]);
  });

  it('image outputs: series, sizes, image and data types', async () => {
    const s = await get('outputs/invertcontrast_m64.h5');
    const series = s.groups[0]!.image_series;
    expect(series.map((x) => [x.name, x.count, x.matrix_sizes, x.image_types, x.data_types])).toEqual([['image_0', 2, [[64, 64, 1]], ['MAGNITUDE'], ['SHORT']]]);
    expect(s.groups[0]!.acquisitions).toBeNull();
    const rgb = (await get('outputs/invertcontrast_rgb.h5')).groups[0]!.image_series;
    expect(rgb.flatMap((x) => x.image_types)).toContain('RGB');
    const cx = (await get('outputs/invertcontrast_complex.h5')).groups[0]!.image_series;
    expect(cx.flatMap((x) => x.data_types)).toEqual(['FLOAT']); // the reference server sends the complex option's images as float
  });

  it('--group keeps one group; an unknown group is an error naming the groups', async () => {
    const s = await summarize(reference('inputs/phantom_m64_c4_r2.h5'), 'dataset');
    expect(s.groups.length).toBe(1);
    await expect(summarize(reference('inputs/phantom_m64_c4_r2.h5'), 'nope')).rejects.toThrow(/no group 'nope' \(groups: dataset\)/);
  });

  it('the text form names every section', async () => {
    const text = formatSummary(await get('inputs/phantom_m64_waveforms.h5'));
    expect(text).toMatch(/Acquisitions: 160 \(32 noise\)/);
    expect(text).toMatch(/id 0 \(ECG\): 10 waveforms, 5 channel\(s\), 40 samples/);
    expect(text).toMatch(/Encoding 0: cartesian/);
  });
});
