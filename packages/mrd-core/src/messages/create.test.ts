import { describe, expect, it } from 'vitest';
import { DataType } from '../constants/index.js';
import { decodeStream } from '../stream/decoder.js';
import { encodeMessage } from '../stream/encoder.js';
import {
  acquisitionMessageBytes, cloneAcquisition, cloneImage, cloneWaveform, createAcquisition, createImage, createWaveform,
  dataTypeOfPixels, elementsPerPixel, imageDataBytes, imageMessageBytes, pixelArrayConstructor, setImageAttribute,
  utf8Length, waveformMessageBytes,
} from './create.js';

describe('message constructors', () => {
  it('size acquisition payloads from the header', () => {
    const a = createAcquisition({ head: { number_of_samples: 10, active_channels: 3, trajectory_dimensions: 2 } });
    expect(a.data.length).toBe(60);
    expect(a.traj.length).toBe(20);
    expect(a.head.version).toBe(1);
    expect(acquisitionMessageBytes(a.head)).toBe(2 + 340 + 80 + 240);
    expect(encodeMessage({ type: 'acquisition', acquisition: a }).length).toBe(acquisitionMessageBytes(a.head));
    expect(() => createAcquisition({ head: { number_of_samples: 10, active_channels: 3 }, data: new Float32Array(59) })).toThrow(/60/);
  });

  it('maps every image data type to its typed array, complex interleaved', () => {
    const want = [
      [DataType.USHORT, Uint16Array, 1, 2], [DataType.SHORT, Int16Array, 1, 2], [DataType.UINT, Uint32Array, 1, 4],
      [DataType.INT, Int32Array, 1, 4], [DataType.FLOAT, Float32Array, 1, 4], [DataType.DOUBLE, Float64Array, 1, 8],
      [DataType.CXFLOAT, Float32Array, 2, 8], [DataType.CXDOUBLE, Float64Array, 2, 16],
    ] as const;
    for (const [dt, C, per, bytes] of want) {
      expect(pixelArrayConstructor(dt)).toBe(C);
      expect(elementsPerPixel(dt)).toBe(per);
      const img = createImage({ dataType: dt, matrixSize: [4, 3, 2], channels: 2 });
      expect(img.data).toBeInstanceOf(C);
      expect(img.data.length).toBe(48 * per);
      expect(imageDataBytes(img.head)).toBe(48 * bytes);
      expect(dataTypeOfPixels(img.data, per === 2)).toBe(dt);
      const [back] = decodeStream(encodeMessage({ type: 'image', image: img }));
      expect(back).toMatchObject({ type: 'image' });
      if (back!.type === 'image') expect(back!.image.data).toBeInstanceOf(C);
    }
    expect(() => pixelArrayConstructor(9)).toThrow(/data_type 9/);
  });

  it('infers data_type from the pixels and checks their count', () => {
    const img = createImage({ matrixSize: [2, 2, 1], data: new Float64Array(8), complex: true });
    expect(img.head.data_type).toBe(DataType.CXDOUBLE);
    expect(() => createImage({ matrixSize: [2, 2, 1], dataType: DataType.FLOAT, data: new Float32Array(3) })).toThrow(/4 elements|implies 4/);
    expect(() => createImage({ matrixSize: [2, 2, 1], dataType: DataType.FLOAT, data: new Float64Array(4) })).toThrow(TypeError);
  });

  it('keeps attribute_string_len the UTF-8 length of the attribute', () => {
    const img = createImage({ attribute: 'µs' });
    expect(img.head.attribute_string_len).toBe(3);
    setImageAttribute(img, '<ismrmrdMeta>😀</ismrmrdMeta>');
    expect(img.head.attribute_string_len).toBe(Buffer.byteLength(img.attribute));
    expect(utf8Length('a\u00e9\u4e2d\ud83d\ude00')).toBe(Buffer.byteLength('a\u00e9\u4e2d\ud83d\ude00'));
    expect(imageMessageBytes(img.head, 3)).toBe(2 + 198 + 8 + 3 + 4);
  });

  it('waveforms', () => {
    const w = createWaveform({ head: { number_of_samples: 40, channels: 5, waveform_id: 1025 } });
    expect(w.data).toBeInstanceOf(Uint32Array);
    expect(w.data.length).toBe(200);
    expect(waveformMessageBytes(w.head)).toBe(2 + 40 + 800);
  });

  it('clones detach payloads from the stream buffer and deep-copy headers', () => {
    const bytes = new Uint8Array(new ArrayBuffer(4000), 2);
    const a = createAcquisition({ head: { number_of_samples: 8, active_channels: 2 } });
    a.data[3] = 7;
    bytes.set(encodeMessage({ type: 'acquisition', acquisition: a }));
    const [m] = decodeStream(bytes.subarray(0, acquisitionMessageBytes(a.head)));
    if (m!.type !== 'acquisition') throw new Error();
    expect(m!.acquisition.data.buffer).toBe(bytes.buffer);
    const c = cloneAcquisition(m!.acquisition);
    expect(c.data.buffer).not.toBe(bytes.buffer);
    bytes.fill(0);
    expect(c.data[3]).toBe(7);
    c.head.idx.user[0] = 5;
    expect(m!.acquisition.head.idx.user[0]).toBe(0);
    const i = createImage({ matrixSize: [2, 1, 1] });
    const ic = cloneImage(i);
    ic.data[0] = 1;
    ic.head.matrix_size[0] = 9;
    expect(i.data[0]).toBe(0);
    expect(i.head.matrix_size[0]).toBe(2);
    const w = createWaveform({ head: { number_of_samples: 1, channels: 1 } });
    const wc = cloneWaveform(w);
    wc.data[0] = 3;
    expect(w.data[0]).toBe(0);
  });
});
