// The ISMRMRD XML header: its model, parser and serializer, and the user parameter lookups.
export {
  type AccelerationFactor, type AcquisitionSystemInformation, CALIBRATION_MODES, type CalibrationMode,
  type CoilLabel, type Diffusion, DIFFUSION_DIMENSIONS, type DiffusionDimension, type Encoding,
  ENCODING_LIMIT_NAMES, type EncodingLimitName, type EncodingLimits, type EncodingSpace,
  type ExperimentalConditions, type FieldOfView, type GradientDirection, INTERLEAVING_DIMENSIONS,
  type InterleavingDimension, ISMRMRD_NAMESPACE, type IsmrmrdHeader, type Limit, type MatrixSize,
  type MeasurementDependency, type MeasurementInformation, type Multiband, MULTIBAND_CALIBRATION_TYPES,
  type MultibandCalibrationType, type MultibandSpacing, type ParallelImaging, PATIENT_GENDERS,
  PATIENT_POSITIONS, type PatientGender, type PatientPosition, type ReferencedImageSequence,
  type SequenceParameters, type StudyInformation, type SubjectInformation, type ThreeDimensionalFloat,
  TRAJECTORY_TYPES, type TrajectoryDescription, type TrajectoryType, type UnknownContent,
  type UserParameterBase64, type UserParameterDouble, type UserParameterLong, type UserParameters,
  type UserParameterString, WAVEFORM_TYPES, type WaveformInformation, type WaveformType,
  type XmlElement, type XmlNode,
} from './types.js';
export { IsmrmrdHeaderError } from './errors.js';
export { parseIsmrmrdHeader, tryParseIsmrmrdHeader, type HeaderOrText } from './parse.js';
export { serializeIsmrmrdHeader, formatXsdFloat, formatXsdataFloat, type SerializeIsmrmrdHeaderOptions } from './serialize.js';
export {
  getUserParameter, getUserParameterLong, getUserParameterDouble, getUserParameterString, getUserParameterBase64,
  getUserParameterBase64Bytes, decodeBase64Strict, UserParameterError, type UserParameterKind, type UserParameterSource,
} from './user-parameters.js';
