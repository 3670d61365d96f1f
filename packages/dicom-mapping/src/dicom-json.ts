/**
 * The DICOM JSON model (PS3.18 F.2): a dataset is an object keyed by 8-digit upper-case hex tags,
 * each element `{ vr, Value?, InlineBinary?, BulkDataURI? }`. This is what the reference
 * dicom2mrd.py stores (pydicom `Dataset.to_json()`, base64 of the UTF-8 JSON text) in the MRD
 * meta attribute `DicomJson`, and what mrd2dicom restores.
 *
 * Binary values (OB, OW, OD, OF, OL, OV, UN) are `InlineBinary` (base64, little endian);
 * PN values are `{ Alphabetic, Ideographic?, Phonetic? }`; AT values are 8-digit hex strings;
 * IS, DS and the binary numeric VRs are JSON numbers; SQ values are nested datasets.
 */

export interface DicomJsonPersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export type DicomJsonValue = string | number | DicomJsonPersonName | DicomJsonDataset | null;

export interface DicomJsonElement {
  vr: string;
  Value?: DicomJsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

export type DicomJsonDataset = Record<string, DicomJsonElement>;

/** VRs whose value is bytes (InlineBinary). */
export const BINARY_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** Tags as the DICOM JSON model and dcmjs key them. */
export const Tag = {
  SpecificCharacterSet: '00080005',
  ImageType: '00080008',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  SeriesDate: '00080021',
  AcquisitionDate: '00080022',
  ContentDate: '00080023',
  StudyTime: '00080030',
  SeriesTime: '00080031',
  AcquisitionTime: '00080032',
  ContentTime: '00080033',
  AccessionNumber: '00080050',
  Modality: '00080060',
  ConversionType: '00080064',
  Manufacturer: '00080070',
  InstitutionName: '00080080',
  ReferringPhysicianName: '00080090',
  StationName: '00081010',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  ManufacturerModelName: '00081090',
  SourceImageSequence: '00082112',
  ReferencedSOPClassUID: '00081150',
  ReferencedSOPInstanceUID: '00081155',
  DerivationDescription: '00082111',
  FrameAcquisitionDateTime: '00189074',
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  BodyPartExamined: '00180015',
  ScanningSequence: '00180020',
  SequenceVariant: '00180021',
  ScanOptions: '00180022',
  MRAcquisitionType: '00180023',
  SequenceName: '00180024',
  SliceThickness: '00180050',
  RepetitionTime: '00180080',
  EchoTime: '00180081',
  InversionTime: '00180082',
  ImagingFrequency: '00180084',
  MagneticFieldStrength: '00180087',
  EchoTrainLength: '00180091',
  TriggerTime: '00181060',
  TransmitterFrequency: '00189098',
  FlipAngle: '00181314',
  PatientPosition: '00185100',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  StudyID: '00200010',
  SeriesNumber: '00200011',
  AcquisitionNumber: '00200012',
  InstanceNumber: '00200013',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  FrameOfReferenceUID: '00200052',
  Laterality: '00200060',
  ImageLaterality: '00200062',
  FrameLaterality: '00209072',
  PositionReferenceIndicator: '00201040',
  SliceLocation: '00201041',
  ImageComments: '00204000',
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  PlanarConfiguration: '00280006',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  PixelSpacing: '00280030',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  HighBit: '00280102',
  PixelRepresentation: '00280103',
  SmallestImagePixelValue: '00280106',
  LargestImagePixelValue: '00280107',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
  RescaleType: '00281054',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
  PixelMeasuresSequence: '00289110',
  PlanePositionSequence: '00209113',
  PlaneOrientationSequence: '00209116',
  FrameContentSequence: '00209111',
  CardiacSynchronizationSequence: '00189118',
  NominalCardiacTriggerDelayTime: '00209153',
  MRModifierSequence: '00189006',
  ParallelAcquisition: '00189077',
  ParallelReductionFactorInPlane: '00189069',
  ParallelReductionFactorOutOfPlane: '00189155',
  MRTimingAndRelatedParametersSequence: '00189112',
  MREchoSequence: '00189114',
  EffectiveEchoTime: '00189082',
  FrameType: '00089007',
  MRImageFrameTypeSequence: '00189226',
  PixelValueTransformationSequence: '00289145',
  FrameVOILUTSequence: '00289132',
  InStackPositionNumber: '00209057',
  TemporalPositionIndex: '00209128',
  FloatPixelData: '7FE00008',
  DoubleFloatPixelData: '7FE00009',
  PixelData: '7FE00010',
  DataSetTrailingPadding: 'FFFCFFFC',
} as const;

/** SOP classes this project reads or writes. */
export const SopClass = {
  MRImageStorage: '1.2.840.10008.5.1.4.1.1.4',
  EnhancedMRImageStorage: '1.2.840.10008.5.1.4.1.1.4.1',
  SecondaryCaptureImageStorage: '1.2.840.10008.5.1.4.1.1.7',
} as const;

/** Transfer syntaxes this project reads (and, explicit VR little endian, writes). */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  RLELossless: '1.2.840.10008.1.2.5',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEGBaseline: '1.2.840.10008.1.2.4.50',
  JPEGExtended: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
} as const;

/** The first value of an element, or undefined. */
export function firstValue(ds: DicomJsonDataset | undefined, tag: string): DicomJsonValue | undefined {
  const v = ds?.[tag]?.Value;
  return v && v.length > 0 ? (v[0] ?? undefined) : undefined;
}

/** A string value (PN as its alphabetic form); undefined when absent or empty. */
export function stringValue(ds: DicomJsonDataset | undefined, tag: string): string | undefined {
  const v = firstValue(ds, tag);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object' && 'Alphabetic' in v) return (v as DicomJsonPersonName).Alphabetic;
  return undefined;
}

/** All string values of a multi-valued element. */
export function stringValues(ds: DicomJsonDataset | undefined, tag: string): string[] {
  const v = ds?.[tag]?.Value;
  if (!v) return [];
  return v.map((x) => (x === null || x === undefined ? '' : typeof x === 'object' ? ((x as DicomJsonPersonName).Alphabetic ?? '') : String(x)));
}

/** A numeric value (IS/DS may arrive as numbers or strings); undefined when absent or empty. */
export function numberValue(ds: DicomJsonDataset | undefined, tag: string, index = 0): number | undefined {
  const v = ds?.[tag]?.Value?.[index];
  if (v === undefined || v === null || typeof v === 'object') return undefined;
  const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** All numeric values; undefined unless every value is a finite number. */
export function numberValues(ds: DicomJsonDataset | undefined, tag: string): number[] | undefined {
  const v = ds?.[tag]?.Value;
  if (!v || v.length === 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const n = numberValue(ds, tag, i);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}

/** The first item of a sequence element, or undefined. */
export function sequenceItem(ds: DicomJsonDataset | undefined, tag: string, index = 0): DicomJsonDataset | undefined {
  const v = ds?.[tag]?.Value?.[index];
  return v && typeof v === 'object' && !('Alphabetic' in v) ? (v as DicomJsonDataset) : undefined;
}

/** Base64 of the UTF-8 JSON text, as the reference stores `DicomJson`. */
export function encodeDicomJsonMeta(ds: DicomJsonDataset): string {
  return Buffer.from(JSON.stringify(ds), 'utf8').toString('base64');
}

/** The dataset stored in a `DicomJson` meta value (base64 JSON, or plain JSON text). */
export function decodeDicomJsonMeta(text: string): DicomJsonDataset {
  const t = text.trim();
  const json = t.startsWith('{') ? t : Buffer.from(t, 'base64').toString('utf8');
  const parsed: unknown = JSON.parse(json);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('DicomJson is not a DICOM JSON dataset object');
  }
  return parsed as DicomJsonDataset;
}
