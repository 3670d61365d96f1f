// The DICOM <-> MRD mapping shared by dicom2mrd and mrd2dicom.
export {
  BINARY_VRS, decodeDicomJsonMeta, type DicomJsonDataset, type DicomJsonElement,
  type DicomJsonPersonName, type DicomJsonValue, encodeDicomJsonMeta, firstValue, numberValue,
  numberValues, sequenceItem, SopClass, stringValue, stringValues, Tag, TransferSyntax,
} from './dicom-json.js';
export {
  cross, DICOM_TO_MRD_IMAGE_TYPE, dot, flowFromSequenceName, MRD_TO_DICOM_IMAGE_TYPE,
} from './mapping.js';
export {
  allocateMrdPrivateBlock, findMrdPrivateBlock, MRD_PRIVATE_CREATOR, mrdPrivateTags,
  removeMrdPrivateBlock,
} from './mrd-private.js';
export {
  dicomTimeToSeconds, dicomTimeToTicks, millisecondsToTicks, ticksToDicomTime,
  ticksToMilliseconds,
} from './time-ticks.js';
export { generateUid, isValidUid, uidFromName } from './uid.js';
export {
  float32ShortestValue, formatDecimalString, formatFloat32DecimalString,
} from './decimal-string.js';
