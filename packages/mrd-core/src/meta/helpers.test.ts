import { describe, expect, it } from 'vitest';
import { parseIsmrmrdHeader } from '../xml-header/index.js';
import { MetaAttributes } from './meta.js';
import { createRoi, createText, OverlayRecordError, parseRoi, parseText } from './roi.js';
import {
  getUserParameter, getUserParameterBase64, getUserParameterBase64Bytes, getUserParameterDouble, getUserParameterLong,
  getUserParameterString, UserParameterError,
} from './user-parameters.js';
import { getJsonConfigParam, JsonConfigError } from './json-config.js';
import {
  extractMiniHeadBoolParam, extractMiniHeadDoubleParam, extractMiniHeadLongParam, extractMiniHeadParam,
  extractMiniHeadStringParam, getIceMiniHead, IceMiniHeadError,
} from './ice-mini-head.js';

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

const HEADER = `<?xml version="1.0"?>
<ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD">
  <experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions>
  <encoding>
    <encodedSpace><matrixSize><x>64</x><y>64</y><z>1</z></matrixSize><fieldOfView_mm><x>300</x><y>300</y><z>5</z></fieldOfView_mm></encodedSpace>
    <reconSpace><matrixSize><x>64</x><y>64</y><z>1</z></matrixSize><fieldOfView_mm><x>300</x><y>300</y><z>5</z></fieldOfView_mm></reconSpace>
    <encodingLimits/>
    <trajectory>cartesian</trajectory>
  </encoding>
  <userParameters>
    <userParameterLong><name>BitsStored</name><value>12</value></userParameterLong>
    <userParameterLong><name>BitsStored</name><value>16</value></userParameterLong>
    <userParameterDouble><name>TestDouble</name><value>3.14159</value></userParameterDouble>
    <userParameterString><name>TestString</name><value>This is a test</value></userParameterString>
    <userParameterBase64><name>TestBase64</name><value>QWxsIHlvdXIgYmFzZSBhcmUgYmVsb25nIHRvIHVz</value></userParameterBase64>
    <userParameterBase64><name>BadPadding</name><value>QWxsIHlvdXI</value></userParameterBase64>
    <userParameterBase64><name>NotText</name><value>//79</value></userParameterBase64>
  </userParameters>
</ismrmrdHeader>`;

describe('user parameter lookups', () => {
  const h = parseIsmrmrdHeader(HEADER);
  it('finds the first parameter of the name and kind', () => {
    expect(getUserParameterLong(h, 'BitsStored')).toBe(12);
    expect(getUserParameterDouble(h, 'TestDouble')).toBe(3.14159);
    expect(getUserParameterString(h, 'TestString')).toBe('This is a test');
    expect(getUserParameterBase64(h, 'TestBase64')).toBe('All your base are belong to us');
    expect(getUserParameterBase64Bytes(h, 'TestBase64')?.length).toBe(30);
    expect(getUserParameter(h, 'long', 'BitsStored')).toBe(12);
    expect(getUserParameter(h.userParameters, 'string', 'TestString')).toBe('This is a test');
  });
  it('gives undefined for absent names, kinds or blocks', () => {
    expect(getUserParameterLong(h, 'TestDouble')).toBeUndefined();
    expect(getUserParameterString(h, 'nope')).toBeUndefined();
    expect(getUserParameterLong({ ...h, userParameters: undefined }, 'BitsStored')).toBeUndefined();
    expect(getUserParameterLong(undefined, 'BitsStored')).toBeUndefined();
  });
  it('refuses bad base64 and non-UTF-8 text as Python does', () => {
    expect(() => getUserParameterBase64(h, 'BadPadding')).toThrow(/incorrect base64 padding/);
    expect(() => getUserParameterBase64(h, 'NotText')).toThrow(UserParameterError);
    expect(getUserParameterBase64Bytes(h, 'NotText')).toEqual(new Uint8Array([0xff, 0xfe, 0xfd]));
  });
});

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

const MINIHEAD = `<XProtocol>
{
  <Name> "PhoenixMetaProtocol"
  <ID> 1000002
  <Userversion> 2.0

  <ParamMap."">
  {
    <ParamLong."NoOfCols">  { 128  }
    <ParamLong."Multi">  { 1 2 3  }
    <ParamString."SequenceDescription">  { "fl2d_tra"  }
    <ParamBool."BIsSeriesEnd">  { "true"  }
    <ParamBool."BIsOther">  { "false"  }
    <ParamDouble."SliceThickness">  { <Precision> 16  5.0000000000000000  }
    <ParamDouble."TimeAfterStart">
    {
      <Precision> 16
      12.5000000000000000
    }
    <ParamLong."Bad">  { x12  }
  }
}
`;

describe('IceMiniHead extraction', () => {
  it('reads long, double, bool and string parameters as the reference', () => {
    expect(extractMiniHeadLongParam(MINIHEAD, 'NoOfCols')).toBe(128);
    expect(extractMiniHeadStringParam(MINIHEAD, 'SequenceDescription')).toBe('fl2d_tra');
    expect(extractMiniHeadBoolParam(MINIHEAD, 'BIsSeriesEnd')).toBe(true);
    expect(extractMiniHeadBoolParam(MINIHEAD, 'BIsOther')).toBe(false);
    expect(extractMiniHeadDoubleParam(MINIHEAD, 'TimeAfterStart')).toBe(12.5);
    // <Precision> on the value's line: the reference finds no single value and gives 0.
    expect(extractMiniHeadParam(MINIHEAD, 'SliceThickness', 'ParamDouble')).toBeUndefined();
    expect(extractMiniHeadDoubleParam(MINIHEAD, 'SliceThickness')).toBe(0);
  });
  it('defaults when absent, errors when not a number', () => {
    expect(extractMiniHeadLongParam(MINIHEAD, 'Missing')).toBe(0);
    expect(extractMiniHeadDoubleParam(MINIHEAD, 'Missing')).toBe(0);
    expect(extractMiniHeadBoolParam(MINIHEAD, 'Missing')).toBe(false);
    expect(extractMiniHeadStringParam(MINIHEAD, 'Missing')).toBeUndefined();
    expect(() => extractMiniHeadLongParam(MINIHEAD, 'Multi')).toThrow(IceMiniHeadError);
    expect(() => extractMiniHeadLongParam(MINIHEAD, 'Bad')).toThrow(/ParamLong Bad: invalid literal/);
    // The type is part of the match.
    expect(extractMiniHeadLongParam(MINIHEAD, 'BIsSeriesEnd')).toBe(0);
  });
  it('decodes the base64 IceMiniHead meta attribute', () => {
    const m = new MetaAttributes({ IceMiniHead: Buffer.from(MINIHEAD, 'utf8').toString('base64') });
    const text = getIceMiniHead(MetaAttributes.parse(m.serialize()))!;
    expect(text).toBe(MINIHEAD);
    expect(extractMiniHeadLongParam(text, 'NoOfCols')).toBe(128);
    expect(getIceMiniHead(new MetaAttributes())).toBeUndefined();
    expect(() => getIceMiniHead(new MetaAttributes({ IceMiniHead: 'abc' }))).toThrow(IceMiniHeadError);
  });
});
