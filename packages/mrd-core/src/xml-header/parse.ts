/**
 * ismrmrdHeader XML -> typed model (see types.ts). Every schema element is read and checked:
 * numbers against their XSD type and range, enumerations against their values, required
 * elements present, single elements not repeated. Elements and attributes the schema does not
 * know are kept on the model (`unknownElements`, `unknownAttributes`). Any failure throws an
 * IsmrmrdHeaderError naming the element path.
 *
 * One leniency, as ismrmrd-python: a missing `<encodingLimits>` (all of whose children are
 * optional) reads as `{}` and is written back as an empty element.
 *
 * `tryParseIsmrmrdHeader` is the reference server's behaviour: a text that is not a valid header
 * is passed on as text, with a warning logged.
 */
import { logger } from '../logging/index.js';
import { IsmrmrdHeaderError } from './errors.js';
import { normalizeUnknownElement, parseXmlDocument } from './xml-document.js';
import {
  CALIBRATION_MODES, DIFFUSION_DIMENSIONS, ENCODING_LIMIT_NAMES, INTERLEAVING_DIMENSIONS, ISMRMRD_NAMESPACE,
  MULTIBAND_CALIBRATION_TYPES, PATIENT_GENDERS, PATIENT_POSITIONS, TRAJECTORY_TYPES, WAVEFORM_TYPES,
} from './types.js';
import type {
  AccelerationFactor, AcquisitionSystemInformation, CoilLabel, Diffusion, Encoding, EncodingLimits, EncodingSpace,
  ExperimentalConditions, GradientDirection, IsmrmrdHeader, Limit, MatrixSize, MeasurementDependency,
  MeasurementInformation, Multiband, MultibandSpacing, ParallelImaging, ReferencedImageSequence, SequenceParameters,
  StudyInformation, SubjectInformation, ThreeDimensionalFloat, TrajectoryDescription, UnknownContent,
  UserParameterBase64, UserParameterDouble, UserParameterLong, UserParameters, UserParameterString,
  WaveformInformation, XmlElement,
} from './types.js';

// ---- lexical forms of the XSD simple types used by the schema ----

const INTEGER_RE = /^[+-]?\d+$/;
const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const DATE_RE = /^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$/;
const TIME_RE = /^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const BASE64_RE = /^[A-Za-z0-9+/=\s]*$/;

/** XSD whitespace "collapse" (what the numeric, date and enumeration types apply before checking). */
function collapse(s: string): string {
  return s.replace(/[\t\n\r ]+/g, ' ').trim();
}

function parseXsdInteger(text: string, path: string, typeName: string, min: number, max: number): number {
  const s = collapse(text);
  if (!INTEGER_RE.test(s)) throw new IsmrmrdHeaderError(path, `"${text}" is not a valid ${typeName}`);
  const v = Number(s);
  if (!Number.isSafeInteger(v)) {
    throw new IsmrmrdHeaderError(path, `${typeName} value ${s} is beyond the exactly representable range (|v| <= 2^53 - 1)`);
  }
  if (v < min || v > max) throw new IsmrmrdHeaderError(path, `${typeName} value ${s} is out of range [${min}, ${max}]`);
  return Object.is(v, -0) ? 0 : v;
}

function parseXsdFloat(text: string, path: string, typeName: string): number {
  const s = collapse(text);
  if (s === 'INF' || s === '+INF') return Infinity;
  if (s === '-INF') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!DECIMAL_RE.test(s)) throw new IsmrmrdHeaderError(path, `"${text}" is not a valid ${typeName}`);
  return Number(s);
}

const LONG = { name: 'xs:long', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
const USHORT = { name: 'xs:unsignedShort', min: 0, max: 65535 };
const UINT = { name: 'xs:unsignedInt', min: 0, max: 4294967295 };
const ULONG = { name: 'xs:unsignedLong', min: 0, max: Number.MAX_SAFE_INTEGER };
type IntType = typeof LONG;

/**
 * Reads the children of one element: each known child is taken by name (which marks it as
 * consumed); `done()` attaches what was left (unknown elements and attributes) to the model object.
 */
class ElementReader {
  private readonly consumed = new Set<XmlElement>();
  private readonly byName = new Map<string, XmlElement[]>();

  constructor(readonly el: XmlElement, readonly path: string) {
    for (const c of el.children) {
      if (typeof c === 'string') {
        if (c.trim() !== '') throw new IsmrmrdHeaderError(path, `unexpected text "${c.trim().slice(0, 40)}" in a complex element`);
        continue;
      }
      const list = this.byName.get(c.name);
      if (list) list.push(c);
      else this.byName.set(c.name, [c]);
    }
  }

  childPath(name: string, index?: number): string {
    return `${this.path}/${name}${index === undefined ? '' : `[${index}]`}`;
  }

  all(name: string): XmlElement[] {
    const list = this.byName.get(name) ?? [];
    for (const c of list) this.consumed.add(c);
    return list;
  }

  optional(name: string): XmlElement | undefined {
    const list = this.all(name);
    if (list.length > 1) throw new IsmrmrdHeaderError(this.childPath(name), `appears ${list.length} times, at most once allowed`);
    return list[0];
  }

  required(name: string): XmlElement {
    const c = this.optional(name);
    if (!c) throw new IsmrmrdHeaderError(this.childPath(name), 'required element is missing');
    return c;
  }

  // -- leaf values --
  optString(name: string): string | undefined {
    const c = this.optional(name);
    return c ? leafText(c, this.childPath(name)) : undefined;
  }
  reqString(name: string): string {
    return leafText(this.required(name), this.childPath(name));
  }
  stringList(name: string): string[] | undefined {
    const list = this.all(name);
    return list.length ? list.map((c, i) => leafText(c, this.childPath(name, i))) : undefined;
  }
  optInt(name: string, t: IntType): number | undefined {
    const c = this.optional(name);
    return c ? parseXsdInteger(leafText(c, this.childPath(name)), this.childPath(name), t.name, t.min, t.max) : undefined;
  }
  /** Required integer; with `dflt`, an empty element takes the schema default (and, as the C++ library does, a missing one too). */
  reqInt(name: string, t: IntType, dflt?: number): number {
    const c = dflt === undefined ? this.required(name) : this.optional(name);
    if (!c) return dflt!;
    const text = leafText(c, this.childPath(name));
    if (dflt !== undefined && collapse(text) === '') return dflt;
    return parseXsdInteger(text, this.childPath(name), t.name, t.min, t.max);
  }
  optFloat(name: string, typeName = 'xs:float'): number | undefined {
    const c = this.optional(name);
    return c ? parseXsdFloat(leafText(c, this.childPath(name)), this.childPath(name), typeName) : undefined;
  }
  reqFloat(name: string, typeName = 'xs:float'): number {
    return parseXsdFloat(this.reqString(name), this.childPath(name), typeName);
  }
  floatList(name: string): number[] | undefined {
    const list = this.all(name);
    return list.length ? list.map((c, i) => parseXsdFloat(leafText(c, this.childPath(name, i)), this.childPath(name, i), 'xs:float')) : undefined;
  }
  optEnum<T extends string>(name: string, values: readonly T[]): T | undefined {
    const s = this.optString(name);
    return s === undefined ? undefined : checkEnum(s, values, this.childPath(name));
  }
  reqEnum<T extends string>(name: string, values: readonly T[]): T {
    return checkEnum(this.reqString(name), values, this.childPath(name));
  }
  optPattern(name: string, re: RegExp, typeName: string): string | undefined {
    const s = this.optString(name);
    if (s !== undefined && !re.test(collapse(s))) throw new IsmrmrdHeaderError(this.childPath(name), `"${s}" is not a valid ${typeName}`);
    return s;
  }

  // -- complex children --
  optObject<T>(name: string, read: (r: ElementReader) => T): T | undefined {
    const c = this.optional(name);
    return c ? read(new ElementReader(c, this.childPath(name))) : undefined;
  }
  reqObject<T>(name: string, read: (r: ElementReader) => T): T {
    return read(new ElementReader(this.required(name), this.childPath(name)));
  }
  objectList<T>(name: string, read: (r: ElementReader) => T): T[] | undefined {
    const list = this.all(name);
    return list.length ? list.map((c, i) => read(new ElementReader(c, this.childPath(name, i)))) : undefined;
  }

  /** Attach unknown content; drop undefined properties so models compare equal structurally. */
  done<T extends object>(model: T, skipAttributes: (name: string, value: string) => boolean = () => false): T {
    const obj = model as T & UnknownContent;
    for (const k of Object.keys(obj) as (keyof T)[]) if (obj[k] === undefined) delete obj[k];
    const unknown = this.el.children.filter((c): c is XmlElement => typeof c !== 'string' && !this.consumed.has(c));
    if (unknown.length) obj.unknownElements = unknown.map(normalizeUnknownElement);
    if (this.el.attributes) {
      const attrs: Record<string, string> = {};
      let n = 0;
      for (const [k, v] of Object.entries(this.el.attributes)) {
        if (skipAttributes(k, v)) continue;
        attrs[k] = v;
        n++;
      }
      if (n) obj.unknownAttributes = attrs;
    }
    return obj;
  }
}

function leafText(el: XmlElement, path: string): string {
  let s = '';
  for (const c of el.children) {
    if (typeof c !== 'string') throw new IsmrmrdHeaderError(path, `unexpected child element <${c.name}> in a simple-content element`);
    s += c;
  }
  return s;
}

function checkEnum<T extends string>(text: string, values: readonly T[], path: string): T {
  const s = collapse(text);
  if (!(values as readonly string[]).includes(s)) {
    throw new IsmrmrdHeaderError(path, `"${text}" is not one of ${values.join(', ')}`);
  }
  return s as T;
}

// ---- one reader per schema type ----

const readSubjectInformation = (r: ElementReader): SubjectInformation =>
  r.done({
    patientName: r.optString('patientName'),
    patientWeight_kg: r.optFloat('patientWeight_kg'),
    patientHeight_m: r.optFloat('patientHeight_m'),
    patientID: r.optString('patientID'),
    patientBirthdate: r.optPattern('patientBirthdate', DATE_RE, 'xs:date'),
    patientGender: r.optEnum('patientGender', PATIENT_GENDERS),
  });

const readStudyInformation = (r: ElementReader): StudyInformation =>
  r.done({
    studyDate: r.optPattern('studyDate', DATE_RE, 'xs:date'),
    studyTime: r.optPattern('studyTime', TIME_RE, 'xs:time'),
    studyID: r.optString('studyID'),
    accessionNumber: r.optInt('accessionNumber', LONG),
    referringPhysicianName: r.optString('referringPhysicianName'),
    studyDescription: r.optString('studyDescription'),
    studyInstanceUID: r.optString('studyInstanceUID'),
    bodyPartExamined: r.optString('bodyPartExamined'),
  });

const readThreeDimensionalFloat = (r: ElementReader): ThreeDimensionalFloat =>
  r.done({ x: r.reqFloat('x'), y: r.reqFloat('y'), z: r.reqFloat('z') });

const readMeasurementDependency = (r: ElementReader): MeasurementDependency =>
  r.done({ dependencyType: r.reqString('dependencyType'), measurementID: r.reqString('measurementID') });

const readReferencedImageSequence = (r: ElementReader): ReferencedImageSequence =>
  r.done({ referencedSOPInstanceUID: r.stringList('referencedSOPInstanceUID') });

const readMeasurementInformation = (r: ElementReader): MeasurementInformation =>
  r.done({
    measurementID: r.optString('measurementID'),
    seriesDate: r.optPattern('seriesDate', DATE_RE, 'xs:date'),
    seriesTime: r.optPattern('seriesTime', TIME_RE, 'xs:time'),
    patientPosition: r.reqEnum('patientPosition', PATIENT_POSITIONS),
    relativeTablePosition: r.optObject('relativeTablePosition', readThreeDimensionalFloat),
    initialSeriesNumber: r.optInt('initialSeriesNumber', LONG),
    protocolName: r.optString('protocolName'),
    sequenceName: r.optString('sequenceName'),
    seriesDescription: r.optString('seriesDescription'),
    measurementDependency: r.objectList('measurementDependency', readMeasurementDependency),
    seriesInstanceUIDRoot: r.optString('seriesInstanceUIDRoot'),
    frameOfReferenceUID: r.optString('frameOfReferenceUID'),
    referencedImageSequence: r.optObject('referencedImageSequence', readReferencedImageSequence),
  });

const readCoilLabel = (r: ElementReader): CoilLabel =>
  r.done({ coilNumber: r.reqInt('coilNumber', USHORT), coilName: r.reqString('coilName') });

const readAcquisitionSystemInformation = (r: ElementReader): AcquisitionSystemInformation =>
  r.done({
    systemVendor: r.optString('systemVendor'),
    systemModel: r.optString('systemModel'),
    systemFieldStrength_T: r.optFloat('systemFieldStrength_T'),
    relativeReceiverNoiseBandwidth: r.optFloat('relativeReceiverNoiseBandwidth'),
    receiverChannels: r.optInt('receiverChannels', USHORT),
    coilLabel: r.objectList('coilLabel', readCoilLabel),
    institutionName: r.optString('institutionName'),
    stationName: r.optString('stationName'),
    deviceID: r.optString('deviceID'),
    deviceSerialNumber: r.optString('deviceSerialNumber'),
  });

const readExperimentalConditions = (r: ElementReader): ExperimentalConditions =>
  r.done({ H1resonanceFrequency_Hz: r.reqInt('H1resonanceFrequency_Hz', LONG) });

const readMatrixSize = (r: ElementReader): MatrixSize =>
  r.done({ x: r.reqInt('x', USHORT, 1), y: r.reqInt('y', USHORT, 1), z: r.reqInt('z', USHORT, 1) });

const readFieldOfView = (r: ElementReader) => r.done({ x: r.reqFloat('x'), y: r.reqFloat('y'), z: r.reqFloat('z') });

const readEncodingSpace = (r: ElementReader): EncodingSpace =>
  r.done({ matrixSize: r.reqObject('matrixSize', readMatrixSize), fieldOfView_mm: r.reqObject('fieldOfView_mm', readFieldOfView) });

const readLimit = (r: ElementReader): Limit =>
  r.done({ minimum: r.reqInt('minimum', USHORT, 0), maximum: r.reqInt('maximum', USHORT, 0), center: r.reqInt('center', USHORT, 0) });

const readEncodingLimits = (r: ElementReader): EncodingLimits => {
  const limits: EncodingLimits = {};
  for (const name of ENCODING_LIMIT_NAMES) limits[name] = r.optObject(name, readLimit);
  return r.done(limits);
};

const readUserParameterLong = (r: ElementReader): UserParameterLong =>
  r.done({ name: r.reqString('name'), value: r.reqInt('value', LONG) });
const readUserParameterDouble = (r: ElementReader): UserParameterDouble =>
  r.done({ name: r.reqString('name'), value: r.reqFloat('value', 'xs:double') });
const readUserParameterString = (r: ElementReader): UserParameterString =>
  r.done({ name: r.reqString('name'), value: r.reqString('value') });
const readUserParameterBase64 = (r: ElementReader): UserParameterBase64 => {
  const name = r.reqString('name');
  const value = r.reqString('value');
  if (!BASE64_RE.test(value)) throw new IsmrmrdHeaderError(r.childPath('value'), 'not valid xs:base64Binary text');
  return r.done({ name, value });
};

const readTrajectoryDescription = (r: ElementReader): TrajectoryDescription =>
  r.done({
    identifier: r.reqString('identifier'),
    userParameterLong: r.objectList('userParameterLong', readUserParameterLong),
    userParameterDouble: r.objectList('userParameterDouble', readUserParameterDouble),
    userParameterString: r.objectList('userParameterString', readUserParameterString),
    comment: r.optString('comment'),
  });

const readAccelerationFactor = (r: ElementReader): AccelerationFactor =>
  r.done({
    kspace_encoding_step_1: r.reqInt('kspace_encoding_step_1', USHORT),
    kspace_encoding_step_2: r.reqInt('kspace_encoding_step_2', USHORT),
  });

const readMultibandSpacing = (r: ElementReader): MultibandSpacing => {
  const dZ = r.floatList('dZ');
  if (!dZ) throw new IsmrmrdHeaderError(r.childPath('dZ'), 'required element is missing (at least one)');
  return r.done({ dZ });
};

const readMultiband = (r: ElementReader): Multiband => {
  const spacing = r.objectList('spacing', readMultibandSpacing);
  if (!spacing) throw new IsmrmrdHeaderError(r.childPath('spacing'), 'required element is missing (at least one)');
  return r.done({
    spacing,
    deltaKz: r.reqFloat('deltaKz'),
    multiband_factor: r.reqInt('multiband_factor', UINT),
    calibration: r.reqEnum('calibration', MULTIBAND_CALIBRATION_TYPES),
    calibration_encoding: r.reqInt('calibration_encoding', ULONG),
  });
};

const readParallelImaging = (r: ElementReader): ParallelImaging =>
  r.done({
    accelerationFactor: r.reqObject('accelerationFactor', readAccelerationFactor),
    calibrationMode: r.optEnum('calibrationMode', CALIBRATION_MODES),
    interleavingDimension: r.optEnum('interleavingDimension', INTERLEAVING_DIMENSIONS),
    multiband: r.optObject('multiband', readMultiband),
  });

const readEncoding = (r: ElementReader): Encoding =>
  r.done({
    encodedSpace: r.reqObject('encodedSpace', readEncodingSpace),
    reconSpace: r.reqObject('reconSpace', readEncodingSpace),
    // All of its children are optional: a missing <encodingLimits> (which ismrmrd-python accepts) reads as none given.
    encodingLimits: r.optObject('encodingLimits', readEncodingLimits) ?? {},
    trajectory: r.reqEnum('trajectory', TRAJECTORY_TYPES),
    trajectoryDescription: r.optObject('trajectoryDescription', readTrajectoryDescription),
    parallelImaging: r.optObject('parallelImaging', readParallelImaging),
    echoTrainLength: r.optInt('echoTrainLength', LONG),
  });

const readGradientDirection = (r: ElementReader): GradientDirection =>
  r.done({ rl: r.reqFloat('rl'), ap: r.reqFloat('ap'), fh: r.reqFloat('fh') });

const readDiffusion = (r: ElementReader): Diffusion =>
  r.done({ gradientDirection: r.reqObject('gradientDirection', readGradientDirection), bvalue: r.reqFloat('bvalue') });

const readSequenceParameters = (r: ElementReader): SequenceParameters =>
  r.done({
    TR: r.floatList('TR'),
    TE: r.floatList('TE'),
    TI: r.floatList('TI'),
    flipAngle_deg: r.floatList('flipAngle_deg'),
    sequence_type: r.optString('sequence_type'),
    echo_spacing: r.floatList('echo_spacing'),
    diffusionDimension: r.optEnum('diffusionDimension', DIFFUSION_DIMENSIONS),
    diffusion: r.objectList('diffusion', readDiffusion),
    diffusionScheme: r.optString('diffusionScheme'),
  });

const readUserParameters = (r: ElementReader): UserParameters =>
  r.done({
    userParameterLong: r.objectList('userParameterLong', readUserParameterLong),
    userParameterDouble: r.objectList('userParameterDouble', readUserParameterDouble),
    userParameterString: r.objectList('userParameterString', readUserParameterString),
    userParameterBase64: r.objectList('userParameterBase64', readUserParameterBase64),
  });

const readWaveformInformation = (r: ElementReader): WaveformInformation =>
  r.done({
    waveformName: r.reqString('waveformName'),
    waveformType: r.reqEnum('waveformType', WAVEFORM_TYPES),
    userParameters: r.optObject('userParameters', readUserParameters),
  });

const readHeader = (r: ElementReader): IsmrmrdHeader => {
  const encoding = r.objectList('encoding', readEncoding);
  if (!encoding) throw new IsmrmrdHeaderError(r.childPath('encoding'), 'required element is missing (at least one)');
  const waveformInformation = r.objectList('waveformInformation', readWaveformInformation);
  if (waveformInformation && waveformInformation.length > 32) {
    throw new IsmrmrdHeaderError(r.childPath('waveformInformation'), `appears ${waveformInformation.length} times, at most 32 allowed`);
  }
  return r.done(
    {
      version: r.optInt('version', LONG),
      subjectInformation: r.optObject('subjectInformation', readSubjectInformation),
      studyInformation: r.optObject('studyInformation', readStudyInformation),
      measurementInformation: r.optObject('measurementInformation', readMeasurementInformation),
      acquisitionSystemInformation: r.optObject('acquisitionSystemInformation', readAcquisitionSystemInformation),
      experimentalConditions: r.reqObject('experimentalConditions', readExperimentalConditions),
      encoding,
      sequenceParameters: r.optObject('sequenceParameters', readSequenceParameters),
      userParameters: r.optObject('userParameters', readUserParameters),
      waveformInformation,
    },
    (k, v) => k === 'xmlns' && v === ISMRMRD_NAMESPACE,
  );
};

/**
 * A document may bind the ISMRMRD namespace to a prefix (`<ns0:ismrmrdHeader xmlns:ns0=...>`, as
 * ElementTree writes it): the elements in that namespace are read without the prefix (and the
 * header is written back with the default namespace).
 */
function withoutIsmrmrdPrefix(root: XmlElement): XmlElement {
  const colon = root.name.indexOf(':');
  if (colon < 0) return root;
  const prefix = root.name.slice(0, colon);
  if (root.attributes?.[`xmlns:${prefix}`] !== ISMRMRD_NAMESPACE) return root;
  const strip = (el: XmlElement): XmlElement => ({
    ...el,
    name: el.name.startsWith(prefix + ':') ? el.name.slice(prefix.length + 1) : el.name,
    children: el.children.map((c) => (typeof c === 'string' ? c : strip(c))),
  });
  const out = strip(root);
  const attributes = { ...root.attributes };
  delete attributes[`xmlns:${prefix}`];
  if (Object.keys(attributes).length) out.attributes = attributes;
  else delete out.attributes;
  return out;
}

/** Parse an `ismrmrdHeader` XML document. Throws IsmrmrdHeaderError naming the element at fault. */
export function parseIsmrmrdHeader(xml: string | Uint8Array): IsmrmrdHeader {
  let text = typeof xml === 'string' ? xml : new TextDecoder('utf-8').decode(xml);
  // Text messages carry a terminating NUL (and the HDF5 string may too): the document ends there.
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  const root = withoutIsmrmrdPrefix(parseXmlDocument(text));
  if (root.name !== 'ismrmrdHeader') {
    throw new IsmrmrdHeaderError(root.name, `root element is <${root.name}>, expected <ismrmrdHeader>`);
  }
  return readHeader(new ElementReader(root, 'ismrmrdHeader'));
}

export type HeaderOrText = { header: IsmrmrdHeader; text?: undefined; error?: undefined } | { header?: undefined; text: string; error: IsmrmrdHeaderError };

/**
 * As the reference server: parse the text as a header; when it is not a valid one, log a warning
 * and hand back the text (and why it was refused) so it can be passed on as text.
 */
export function tryParseIsmrmrdHeader(xml: string | Uint8Array): HeaderOrText {
  if (typeof xml !== 'string') xml = new TextDecoder('utf-8').decode(xml);
  try {
    return { header: parseIsmrmrdHeader(xml) };
  } catch (e) {
    const error = e instanceof IsmrmrdHeaderError ? e : new IsmrmrdHeaderError('', e instanceof Error ? e.message : String(e));
    logger.warning(`Metadata is not a valid MRD XML structure.  Passing on metadata as text (${error.message})`);
    return { text: xml, error };
  }
}
