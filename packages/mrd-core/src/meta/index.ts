// Meta attributes (the image `ismrmrdMeta` XML), Python's number formatting of their values, and
// the ROI/text overlay records stored in them.
export {
  MetaAttributes, MetaAttributesError, parseMeta, serializeMeta, type MetaValue,
} from './meta.js';
export {
  formatPythonFloat, formatPythonFloat32, formatPythonFixed, formatPythonInt, formatPythonComplex,
  parsePythonInt, parsePythonFloat, pythonStr, PythonValueError,
} from './python-format.js';
export {
  createRoi, parseRoi, createText, parseText, OverlayRecordError,
  type Roi, type RoiOptions, type TextRecord, type TextOptions, type Rgb,
} from './roi.js';
