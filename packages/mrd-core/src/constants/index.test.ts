import { describe, expect, it } from 'vitest';
import {
  ACQ_IS_NOISE_MEASUREMENT, AcquisitionFlag, DataType, IMTYPE_RGB, ImageFlag, ImageType, MessageId, describeMessageId,
  messageIdName, sizeofDataType, dataTypeName,
} from './index.js';

describe('MRD constants', () => {
  it('message ids and names (constants.py, serialization.h)', () => {
    expect(MessageId).toEqual({ CONFIG_FILE: 1, CONFIG_TEXT: 2, HEADER: 3, CLOSE: 4, TEXT: 5, ACQUISITION: 1008, IMAGE: 1022, WAVEFORM: 1026, NDARRAY: 1030 });
    expect(messageIdName(3)).toBe('MRD_MESSAGE_METADATA_XML_TEXT');
    expect(messageIdName(1020)).toBe('MRD_MESSAGE_ISMRMRD_IMAGE_REAL_SHORT');
    expect(describeMessageId(1019)).toBe('1019 (MRD_MESSAGE_DEPENDENCY_QUERY, unsupported)');
    expect(describeMessageId(1001)).toBe('1001 (MRD_MESSAGE_ACQUISITION, deprecated)');
    expect(describeMessageId(42)).toBe('42');
    for (let id = 1001; id <= 1023; id++) if (id !== 1008 && id !== 1022) expect(messageIdName(id)).toMatch(/^MRD_MESSAGE_/);
  });

  it('flags, image types and data types (ismrmrd.h)', () => {
    const acq = Object.values(AcquisitionFlag);
    expect(acq).toEqual([...Array.from({ length: 31 }, (_, i) => i + 1), ...Array.from({ length: 12 }, (_, i) => i + 53)]);
    expect(AcquisitionFlag.IS_NOISE_MEASUREMENT).toBe(19);
    expect(ACQ_IS_NOISE_MEASUREMENT).toBe(19);
    expect(AcquisitionFlag.LAST_IN_MEASUREMENT).toBe(25);
    expect(Object.values(ImageFlag)).toEqual([1, ...Array.from({ length: 12 }, (_, i) => i + 5), ...Array.from({ length: 8 }, (_, i) => i + 57)]);
    expect(ImageType).toEqual({ MAGNITUDE: 1, PHASE: 2, REAL: 3, IMAG: 4, COMPLEX: 5, RGB: 6 });
    expect(IMTYPE_RGB).toBe(6);
    expect(Object.values(DataType)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(sizeofDataType)).toEqual([2, 2, 4, 4, 4, 8, 8, 16, 0]);
    expect(dataTypeName(7)).toBe('CXFLOAT');
  });
});
