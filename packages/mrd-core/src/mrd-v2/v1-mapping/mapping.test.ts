/**
 * v1 <-> v2 mapping: the reference conversions made by upstream's ismrmrd_to_mrd / mrd_to_ismrmrd
 * are reproduced byte for byte through the streaming converters, and the rules behind them hold
 * field by field (trajectory transposition, units, meta typing, upstream's truthiness, the losses
 * upstream and the formats have, the complete header mapping, and the one upstream bug not copied).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reference } from '../../testing/reference.js';
import type { MrdMessage } from '../../connection/types.js';
import { decodeStream } from '../../stream/decoder.js';
import { encodeMessages } from '../../stream/encoder.js';
import { createAcquisition, createImage, createWaveform } from '../../messages/create.js';
import { DataType } from '../../constants/index.js';
import { parseIsmrmrdHeader } from '../../xml-header/parse.js';
import { decodeMrdV2, type MrdV2Event } from '../binary/decoder.js';
import { MrdV2StreamEncoder } from '../binary/encoder.js';
import type { Acquisition, Header, ImageItem, StreamItem } from '../model/types.js';
import { headerToV1, headerToV2, headerV1Xml } from './header.js';
import { acquisitionToV1, acquisitionToV2, imageToV1, imageToV2, metaToV1, metaToV2, waveformToV1, waveformToV2 } from './items.js';
import { MrdV1ToV2, MrdV2ToV1 } from './stream.js';

function v1StreamToV2(v1: Uint8Array): Uint8Array {
  const conv = new MrdV1ToV2();
  const enc = new MrdV2StreamEncoder();
  const chunks: Uint8Array[] = [];
  const emit = (evs: MrdV2Event[]) => {
    for (const e of evs) chunks.push(...(e.type === 'header' ? enc.header(e.header) : e.type === 'item' ? enc.items(e.item) : enc.end()));
  };
  for (const m of decodeStream(v1)) emit(conv.message(m));
  emit(conv.end());
  return Buffer.concat(chunks);
}

function v2ToV1Stream(v2: Uint8Array): Uint8Array {
  const { header, items } = decodeMrdV2(v2);
  const c = new MrdV2ToV1();
  const msgs: MrdMessage[] = [...c.header(header)];
  for (const it of items) msgs.push(...c.item(it));
  msgs.push(...c.end());
  return encodeMessages(msgs);
}

function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  let i = 0;
  while (i < Math.min(got.length, want.length) && got[i] === want[i]) i++;
  expect(i === got.length && i === want.length, `${what}: ${got.length} bytes vs ${want.length}, first difference at ${i}`).toBe(true);
}

const bytes = (rel: string) => new Uint8Array(readFileSync(reference(rel)));

describe('reference conversions (upstream ismrmrd_to_mrd / mrd_to_ismrmrd)', () => {
  for (const name of ['phantom_m64_c4_r2', 'cpp_phantom_m64_c4_noise_traj', 'invertcontrast_m64']) {
    const dir = 'mrd-v2/v1_to_v2';
    it(`${name}: v1 stream -> v2 is upstream's v2 byte for byte`, () => {
      sameBytes(v1StreamToV2(bytes(`${dir}/${name}.v1.ismrmrd`)), bytes(`${dir}/${name}.mrd`), 'v1 -> v2');
    });
    const back = name === 'invertcontrast_m64' ? `${name}.roundtrip.ismrmrd` : `${name}.v1.ismrmrd`;
    it(`${name}: v2 -> v1 stream is upstream's ${back} byte for byte`, () => {
      sameBytes(v2ToV1Stream(bytes(`${dir}/${name}.mrd`)), bytes(`${dir}/${back}`), 'v2 -> v1');
    });
  }

  it('invertcontrast: the round trip differs from the original only in the meta text ("1.000000000000000000" -> "1.0", "0.000000000000000000" -> "0.0")', () => {
    const a = decodeStream(bytes('mrd-v2/v1_to_v2/invertcontrast_m64.v1.ismrmrd'));
    const b = decodeStream(bytes('mrd-v2/v1_to_v2/invertcontrast_m64.roundtrip.ismrmrd'));
    expect(b.map((m) => m.type)).toEqual(a.map((m) => m.type));
    let metaDiffs = 0;
    a.forEach((m, i) => {
      const n = b[i]!;
      if (m.type === 'image' && n.type === 'image') {
        expect(n.image.head).toEqual({ ...m.image.head, attribute_string_len: n.image.head.attribute_string_len });
        expect(n.image.data).toEqual(m.image.data);
        if (m.image.attribute !== n.image.attribute) {
          metaDiffs++;
          expect(m.image.attribute.replace(/(\d)\.0{18}/g, '$1.0')).toBe(n.image.attribute);
        }
      } else expect(n).toEqual(m);
    });
    expect(metaDiffs).toBeGreaterThan(0);
  });
});

describe('acquisitions', () => {
  it('v1 -> v2: units, channel order, counters; data shared; trajectory [samples][dims] -> [basis, samples]', () => {
    const a = createAcquisition({ head: { number_of_samples: 3, active_channels: 2, available_channels: 4, trajectory_dimensions: 2, acquisition_time_stamp: 4294967295, sample_time_us: 2.5, scan_counter: 7 } });
    a.head.physiology_time_stamp = [1, 2, 3];
    a.head.idx.user = [1, 2, 3, 4, 5, 6, 7, 8];
    a.traj.set([0, 10, 1, 11, 2, 12]);
    const v2 = acquisitionToV2(a);
    expect(v2.head.acquisitionTimeStampNs).toBe(4294967295000000n);
    expect(v2.head.physiologyTimeStampNs).toEqual([1000000n, 2000000n, 3000000n]);
    expect(v2.head.sampleTimeNs).toBe(2500n);
    expect(v2.head.channelOrder).toEqual([0, 1]);
    expect(v2.head.idx.user).toEqual([]);
    expect(v2.data.shape).toEqual([2, 3]);
    expect(v2.data.data).toBe(a.data);
    expect(v2.trajectory.shape).toEqual([2, 3]);
    expect([...v2.trajectory.data]).toEqual([0, 1, 2, 10, 11, 12]);
    const back = acquisitionToV1(v2);
    expect([...back.traj]).toEqual([...a.traj]);
    expect(back.head.acquisition_time_stamp).toBe(4294967295);
    expect(back.head).toEqual({ ...a.head, available_channels: 2, idx: { ...a.head.idx, user: [0, 0, 0, 0, 0, 0, 0, 0] } });
  });

  it('sample time: ns = trunc(us * 1000) as upstream\'s int(); refused when negative or not finite', () => {
    const a = createAcquisition({ head: { sample_time_us: Math.fround(2.5999999) } });
    expect(acquisitionToV2(a).head.sampleTimeNs).toBe(2599n);
    a.head.sample_time_us = -1;
    expect(() => acquisitionToV2(a)).toThrow(/sample_time_us -1/);
  });

  it('v2 -> v1 time stamps are ns // 1e6, not upstream\'s ns modulo 2^32 (operator-precedence bug not copied)', () => {
    const v2 = acquisitionToV2(createAcquisition({ head: { acquisition_time_stamp: 123456 } }));
    expect(v2.head.acquisitionTimeStampNs).toBe(123456000000n);
    // Upstream writes int(ns or 0 // 1e6) = ns, truncated to 32 bits: 123456000000 % 2^32 = 3197704192.
    expect(acquisitionToV1(v2).head.acquisition_time_stamp).toBe(123456);
  });

  it('v2 -> v1 of what v1 cannot hold: absent optionals as 0, extra user values dropped, a mismatched trajectory refused', () => {
    const v2: Acquisition = acquisitionToV2(createAcquisition({ head: { number_of_samples: 2, active_channels: 1 } }));
    delete v2.head.scanCounter;
    v2.head.userInt = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(acquisitionToV1(v2).head.scan_counter).toBe(0);
    expect(acquisitionToV1(v2).head.user_int).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    v2.trajectory = { shape: [2, 3], data: new Float32Array(6) };
    expect(() => acquisitionToV1(v2)).toThrow(/does not match 2 samples/);
  });
});

describe('images and meta', () => {
  it('meta values are typed as upstream types them, and written back with Python str()', () => {
    const xml = '<ismrmrdMeta><meta><name>a</name><value>1</value><value> 2.50 </value><value>1e3</value><value>text </value></meta>'
      + '<meta><name>b</name><value>1_000</value><value>99999999999999999999</value><value>nan</value><value>-0</value></meta></ismrmrdMeta>';
    const meta = metaToV2(xml);
    expect(meta.get('a')).toEqual([1n, 2.5, 1000, 'text']);
    expect(meta.get('b')!.slice(0, 2)).toEqual([1000, '99999999999999999999']);
    expect(meta.get('b')![2]).toBeNaN();
    expect(meta.get('b')![3]).toBe(0n);
    expect(metaToV1(meta)).toBe("<?xml version='1.0' encoding='UTF-8'?>\n<ismrmrdMeta><meta><name>a</name><value>1</value><value>2.5</value><value>1000.0</value><value>text</value></meta>"
      + '<meta><name>b</name><value>1000.0</value><value>99999999999999999999</value><value>nan</value><value>0</value></meta></ismrmrdMeta>');
    expect(metaToV2('<not xml')).toEqual(new Map());
    expect(metaToV1(new Map())).toBe('');
  });

  it('image header and data map both ways; the pixel type picks the case', () => {
    const img = createImage({ dataType: DataType.CXFLOAT, matrixSize: [4, 3, 2], channels: 2, attribute: '' });
    img.head.image_type = 5;
    img.head.acquisition_time_stamp = 10;
    const item = imageToV2(img);
    expect(item.type).toBe('imageComplexFloat');
    expect(item.value.data.shape).toEqual([2, 2, 3, 4]);
    expect(item.value.data.data).toBe(img.data);
    expect(item.value.head.imageType).toBe('complex');
    const back = imageToV1(item as ImageItem);
    expect(back.head).toEqual({ ...img.head, attribute_string_len: 0 });
    img.head.image_type = 0;
    expect(imageToV2(img).value.head.imageType).toBe(0);
  });
});

describe('waveforms', () => {
  it('map both ways; the v1 version has no v2 field and comes back 0', () => {
    const w = createWaveform({ head: { number_of_samples: 3, channels: 2, time_stamp: 5, sample_time_us: 2.5, waveform_id: 1025 } });
    w.head.version = 1;
    const v2 = waveformToV2(w);
    expect(v2).toMatchObject({ timeStampNs: 5000000n, sampleTimeNs: 2500n, waveformId: 1025, data: { shape: [2, 3], data: w.data } });
    const back = waveformToV1(v2);
    expect(back.head).toEqual({ ...w.head, version: 0 });
  });
});

describe('header', () => {
  const FIXTURES = join(import.meta.dirname, '../../xml-header/fixtures');
  const extended = parseIsmrmrdHeader(readFileSync(join(FIXTURES, 'ismrmrd_example_extended.xml'), 'utf8'));

  it('upstream mapping leaves out what upstream does not carry', () => {
    const h = headerToV2(extended);
    expect(h.waveformInformation).toEqual([]);
    expect(h.encoding[0]!.trajectoryDescription?.userParameterLong ?? []).toEqual([]);
    expect(h.sequenceParameters?.diffusion ?? []).toEqual([]);
    expect(h.measurementInformation?.measurementDependency).toEqual([]);
  });

  it('complete mapping carries every field both ways', () => {
    const h = headerToV2(extended, 'complete');
    const back = headerToV1(h, 'complete');
    const strip = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'unknownElements' || k === 'unknownAttributes' ? undefined : v)));
    // Floats go through float32 in v2.
    const f32 = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.fround(v) : v)));
    expect(f32(strip(back))).toEqual(f32(strip(extended)));
  });

  it('upstream truthiness: 0 and empty values are left out v1 -> v2', () => {
    const xml = readFileSync(join(FIXTURES, 'ismrmrd_example.xml'), 'utf8');
    const h = parseIsmrmrdHeader(xml);
    h.version = 0;
    h.subjectInformation = { patientWeight_kg: 0, patientName: '' };
    const v2 = headerToV2(h);
    expect(v2.version).toBeUndefined();
    expect(v2.subjectInformation).toEqual({});
    expect(headerToV2(h, 'complete').version).toBe(0n);
  });

  it('v2 -> v1 XML is rendered as upstream\'s xsdata does (ascii declaration, Python floats)', () => {
    const v2: Header = {
      experimentalConditions: { h1resonanceFrequencyHz: 123n }, waveformInformation: [],
      encoding: [{
        encodedSpace: { matrixSize: { x: 2, y: 2, z: 1 }, fieldOfViewMm: { x: 600, y: 1e-5, z: Math.fround(0.1) } },
        reconSpace: { matrixSize: { x: 2, y: 2, z: 1 }, fieldOfViewMm: { x: 1e16, y: 0, z: 5 } }, encodingLimits: {}, trajectory: 'radial',
      }],
      studyInformation: { studyTime: 45296123456789 },
    };
    const xml = headerV1Xml(headerToV1(v2));
    expect(xml.startsWith('<?xml version="1.0" encoding="ascii"?>\n<ismrmrdHeader xmlns="http://www.ism.org/ISMRMRD">'.replace('ism.org', 'ismrm.org'))).toBe(true);
    expect(xml).toContain('<x>600.0</x>');
    expect(xml).toContain('<y>1E-05</y>');
    expect(xml).toContain('<z>0.10000000149011612</z>');
    expect(xml).toContain('<x>1E16</x>');
    expect(xml).toContain('<studyTime>12:34:56.123456</studyTime>');
    expect(xml).toContain('<encodingLimits/>');
    expect(() => headerToV1({ ...v2, encoding: [] })).toThrow(/no encoding/);
  });
});

describe('streaming converters', () => {
  it('v1 -> v2: config and text skipped, header from the HEADER message, no header when data comes first', () => {
    const skipped: string[] = [];
    const c = new MrdV1ToV2({ onSkipped: (m) => skipped.push(m.type) });
    const xml = readFileSync(join(import.meta.dirname, '../../xml-header/fixtures/ismrmrd_example.xml'), 'utf8');
    const events = [
      ...c.message({ type: 'config_file', name: 'simplefft' }),
      ...c.message({ type: 'header', xml }),
      ...c.message({ type: 'text', text: 'hi' }),
      ...c.message({ type: 'acquisition', acquisition: createAcquisition({ head: { number_of_samples: 2, active_channels: 1 } }) }),
      ...c.message({ type: 'header', xml }),
      ...c.message({ type: 'close' }),
    ];
    expect(events.map((e) => e.type)).toEqual(['header', 'item', 'end']);
    expect(skipped).toEqual(['config_file', 'text', 'header']);
    const d = new MrdV1ToV2();
    expect([...d.message({ type: 'acquisition', acquisition: createAcquisition() }), ...d.end()].map((e) => e.type === 'header' ? `header:${e.header}` : e.type)).toEqual(['header:undefined', 'item', 'end']);
  });

  it('v1 -> v2 with a given header (a server answering a v2 client)', () => {
    const header: Header = { experimentalConditions: { h1resonanceFrequencyHz: 1n }, encoding: [], waveformInformation: [] };
    const c = new MrdV1ToV2({ header });
    const events = [...c.message({ type: 'image', image: createImage({ dataType: DataType.USHORT, matrixSize: [2, 2, 1] }) }), ...c.message({ type: 'close' })];
    expect(events[0]).toEqual({ type: 'header', header });
    expect(events.map((e) => e.type)).toEqual(['header', 'item', 'end']);
  });

  it('v2 -> v1: items without a v1 message fail by default (as upstream) or are skipped', () => {
    const item: StreamItem = { type: 'pulseqBlocks', value: [] };
    expect(() => new MrdV2ToV1().item(item)).toThrow(/pulseqBlocks has no MRD v1 message/);
    const seen: string[] = [];
    const c = new MrdV2ToV1({ unsupported: 'skip', onSkipped: (i) => seen.push(i.type) });
    expect(c.item(item)).toEqual([]);
    expect(seen).toEqual(['pulseqBlocks']);
    expect(c.end()).toEqual([{ type: 'close' }]);
  });
});
