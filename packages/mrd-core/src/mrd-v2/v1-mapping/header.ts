/**
 * The MRD header between generations: v1's XML header model (xml-header/) and v2's Header.
 *
 * Two mappings:
 * - 'upstream' (default): exactly what upstream's converters do (ismrmrd/mrd python/mrd/tools
 *   ismrmrd_to_mrd.py `convert_header`, mrd_to_ismrmrd.py `convert_header`, with the local
 *   base64 fix: the v2 value is the base64 text), so converted files are byte-identical to
 *   theirs. That includes their omissions and their Python truthiness tests: a v1 value that is
 *   0, 0.0 or '' is left out of v2 where upstream writes `if value:`, times keep microseconds.
 *   Not carried by upstream (UPSTREAM_HEADER_LOSSES lists them for --help):
 *   v1 -> v2: relativeTablePosition, sequenceName, measurementDependency, encodingLimits user_0..7,
 *   trajectoryDescription's parameters and comment, multiband, diffusionDimension, diffusion,
 *   diffusionScheme, waveformInformation; v2 -> v1 additionally a calibrationMode
 *   `noacceleration` (no v1 value).
 * - 'complete': every field the two models share, both ways (all of v1's schema has a v2
 *   field; times keep nanoseconds). Only calibrationMode `noacceleration` (v2 only) and content
 *   outside the v1 schema (kept by the XML model as unknown elements) have no counterpart.
 *
 * v1 XML text for v2 -> v1 is rendered as upstream's (xsdata) does: `encoding="ascii"`
 * declaration, two-space indentation, Python float text (see headerV1Xml).
 */
import type * as V1 from '../../xml-header/types.js';
import { formatXsdataFloat, serializeIsmrmrdHeader } from '../../xml-header/serialize.js';
import { IsmrmrdHeaderError } from '../../xml-header/errors.js';
import { daysFromDate } from '../codec/codec.js';
import type * as V2 from '../model/types.js';

export type HeaderMapping = 'upstream' | 'complete';

/** What upstream's header conversion does not carry (for help texts and reports). */
export const UPSTREAM_HEADER_LOSSES = {
  v1ToV2: [
    'measurementInformation: relativeTablePosition, sequenceName, measurementDependency',
    'encodingLimits user_0..user_7', 'trajectoryDescription userParameter* and comment', 'parallelImaging multiband',
    'sequenceParameters diffusionDimension, diffusion, diffusionScheme', 'waveformInformation',
    'values that are 0, 0.0 or empty text where upstream tests "if value:" (e.g. version 0, patientWeight_kg 0, accessionNumber 0)',
    'time precision below one microsecond',
  ],
  v2ToV1: [
    'the same fields as v1 -> v2 (and unknown enum values)', 'calibrationMode noacceleration (no v1 value)',
    'accessionNumber 0 and empty strings (upstream tests "if value:")', 'time precision below one microsecond',
  ],
} as const;

/** Python's truth value of a field (None, 0, 0.0, '', [] are false; NaN and objects true). */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v !== '';
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

const f32 = Math.fround;

// ---------------------------------------------------------------- dates and times

/** v1 xs:date text -> v2 date (its timezone, if any, dropped as xsdata's to_date does). */
function dateToV2(s: string, path: string): string {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?\s*$/.exec(s);
  const d = m ? `${m[1]}-${m[2]}-${m[3]}` : '';
  try {
    if (!m) throw new Error();
    daysFromDate(d);
  } catch {
    throw new IsmrmrdHeaderError(path, `"${s}" is not a date MRD v2 can hold (YYYY-MM-DD, years 1..9999)`);
  }
  return d;
}

/** v1 xs:time text -> nanoseconds since midnight (upstream keeps microseconds: `micro`). */
function timeToV2(s: string, path: string, micro: boolean): number {
  const m = /^\s*(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?\s*$/.exec(s);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) throw new IsmrmrdHeaderError(path, `"${s}" is not a time of day MRD v2 can hold`);
  let frac = m[4] ? Number(m[4].padEnd(9, '0').slice(0, 9)) : 0;
  if (micro) frac -= frac % 1000;
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1e9 + frac;
}

/** v2 time -> v1 xs:time text as xsdata writes it (fraction in 3, 6 or 9 digits, none when 0). */
function timeToV1(ns: number, micro: boolean): string {
  if (micro) ns -= ns % 1000;
  const sec = Math.floor(ns / 1e9);
  const frac = ns - sec * 1e9;
  const hms = `${String(Math.floor(sec / 3600)).padStart(2, '0')}:${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}`;
  if (frac === 0) return hms;
  if (frac % 1000 !== 0) return `${hms}.${String(frac).padStart(9, '0')}`;
  const us = frac / 1000;
  if (us % 1000 !== 0) return `${hms}.${String(us).padStart(6, '0')}`;
  return `${hms}.${String(us / 1000).padStart(3, '0')}`;
}

// ---------------------------------------------------------------- enums

const GENDER_TO_V2: Record<string, V2.PatientGender> = { M: 'm', F: 'f', O: 'o' };
const GENDER_TO_V1: Record<string, V1.PatientGender> = { m: 'M', f: 'F', o: 'O' };
const POSITION_TO_V2: Record<string, V2.PatientPosition> = {
  HFP: 'hFP', HFS: 'hFS', HFDR: 'hFDR', HFDL: 'hFDL', FFP: 'fFP', FFS: 'fFS', FFDR: 'fFDR', FFDL: 'fFDL',
};
const POSITION_TO_V1: Record<string, V1.PatientPosition> = Object.fromEntries(Object.entries(POSITION_TO_V2).map(([k, v]) => [v, k as V1.PatientPosition]));
const DIFFUSION_TO_V2 = (d: V1.DiffusionDimension): V2.DiffusionDimension => d.replace('_', '') as V2.DiffusionDimension;
const DIFFUSION_TO_V1 = (d: V2.DiffusionDimension): V1.DiffusionDimension | undefined =>
  typeof d === 'string' ? (d.replace(/^user(\d)$/, 'user_$1') as V1.DiffusionDimension) : undefined;
const MULTIBAND_CALIBRATION_TO_V1: Record<string, V1.MultibandCalibrationType> = { separable2D: 'separable2D', full3D: 'full3D', other: 'other' };

/** A v2 enum symbol that v1 also has (same spelling), else undefined. */
function sameSymbol<S extends string>(v: string | number | undefined, v1Values: readonly S[]): S | undefined {
  return typeof v === 'string' && (v1Values as readonly string[]).includes(v) ? (v as S) : undefined;
}

// ---------------------------------------------------------------- shared pieces

const V1_LIMITS_UPSTREAM = ['kspace_encoding_step_0', 'kspace_encoding_step_1', 'kspace_encoding_step_2', 'average', 'slice', 'contrast', 'phase', 'repetition', 'set', 'segment'] as const;
const LIMIT_NAME_V2: Record<V1.EncodingLimitName, keyof V2.EncodingLimitsType> = {
  kspace_encoding_step_0: 'kspaceEncodingStep0', kspace_encoding_step_1: 'kspaceEncodingStep1', kspace_encoding_step_2: 'kspaceEncodingStep2',
  average: 'average', slice: 'slice', contrast: 'contrast', phase: 'phase', repetition: 'repetition', set: 'set', segment: 'segment',
  user_0: 'user0', user_1: 'user1', user_2: 'user2', user_3: 'user3', user_4: 'user4', user_5: 'user5', user_6: 'user6', user_7: 'user7',
};
const ALL_V1_LIMITS = Object.keys(LIMIT_NAME_V2) as V1.EncodingLimitName[];

function canonicalBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('base64');
}

function userParametersToV2(u: V1.UserParameters, complete: boolean): V2.UserParametersType {
  if (complete) {
    return {
      userParameterLong: (u.userParameterLong ?? []).map((p) => ({ name: p.name, value: BigInt(p.value) })),
      userParameterDouble: (u.userParameterDouble ?? []).map((p) => ({ name: p.name, value: p.value })),
      userParameterString: (u.userParameterString ?? []).map((p) => ({ name: p.name, value: p.value })),
      userParameterBase64: (u.userParameterBase64 ?? []).map((p) => ({ name: p.name, value: p.value })),
    };
  }
  return {
    userParameterLong: (u.userParameterLong ?? []).map((p) => ({ name: p.name || '', value: BigInt(p.value || 0) })),
    userParameterDouble: (u.userParameterDouble ?? []).map((p) => ({ name: p.name || '', value: p.value || 0 })),
    userParameterString: (u.userParameterString ?? []).map((p) => ({ name: p.name || '', value: p.value || '' })),
    userParameterBase64: (u.userParameterBase64 ?? []).map((p) => ({ name: p.name || '', value: canonicalBase64(p.value) })),
  };
}

function safeNumber(v: bigint, path: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new IsmrmrdHeaderError(path, `${v} is beyond the integers the v1 header model holds exactly`);
  }
  return Number(v);
}

function userParametersToV1(u: V2.UserParametersType, path: string): V1.UserParameters {
  const out: V1.UserParameters = {};
  if (u.userParameterLong.length) out.userParameterLong = u.userParameterLong.map((p) => ({ name: p.name, value: safeNumber(p.value, `${path}/userParameterLong`) }));
  if (u.userParameterDouble.length) out.userParameterDouble = u.userParameterDouble.map((p) => ({ name: p.name, value: p.value }));
  if (u.userParameterString.length) out.userParameterString = u.userParameterString.map((p) => ({ name: p.name, value: p.value }));
  // xsdata decodes the base64 text to bytes and writes them back encoded: canonical base64.
  if (u.userParameterBase64.length) out.userParameterBase64 = u.userParameterBase64.map((p) => ({ name: p.name, value: canonicalBase64(p.value) }));
  return out;
}

const limitToV2 = (l: V1.Limit): V2.LimitType => ({ minimum: l.minimum, maximum: l.maximum, center: l.center });
const limitToV1 = (l: V2.LimitType): V1.Limit => ({ minimum: l.minimum, maximum: l.maximum, center: l.center });
const xyzF32 = (v: { x: number; y: number; z: number }) => ({ x: f32(v.x), y: f32(v.y), z: f32(v.z) });

// ---------------------------------------------------------------- v1 -> v2

/** The v2 Header of a v1 header model. */
export function headerToV2(h: V1.IsmrmrdHeader, mapping: HeaderMapping = 'upstream'): V2.Header {
  const all = mapping === 'complete';
  const has = all ? (v: unknown) => v !== undefined && v !== null : truthy;
  const out: V2.Header = { experimentalConditions: { h1resonanceFrequencyHz: 0n }, encoding: [], waveformInformation: [] };
  const P = 'ismrmrdHeader';

  if (has(h.version)) out.version = BigInt(h.version!);

  const si = h.subjectInformation;
  if (si) {
    const o: V2.SubjectInformationType = {};
    if (has(si.patientName)) o.patientName = si.patientName!;
    if (has(si.patientWeight_kg)) o.patientWeightKg = f32(si.patientWeight_kg!);
    if (has(si.patientHeight_m)) o.patientHeightM = f32(si.patientHeight_m!);
    if (has(si.patientID)) o.patientID = si.patientID!;
    if (has(si.patientBirthdate)) o.patientBirthdate = dateToV2(si.patientBirthdate!, `${P}/subjectInformation/patientBirthdate`);
    if (has(si.patientGender) && GENDER_TO_V2[si.patientGender!]) o.patientGender = GENDER_TO_V2[si.patientGender!];
    out.subjectInformation = o;
  }

  const st = h.studyInformation;
  if (st) {
    const o: V2.StudyInformationType = {};
    if (has(st.studyDate)) o.studyDate = dateToV2(st.studyDate!, `${P}/studyInformation/studyDate`);
    if (has(st.studyTime)) o.studyTime = timeToV2(st.studyTime!, `${P}/studyInformation/studyTime`, !all);
    if (has(st.studyID)) o.studyID = st.studyID!;
    if (has(st.accessionNumber)) o.accessionNumber = BigInt(st.accessionNumber!);
    if (has(st.referringPhysicianName)) o.referringPhysicianName = st.referringPhysicianName!;
    if (has(st.studyDescription)) o.studyDescription = st.studyDescription!;
    if (has(st.studyInstanceUID)) o.studyInstanceUID = st.studyInstanceUID!;
    if (has(st.bodyPartExamined)) o.bodyPartExamined = st.bodyPartExamined!;
    out.studyInformation = o;
  }

  const mi = h.measurementInformation;
  if (mi) {
    // Upstream's default patientPosition (MeasurementInformationType()) is the first value, hFP.
    const o: V2.MeasurementInformationType = { patientPosition: POSITION_TO_V2[mi.patientPosition] ?? 'hFP', measurementDependency: [] };
    if (has(mi.measurementID)) o.measurementID = mi.measurementID!;
    if (has(mi.seriesDate)) o.seriesDate = dateToV2(mi.seriesDate!, `${P}/measurementInformation/seriesDate`);
    if (has(mi.seriesTime)) o.seriesTime = timeToV2(mi.seriesTime!, `${P}/measurementInformation/seriesTime`, !all);
    if (all && mi.relativeTablePosition) o.relativeTablePosition = xyzF32(mi.relativeTablePosition);
    if (has(mi.initialSeriesNumber)) o.initialSeriesNumber = BigInt(mi.initialSeriesNumber!);
    if (has(mi.protocolName)) o.protocolName = mi.protocolName!;
    if (all && has(mi.sequenceName)) o.sequenceName = mi.sequenceName!;
    if (has(mi.seriesDescription)) o.seriesDescription = mi.seriesDescription!;
    if (all && mi.measurementDependency) o.measurementDependency = mi.measurementDependency.map((d) => ({ dependencyType: d.dependencyType, measurementID: d.measurementID }));
    if (has(mi.seriesInstanceUIDRoot)) o.seriesInstanceUIDRoot = mi.seriesInstanceUIDRoot!;
    if (has(mi.frameOfReferenceUID)) o.frameOfReferenceUID = mi.frameOfReferenceUID!;
    if (mi.referencedImageSequence) o.referencedImageSequence = { referencedSOPInstanceUID: [...(mi.referencedImageSequence.referencedSOPInstanceUID ?? [])] };
    // Key order of the model (for equal-looking objects): rebuild in field order.
    out.measurementInformation = {
      ...(o.measurementID !== undefined && { measurementID: o.measurementID }), ...(o.seriesDate !== undefined && { seriesDate: o.seriesDate }),
      ...(o.seriesTime !== undefined && { seriesTime: o.seriesTime }), patientPosition: o.patientPosition,
      ...(o.relativeTablePosition && { relativeTablePosition: o.relativeTablePosition }), ...(o.initialSeriesNumber !== undefined && { initialSeriesNumber: o.initialSeriesNumber }),
      ...(o.protocolName !== undefined && { protocolName: o.protocolName }), ...(o.sequenceName !== undefined && { sequenceName: o.sequenceName }),
      ...(o.seriesDescription !== undefined && { seriesDescription: o.seriesDescription }), measurementDependency: o.measurementDependency,
      ...(o.seriesInstanceUIDRoot !== undefined && { seriesInstanceUIDRoot: o.seriesInstanceUIDRoot }),
      ...(o.frameOfReferenceUID !== undefined && { frameOfReferenceUID: o.frameOfReferenceUID }),
      ...(o.referencedImageSequence && { referencedImageSequence: o.referencedImageSequence }),
    };
  }

  const as = h.acquisitionSystemInformation;
  if (as) {
    const o: V2.AcquisitionSystemInformationType = { coilLabel: [] };
    if (has(as.systemVendor)) o.systemVendor = as.systemVendor!;
    if (has(as.systemModel)) o.systemModel = as.systemModel!;
    if (has(as.systemFieldStrength_T)) o.systemFieldStrengthT = f32(as.systemFieldStrength_T!);
    if (has(as.relativeReceiverNoiseBandwidth)) o.relativeReceiverNoiseBandwidth = f32(as.relativeReceiverNoiseBandwidth!);
    if (has(as.receiverChannels)) o.receiverChannels = as.receiverChannels!;
    if (as.coilLabel) o.coilLabel = as.coilLabel.map((c) => ({ coilNumber: all ? c.coilNumber : c.coilNumber || 0, coilName: all ? c.coilName : c.coilName || '' }));
    if (has(as.institutionName)) o.institutionName = as.institutionName!;
    if (has(as.stationName)) o.stationName = as.stationName!;
    if (has(as.deviceID)) o.deviceID = as.deviceID!;
    if (has(as.deviceSerialNumber)) o.deviceSerialNumber = as.deviceSerialNumber!;
    out.acquisitionSystemInformation = {
      ...(o.systemVendor !== undefined && { systemVendor: o.systemVendor }), ...(o.systemModel !== undefined && { systemModel: o.systemModel }),
      ...(o.systemFieldStrengthT !== undefined && { systemFieldStrengthT: o.systemFieldStrengthT }),
      ...(o.relativeReceiverNoiseBandwidth !== undefined && { relativeReceiverNoiseBandwidth: o.relativeReceiverNoiseBandwidth }),
      ...(o.receiverChannels !== undefined && { receiverChannels: o.receiverChannels }), coilLabel: o.coilLabel,
      ...(o.institutionName !== undefined && { institutionName: o.institutionName }), ...(o.stationName !== undefined && { stationName: o.stationName }),
      ...(o.deviceID !== undefined && { deviceID: o.deviceID }), ...(o.deviceSerialNumber !== undefined && { deviceSerialNumber: o.deviceSerialNumber }),
    };
  }

  out.experimentalConditions = { h1resonanceFrequencyHz: BigInt(h.experimentalConditions?.H1resonanceFrequency_Hz || 0) };

  for (const e of h.encoding ?? []) {
    const space = (s: V1.EncodingSpace | undefined): V2.EncodingSpaceType => ({
      matrixSize: s?.matrixSize ? { x: s.matrixSize.x, y: s.matrixSize.y, z: s.matrixSize.z } : { x: 0, y: 0, z: 0 },
      fieldOfViewMm: s?.fieldOfView_mm
        ? (all ? xyzF32(s.fieldOfView_mm) : { x: f32(s.fieldOfView_mm.x || 0), y: f32(s.fieldOfView_mm.y || 0), z: f32(s.fieldOfView_mm.z || 0) })
        : { x: 0, y: 0, z: 0 },
    });
    const limits: V2.EncodingLimitsType = {};
    for (const name of all ? ALL_V1_LIMITS : V1_LIMITS_UPSTREAM) {
      const l = e.encodingLimits?.[name];
      if (l) limits[LIMIT_NAME_V2[name]] = limitToV2(l);
    }
    const enc: V2.EncodingType = { encodedSpace: space(e.encodedSpace), reconSpace: space(e.reconSpace), encodingLimits: limits, trajectory: e.trajectory };
    const td = e.trajectoryDescription;
    if (td) {
      if (all) {
        const u = userParametersToV2({ userParameterLong: td.userParameterLong, userParameterDouble: td.userParameterDouble, userParameterString: td.userParameterString }, true);
        enc.trajectoryDescription = {
          identifier: td.identifier, userParameterLong: u.userParameterLong, userParameterDouble: u.userParameterDouble,
          userParameterString: u.userParameterString, ...(td.comment !== undefined && { comment: td.comment }),
        };
      } else {
        enc.trajectoryDescription = { identifier: td.identifier || '', userParameterLong: [], userParameterDouble: [], userParameterString: [] };
      }
    }
    const pi = e.parallelImaging;
    if (pi) {
      const p: V2.ParallelImagingType = {
        accelerationFactor: { kspaceEncodingStep1: pi.accelerationFactor?.kspace_encoding_step_1 || 0, kspaceEncodingStep2: pi.accelerationFactor?.kspace_encoding_step_2 || 0 },
      };
      if (pi.calibrationMode) p.calibrationMode = pi.calibrationMode;
      if (pi.interleavingDimension) p.interleavingDimension = pi.interleavingDimension;
      if (all && pi.multiband) {
        const m = pi.multiband;
        p.multiband = {
          spacing: m.spacing.map((s) => ({ dZ: s.dZ.map(f32) })), deltaKz: f32(m.deltaKz), multibandFactor: m.multiband_factor,
          calibration: m.calibration, calibrationEncoding: BigInt(m.calibration_encoding),
        };
      }
      enc.parallelImaging = p;
    }
    if (has(e.echoTrainLength)) enc.echoTrainLength = BigInt(e.echoTrainLength!);
    out.encoding.push(enc);
  }

  const sp = h.sequenceParameters;
  if (sp) {
    const o: V2.SequenceParametersType = {
      tR: (sp.TR ?? []).map(f32), tE: (sp.TE ?? []).map(f32), tI: (sp.TI ?? []).map(f32), flipAngleDeg: (sp.flipAngle_deg ?? []).map(f32),
      echoSpacing: (sp.echo_spacing ?? []).map(f32), diffusion: [],
    };
    if (has(sp.sequence_type)) o.sequenceType = sp.sequence_type!;
    if (all) {
      if (sp.diffusionDimension) o.diffusionDimension = DIFFUSION_TO_V2(sp.diffusionDimension);
      o.diffusion = (sp.diffusion ?? []).map((d) => ({ gradientDirection: { rl: f32(d.gradientDirection.rl), ap: f32(d.gradientDirection.ap), fh: f32(d.gradientDirection.fh) }, bvalue: f32(d.bvalue) }));
      if (sp.diffusionScheme !== undefined) o.diffusionScheme = sp.diffusionScheme;
    }
    out.sequenceParameters = {
      tR: o.tR, tE: o.tE, tI: o.tI, flipAngleDeg: o.flipAngleDeg, ...(o.sequenceType !== undefined && { sequenceType: o.sequenceType }),
      echoSpacing: o.echoSpacing, ...(o.diffusionDimension !== undefined && { diffusionDimension: o.diffusionDimension }), diffusion: o.diffusion,
      ...(o.diffusionScheme !== undefined && { diffusionScheme: o.diffusionScheme }),
    };
  }

  if (h.userParameters) out.userParameters = userParametersToV2(h.userParameters, all);
  if (all) {
    out.waveformInformation = (h.waveformInformation ?? []).map((w) => ({
      waveformName: w.waveformName, waveformType: w.waveformType,
      userParameters: userParametersToV2(w.userParameters ?? {}, true),
    }));
  }
  return out;
}

// ---------------------------------------------------------------- v2 -> v1

/** The v1 header model of a v2 Header (throws when it has no encoding, as upstream). */
export function headerToV1(h: V2.Header, mapping: HeaderMapping = 'upstream'): V1.IsmrmrdHeader {
  const all = mapping === 'complete';
  const P = 'Header';
  const text = (v: string | undefined) => (all ? v !== undefined : truthy(v));
  const out: V1.IsmrmrdHeader = { experimentalConditions: { H1resonanceFrequency_Hz: safeNumber(h.experimentalConditions.h1resonanceFrequencyHz, `${P}/experimentalConditions`) }, encoding: [] };
  if (all ? h.version !== undefined : truthy(h.version)) out.version = safeNumber(h.version!, `${P}/version`);

  const si = h.subjectInformation;
  if (si) {
    const o: V1.SubjectInformation = {};
    if (text(si.patientName)) o.patientName = si.patientName;
    if (si.patientWeightKg !== undefined) o.patientWeight_kg = si.patientWeightKg;
    if (si.patientHeightM !== undefined) o.patientHeight_m = si.patientHeightM;
    if (text(si.patientID)) o.patientID = si.patientID;
    if (si.patientBirthdate !== undefined) o.patientBirthdate = si.patientBirthdate;
    if (si.patientGender !== undefined && typeof si.patientGender === 'string') o.patientGender = GENDER_TO_V1[si.patientGender];
    out.subjectInformation = o;
  }

  const st = h.studyInformation;
  if (st) {
    const o: V1.StudyInformation = {};
    if (st.studyDate !== undefined) o.studyDate = st.studyDate;
    if (st.studyTime !== undefined) o.studyTime = timeToV1(st.studyTime, !all);
    if (text(st.studyID)) o.studyID = st.studyID;
    if (all ? st.accessionNumber !== undefined : truthy(st.accessionNumber)) o.accessionNumber = safeNumber(st.accessionNumber!, `${P}/studyInformation/accessionNumber`);
    if (text(st.referringPhysicianName)) o.referringPhysicianName = st.referringPhysicianName;
    if (text(st.studyDescription)) o.studyDescription = st.studyDescription;
    if (text(st.studyInstanceUID)) o.studyInstanceUID = st.studyInstanceUID;
    if (text(st.bodyPartExamined)) o.bodyPartExamined = st.bodyPartExamined;
    out.studyInformation = o;
  }

  const mi = h.measurementInformation;
  if (mi) {
    const pos = typeof mi.patientPosition === 'string' ? POSITION_TO_V1[mi.patientPosition] : undefined;
    if (!pos) throw new IsmrmrdHeaderError(`${P}/measurementInformation/patientPosition`, `${String(mi.patientPosition)} has no v1 value (required by the v1 schema)`);
    const o: V1.MeasurementInformation = { patientPosition: pos };
    if (text(mi.measurementID)) o.measurementID = mi.measurementID;
    if (mi.seriesDate !== undefined) o.seriesDate = mi.seriesDate;
    if (mi.seriesTime !== undefined) o.seriesTime = timeToV1(mi.seriesTime, !all);
    if (all && mi.relativeTablePosition) o.relativeTablePosition = { ...mi.relativeTablePosition };
    if (mi.initialSeriesNumber !== undefined) o.initialSeriesNumber = safeNumber(mi.initialSeriesNumber, `${P}/measurementInformation/initialSeriesNumber`);
    if (text(mi.protocolName)) o.protocolName = mi.protocolName;
    if (all && mi.sequenceName !== undefined) o.sequenceName = mi.sequenceName;
    if (text(mi.seriesDescription)) o.seriesDescription = mi.seriesDescription;
    if (all && mi.measurementDependency.length) o.measurementDependency = mi.measurementDependency.map((d) => ({ ...d }));
    if (text(mi.seriesInstanceUIDRoot)) o.seriesInstanceUIDRoot = mi.seriesInstanceUIDRoot;
    if (text(mi.frameOfReferenceUID)) o.frameOfReferenceUID = mi.frameOfReferenceUID;
    if (mi.referencedImageSequence) {
      const uids = mi.referencedImageSequence.referencedSOPInstanceUID;
      o.referencedImageSequence = uids.length ? { referencedSOPInstanceUID: [...uids] } : {};
    }
    out.measurementInformation = o;
  }

  const as = h.acquisitionSystemInformation;
  if (as) {
    const o: V1.AcquisitionSystemInformation = {};
    if (text(as.systemVendor)) o.systemVendor = as.systemVendor;
    if (text(as.systemModel)) o.systemModel = as.systemModel;
    if (as.systemFieldStrengthT !== undefined) o.systemFieldStrength_T = as.systemFieldStrengthT;
    if (as.relativeReceiverNoiseBandwidth !== undefined) o.relativeReceiverNoiseBandwidth = as.relativeReceiverNoiseBandwidth;
    if (as.receiverChannels !== undefined) o.receiverChannels = as.receiverChannels;
    if (as.coilLabel.length) {
      o.coilLabel = as.coilLabel.map((c, i) => {
        if (!all && !truthy(c.coilName)) throw new IsmrmrdHeaderError(`${P}/acquisitionSystemInformation/coilLabel[${i}]/coilName`, 'an empty coilName is left out by upstream, but v1 requires it');
        return { coilNumber: c.coilNumber, coilName: c.coilName };
      });
    }
    if (text(as.institutionName)) o.institutionName = as.institutionName;
    if (text(as.stationName)) o.stationName = as.stationName;
    if (text(as.deviceID)) o.deviceID = as.deviceID;
    if (text(as.deviceSerialNumber)) o.deviceSerialNumber = as.deviceSerialNumber;
    out.acquisitionSystemInformation = o;
  }

  if (h.encoding.length === 0) throw new IsmrmrdHeaderError(`${P}/encoding`, 'no encoding (v1 requires at least one; upstream mrd_to_ismrmrd fails the same way)');
  h.encoding.forEach((e, i) => {
    const EP = `${P}/encoding[${i}]`;
    const limits: V1.EncodingLimits = {};
    for (const name of all ? ALL_V1_LIMITS : V1_LIMITS_UPSTREAM) {
      const l = e.encodingLimits[LIMIT_NAME_V2[name]];
      if (l) limits[name] = limitToV1(l);
    }
    const traj = sameSymbol(e.trajectory, ['cartesian', 'epi', 'radial', 'goldenangle', 'spiral', 'other'] as const);
    if (!traj) throw new IsmrmrdHeaderError(`${EP}/trajectory`, `${String(e.trajectory)} has no v1 value`);
    const space = (s: V2.EncodingSpaceType): V1.EncodingSpace => ({ matrixSize: { ...s.matrixSize }, fieldOfView_mm: { ...s.fieldOfViewMm } });
    const enc: V1.Encoding = { encodedSpace: space(e.encodedSpace), reconSpace: space(e.reconSpace), encodingLimits: limits, trajectory: traj };
    const td = e.trajectoryDescription;
    if (td) {
      if (!all && !truthy(td.identifier)) throw new IsmrmrdHeaderError(`${EP}/trajectoryDescription/identifier`, 'an empty identifier is left out by upstream, but v1 requires it');
      enc.trajectoryDescription = { identifier: td.identifier };
      if (all) {
        const u = userParametersToV1({ ...td, userParameterBase64: [] }, `${EP}/trajectoryDescription`);
        Object.assign(enc.trajectoryDescription, u);
        if (td.comment !== undefined) enc.trajectoryDescription.comment = td.comment;
      }
    }
    const pi = e.parallelImaging;
    if (pi) {
      const p: V1.ParallelImaging = {
        accelerationFactor: { kspace_encoding_step_1: pi.accelerationFactor.kspaceEncodingStep1, kspace_encoding_step_2: pi.accelerationFactor.kspaceEncodingStep2 },
      };
      const cm = sameSymbol(pi.calibrationMode, ['embedded', 'interleaved', 'separate', 'external', 'other'] as const);
      if (cm) p.calibrationMode = cm;
      const id = sameSymbol(pi.interleavingDimension, ['phase', 'repetition', 'contrast', 'average', 'other'] as const);
      if (id) p.interleavingDimension = id;
      if (all && pi.multiband) {
        const m = pi.multiband;
        const cal = typeof m.calibration === 'string' ? MULTIBAND_CALIBRATION_TO_V1[m.calibration] : undefined;
        if (!cal) throw new IsmrmrdHeaderError(`${EP}/parallelImaging/multiband/calibration`, `${String(m.calibration)} has no v1 value`);
        p.multiband = {
          spacing: m.spacing.map((s) => ({ dZ: [...s.dZ] })), deltaKz: m.deltaKz, multiband_factor: m.multibandFactor, calibration: cal,
          calibration_encoding: safeNumber(m.calibrationEncoding, `${EP}/parallelImaging/multiband/calibrationEncoding`),
        };
      }
      enc.parallelImaging = p;
    }
    if (e.echoTrainLength !== undefined) enc.echoTrainLength = safeNumber(e.echoTrainLength, `${EP}/echoTrainLength`);
    out.encoding.push(enc);
  });

  const sp = h.sequenceParameters;
  if (sp) {
    const o: V1.SequenceParameters = {};
    if (sp.tR.length) o.TR = [...sp.tR];
    if (sp.tE.length) o.TE = [...sp.tE];
    if (sp.tI.length) o.TI = [...sp.tI];
    if (sp.flipAngleDeg.length) o.flipAngle_deg = [...sp.flipAngleDeg];
    if (text(sp.sequenceType)) o.sequence_type = sp.sequenceType;
    if (sp.echoSpacing.length) o.echo_spacing = [...sp.echoSpacing];
    if (all) {
      const dd = sp.diffusionDimension !== undefined ? DIFFUSION_TO_V1(sp.diffusionDimension) : undefined;
      if (dd) o.diffusionDimension = dd;
      if (sp.diffusion.length) o.diffusion = sp.diffusion.map((d) => ({ gradientDirection: { ...d.gradientDirection }, bvalue: d.bvalue }));
      if (sp.diffusionScheme !== undefined) o.diffusionScheme = sp.diffusionScheme;
    }
    out.sequenceParameters = o;
  }

  if (h.userParameters) out.userParameters = userParametersToV1(h.userParameters, `${P}/userParameters`);
  if (all && h.waveformInformation.length) {
    out.waveformInformation = h.waveformInformation.map((w, i) => {
      const type = sameSymbol(w.waveformType, ['ecg', 'pulse', 'respiratory', 'trigger', 'gradientwaveform', 'other'] as const);
      if (!type) throw new IsmrmrdHeaderError(`${P}/waveformInformation[${i}]/waveformType`, `${String(w.waveformType)} has no v1 value`);
      const u = userParametersToV1(w.userParameters, `${P}/waveformInformation[${i}]/userParameters`);
      return { waveformName: w.waveformName, waveformType: type, ...(Object.keys(u).length && { userParameters: u }) };
    });
  }
  return out;
}

/** v1 header XML rendered as upstream's converter (ismrmrd-python's xsdata `toXML`) renders it. */
export function headerV1Xml(h: V1.IsmrmrdHeader): string {
  return serializeIsmrmrdHeader(h, { declaration: '<?xml version="1.0" encoding="ascii"?>', indent: '  ', floatFormat: formatXsdataFloat });
}
