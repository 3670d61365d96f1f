/**
 * MRD (ISMRMRD) constants: message identifiers, acquisition and image flags, image types and
 * pixel data types, with the values of `include/ismrmrd/ismrmrd.h`, `serialization.h` and the
 * reference server's `constants.py`.
 */

/** Message identifiers that the streaming protocol carries (u16 at the start of each message). */
export const MessageId = {
  CONFIG_FILE: 1,
  CONFIG_TEXT: 2,
  /** MRD_MESSAGE_METADATA_XML_TEXT: the ismrmrdHeader XML. */
  HEADER: 3,
  CLOSE: 4,
  TEXT: 5,
  ACQUISITION: 1008,
  IMAGE: 1022,
  WAVEFORM: 1026,
  /** ISMRMRD_MESSAGE_NDARRAY as ISMRMRD 1.13+ `serialization.h` defines it. */
  NDARRAY: 1030,
} as const;
export type MessageId = (typeof MessageId)[keyof typeof MessageId];

/** Names of the supported message ids, as the reference's constants.py spells them. */
export const SUPPORTED_MESSAGE_NAMES: Readonly<Record<number, string>> = {
  1: 'MRD_MESSAGE_CONFIG_FILE',
  2: 'MRD_MESSAGE_CONFIG_TEXT',
  3: 'MRD_MESSAGE_METADATA_XML_TEXT',
  4: 'MRD_MESSAGE_CLOSE',
  5: 'MRD_MESSAGE_TEXT',
  1008: 'MRD_MESSAGE_ISMRMRD_ACQUISITION',
  1022: 'MRD_MESSAGE_ISMRMRD_IMAGE',
  1026: 'MRD_MESSAGE_ISMRMRD_WAVEFORM',
  1030: 'MRD_MESSAGE_ISMRMRD_NDARRAY',
};

/** Ids the protocol once had (deprecated) or never supported in MRD: known by name only. */
export const DEPRECATED_MESSAGE_NAMES: Readonly<Record<number, string>> = {
  1001: 'MRD_MESSAGE_ACQUISITION',
  1002: 'MRD_MESSAGE_NEW_MEASUREMENT',
  1003: 'MRD_MESSAGE_END_OF_SCAN',
  1004: 'MRD_MESSAGE_IMAGE_CPLX_FLOAT',
  1005: 'MRD_MESSAGE_IMAGE_REAL_FLOAT',
  1006: 'MRD_MESSAGE_IMAGE_REAL_USHORT',
  1007: 'MRD_MESSAGE_EMPTY',
  1009: 'MRD_MESSAGE_ISMRMRD_IMAGE_CPLX_FLOAT',
  1010: 'MRD_MESSAGE_ISMRMRD_IMAGE_REAL_FLOAT',
  1011: 'MRD_MESSAGE_ISMRMRD_IMAGE_REAL_USHORT',
  1012: 'MRD_MESSAGE_DICOM',
  1013: 'MRD_MESSAGE_CLOUD_JOB',
  1014: 'MRD_MESSAGE_GADGETCLOUD_JOB',
  1015: 'MRD_MESSAGE_ISMRMRD_IMAGEWITHATTRIB_CPLX_FLOAT',
  1016: 'MRD_MESSAGE_ISMRMRD_IMAGEWITHATTRIB_REAL_FLOAT',
  1017: 'MRD_MESSAGE_ISMRMRD_IMAGEWITHATTRIB_REAL_USHORT',
  1018: 'MRD_MESSAGE_DICOM_WITHNAME',
  1019: 'MRD_MESSAGE_DEPENDENCY_QUERY',
  1020: 'MRD_MESSAGE_ISMRMRD_IMAGE_REAL_SHORT',
  1021: 'MRD_MESSAGE_ISMRMRD_IMAGEWITHATTRIB_REAL_SHORT',
  1023: 'MRD_MESSAGE_RECONDATA',
};

/** Of DEPRECATED_MESSAGE_NAMES, those constants.py marks UNSUPPORTED rather than DEPRECATED. */
export const UNSUPPORTED_MESSAGE_IDS: ReadonlySet<number> = new Set([1013, 1014, 1018, 1019, 1023]);

/** Control ranges of constants.py (MRD_MESSAGE_INT_ID_MIN..MAX, EXT_ID_MIN..MAX). */
export const MESSAGE_ID_RANGES = { INT_ID_MIN: 0, INT_ID_MAX: 999, EXT_ID_MIN: 1000, EXT_ID_MAX: 4096 } as const;

/** The known name of a message id (supported or deprecated), or undefined. */
export function messageIdName(id: number): string | undefined {
  return SUPPORTED_MESSAGE_NAMES[id] ?? DEPRECATED_MESSAGE_NAMES[id];
}

/** `1008 (MRD_MESSAGE_ISMRMRD_ACQUISITION)`, or `1013 (MRD_MESSAGE_CLOUD_JOB, unsupported)`, or `77`. */
export function describeMessageId(id: number): string {
  const sup = SUPPORTED_MESSAGE_NAMES[id];
  if (sup) return `${id} (${sup})`;
  const dep = DEPRECATED_MESSAGE_NAMES[id];
  if (dep) return `${id} (${dep}, ${UNSUPPORTED_MESSAGE_IDS.has(id) ? 'unsupported' : 'deprecated'})`;
  return String(id);
}

/** Fixed sizes of the wire format. */
export const SIZEOF_MESSAGE_ID = 2;
export const SIZEOF_MESSAGE_LENGTH = 4;
export const SIZEOF_CONFIG_FILE = 1024;
export const SIZEOF_ATTRIBUTE_LENGTH = 8;

/** Logging levels of the TEXT convention (constants.py MRD_LOGGING_*): name padded to 8. */
export const MRD_LOGGING = {
  DEBUG: 'DEBUG   ',
  INFO: 'INFO    ',
  WARNING: 'WARNING ',
  ERROR: 'ERROR   ',
  CRITICAL: 'CRITICAL',
} as const;

/** Acquisition flags (bit numbers, 1-based: flag n is bit n-1 of `flags`). */
export const AcquisitionFlag = {
  FIRST_IN_ENCODE_STEP1: 1,
  LAST_IN_ENCODE_STEP1: 2,
  FIRST_IN_ENCODE_STEP2: 3,
  LAST_IN_ENCODE_STEP2: 4,
  FIRST_IN_AVERAGE: 5,
  LAST_IN_AVERAGE: 6,
  FIRST_IN_SLICE: 7,
  LAST_IN_SLICE: 8,
  FIRST_IN_CONTRAST: 9,
  LAST_IN_CONTRAST: 10,
  FIRST_IN_PHASE: 11,
  LAST_IN_PHASE: 12,
  FIRST_IN_REPETITION: 13,
  LAST_IN_REPETITION: 14,
  FIRST_IN_SET: 15,
  LAST_IN_SET: 16,
  FIRST_IN_SEGMENT: 17,
  LAST_IN_SEGMENT: 18,
  IS_NOISE_MEASUREMENT: 19,
  IS_PARALLEL_CALIBRATION: 20,
  IS_PARALLEL_CALIBRATION_AND_IMAGING: 21,
  IS_REVERSE: 22,
  IS_NAVIGATION_DATA: 23,
  IS_PHASECORR_DATA: 24,
  LAST_IN_MEASUREMENT: 25,
  IS_HPFEEDBACK_DATA: 26,
  IS_DUMMYSCAN_DATA: 27,
  IS_RTFEEDBACK_DATA: 28,
  IS_SURFACECOILCORRECTIONSCAN_DATA: 29,
  IS_PHASE_STABILIZATION_REFERENCE: 30,
  IS_PHASE_STABILIZATION: 31,
  COMPRESSION1: 53,
  COMPRESSION2: 54,
  COMPRESSION3: 55,
  COMPRESSION4: 56,
  USER1: 57,
  USER2: 58,
  USER3: 59,
  USER4: 60,
  USER5: 61,
  USER6: 62,
  USER7: 63,
  USER8: 64,
} as const;
export type AcquisitionFlag = (typeof AcquisitionFlag)[keyof typeof AcquisitionFlag];

/** Image flags (bit numbers, 1-based). */
export const ImageFlag = {
  IS_NAVIGATION_DATA: 1,
  FIRST_IN_AVERAGE: 5,
  LAST_IN_AVERAGE: 6,
  FIRST_IN_SLICE: 7,
  LAST_IN_SLICE: 8,
  FIRST_IN_CONTRAST: 9,
  LAST_IN_CONTRAST: 10,
  FIRST_IN_PHASE: 11,
  LAST_IN_PHASE: 12,
  FIRST_IN_REPETITION: 13,
  LAST_IN_REPETITION: 14,
  FIRST_IN_SET: 15,
  LAST_IN_SET: 16,
  USER1: 57,
  USER2: 58,
  USER3: 59,
  USER4: 60,
  USER5: 61,
  USER6: 62,
  USER7: 63,
  USER8: 64,
} as const;
export type ImageFlag = (typeof ImageFlag)[keyof typeof ImageFlag];

/** Image types (`image_type`). RGB (6) is the ismrmrd-python addition used for colour images. */
export const ImageType = {
  MAGNITUDE: 1,
  PHASE: 2,
  REAL: 3,
  IMAG: 4,
  COMPLEX: 5,
  RGB: 6,
} as const;
export type ImageType = (typeof ImageType)[keyof typeof ImageType];

/** Pixel / array data types (`data_type`). */
export const DataType = {
  USHORT: 1,
  SHORT: 2,
  UINT: 3,
  INT: 4,
  FLOAT: 5,
  DOUBLE: 6,
  CXFLOAT: 7,
  CXDOUBLE: 8,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

const DATA_TYPE_SIZES = [0, 2, 2, 4, 4, 4, 8, 8, 16];
const DATA_TYPE_NAMES = ['', 'USHORT', 'SHORT', 'UINT', 'INT', 'FLOAT', 'DOUBLE', 'CXFLOAT', 'CXDOUBLE'];

/** Whether `t` is one of the eight data types. */
export function isDataType(t: number): t is DataType {
  return Number.isInteger(t) && t >= 1 && t <= 8;
}

/** Bytes per element of a data type (complex types count re+im), as ismrmrd_sizeof_data_type; 0 if unknown. */
export function sizeofDataType(t: number): number {
  return isDataType(t) ? DATA_TYPE_SIZES[t]! : 0;
}

/** `CXFLOAT` etc., or `unknown(9)`. */
export function dataTypeName(t: number): string {
  return isDataType(t) ? DATA_TYPE_NAMES[t]! : `unknown(${t})`;
}

/** ISMRMRD_NDARRAY_MAXDIM. */
export const NDARRAY_MAXDIM = 7;

/*
 * The same values under the flat names of ismrmrd-python / the C enums (`ismrmrd.ACQ_IS_NOISE_MEASUREMENT`,
 * `IMTYPE_MAGNITUDE`, `DATATYPE_CXFLOAT`), for code ported from the reference modules.
 */
export const ACQ_FIRST_IN_ENCODE_STEP1 = AcquisitionFlag.FIRST_IN_ENCODE_STEP1;
export const ACQ_LAST_IN_ENCODE_STEP1 = AcquisitionFlag.LAST_IN_ENCODE_STEP1;
export const ACQ_FIRST_IN_ENCODE_STEP2 = AcquisitionFlag.FIRST_IN_ENCODE_STEP2;
export const ACQ_LAST_IN_ENCODE_STEP2 = AcquisitionFlag.LAST_IN_ENCODE_STEP2;
export const ACQ_FIRST_IN_AVERAGE = AcquisitionFlag.FIRST_IN_AVERAGE;
export const ACQ_LAST_IN_AVERAGE = AcquisitionFlag.LAST_IN_AVERAGE;
export const ACQ_FIRST_IN_SLICE = AcquisitionFlag.FIRST_IN_SLICE;
export const ACQ_LAST_IN_SLICE = AcquisitionFlag.LAST_IN_SLICE;
export const ACQ_FIRST_IN_CONTRAST = AcquisitionFlag.FIRST_IN_CONTRAST;
export const ACQ_LAST_IN_CONTRAST = AcquisitionFlag.LAST_IN_CONTRAST;
export const ACQ_FIRST_IN_PHASE = AcquisitionFlag.FIRST_IN_PHASE;
export const ACQ_LAST_IN_PHASE = AcquisitionFlag.LAST_IN_PHASE;
export const ACQ_FIRST_IN_REPETITION = AcquisitionFlag.FIRST_IN_REPETITION;
export const ACQ_LAST_IN_REPETITION = AcquisitionFlag.LAST_IN_REPETITION;
export const ACQ_FIRST_IN_SET = AcquisitionFlag.FIRST_IN_SET;
export const ACQ_LAST_IN_SET = AcquisitionFlag.LAST_IN_SET;
export const ACQ_FIRST_IN_SEGMENT = AcquisitionFlag.FIRST_IN_SEGMENT;
export const ACQ_LAST_IN_SEGMENT = AcquisitionFlag.LAST_IN_SEGMENT;
export const ACQ_IS_NOISE_MEASUREMENT = AcquisitionFlag.IS_NOISE_MEASUREMENT;
export const ACQ_IS_PARALLEL_CALIBRATION = AcquisitionFlag.IS_PARALLEL_CALIBRATION;
export const ACQ_IS_PARALLEL_CALIBRATION_AND_IMAGING = AcquisitionFlag.IS_PARALLEL_CALIBRATION_AND_IMAGING;
export const ACQ_IS_REVERSE = AcquisitionFlag.IS_REVERSE;
export const ACQ_IS_NAVIGATION_DATA = AcquisitionFlag.IS_NAVIGATION_DATA;
export const ACQ_IS_PHASECORR_DATA = AcquisitionFlag.IS_PHASECORR_DATA;
export const ACQ_LAST_IN_MEASUREMENT = AcquisitionFlag.LAST_IN_MEASUREMENT;
export const ACQ_IS_HPFEEDBACK_DATA = AcquisitionFlag.IS_HPFEEDBACK_DATA;
export const ACQ_IS_DUMMYSCAN_DATA = AcquisitionFlag.IS_DUMMYSCAN_DATA;
export const ACQ_IS_RTFEEDBACK_DATA = AcquisitionFlag.IS_RTFEEDBACK_DATA;
export const ACQ_IS_SURFACECOILCORRECTIONSCAN_DATA = AcquisitionFlag.IS_SURFACECOILCORRECTIONSCAN_DATA;
export const ACQ_IS_PHASE_STABILIZATION_REFERENCE = AcquisitionFlag.IS_PHASE_STABILIZATION_REFERENCE;
export const ACQ_IS_PHASE_STABILIZATION = AcquisitionFlag.IS_PHASE_STABILIZATION;
export const ACQ_COMPRESSION1 = AcquisitionFlag.COMPRESSION1;
export const ACQ_COMPRESSION2 = AcquisitionFlag.COMPRESSION2;
export const ACQ_COMPRESSION3 = AcquisitionFlag.COMPRESSION3;
export const ACQ_COMPRESSION4 = AcquisitionFlag.COMPRESSION4;
export const ACQ_USER1 = AcquisitionFlag.USER1;
export const ACQ_USER2 = AcquisitionFlag.USER2;
export const ACQ_USER3 = AcquisitionFlag.USER3;
export const ACQ_USER4 = AcquisitionFlag.USER4;
export const ACQ_USER5 = AcquisitionFlag.USER5;
export const ACQ_USER6 = AcquisitionFlag.USER6;
export const ACQ_USER7 = AcquisitionFlag.USER7;
export const ACQ_USER8 = AcquisitionFlag.USER8;
export const IMAGE_IS_NAVIGATION_DATA = ImageFlag.IS_NAVIGATION_DATA;
export const IMAGE_FIRST_IN_AVERAGE = ImageFlag.FIRST_IN_AVERAGE;
export const IMAGE_LAST_IN_AVERAGE = ImageFlag.LAST_IN_AVERAGE;
export const IMAGE_FIRST_IN_SLICE = ImageFlag.FIRST_IN_SLICE;
export const IMAGE_LAST_IN_SLICE = ImageFlag.LAST_IN_SLICE;
export const IMAGE_FIRST_IN_CONTRAST = ImageFlag.FIRST_IN_CONTRAST;
export const IMAGE_LAST_IN_CONTRAST = ImageFlag.LAST_IN_CONTRAST;
export const IMAGE_FIRST_IN_PHASE = ImageFlag.FIRST_IN_PHASE;
export const IMAGE_LAST_IN_PHASE = ImageFlag.LAST_IN_PHASE;
export const IMAGE_FIRST_IN_REPETITION = ImageFlag.FIRST_IN_REPETITION;
export const IMAGE_LAST_IN_REPETITION = ImageFlag.LAST_IN_REPETITION;
export const IMAGE_FIRST_IN_SET = ImageFlag.FIRST_IN_SET;
export const IMAGE_LAST_IN_SET = ImageFlag.LAST_IN_SET;
export const IMAGE_USER1 = ImageFlag.USER1;
export const IMAGE_USER2 = ImageFlag.USER2;
export const IMAGE_USER3 = ImageFlag.USER3;
export const IMAGE_USER4 = ImageFlag.USER4;
export const IMAGE_USER5 = ImageFlag.USER5;
export const IMAGE_USER6 = ImageFlag.USER6;
export const IMAGE_USER7 = ImageFlag.USER7;
export const IMAGE_USER8 = ImageFlag.USER8;
export const IMTYPE_MAGNITUDE = ImageType.MAGNITUDE;
export const IMTYPE_PHASE = ImageType.PHASE;
export const IMTYPE_REAL = ImageType.REAL;
export const IMTYPE_IMAG = ImageType.IMAG;
export const IMTYPE_COMPLEX = ImageType.COMPLEX;
export const IMTYPE_RGB = ImageType.RGB;
export const DATATYPE_USHORT = DataType.USHORT;
export const DATATYPE_SHORT = DataType.SHORT;
export const DATATYPE_UINT = DataType.UINT;
export const DATATYPE_INT = DataType.INT;
export const DATATYPE_FLOAT = DataType.FLOAT;
export const DATATYPE_DOUBLE = DataType.DOUBLE;
export const DATATYPE_CXFLOAT = DataType.CXFLOAT;
export const DATATYPE_CXDOUBLE = DataType.CXDOUBLE;
