export {
  MetaAttributes, MetaAttributesError, parseMeta, serializeMeta, formatMetaValue, META_XML_DECLARATION, type MetaValue,
} from './meta.js';
export {
  formatPythonFloat, formatPythonFloat32, formatPythonFixed, formatPythonInt, formatPythonComplex,
  parsePythonInt, parsePythonFloat, pythonStr, pythonStringRepr, PythonValueError,
} from './python-format.js';
export {
  createRoi, parseRoi, createText, parseText, OverlayRecordError,
  type Roi, type RoiOptions, type TextRecord, type TextOptions, type Rgb,
} from './roi.js';
export {
  getUserParameter, getUserParameterLong, getUserParameterDouble, getUserParameterString, getUserParameterBase64,
  getUserParameterBase64Bytes, decodeBase64Strict, UserParameterError, type UserParameterKind, type UserParameterSource,
} from './user-parameters.js';
export { getJsonConfigParam, JsonConfigError, type JsonConfigType } from './json-config.js';
export {
  extractMiniHeadParam, extractMiniHeadBoolParam, extractMiniHeadLongParam, extractMiniHeadDoubleParam,
  extractMiniHeadStringParam, getIceMiniHead, IceMiniHeadError, type MiniHeadParamType,
} from './ice-mini-head.js';
export { standardImageMeta } from './standard-image-meta.js';
