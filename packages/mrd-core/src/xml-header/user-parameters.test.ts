import { describe, expect, it } from 'vitest';
import { parseIsmrmrdHeader } from './index.js';
import {
  getUserParameter, getUserParameterBase64, getUserParameterBase64Bytes, getUserParameterDouble, getUserParameterLong,
  getUserParameterString, UserParameterError,
} from './user-parameters.js';

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
