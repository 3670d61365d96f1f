import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { describe, expect, it } from 'vitest';
import { reference } from '../testing/index.js';
import {
  IsmrmrdHeaderError, parseIsmrmrdHeader, serializeIsmrmrdHeader, tryParseIsmrmrdHeader, formatXsdFloat,
  type IsmrmrdHeader,
} from './index.js';
import { logger } from '../logging/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const exampleFiles = readdirSync(fixtures).filter((f) => f.endsWith('.xml'));

function roundTrip(xml: string): { first: IsmrmrdHeader; second: IsmrmrdHeader; out: string } {
  const first = parseIsmrmrdHeader(xml);
  const out = serializeIsmrmrdHeader(first);
  const second = parseIsmrmrdHeader(out);
  return { first, second, out };
}

async function readHeaderText(rel: string): Promise<string> {
  await h5wasm.ready;
  const f = new h5wasm.File(reference(rel), 'r');
  try {
    const ds = f.get('dataset/xml') as InstanceType<typeof h5wasm.Dataset>;
    const v = ds.value as unknown;
    const s = Array.isArray(v) ? v[0] : v;
    return typeof s === 'string' ? s : new TextDecoder().decode(s as Uint8Array);
  } finally {
    f.close();
  }
}

describe('ISMRMRD schema examples', () => {
  it('has the example fixtures', () => {
    expect(exampleFiles.length).toBeGreaterThanOrEqual(5);
  });

  for (const name of exampleFiles) {
    it(`round-trips ${name}`, () => {
      const { first, second, out } = roundTrip(fixture(name));
      expect(second).toEqual(first);
      // Idempotent from the first serialization on.
      expect(serializeIsmrmrdHeader(second)).toBe(out);
      expect(first.unknownElements).toBeUndefined();
    });
  }

  it('reads every field of the extended example', () => {
    const h = parseIsmrmrdHeader(fixture('ismrmrd_example_extended.xml'));
    expect(h.subjectInformation).toEqual({
      patientName: 'Anonymous Patient', patientWeight_kg: 70.3068, patientHeight_m: 1.8, patientID: 'BHHG8866789',
      patientBirthdate: '1980-06-12', patientGender: 'M',
    });
    expect(h.studyInformation?.accessionNumber).toBe(7638376482);
    expect(h.studyInformation?.studyTime).toBe('09:00:00');
    const m = h.measurementInformation!;
    expect(m.patientPosition).toBe('HFS');
    expect(m.relativeTablePosition).toEqual({ x: 0, y: 0, z: 10 });
    expect(m.measurementDependency).toEqual([
      { dependencyType: 'Noise', measurementID: 'HHJJHJL000977889' },
      { dependencyType: 'SurfaceCoilCorrection', measurementID: 'HHJJHJL000977810' },
    ]);
    expect(m.referencedImageSequence?.referencedSOPInstanceUID).toHaveLength(4);
    const a = h.acquisitionSystemInformation!;
    expect(a.coilLabel).toHaveLength(32);
    expect(a.coilLabel![31]).toEqual({ coilNumber: 31, coilName: 'COIL_31' });
    expect(a.deviceSerialNumber).toBe('27182818284590452');
    expect(h.experimentalConditions.H1resonanceFrequency_Hz).toBe(63642459);
    expect(h.encoding).toHaveLength(2);
    const e1 = h.encoding[1]!;
    expect(e1.encodingLimits.contrast).toEqual({ minimum: 2, maximum: 4, center: 3 });
    expect(h.encoding[0]!.encodingLimits.user_1).toEqual({ minimum: 0, maximum: 0, center: 0 });
    expect(e1.trajectory).toBe('other');
    expect(e1.trajectoryDescription?.userParameterDouble?.[1]).toEqual({ name: 'coefficient_2', value: 2233.72 });
    expect(e1.trajectoryDescription?.comment).toBe('This is an example description of a custom trajectory');
    expect(e1.parallelImaging?.accelerationFactor).toEqual({ kspace_encoding_step_1: 1, kspace_encoding_step_2: 2 });
    expect(e1.parallelImaging?.multiband).toEqual({
      spacing: [{ dZ: [0, 2] }, { dZ: [0, 2.5] }], deltaKz: 1, multiband_factor: 2, calibration: 'full3D', calibration_encoding: 0,
    });
    expect(e1.echoTrainLength).toBe(12);
    const s = h.sequenceParameters!;
    expect(s.TE).toEqual([2.35, 4.35, 6.55, 9.22]);
    expect(s.flipAngle_deg).toEqual([90, 120]);
    expect(s.diffusionDimension).toBe('segment');
    expect(s.diffusion?.[0]).toEqual({ gradientDirection: { rl: 0, ap: 1, fh: 0 }, bvalue: 2 });
    expect(s.diffusionScheme).toBe('bipolar');
    expect(h.userParameters?.userParameterBase64).toEqual([{ name: 'VENDOR_PROTOCOL', value: 'VGhpcyBpcyBhIGpvdXJuZXkgaW50byBzb3VuZA==' }]);
    // The C++ root attributes are kept.
    expect(h.unknownAttributes?.['xsi:schemaLocation']).toBe('http://www.ismrm.org/ISMRMRD ismrmrd.xsd');
  });

  it('writes elements in schema order (xs:all groups in declaration order)', () => {
    const out = serializeIsmrmrdHeader(parseIsmrmrdHeader(fixture('ismrmrd_example.xml')));
    const order = ['<encodedSpace>', '<reconSpace>', '<encodingLimits>', '<trajectory>', '<parallelImaging>'].map((t) => out.indexOf(t));
    expect(order.every((v, i) => v > 0 && (i === 0 || v > order[i - 1]!))).toBe(true);
    const ext = serializeIsmrmrdHeader(parseIsmrmrdHeader(fixture('ismrmrd_example_extended.xml')));
    expect(ext).toContain('<gradientDirection>\n        <rl>0</rl>\n        <ap>1</ap>\n        <fh>0</fh>\n      </gradientDirection>\n      <bvalue>2</bvalue>');
  });
});

describe('headers of the reference inputs', () => {
  for (const rel of ['inputs/phantom_m64_c4_r2.h5', 'inputs/phantom_m64_c4_noiseless.h5', 'inputs/phantom_m64_waveforms.h5']) {
    it(`${rel}: written by ismrmrd-python, re-serializes to the same bytes`, async () => {
      const xml = await readHeaderText(rel);
      const { first, second, out } = roundTrip(xml);
      expect(second).toEqual(first);
      expect(out).toBe(xml);
      expect(first.encoding[0]!.encodedSpace.matrixSize).toEqual({ x: 128, y: 64, z: 1 });
      expect(first.userParameters?.userParameterDouble).toEqual([{ name: 'TestDouble', value: 3.14159 }]);
    });
  }
  it('inputs/cpp_phantom_m64_c4_noise_traj.h5: written by the C++ tools, round-trips', async () => {
    const xml = await readHeaderText('inputs/cpp_phantom_m64_c4_noise_traj.h5');
    const { first, second } = roundTrip(xml);
    expect(second).toEqual(first);
    expect(first.version).toBe(8);
    expect(first.acquisitionSystemInformation).toEqual({ receiverChannels: 4, institutionName: 'ISMRM Synthetic Imaging Lab' });
    expect(first.encoding[0]!.encodedSpace.fieldOfView_mm).toEqual({ x: 600, y: 300, z: 6 });
    expect(first.unknownAttributes).toEqual({
      'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
      'xmlns:xs': 'http://www.w3.org/2001/XMLSchema',
      'xsi:schemaLocation': 'http://www.ismrm.org/ISMRMRD ismrmrd.xsd',
    });
  });
});

const MINIMAL = (inner: string, encodingExtra = '', encodingLimits = '') => `<?xml version="1.0"?>
<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD">${inner}
  <experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions>
  <encoding>
    <encodedSpace><matrixSize><x>64</x><y>64</y><z>1</z></matrixSize><fieldOfView_mm><x>300</x><y>300</y><z>5</z></fieldOfView_mm></encodedSpace>
    <reconSpace><matrixSize><x>64</x><y>64</y><z>1</z></matrixSize><fieldOfView_mm><x>300</x><y>300</y><z>5</z></fieldOfView_mm></reconSpace>
    <encodingLimits>${encodingLimits}</encodingLimits>
    <trajectory>cartesian</trajectory>${encodingExtra}
  </encoding>
</ismrmrdHeader>`;

describe('unknown content is kept', () => {
  it('at the root, inside known elements and in unknown subtrees', () => {
    const xml = MINIMAL(
      `<vendorBlock id="7"><a>1</a><b>text with <i>markup</i> inside</b></vendorBlock>
       <subjectInformation><patientName>x</patientName><ssn>none</ssn></subjectInformation>`,
      '<custom>kept &amp; escaped &lt;</custom>',
      '<kspace_encoding_step_1><minimum>0</minimum><maximum>63</maximum><center>32</center><note>n</note></kspace_encoding_step_1>',
    );
    const { first, second, out } = roundTrip(xml);
    expect(second).toEqual(first);
    expect(first.unknownElements).toEqual([
      {
        name: 'vendorBlock', attributes: { id: '7' },
        children: [{ name: 'a', children: ['1'] }, { name: 'b', children: ['text with', { name: 'i', children: ['markup'] }, 'inside'] }],
      },
    ]);
    expect(first.subjectInformation?.unknownElements).toEqual([{ name: 'ssn', children: ['none'] }]);
    expect(first.encoding[0]!.unknownElements).toEqual([{ name: 'custom', children: ['kept & escaped <'] }]);
    expect(first.encoding[0]!.encodingLimits.kspace_encoding_step_1?.unknownElements).toEqual([{ name: 'note', children: ['n'] }]);
    expect(out).toContain('<custom>kept &amp; escaped &lt;</custom>');
    expect(out).toContain('<vendorBlock id="7">');
  });
});

describe('values', () => {
  it('keeps string whitespace, decodes entities and character references, escapes on output', () => {
    const h = parseIsmrmrdHeader(MINIMAL('<subjectInformation><patientName>  A &amp; B &lt;c&gt; "q" &#233;&#x41;</patientName></subjectInformation>'));
    expect(h.subjectInformation?.patientName).toBe('  A & B <c> "q" éA');
    const out = serializeIsmrmrdHeader(h);
    expect(out).toContain('<patientName>  A &amp; B &lt;c&gt; "q" éA</patientName>');
    expect(parseIsmrmrdHeader(out)).toEqual(h);
  });

  it('numbers: integers, floats with exponent, INF and NaN round-trip', () => {
    const h = parseIsmrmrdHeader(MINIMAL(
      '<version>2</version>',
      '',
      '',
    ).replace('<trajectory>', '<echoTrainLength> 12 </echoTrainLength><trajectory>'));
    expect(h.version).toBe(2);
    expect(h.encoding[0]!.echoTrainLength).toBe(12);
    const seq: IsmrmrdHeader = { ...h, sequenceParameters: { TR: [1e-7, 1.5e300, Infinity, -Infinity, -0, 4.6], TE: [NaN] } };
    const back = parseIsmrmrdHeader(serializeIsmrmrdHeader(seq));
    expect(back.sequenceParameters?.TR).toEqual([1e-7, 1.5e300, Infinity, -Infinity, -0, 4.6]);
    expect(Object.is(back.sequenceParameters!.TR![4], -0)).toBe(true);
    expect(back.sequenceParameters?.TE?.[0]).toBeNaN();
    expect(formatXsdFloat(328.153125)).toBe('328.153125');
    expect(formatXsdFloat(512)).toBe('512');
  });

  it('applies the schema defaults of matrixSize and limits to empty elements', () => {
    const h = parseIsmrmrdHeader(MINIMAL('', '', '<slice><minimum/><maximum>2</maximum><center></center></slice>').replace('<z>1</z></matrixSize><fieldOfView_mm><x>300', '<z/></matrixSize><fieldOfView_mm><x>300'));
    expect(h.encoding[0]!.encodedSpace.matrixSize.z).toBe(1);
    expect(h.encoding[0]!.encodingLimits.slice).toEqual({ minimum: 0, maximum: 2, center: 0 });
  });
});

describe('leniency', () => {
  it('a missing encodingLimits reads as none given (as ismrmrd-python) and is written as an empty element', () => {
    const h = parseIsmrmrdHeader(MINIMAL('').replace('<encodingLimits></encodingLimits>', ''));
    expect(h.encoding[0]!.encodingLimits).toEqual({});
    const out = serializeIsmrmrdHeader(h);
    expect(out).toContain('<encodingLimits/>');
    expect(parseIsmrmrdHeader(out)).toEqual(h);
  });
});

describe('namespace prefixes', () => {
  it('reads a header whose ISMRMRD namespace is bound to a prefix (as ElementTree writes it)', () => {
    const plain = parseIsmrmrdHeader(MINIMAL('<subjectInformation><patientName>p</patientName></subjectInformation>'));
    const prefixed = MINIMAL('<subjectInformation><patientName>p</patientName></subjectInformation>')
      .replace('xmlns="http://www.ismrm.org/ISMRMRD"', 'xmlns:ns0="http://www.ismrm.org/ISMRMRD"')
      .replace(/<(\/?)([A-Za-z])/g, '<$1ns0:$2');
    expect(prefixed).toContain('<ns0:ismrmrdHeader xmlns:ns0=');
    expect(parseIsmrmrdHeader(prefixed)).toEqual(plain);
  });
});

describe('errors name the element at fault', () => {
  const cases: [string, string, RegExp][] = [
    ['not XML', 'this is not xml', /not well-formed XML/],
    ['wrong root', '<ismrmrdMeta/>', /^ismrmrdMeta: root element is <ismrmrdMeta>/],
    ['no experimentalConditions', MINIMAL('').replace(/<experimentalConditions>.*<\/experimentalConditions>/, ''), /^ismrmrdHeader\/experimentalConditions: required element is missing/],
    ['no encoding', MINIMAL('').replace(/<encoding>[\s\S]*<\/encoding>/, ''), /^ismrmrdHeader\/encoding: required element is missing/],
    ['bad unsignedShort', MINIMAL('').replace('<x>64</x>', '<x>70000</x>'), /^ismrmrdHeader\/encoding\[0\]\/encodedSpace\/matrixSize\/x: xs:unsignedShort value 70000 is out of range/],
    ['bad float', MINIMAL('').replace('<x>300</x>', '<x>3OO</x>'), /^ismrmrdHeader\/encoding\[0\]\/encodedSpace\/fieldOfView_mm\/x: "3OO" is not a valid xs:float/],
    ['bad enum', MINIMAL('').replace('cartesian', 'zigzag'), /^ismrmrdHeader\/encoding\[0\]\/trajectory: "zigzag" is not one of cartesian, epi/],
    ['missing patientPosition', MINIMAL('<measurementInformation><protocolName>p</protocolName></measurementInformation>'), /^ismrmrdHeader\/measurementInformation\/patientPosition: required element is missing/],
    ['repeated single element', MINIMAL('<version>1</version><version>2</version>'), /^ismrmrdHeader\/version: appears 2 times/],
    ['bad date', MINIMAL('<studyInformation><studyDate>13/08/2012</studyDate></studyInformation>'), /^ismrmrdHeader\/studyInformation\/studyDate: "13\/08\/2012" is not a valid xs:date/],
    ['unsafe long', MINIMAL('<version>9223372036854775807</version>'), /^ismrmrdHeader\/version: xs:long value 9223372036854775807 is beyond/],
    ['element in a leaf', MINIMAL('<subjectInformation><patientName><b>x</b></patientName></subjectInformation>'), /subjectInformation\/patientName: unexpected child element <b>/],
  ];
  for (const [label, xml, re] of cases) {
    it(label, () => {
      let err: unknown;
      try {
        parseIsmrmrdHeader(xml);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(IsmrmrdHeaderError);
      expect((err as Error).message).toMatch(re);
    });
  }

  it('serializing an invalid model names the field', () => {
    const h = parseIsmrmrdHeader(MINIMAL(''));
    expect(() => serializeIsmrmrdHeader({ ...h, encoding: [] })).toThrow(/ismrmrdHeader\/encoding: required element is missing/);
    const bad = structuredClone(h);
    bad.encoding[0]!.reconSpace.matrixSize.y = 1.5;
    expect(() => serializeIsmrmrdHeader(bad)).toThrow(/ismrmrdHeader\/encoding\[0\]\/reconSpace\/matrixSize\/y: 1.5 is not an integer/);
    const bad2 = structuredClone(h);
    (bad2.encoding[0] as { trajectory: string }).trajectory = 'zigzag';
    expect(() => serializeIsmrmrdHeader(bad2)).toThrow(IsmrmrdHeaderError);
  });
});

describe('tryParseIsmrmrdHeader', () => {
  it('returns the header, or the text with the error and a logged warning', () => {
    const lines: string[] = [];
    const saved = logger.level;
    logger.setSinks([(line) => lines.push(line)]);
    try {
      expect(tryParseIsmrmrdHeader(MINIMAL('')).header?.encoding).toHaveLength(1);
      expect(lines).toHaveLength(0);
      const r = tryParseIsmrmrdHeader('just some text');
      expect(r.header).toBeUndefined();
      expect(r.text).toBe('just some text');
      expect(r.error).toBeInstanceOf(IsmrmrdHeaderError);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('Metadata is not a valid MRD XML structure.  Passing on metadata as text');
    } finally {
      logger.setSinks([(line) => process.stderr.write(line + '\n')]);
      logger.level = saved;
    }
  });

  it('cuts a text message at its terminating NUL', () => {
    expect(parseIsmrmrdHeader(MINIMAL('') + '\0').encoding).toHaveLength(1);
  });
});
