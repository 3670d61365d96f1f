/**
 * The codec of every MRD v2 type (binary and NDJSON), field by field in the model's order
 * (ismrmrd/mrd model/*.yml; the same order as the schema in schema.ts), composed from the
 * combinators of ../codec. The `record<T>` signature makes the compiler check that each field of
 * the TypeScript interface has a codec of its type.
 */
import type { BinaryReader } from '../codec/binary-reader.js';
import type { BinaryWriter } from '../codec/binary-writer.js';
import {
  date, enumeration, fixedVector, flags, float32, float64, int32, int64, optional, record, size, string, stringMap, time,
  uint32, uint64, ValueFault, vector, withPath, type Codec,
} from '../codec/codec.js';
import { describeJson, jsonString, type JsonValue } from '../codec/json.js';
import {
  COMPLEX_FLOAT32, COMPLEX_FLOAT64, elementArray, FLOAT32, FLOAT64, INT16, INT32, ndarray, UINT16, UINT32, type ElementKind,
} from '../codec/ndarray.js';
import {
  ACQUISITION_FLAGS, CALIBRATION, CALIBRATION_MODE, DIFFUSION_DIMENSION, IMAGE_FLAGS, IMAGE_TYPE, INTERLEAVING_DIMENSION,
  PATIENT_GENDER, PATIENT_POSITION, RF_PULSE_USE, STREAM_ITEM_TYPES, TRAJECTORY, WAVEFORM_TYPE,
} from './types.js';
import type * as T from './types.js';

const float3 = fixedVector(float32, 3);

// ---------------------------------------------------------------- header

export const PatientGender = enumeration('PatientGender', PATIENT_GENDER);
export const PatientPosition = enumeration('PatientPosition', PATIENT_POSITION);
export const Trajectory = enumeration('Trajectory', TRAJECTORY);
export const CalibrationMode = enumeration('CalibrationMode', CALIBRATION_MODE);
export const InterleavingDimension = enumeration('InterleavingDimension', INTERLEAVING_DIMENSION);
export const Calibration = enumeration('Calibration', CALIBRATION);
export const DiffusionDimension = enumeration('DiffusionDimension', DIFFUSION_DIMENSION);
export const WaveformType = enumeration('WaveformType', WAVEFORM_TYPE);
export const ImageType = enumeration('ImageType', IMAGE_TYPE, 1);
export const RFPulseUse = enumeration('RFPulseUse', RF_PULSE_USE);
export const AcquisitionFlags = flags('AcquisitionFlags', ACQUISITION_FLAGS);
export const ImageFlags = flags('ImageFlags', IMAGE_FLAGS);

export const SubjectInformationType = record<T.SubjectInformationType>('SubjectInformationType', {
  patientName: optional(string), patientWeightKg: optional(float32), patientHeightM: optional(float32),
  patientID: optional(string), patientBirthdate: optional(date), patientGender: optional(PatientGender),
});

export const StudyInformationType = record<T.StudyInformationType>('StudyInformationType', {
  studyDate: optional(date), studyTime: optional(time), studyID: optional(string), accessionNumber: optional(int64),
  referringPhysicianName: optional(string), studyDescription: optional(string), studyInstanceUID: optional(string),
  bodyPartExamined: optional(string),
});

export const ThreeDimensionalFloat = record<T.ThreeDimensionalFloat>('ThreeDimensionalFloat', { x: float32, y: float32, z: float32 });

export const MeasurementDependencyType = record<T.MeasurementDependencyType>('MeasurementDependencyType', {
  dependencyType: string, measurementID: string,
});

export const ReferencedImageSequenceType = record<T.ReferencedImageSequenceType>('ReferencedImageSequenceType', {
  referencedSOPInstanceUID: vector(string),
});

export const MeasurementInformationType = record<T.MeasurementInformationType>('MeasurementInformationType', {
  measurementID: optional(string), seriesDate: optional(date), seriesTime: optional(time), patientPosition: PatientPosition,
  relativeTablePosition: optional(ThreeDimensionalFloat), initialSeriesNumber: optional(int64), protocolName: optional(string),
  sequenceName: optional(string), seriesDescription: optional(string), measurementDependency: vector(MeasurementDependencyType),
  seriesInstanceUIDRoot: optional(string), frameOfReferenceUID: optional(string),
  referencedImageSequence: optional(ReferencedImageSequenceType),
});

export const CoilLabelType = record<T.CoilLabelType>('CoilLabelType', { coilNumber: uint32, coilName: string });

export const AcquisitionSystemInformationType = record<T.AcquisitionSystemInformationType>('AcquisitionSystemInformationType', {
  systemVendor: optional(string), systemModel: optional(string), systemFieldStrengthT: optional(float32),
  relativeReceiverNoiseBandwidth: optional(float32), receiverChannels: optional(uint32), coilLabel: vector(CoilLabelType),
  institutionName: optional(string), stationName: optional(string), deviceID: optional(string), deviceSerialNumber: optional(string),
});

export const ExperimentalConditionsType = record<T.ExperimentalConditionsType>('ExperimentalConditionsType', { h1resonanceFrequencyHz: int64 });
export const MatrixSizeType = record<T.MatrixSizeType>('MatrixSizeType', { x: uint32, y: uint32, z: uint32 });
export const FieldOfViewMm = record<T.FieldOfViewMm>('FieldOfViewMm', { x: float32, y: float32, z: float32 });
export const EncodingSpaceType = record<T.EncodingSpaceType>('EncodingSpaceType', { matrixSize: MatrixSizeType, fieldOfViewMm: FieldOfViewMm });
export const LimitType = record<T.LimitType>('LimitType', { minimum: uint32, maximum: uint32, center: uint32 });

const optLimit = optional(LimitType);
export const EncodingLimitsType = record<T.EncodingLimitsType>('EncodingLimitsType', {
  kspaceEncodingStep0: optLimit, kspaceEncodingStep1: optLimit, kspaceEncodingStep2: optLimit, average: optLimit, slice: optLimit,
  contrast: optLimit, phase: optLimit, repetition: optLimit, set: optLimit, segment: optLimit, user0: optLimit, user1: optLimit,
  user2: optLimit, user3: optLimit, user4: optLimit, user5: optLimit, user6: optLimit, user7: optLimit,
});

export const UserParameterLongType = record<T.UserParameterLongType>('UserParameterLongType', { name: string, value: int64 });
export const UserParameterDoubleType = record<T.UserParameterDoubleType>('UserParameterDoubleType', { name: string, value: float64 });
export const UserParameterStringType = record<T.UserParameterStringType>('UserParameterStringType', { name: string, value: string });
export const UserParameterBase64Type = record<T.UserParameterBase64Type>('UserParameterBase64Type', { name: string, value: string });

export const TrajectoryDescriptionType = record<T.TrajectoryDescriptionType>('TrajectoryDescriptionType', {
  identifier: string, userParameterLong: vector(UserParameterLongType), userParameterDouble: vector(UserParameterDoubleType),
  userParameterString: vector(UserParameterStringType), comment: optional(string),
});

export const AccelerationFactorType = record<T.AccelerationFactorType>('AccelerationFactorType', {
  kspaceEncodingStep1: uint32, kspaceEncodingStep2: uint32,
});

export const MultibandSpacingType = record<T.MultibandSpacingType>('MultibandSpacingType', { dZ: vector(float32) });

export const MultibandType = record<T.MultibandType>('MultibandType', {
  spacing: vector(MultibandSpacingType), deltaKz: float32, multibandFactor: uint32, calibration: Calibration, calibrationEncoding: uint64,
});

export const ParallelImagingType = record<T.ParallelImagingType>('ParallelImagingType', {
  accelerationFactor: AccelerationFactorType, calibrationMode: optional(CalibrationMode),
  interleavingDimension: optional(InterleavingDimension), multiband: optional(MultibandType),
});

export const EncodingType = record<T.EncodingType>('EncodingType', {
  encodedSpace: EncodingSpaceType, reconSpace: EncodingSpaceType, encodingLimits: EncodingLimitsType, trajectory: Trajectory,
  trajectoryDescription: optional(TrajectoryDescriptionType), parallelImaging: optional(ParallelImagingType),
  echoTrainLength: optional(int64),
});

export const GradientDirectionType = record<T.GradientDirectionType>('GradientDirectionType', { rl: float32, ap: float32, fh: float32 });
export const DiffusionType = record<T.DiffusionType>('DiffusionType', { gradientDirection: GradientDirectionType, bvalue: float32 });

export const SequenceParametersType = record<T.SequenceParametersType>('SequenceParametersType', {
  tR: vector(float32), tE: vector(float32), tI: vector(float32), flipAngleDeg: vector(float32), sequenceType: optional(string),
  echoSpacing: vector(float32), diffusionDimension: optional(DiffusionDimension), diffusion: vector(DiffusionType),
  diffusionScheme: optional(string),
});

export const UserParametersType = record<T.UserParametersType>('UserParametersType', {
  userParameterLong: vector(UserParameterLongType), userParameterDouble: vector(UserParameterDoubleType),
  userParameterString: vector(UserParameterStringType), userParameterBase64: vector(UserParameterBase64Type),
});

export const WaveformInformationType = record<T.WaveformInformationType>('WaveformInformationType', {
  waveformName: string, waveformType: WaveformType, userParameters: UserParametersType,
});

export const Header = record<T.Header>('Header', {
  version: optional(int64), subjectInformation: optional(SubjectInformationType), studyInformation: optional(StudyInformationType),
  measurementInformation: optional(MeasurementInformationType),
  acquisitionSystemInformation: optional(AcquisitionSystemInformationType), experimentalConditions: ExperimentalConditionsType,
  encoding: vector(EncodingType), sequenceParameters: optional(SequenceParametersType), userParameters: optional(UserParametersType),
  waveformInformation: vector(WaveformInformationType),
});

// ---------------------------------------------------------------- acquisitions

const optU32 = optional(uint32);
const optU64 = optional(uint64);

export const EncodingCounters = record<T.EncodingCounters>('EncodingCounters', {
  kspaceEncodeStep1: optU32, kspaceEncodeStep2: optU32, average: optU32, slice: optU32, contrast: optU32, phase: optU32,
  repetition: optU32, set: optU32, segment: optU32, user: vector(uint32),
});

export const AcquisitionHeader = record<T.AcquisitionHeader>('AcquisitionHeader', {
  flags: AcquisitionFlags, idx: EncodingCounters, measurementUid: uint32, scanCounter: optU32, acquisitionCenterFrequency: optU64,
  acquisitionTimeStampNs: optU64, physiologyTimeStampNs: vector(uint64), channelOrder: vector(uint32), discardPre: optU32,
  discardPost: optU32, centerSample: optU32, encodingSpaceRef: optU32, sampleTimeNs: optU64, position: float3, readDir: float3,
  phaseDir: float3, sliceDir: float3, patientTablePosition: float3, userInt: vector(int32), userFloat: vector(float32),
});

export const Acquisition = record<T.Acquisition>('Acquisition', {
  head: AcquisitionHeader, data: ndarray(COMPLEX_FLOAT32, 2), phase: optional(ndarray(FLOAT32, 1)), trajectory: ndarray(FLOAT32, 2),
});

export const AcquisitionPrototype = record<T.AcquisitionPrototype>('AcquisitionPrototype', {
  head: AcquisitionHeader, dataSampleCounts: ndarray(UINT32, 1),
});

// ---------------------------------------------------------------- waveforms and images

export const WaveformUint32 = record<T.WaveformUint32>('WaveformUint32', {
  flags: uint64, measurementUid: uint32, scanCounter: uint32, timeStampNs: uint64, sampleTimeNs: uint64, waveformId: uint32,
  data: ndarray(UINT32, 2),
});

export const ImageHeader = record<T.ImageHeader>('ImageHeader', {
  flags: ImageFlags, measurementUid: uint32, fieldOfView: float3, position: float3, colDir: float3, lineDir: float3, sliceDir: float3,
  patientTablePosition: float3, average: optU32, slice: optU32, contrast: optU32, phase: optU32, repetition: optU32, set: optU32,
  acquisitionTimeStampNs: optU64, physiologyTimeStampNs: vector(uint64), imageType: ImageType, imageIndex: optU32,
  imageSeriesIndex: optU32, userInt: vector(int32), userFloat: vector(float32),
});

/** ImageMetaValue `[string, int64, float64]`: case index 0/1/2 then the value; NDJSON `{"int64": 5}`. */
export const ImageMetaValue: Codec<T.ImageMetaValue> = {
  type: 'ImageMetaValue', minSize: 2,
  read: (r) => {
    const at = r.pos;
    const i = r.u32();
    switch (i) {
      case 0: return string.read(r);
      case 1: return r.i64();
      case 2: return r.f64();
      default: throw r.fault('invalid-field', `ImageMetaValue case ${i} is not 0 (string), 1 (int64) or 2 (float64)`, at);
    }
  },
  write: (w, v) => {
    switch (typeof v) {
      case 'string': w.byte(0); string.write(w, v); return;
      case 'bigint': w.byte(1); int64.write(w, v); return;
      case 'number': w.byte(2); w.f64(v); return;
      default: throw new ValueFault(`${String(v)} is not an ImageMetaValue (string, bigint for int64, number for float64)`);
    }
  },
  json: (v) => {
    switch (typeof v) {
      case 'string': return `{"string":${jsonString(v)}}`;
      case 'bigint': return `{"int64":${int64.json(v)}}`;
      default: return `{"float64":${float64.json(v)}}`;
    }
  },
  fromJson: (j) => {
    if (!(j instanceof Map) || j.size !== 1) throw new ValueFault(`expected {"string"|"int64"|"float64": value}, got ${describeJson(j)}`);
    const [tag, x] = j.entries().next().value as [string, JsonValue];
    if (tag === 'string') return string.fromJson(x);
    if (tag === 'int64') return int64.fromJson(x);
    if (tag === 'float64') return float64.fromJson(x);
    throw new ValueFault(`"${tag}" is not an ImageMetaValue case`);
  },
};

export const ImageMeta = stringMap(vector(ImageMetaValue));

function image<A extends Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array>(type: string, kind: ElementKind<A>): Codec<T.Image<A>> {
  return record<T.Image<A>>(type, { head: ImageHeader, data: ndarray(kind, 4), meta: ImageMeta });
}

export const ImageUint16 = image('ImageUint16', UINT16);
export const ImageInt16 = image('ImageInt16', INT16);
export const ImageUint32 = image('ImageUint32', UINT32);
export const ImageInt32 = image('ImageInt32', INT32);
export const ImageFloat = image('ImageFloat', FLOAT32);
export const ImageDouble = image('ImageDouble', FLOAT64);
export const ImageComplexFloat = image('ImageComplexFloat', COMPLEX_FLOAT32);
export const ImageComplexDouble = image('ImageComplexDouble', COMPLEX_FLOAT64);

// ---------------------------------------------------------------- intermediate

export const NoiseCovariance = record<T.NoiseCovariance>('NoiseCovariance', {
  coilLabels: vector(CoilLabelType), receiverNoiseBandwidth: float32, noiseDwellTimeNs: uint64, sampleCount: size,
  matrix: ndarray(COMPLEX_FLOAT32, 2),
});

export const AcquisitionBucket = record<T.AcquisitionBucket>('AcquisitionBucket', {
  data: vector(Acquisition), ref: vector(Acquisition), datastats: vector(EncodingLimitsType), refstats: vector(EncodingLimitsType),
  waveforms: vector(WaveformUint32),
});

export const SamplingLimits = record<T.SamplingLimits>('SamplingLimits', {
  kspaceEncodingStep0: LimitType, kspaceEncodingStep1: LimitType, kspaceEncodingStep2: LimitType,
});

export const SamplingDescription = record<T.SamplingDescription>('SamplingDescription', {
  encodedFOV: FieldOfViewMm, reconFOV: FieldOfViewMm, encodedMatrix: MatrixSizeType, reconMatrix: MatrixSizeType,
  samplingLimits: SamplingLimits,
});

export const ReconBuffer = record<T.ReconBuffer>('ReconBuffer', {
  data: ndarray(COMPLEX_FLOAT32, 7), trajectory: ndarray(FLOAT32, 7), density: optional(ndarray(FLOAT32, 6)),
  headers: elementArray(AcquisitionHeader, 5), sampling: SamplingDescription,
});

export const ReconAssembly = record<T.ReconAssembly>('ReconAssembly', { data: ReconBuffer, ref: optional(ReconBuffer) });
export const ReconData = record<T.ReconData>('ReconData', { buffers: vector(ReconAssembly) });

export const ImageArray = record<T.ImageArray>('ImageArray', {
  data: ndarray(COMPLEX_FLOAT32, 7), headers: elementArray(ImageHeader, 3), meta: elementArray(ImageMeta, 3),
  waveforms: vector(WaveformUint32),
});

export const ArrayComplexFloat = ndarray(COMPLEX_FLOAT32, null);

// ---------------------------------------------------------------- Pulseq

export const PulseqDefinitions = record<T.PulseqDefinitions>('PulseqDefinitions', {
  gradientRasterTime: float64, radiofrequencyRasterTime: float64, adcRasterTime: float64, blockDurationRaster: float64,
  name: optional(string), fov: optional(ThreeDimensionalFloat), totalDuration: optional(float64), custom: stringMap(string),
});

export const PulseqBlock = record<T.PulseqBlock>('PulseqBlock', {
  id: int32, duration: uint64, rf: int32, gx: int32, gy: int32, gz: int32, adc: int32, ext: int32,
});

export const PulseqRFEvent = record<T.PulseqRFEvent>('PulseqRFEvent', {
  id: int32, amp: float64, magId: int32, phaseId: int32, timeId: int32, center: float64, delay: uint64, freqPPM: float64,
  phasePPM: float64, freqOffset: float64, phaseOffset: float64, use: RFPulseUse,
});

export const PulseqArbitraryGradient = record<T.PulseqArbitraryGradient>('PulseqArbitraryGradient', {
  id: int32, amp: float64, first: float64, last: float64, shapeId: int32, timeId: int32, delay: uint64,
});

export const PulseqTrapezoidalGradient = record<T.PulseqTrapezoidalGradient>('PulseqTrapezoidalGradient', {
  id: int32, amp: float64, rise: uint64, flat: uint64, fall: uint64, delay: uint64,
});

export const PulseqADCEvent = record<T.PulseqADCEvent>('PulseqADCEvent', {
  id: int32, num: uint64, dwell: float32, delay: uint64, freqPPM: float64, phasePPM: float64, freq: float64, phase: float64,
  phaseShapeId: int32,
});

export const PulseqShape = record<T.PulseqShape>('PulseqShape', { id: int32, numSamples: uint64, data: ndarray(FLOAT64, 1) });

// ---------------------------------------------------------------- StreamItem

/** The codec of each StreamItem case, by tag. */
export const STREAM_ITEM_CODECS: { [K in T.StreamItemType]: Codec<T.StreamItemCases[K]> } = {
  acquisition: Acquisition, acquisitionPrototype: AcquisitionPrototype, waveformUint32: WaveformUint32,
  imageUint16: ImageUint16, imageInt16: ImageInt16, imageUint32: ImageUint32, imageInt32: ImageInt32, imageFloat: ImageFloat,
  imageDouble: ImageDouble, imageComplexFloat: ImageComplexFloat, imageComplexDouble: ImageComplexDouble,
  acquisitionBucket: AcquisitionBucket, reconData: ReconData, arrayComplexFloat: ArrayComplexFloat, imageArray: ImageArray,
  pulseqDefinitions: PulseqDefinitions, pulseqBlocks: vector(PulseqBlock), pulseqRfEvent: PulseqRFEvent,
  pulseqArbitraryGradient: PulseqArbitraryGradient, pulseqTrapezoidalGradient: PulseqTrapezoidalGradient,
  pulseqAdcEvent: PulseqADCEvent, pulseqShape: PulseqShape,
};

const CASE_CODECS = STREAM_ITEM_TYPES.map((t) => STREAM_ITEM_CODECS[t] as Codec<unknown>);
const CASE_INDEX = new Map<string, number>(STREAM_ITEM_TYPES.map((t, i) => [t, i]));
const CASE_JSON_PREFIX = STREAM_ITEM_TYPES.map((t) => `{${jsonString(t)}:`);

/** StreamItem: case index (varint; upstream writes one byte, the same below 128) then the value; NDJSON `{"<tag>": value}`. */
export const StreamItem: Codec<T.StreamItem> = {
  type: 'StreamItem', minSize: 2,
  read: (r: BinaryReader) => {
    const at = r.pos;
    const i = r.u32();
    const c = CASE_CODECS[i];
    if (!c) throw r.fault('unsupported-message', `StreamItem case ${i} is not one of the ${CASE_CODECS.length} cases of MRD 2.2.1`, at);
    const type = STREAM_ITEM_TYPES[i]!;
    try {
      return { type, value: c.read(r) } as T.StreamItem;
    } catch (e) {
      throw withPath(e, type);
    }
  },
  write: (w: BinaryWriter, item) => {
    const i = CASE_INDEX.get(item?.type);
    if (i === undefined) throw new ValueFault(`${String(item?.type)} is not a StreamItem case`);
    w.u(i);
    try {
      CASE_CODECS[i]!.write(w, item.value);
    } catch (e) {
      throw withPath(e, item.type);
    }
  },
  json: (item) => {
    const i = CASE_INDEX.get(item?.type);
    if (i === undefined) throw new ValueFault(`${String(item?.type)} is not a StreamItem case`);
    try {
      return `${CASE_JSON_PREFIX[i]}${CASE_CODECS[i]!.json(item.value)}}`;
    } catch (e) {
      throw withPath(e, item.type);
    }
  },
  fromJson: (j) => {
    if (!(j instanceof Map) || j.size !== 1) throw new ValueFault(`expected {"<StreamItem case>": value}, got ${describeJson(j)}`);
    const [type, x] = j.entries().next().value as [string, JsonValue];
    const i = CASE_INDEX.get(type);
    if (i === undefined) throw new ValueFault(`"${type}" is not a StreamItem case`);
    try {
      return { type, value: CASE_CODECS[i]!.fromJson(x) } as T.StreamItem;
    } catch (e) {
      throw withPath(e, type);
    }
  },
};

export const OptionalHeader = optional(Header);
