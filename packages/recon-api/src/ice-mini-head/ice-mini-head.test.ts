import { describe, expect, it } from 'vitest';
import { MetaAttributes } from '@mrd-tools/core/meta';
import {
  extractMiniHeadBoolParam, extractMiniHeadDoubleParam, extractMiniHeadLongParam, extractMiniHeadParam,
  extractMiniHeadStringParam, getIceMiniHead, IceMiniHeadError,
} from './ice-mini-head.js';

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
