/**
 * The MRD v2 data model (ismrmrd/mrd v2.2.1, `model/*.yml`) as TypeScript types: the Header and
 * every record it holds, every StreamItem case, the image, waveform and array types, the Pulseq
 * records and NoiseCovariance, with optionals and unions as the model has them.
 *
 * Conventions (one rule per yardl type, so a value converts to and from both encodings exactly):
 * - Field names are the model's (camelCase, as in the NDJSON encoding). An optional field `T?`
 *   is an optional property (absent = null).
 * - uint8..uint32, int8..int32 and `size`-free counts are `number`; 64-bit integers (`uint64`,
 *   `int64`/`long`, `size`) are `bigint`, so no value is rounded. float32/float64 are `number`
 *   (a float32 field holds a float32-representable value; the writer rounds with Math.fround).
 * - Enums are their symbol (`'hFS'`, `'cartesian'`), or the integer when the stream holds a value
 *   outside the declared ones (yardl allows that). Flags are the `bigint` bit set (AcquisitionFlags,
 *   ImageFlags: uint64), with the bit values in ACQUISITION_FLAGS / IMAGE_FLAGS.
 * - `date` is `'YYYY-MM-DD'` (proleptic Gregorian, years 1..9999 as upstream), `time` the number of
 *   nanoseconds since midnight (0 .. 86400e9 - 1, exact in a double).
 * - Vectors (`T*`) and fixed vectors/arrays (`float[3]`) are plain arrays.
 * - Multi-dimensional arrays are `NDArray`: the shape (row-major, the model's dimension order) and
 *   the elements flat in a typed array; complex elements interleave (re, im), so a complexfloat
 *   array of shape [2, 3] has a Float32Array of 12 numbers. Arrays of records are `NDArray` of a
 *   plain array.
 * - Maps are `Map` (insertion order is kept; a JavaScript object would reorder integer-like keys).
 * - ImageMetaValue `[string, int64, float64]` is `string | bigint | number` (each case has its own
 *   JavaScript type, so no tag is needed). StreamItem is `{ type: <case tag>, value }`.
 */

// ---------------------------------------------------------------- enums and flags

/** An enum value: one of the declared symbols, or the integer of an undeclared value. */
export type EnumValue<S extends string> = S | number;

export const PATIENT_GENDER = ['m', 'f', 'o'] as const;
export const PATIENT_POSITION = ['hFP', 'hFS', 'hFDR', 'hFDL', 'fFP', 'fFS', 'fFDR', 'fFDL'] as const;
export const TRAJECTORY = ['cartesian', 'epi', 'radial', 'goldenangle', 'spiral', 'other'] as const;
export const CALIBRATION_MODE = ['noacceleration', 'embedded', 'interleaved', 'separate', 'external', 'other'] as const;
export const INTERLEAVING_DIMENSION = ['phase', 'repetition', 'contrast', 'average', 'other'] as const;
export const CALIBRATION = ['separable2D', 'full3D', 'other'] as const;
export const DIFFUSION_DIMENSION = [
  'average', 'contrast', 'phase', 'repetition', 'set', 'segment',
  'user0', 'user1', 'user2', 'user3', 'user4', 'user5', 'user6', 'user7',
] as const;
export const WAVEFORM_TYPE = ['ecg', 'pulse', 'respiratory', 'trigger', 'gradientwaveform', 'other'] as const;
/** ImageType symbols; their values start at 1 (magnitude = 1 ... complex = 5). */
export const IMAGE_TYPE = ['magnitude', 'phase', 'real', 'imag', 'complex'] as const;
export const RF_PULSE_USE = ['undefined', 'excitation', 'refocusing', 'inversion', 'saturation', 'preparation', 'other'] as const;

export type PatientGender = EnumValue<(typeof PATIENT_GENDER)[number]>;
export type PatientPosition = EnumValue<(typeof PATIENT_POSITION)[number]>;
export type Trajectory = EnumValue<(typeof TRAJECTORY)[number]>;
export type CalibrationMode = EnumValue<(typeof CALIBRATION_MODE)[number]>;
export type InterleavingDimension = EnumValue<(typeof INTERLEAVING_DIMENSION)[number]>;
export type Calibration = EnumValue<(typeof CALIBRATION)[number]>;
export type DiffusionDimension = EnumValue<(typeof DIFFUSION_DIMENSION)[number]>;
export type WaveformType = EnumValue<(typeof WAVEFORM_TYPE)[number]>;
export type ImageType = EnumValue<(typeof IMAGE_TYPE)[number]>;
export type RFPulseUse = EnumValue<(typeof RF_PULSE_USE)[number]>;

/** AcquisitionFlags (uint64 bits), in declaration order. */
export const ACQUISITION_FLAGS = {
  firstInEncodeStep1: 1n << 0n, lastInEncodeStep1: 1n << 1n, firstInEncodeStep2: 1n << 2n, lastInEncodeStep2: 1n << 3n,
  firstInAverage: 1n << 4n, lastInAverage: 1n << 5n, firstInSlice: 1n << 6n, lastInSlice: 1n << 7n,
  firstInContrast: 1n << 8n, lastInContrast: 1n << 9n, firstInPhase: 1n << 10n, lastInPhase: 1n << 11n,
  firstInRepetition: 1n << 12n, lastInRepetition: 1n << 13n, firstInSet: 1n << 14n, lastInSet: 1n << 15n,
  firstInSegment: 1n << 16n, lastInSegment: 1n << 17n, isNoiseMeasurement: 1n << 18n, isParallelCalibration: 1n << 19n,
  isParallelCalibrationAndImaging: 1n << 20n, isReverse: 1n << 21n, isNavigationData: 1n << 22n, isPhasecorrData: 1n << 23n,
  lastInMeasurement: 1n << 24n, isHpfeedbackData: 1n << 25n, isDummyscanData: 1n << 26n, isRtfeedbackData: 1n << 27n,
  isSurfacecoilcorrectionscanData: 1n << 28n, isPhaseStabilizationReference: 1n << 29n, isPhaseStabilization: 1n << 30n,
} as const;

/** ImageFlags (uint64 bits), in declaration order. */
export const IMAGE_FLAGS = {
  isNavigationData: 0x1n, firstInAverage: 0x10n, lastInAverage: 0x20n, firstInSlice: 0x40n, lastInSlice: 0x80n,
  firstInContrast: 0x100n, lastInContrast: 0x200n, firstInPhase: 0x400n, lastInPhase: 0x800n,
  firstInRepetition: 0x1000n, lastInRepetition: 0x2000n, firstInSet: 0x4000n, lastInSet: 0x8000n,
} as const;

// ---------------------------------------------------------------- arrays

/** A row-major multi-dimensional array: `data` holds prod(shape) elements (x2 numbers when complex). */
export interface NDArray<D> {
  shape: number[];
  data: D;
}

// ---------------------------------------------------------------- header (mrd_header.yml)

export interface SubjectInformationType {
  patientName?: string;
  patientWeightKg?: number;
  patientHeightM?: number;
  patientID?: string;
  patientBirthdate?: string;
  patientGender?: PatientGender;
}

export interface StudyInformationType {
  studyDate?: string;
  studyTime?: number;
  studyID?: string;
  accessionNumber?: bigint;
  referringPhysicianName?: string;
  studyDescription?: string;
  studyInstanceUID?: string;
  bodyPartExamined?: string;
}

export interface ThreeDimensionalFloat { x: number; y: number; z: number }

export interface MeasurementDependencyType { dependencyType: string; measurementID: string }

export interface ReferencedImageSequenceType { referencedSOPInstanceUID: string[] }

export interface MeasurementInformationType {
  measurementID?: string;
  seriesDate?: string;
  seriesTime?: number;
  patientPosition: PatientPosition;
  relativeTablePosition?: ThreeDimensionalFloat;
  initialSeriesNumber?: bigint;
  protocolName?: string;
  sequenceName?: string;
  seriesDescription?: string;
  measurementDependency: MeasurementDependencyType[];
  seriesInstanceUIDRoot?: string;
  frameOfReferenceUID?: string;
  referencedImageSequence?: ReferencedImageSequenceType;
}

export interface CoilLabelType { coilNumber: number; coilName: string }

export interface AcquisitionSystemInformationType {
  systemVendor?: string;
  systemModel?: string;
  systemFieldStrengthT?: number;
  relativeReceiverNoiseBandwidth?: number;
  receiverChannels?: number;
  coilLabel: CoilLabelType[];
  institutionName?: string;
  stationName?: string;
  deviceID?: string;
  deviceSerialNumber?: string;
}

export interface ExperimentalConditionsType { h1resonanceFrequencyHz: bigint }

export interface MatrixSizeType { x: number; y: number; z: number }

export interface FieldOfViewMm { x: number; y: number; z: number }

export interface EncodingSpaceType { matrixSize: MatrixSizeType; fieldOfViewMm: FieldOfViewMm }

export interface LimitType { minimum: number; maximum: number; center: number }

export interface EncodingLimitsType {
  kspaceEncodingStep0?: LimitType;
  kspaceEncodingStep1?: LimitType;
  kspaceEncodingStep2?: LimitType;
  average?: LimitType;
  slice?: LimitType;
  contrast?: LimitType;
  phase?: LimitType;
  repetition?: LimitType;
  set?: LimitType;
  segment?: LimitType;
  user0?: LimitType;
  user1?: LimitType;
  user2?: LimitType;
  user3?: LimitType;
  user4?: LimitType;
  user5?: LimitType;
  user6?: LimitType;
  user7?: LimitType;
}

export interface UserParameterLongType { name: string; value: bigint }
export interface UserParameterDoubleType { name: string; value: number }
export interface UserParameterStringType { name: string; value: string }
/** `value` is base64 text. */
export interface UserParameterBase64Type { name: string; value: string }

export interface TrajectoryDescriptionType {
  identifier: string;
  userParameterLong: UserParameterLongType[];
  userParameterDouble: UserParameterDoubleType[];
  userParameterString: UserParameterStringType[];
  comment?: string;
}

export interface AccelerationFactorType { kspaceEncodingStep1: number; kspaceEncodingStep2: number }

export interface MultibandSpacingType { dZ: number[] }

export interface MultibandType {
  spacing: MultibandSpacingType[];
  deltaKz: number;
  multibandFactor: number;
  calibration: Calibration;
  calibrationEncoding: bigint;
}

export interface ParallelImagingType {
  accelerationFactor: AccelerationFactorType;
  calibrationMode?: CalibrationMode;
  interleavingDimension?: InterleavingDimension;
  multiband?: MultibandType;
}

export interface EncodingType {
  encodedSpace: EncodingSpaceType;
  reconSpace: EncodingSpaceType;
  encodingLimits: EncodingLimitsType;
  trajectory: Trajectory;
  trajectoryDescription?: TrajectoryDescriptionType;
  parallelImaging?: ParallelImagingType;
  echoTrainLength?: bigint;
}

export interface GradientDirectionType { rl: number; ap: number; fh: number }

export interface DiffusionType { gradientDirection: GradientDirectionType; bvalue: number }

export interface SequenceParametersType {
  tR: number[];
  tE: number[];
  tI: number[];
  flipAngleDeg: number[];
  sequenceType?: string;
  echoSpacing: number[];
  diffusionDimension?: DiffusionDimension;
  diffusion: DiffusionType[];
  diffusionScheme?: string;
}

export interface UserParametersType {
  userParameterLong: UserParameterLongType[];
  userParameterDouble: UserParameterDoubleType[];
  userParameterString: UserParameterStringType[];
  userParameterBase64: UserParameterBase64Type[];
}

export interface WaveformInformationType {
  waveformName: string;
  waveformType: WaveformType;
  userParameters: UserParametersType;
}

export interface Header {
  version?: bigint;
  subjectInformation?: SubjectInformationType;
  studyInformation?: StudyInformationType;
  measurementInformation?: MeasurementInformationType;
  acquisitionSystemInformation?: AcquisitionSystemInformationType;
  experimentalConditions: ExperimentalConditionsType;
  encoding: EncodingType[];
  sequenceParameters?: SequenceParametersType;
  userParameters?: UserParametersType;
  waveformInformation: WaveformInformationType[];
}

// ---------------------------------------------------------------- acquisitions (mrd_acquisition.yml)

export interface EncodingCounters {
  kspaceEncodeStep1?: number;
  kspaceEncodeStep2?: number;
  average?: number;
  slice?: number;
  contrast?: number;
  phase?: number;
  repetition?: number;
  set?: number;
  segment?: number;
  user: number[];
}

export interface AcquisitionHeader {
  /** AcquisitionFlags bits. */
  flags: bigint;
  idx: EncodingCounters;
  measurementUid: number;
  scanCounter?: number;
  acquisitionCenterFrequency?: bigint;
  acquisitionTimeStampNs?: bigint;
  physiologyTimeStampNs: bigint[];
  channelOrder: number[];
  discardPre?: number;
  discardPost?: number;
  centerSample?: number;
  encodingSpaceRef?: number;
  sampleTimeNs?: bigint;
  position: number[];
  readDir: number[];
  phaseDir: number[];
  sliceDir: number[];
  patientTablePosition: number[];
  userInt: number[];
  userFloat: number[];
}

export interface Acquisition {
  head: AcquisitionHeader;
  /** complexfloat [coils, samples]. */
  data: NDArray<Float32Array>;
  /** float [samples]. */
  phase?: NDArray<Float32Array>;
  /** float [basis, samples]. */
  trajectory: NDArray<Float32Array>;
}

export interface AcquisitionPrototype {
  head: AcquisitionHeader;
  /** uint32, one dimension. */
  dataSampleCounts: NDArray<Uint32Array>;
}

// ---------------------------------------------------------------- waveforms (mrd_waveform.yml)

export interface Waveform<D> {
  flags: bigint;
  measurementUid: number;
  scanCounter: number;
  timeStampNs: bigint;
  sampleTimeNs: bigint;
  waveformId: number;
  /** [channels, samples]. */
  data: NDArray<D>;
}
export type WaveformUint32 = Waveform<Uint32Array>;

// ---------------------------------------------------------------- images (mrd_image.yml)

export interface ImageHeader {
  /** ImageFlags bits. */
  flags: bigint;
  measurementUid: number;
  fieldOfView: number[];
  position: number[];
  colDir: number[];
  lineDir: number[];
  sliceDir: number[];
  patientTablePosition: number[];
  average?: number;
  slice?: number;
  contrast?: number;
  phase?: number;
  repetition?: number;
  set?: number;
  acquisitionTimeStampNs?: bigint;
  physiologyTimeStampNs: bigint[];
  imageType: ImageType;
  imageIndex?: number;
  imageSeriesIndex?: number;
  userInt: number[];
  userFloat: number[];
}

/** ImageMetaValue: string, int64 (bigint) or float64 (number). */
export type ImageMetaValue = string | bigint | number;
export type ImageMeta = Map<string, ImageMetaValue[]>;

export interface Image<D> {
  head: ImageHeader;
  /** [channel, z, y, x]. */
  data: NDArray<D>;
  meta: ImageMeta;
}
export type ImageUint16 = Image<Uint16Array>;
export type ImageInt16 = Image<Int16Array>;
export type ImageUint32 = Image<Uint32Array>;
export type ImageInt32 = Image<Int32Array>;
export type ImageFloat = Image<Float32Array>;
export type ImageDouble = Image<Float64Array>;
/** Interleaved (re, im) float32. */
export type ImageComplexFloat = Image<Float32Array>;
/** Interleaved (re, im) float64. */
export type ImageComplexDouble = Image<Float64Array>;

// ---------------------------------------------------------------- intermediate (mrd_intermediate.yml)

export interface NoiseCovariance {
  coilLabels: CoilLabelType[];
  receiverNoiseBandwidth: number;
  noiseDwellTimeNs: bigint;
  sampleCount: bigint;
  /** complexfloat, two dimensions [coil, coil]. */
  matrix: NDArray<Float32Array>;
}

export interface AcquisitionBucket {
  data: Acquisition[];
  ref: Acquisition[];
  datastats: EncodingLimitsType[];
  refstats: EncodingLimitsType[];
  waveforms: WaveformUint32[];
}

export interface SamplingLimits {
  kspaceEncodingStep0: LimitType;
  kspaceEncodingStep1: LimitType;
  kspaceEncodingStep2: LimitType;
}

export interface SamplingDescription {
  encodedFOV: FieldOfViewMm;
  reconFOV: FieldOfViewMm;
  encodedMatrix: MatrixSizeType;
  reconMatrix: MatrixSizeType;
  samplingLimits: SamplingLimits;
}

export interface ReconBuffer {
  /** complexfloat [loc, s, n, chan, e2, e1, e0]. */
  data: NDArray<Float32Array>;
  /** float [loc, s, n, e2, e1, basis, samples]. */
  trajectory: NDArray<Float32Array>;
  /** float [loc, s, n, e2, e1, e0]. */
  density?: NDArray<Float32Array>;
  /** [loc, s, n, e2, e1]. */
  headers: NDArray<AcquisitionHeader[]>;
  sampling: SamplingDescription;
}

export interface ReconAssembly { data: ReconBuffer; ref?: ReconBuffer }

export interface ReconData { buffers: ReconAssembly[] }

export interface ImageArray {
  /** complexfloat [loc, s, n, channel, z, y, x]. */
  data: NDArray<Float32Array>;
  /** [loc, s, n]. */
  headers: NDArray<ImageHeader[]>;
  /** [loc, s, n]. */
  meta: NDArray<ImageMeta[]>;
  waveforms: WaveformUint32[];
}

/** ArrayComplexFloat: complexfloat with any number of dimensions. */
export type ArrayComplexFloat = NDArray<Float32Array>;

// ---------------------------------------------------------------- Pulseq (mrd_pulseq.yml)

export interface PulseqDefinitions {
  gradientRasterTime: number;
  radiofrequencyRasterTime: number;
  adcRasterTime: number;
  blockDurationRaster: number;
  name?: string;
  fov?: ThreeDimensionalFloat;
  totalDuration?: number;
  custom: Map<string, string>;
}

export interface PulseqBlock {
  id: number;
  duration: bigint;
  rf: number;
  gx: number;
  gy: number;
  gz: number;
  adc: number;
  ext: number;
}

export interface PulseqRFEvent {
  id: number;
  amp: number;
  magId: number;
  phaseId: number;
  timeId: number;
  center: number;
  delay: bigint;
  freqPPM: number;
  phasePPM: number;
  freqOffset: number;
  phaseOffset: number;
  use: RFPulseUse;
}

export interface PulseqArbitraryGradient {
  id: number;
  amp: number;
  first: number;
  last: number;
  shapeId: number;
  timeId: number;
  delay: bigint;
}

export interface PulseqTrapezoidalGradient {
  id: number;
  amp: number;
  rise: bigint;
  flat: bigint;
  fall: bigint;
  delay: bigint;
}

export interface PulseqADCEvent {
  id: number;
  num: bigint;
  dwell: number;
  delay: bigint;
  freqPPM: number;
  phasePPM: number;
  freq: number;
  phase: number;
  phaseShapeId: number;
}

export interface PulseqShape {
  id: number;
  numSamples: bigint;
  /** float64, one dimension. */
  data: NDArray<Float64Array>;
}

// ---------------------------------------------------------------- the protocol (mrd_protocol.yml)

/** StreamItem cases, in union order (the binary case index is the position here). */
export interface StreamItemCases {
  acquisition: Acquisition;
  acquisitionPrototype: AcquisitionPrototype;
  waveformUint32: WaveformUint32;
  imageUint16: ImageUint16;
  imageInt16: ImageInt16;
  imageUint32: ImageUint32;
  imageInt32: ImageInt32;
  imageFloat: ImageFloat;
  imageDouble: ImageDouble;
  imageComplexFloat: ImageComplexFloat;
  imageComplexDouble: ImageComplexDouble;
  acquisitionBucket: AcquisitionBucket;
  reconData: ReconData;
  arrayComplexFloat: ArrayComplexFloat;
  imageArray: ImageArray;
  pulseqDefinitions: PulseqDefinitions;
  pulseqBlocks: PulseqBlock[];
  pulseqRfEvent: PulseqRFEvent;
  pulseqArbitraryGradient: PulseqArbitraryGradient;
  pulseqTrapezoidalGradient: PulseqTrapezoidalGradient;
  pulseqAdcEvent: PulseqADCEvent;
  pulseqShape: PulseqShape;
}

export type StreamItemType = keyof StreamItemCases;

export const STREAM_ITEM_TYPES: readonly StreamItemType[] = [
  'acquisition', 'acquisitionPrototype', 'waveformUint32', 'imageUint16', 'imageInt16', 'imageUint32', 'imageInt32',
  'imageFloat', 'imageDouble', 'imageComplexFloat', 'imageComplexDouble', 'acquisitionBucket', 'reconData',
  'arrayComplexFloat', 'imageArray', 'pulseqDefinitions', 'pulseqBlocks', 'pulseqRfEvent', 'pulseqArbitraryGradient',
  'pulseqTrapezoidalGradient', 'pulseqAdcEvent', 'pulseqShape',
];

/** One item of the `data` stream: the case tag and its value. */
export type StreamItem = { [K in StreamItemType]: { type: K; value: StreamItemCases[K] } }[StreamItemType];

/** The image cases of StreamItem (AnyImage). */
export type ImageItemType = 'imageUint16' | 'imageInt16' | 'imageUint32' | 'imageInt32' | 'imageFloat' | 'imageDouble' | 'imageComplexFloat' | 'imageComplexDouble';
export type ImageItem = Extract<StreamItem, { type: ImageItemType }>;
