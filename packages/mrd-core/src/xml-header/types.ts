/**
 * Typed model of the ISMRMRD XML header (`ismrmrdHeader`), the whole of `schema/ismrmrd.xsd`
 * (ismrmrd/ismrmrd, schema version 2 as shipped with ISMRMRD 1.x).
 *
 * Conventions:
 * - Field names are the schema's element names, so `header.encoding[0].encodedSpace.matrixSize.x`
 *   reads as in the C++ (`ISMRMRD::IsmrmrdHeader`) and Python (`ismrmrd.xsd`) libraries.
 * - `xs:long`, `xs:unsignedShort`, `xs:unsignedInt`, `xs:unsignedLong` -> integer `number`
 *   (values beyond 2^53 are refused by the parser rather than silently rounded);
 *   `xs:float`, `xs:double` -> `number` (held at double precision, so a value read from the XML
 *   is written back exactly as read); `xs:date`, `xs:time`, `xs:base64Binary` -> `string`.
 * - Optional elements are optional properties; repeated elements are arrays, absent when the
 *   XML has none.
 * - Content the schema does not know is kept: every element object may carry
 *   `unknownElements` (child elements not in the schema, in document order, serialized after
 *   the known children) and `unknownAttributes` (attributes other than the default namespace
 *   declaration; on the root this keeps e.g. `xmlns:xsi` and `xsi:schemaLocation`).
 *   Not kept: comments, processing instructions, attributes on simple-content (leaf) elements
 *   of the schema, and the whitespace around text in mixed content of unknown elements.
 */

/** A generic XML element, used for content the schema does not know. */
export interface XmlElement {
  name: string;
  attributes?: Record<string, string>;
  /** Child elements and text, in document order. */
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

/** Unknown content kept from the parsed XML (see the module comment). */
export interface UnknownContent {
  unknownElements?: XmlElement[];
  unknownAttributes?: Record<string, string>;
}

export const ISMRMRD_NAMESPACE = 'http://www.ismrm.org/ISMRMRD';

export const PATIENT_POSITIONS = ['HFP', 'HFS', 'HFDR', 'HFDL', 'FFP', 'FFS', 'FFDR', 'FFDL'] as const;
export type PatientPosition = (typeof PATIENT_POSITIONS)[number];

export const PATIENT_GENDERS = ['M', 'F', 'O'] as const;
export type PatientGender = (typeof PATIENT_GENDERS)[number];

export const TRAJECTORY_TYPES = ['cartesian', 'epi', 'radial', 'goldenangle', 'spiral', 'other'] as const;
export type TrajectoryType = (typeof TRAJECTORY_TYPES)[number];

export const CALIBRATION_MODES = ['embedded', 'interleaved', 'separate', 'external', 'other'] as const;
export type CalibrationMode = (typeof CALIBRATION_MODES)[number];

export const INTERLEAVING_DIMENSIONS = ['phase', 'repetition', 'contrast', 'average', 'other'] as const;
export type InterleavingDimension = (typeof INTERLEAVING_DIMENSIONS)[number];

export const MULTIBAND_CALIBRATION_TYPES = ['separable2D', 'full3D', 'other'] as const;
export type MultibandCalibrationType = (typeof MULTIBAND_CALIBRATION_TYPES)[number];

export const DIFFUSION_DIMENSIONS = [
  'average', 'contrast', 'phase', 'repetition', 'set', 'segment',
  'user_0', 'user_1', 'user_2', 'user_3', 'user_4', 'user_5', 'user_6', 'user_7',
] as const;
export type DiffusionDimension = (typeof DIFFUSION_DIMENSIONS)[number];

export const WAVEFORM_TYPES = ['ecg', 'pulse', 'respiratory', 'trigger', 'gradientwaveform', 'other'] as const;
export type WaveformType = (typeof WAVEFORM_TYPES)[number];

/** Element names of `encodingLimitsType`, in schema order. */
export const ENCODING_LIMIT_NAMES = [
  'kspace_encoding_step_0', 'kspace_encoding_step_1', 'kspace_encoding_step_2',
  'average', 'slice', 'contrast', 'phase', 'repetition', 'set', 'segment',
  'user_0', 'user_1', 'user_2', 'user_3', 'user_4', 'user_5', 'user_6', 'user_7',
] as const;
export type EncodingLimitName = (typeof ENCODING_LIMIT_NAMES)[number];

export interface SubjectInformation extends UnknownContent {
  patientName?: string;
  patientWeight_kg?: number;
  patientHeight_m?: number;
  patientID?: string;
  /** xs:date, e.g. "1980-06-12". */
  patientBirthdate?: string;
  patientGender?: PatientGender;
}

export interface StudyInformation extends UnknownContent {
  /** xs:date */
  studyDate?: string;
  /** xs:time */
  studyTime?: string;
  studyID?: string;
  accessionNumber?: number;
  referringPhysicianName?: string;
  studyDescription?: string;
  studyInstanceUID?: string;
  bodyPartExamined?: string;
}

export interface ThreeDimensionalFloat extends UnknownContent {
  x: number;
  y: number;
  z: number;
}

export interface MeasurementDependency extends UnknownContent {
  dependencyType: string;
  measurementID: string;
}

export interface ReferencedImageSequence extends UnknownContent {
  referencedSOPInstanceUID?: string[];
}

export interface MeasurementInformation extends UnknownContent {
  measurementID?: string;
  /** xs:date */
  seriesDate?: string;
  /** xs:time */
  seriesTime?: string;
  patientPosition: PatientPosition;
  relativeTablePosition?: ThreeDimensionalFloat;
  initialSeriesNumber?: number;
  protocolName?: string;
  sequenceName?: string;
  seriesDescription?: string;
  measurementDependency?: MeasurementDependency[];
  seriesInstanceUIDRoot?: string;
  frameOfReferenceUID?: string;
  referencedImageSequence?: ReferencedImageSequence;
}

export interface CoilLabel extends UnknownContent {
  coilNumber: number;
  coilName: string;
}

export interface AcquisitionSystemInformation extends UnknownContent {
  systemVendor?: string;
  systemModel?: string;
  systemFieldStrength_T?: number;
  relativeReceiverNoiseBandwidth?: number;
  receiverChannels?: number;
  coilLabel?: CoilLabel[];
  institutionName?: string;
  stationName?: string;
  deviceID?: string;
  deviceSerialNumber?: string;
}

export interface ExperimentalConditions extends UnknownContent {
  H1resonanceFrequency_Hz: number;
}

export interface MatrixSize extends UnknownContent {
  x: number;
  y: number;
  z: number;
}

export interface FieldOfView extends UnknownContent {
  x: number;
  y: number;
  z: number;
}

export interface EncodingSpace extends UnknownContent {
  matrixSize: MatrixSize;
  fieldOfView_mm: FieldOfView;
}

export interface Limit extends UnknownContent {
  minimum: number;
  maximum: number;
  center: number;
}

export type EncodingLimits = { [K in EncodingLimitName]?: Limit } & UnknownContent;

export interface UserParameterLong extends UnknownContent {
  name: string;
  value: number;
}

export interface UserParameterDouble extends UnknownContent {
  name: string;
  value: number;
}

export interface UserParameterString extends UnknownContent {
  name: string;
  value: string;
}

/** `value` is the base64 text as written in the XML (xs:base64Binary). */
export interface UserParameterBase64 extends UnknownContent {
  name: string;
  value: string;
}

export interface TrajectoryDescription extends UnknownContent {
  identifier: string;
  userParameterLong?: UserParameterLong[];
  userParameterDouble?: UserParameterDouble[];
  userParameterString?: UserParameterString[];
  comment?: string;
}

export interface AccelerationFactor extends UnknownContent {
  kspace_encoding_step_1: number;
  kspace_encoding_step_2: number;
}

export interface MultibandSpacing extends UnknownContent {
  dZ: number[];
}

export interface Multiband extends UnknownContent {
  spacing: MultibandSpacing[];
  deltaKz: number;
  multiband_factor: number;
  calibration: MultibandCalibrationType;
  calibration_encoding: number;
}

export interface ParallelImaging extends UnknownContent {
  accelerationFactor: AccelerationFactor;
  calibrationMode?: CalibrationMode;
  interleavingDimension?: InterleavingDimension;
  multiband?: Multiband;
}

export interface Encoding extends UnknownContent {
  encodedSpace: EncodingSpace;
  reconSpace: EncodingSpace;
  encodingLimits: EncodingLimits;
  trajectory: TrajectoryType;
  trajectoryDescription?: TrajectoryDescription;
  parallelImaging?: ParallelImaging;
  echoTrainLength?: number;
}

export interface GradientDirection extends UnknownContent {
  rl: number;
  ap: number;
  fh: number;
}

export interface Diffusion extends UnknownContent {
  gradientDirection: GradientDirection;
  bvalue: number;
}

export interface SequenceParameters extends UnknownContent {
  TR?: number[];
  TE?: number[];
  TI?: number[];
  flipAngle_deg?: number[];
  sequence_type?: string;
  echo_spacing?: number[];
  diffusionDimension?: DiffusionDimension;
  diffusion?: Diffusion[];
  diffusionScheme?: string;
}

export interface UserParameters extends UnknownContent {
  userParameterLong?: UserParameterLong[];
  userParameterDouble?: UserParameterDouble[];
  userParameterString?: UserParameterString[];
  userParameterBase64?: UserParameterBase64[];
}

export interface WaveformInformation extends UnknownContent {
  waveformName: string;
  waveformType: WaveformType;
  /** Required by the schema; the C++ and Python libraries treat it as optional, so do we. */
  userParameters?: UserParameters;
}

export interface IsmrmrdHeader extends UnknownContent {
  version?: number;
  subjectInformation?: SubjectInformation;
  studyInformation?: StudyInformation;
  measurementInformation?: MeasurementInformation;
  acquisitionSystemInformation?: AcquisitionSystemInformation;
  experimentalConditions: ExperimentalConditions;
  /** At least one. */
  encoding: Encoding[];
  sequenceParameters?: SequenceParameters;
  userParameters?: UserParameters;
  /** At most 32. */
  waveformInformation?: WaveformInformation[];
}
