/**
 * Typed model -> ismrmrdHeader XML, elements in schema order (xs:all groups in their declaration
 * order, as the C++ and Python libraries write them), unknown content kept from parsing written
 * after the known children of its element.
 *
 * Layout by default is the one of ismrmrd-python's `ToXML` as found in the reference inputs:
 * `<?xml version="1.0" encoding="utf-8"?>`, two-space indentation, default namespace only, final
 * newline; so a header written by the Python tools re-serializes to the same bytes.
 *
 * Numbers: integers as decimal digits; xs:float/xs:double as the shortest text that reads back
 * to the same double (JavaScript's), `INF`, `-INF`, `NaN`, `-0`. The model is checked while it is
 * written (required fields, integer types and ranges, enumerations), so the output is valid
 * against the schema or an IsmrmrdHeaderError names the field at fault.
 */
import { IsmrmrdHeaderError } from './errors.js';
import { formatPythonFloat } from '../meta/python-format.js';
import { serializeXmlDocument, type XmlLayout } from './xml-document.js';
import {
  CALIBRATION_MODES, DIFFUSION_DIMENSIONS, ENCODING_LIMIT_NAMES, INTERLEAVING_DIMENSIONS, ISMRMRD_NAMESPACE,
  MULTIBAND_CALIBRATION_TYPES, PATIENT_GENDERS, PATIENT_POSITIONS, TRAJECTORY_TYPES, WAVEFORM_TYPES,
} from './types.js';
import type {
  EncodingSpace, IsmrmrdHeader, Limit, UnknownContent, UserParameters, XmlElement, UserParameterLong,
  UserParameterDouble, UserParameterString, ThreeDimensionalFloat,
} from './types.js';

export interface SerializeIsmrmrdHeaderOptions {
  /** Indentation unit (default two spaces; '' for a single line). */
  indent?: string;
  /** XML declaration (default `<?xml version="1.0" encoding="utf-8"?>`; '' for none). */
  declaration?: string;
  /**
   * Text of xs:float/xs:double values (default formatXsdFloat, the shortest JavaScript text);
   * formatXsdataFloat writes them as ismrmrd-python's xsdata serializer does.
   */
  floatFormat?: (v: number) => string;
}

/** The shortest decimal text that reads back to the same double; XSD spellings for the special values. */
export function formatXsdFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/**
 * xs:float/xs:double text as the xsdata serializer of ismrmrd-python writes it (the MRD v2
 * converter `mrd_to_ismrmrd` renders headers with it): Python's `repr` upper-cased with `E+`
 * shortened to `E` (`600.0`, `1E-05`, `1E16`), and `NaN`, `INF`, `-INF`.
 */
export function formatXsdataFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  return formatPythonFloat(v).toUpperCase().replace('E+', 'E');
}

type IntType = { name: string; min: number; max: number };
const LONG: IntType = { name: 'xs:long', min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
const USHORT: IntType = { name: 'xs:unsignedShort', min: 0, max: 65535 };
const UINT: IntType = { name: 'xs:unsignedInt', min: 0, max: 4294967295 };
const ULONG: IntType = { name: 'xs:unsignedLong', min: 0, max: Number.MAX_SAFE_INTEGER };

class ElementWriter {
  readonly el: XmlElement;
  constructor(name: string, readonly path: string, private readonly fmt: (v: number) => string = formatXsdFloat) {
    this.el = { name, children: [] };
  }
  private p(name: string, i?: number): string {
    return `${this.path}/${name}${i === undefined ? '' : `[${i}]`}`;
  }
  private leaf(name: string, text: string): void {
    this.el.children.push({ name, children: text === '' ? [] : [text] });
  }
  str(name: string, v: string | undefined, required = false, i?: number): void {
    if (v === undefined || v === null) {
      if (required) throw new IsmrmrdHeaderError(this.p(name, i), 'required value is missing');
      return;
    }
    if (typeof v !== 'string') throw new IsmrmrdHeaderError(this.p(name, i), `expected a string, got ${typeof v}`);
    this.leaf(name, v);
  }
  strList(name: string, v: string[] | undefined): void {
    v?.forEach((s, i) => this.str(name, s, true, i));
  }
  int(name: string, v: number | undefined, t: IntType, required = false, i?: number): void {
    if (v === undefined || v === null) {
      if (required) throw new IsmrmrdHeaderError(this.p(name, i), 'required value is missing');
      return;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new IsmrmrdHeaderError(this.p(name, i), `${String(v)} is not an integer (${t.name})`);
    if (v < t.min || v > t.max) throw new IsmrmrdHeaderError(this.p(name, i), `${v} is out of range for ${t.name} [${t.min}, ${t.max}]`);
    this.leaf(name, String(Object.is(v, -0) ? 0 : v));
  }
  float(name: string, v: number | undefined, required = false, i?: number): void {
    if (v === undefined || v === null) {
      if (required) throw new IsmrmrdHeaderError(this.p(name, i), 'required value is missing');
      return;
    }
    if (typeof v !== 'number') throw new IsmrmrdHeaderError(this.p(name, i), `expected a number, got ${typeof v}`);
    this.leaf(name, this.fmt(v));
  }
  floatList(name: string, v: number[] | undefined): void {
    v?.forEach((x, i) => this.float(name, x, true, i));
  }
  enumeration(name: string, v: string | undefined, values: readonly string[], required = false): void {
    if (v !== undefined && v !== null && !values.includes(v)) {
      throw new IsmrmrdHeaderError(this.p(name), `"${v}" is not one of ${values.join(', ')}`);
    }
    this.str(name, v, required);
  }
  obj<T>(name: string, v: T | undefined, write: (w: ElementWriter, v: T) => void, required = false, i?: number): void {
    if (v === undefined || v === null) {
      if (required) throw new IsmrmrdHeaderError(this.p(name, i), 'required element is missing');
      return;
    }
    const w = new ElementWriter(name, this.p(name, i), this.fmt);
    write(w, v);
    this.el.children.push(w.el);
  }
  objList<T>(name: string, v: T[] | undefined, write: (w: ElementWriter, v: T) => void, minOccurs = 0): void {
    if ((v?.length ?? 0) < minOccurs) throw new IsmrmrdHeaderError(this.p(name), `required element is missing (at least ${minOccurs})`);
    v?.forEach((x, i) => this.obj(name, x, write, true, i));
  }
  unknown(v: UnknownContent): void {
    if (v.unknownAttributes) this.el.attributes = { ...this.el.attributes, ...v.unknownAttributes };
    if (v.unknownElements) for (const u of v.unknownElements) this.el.children.push(u);
  }
}

const writeThreeDimensionalFloat = (w: ElementWriter, v: ThreeDimensionalFloat) => {
  w.float('x', v.x, true);
  w.float('y', v.y, true);
  w.float('z', v.z, true);
  w.unknown(v);
};

const writeEncodingSpace = (w: ElementWriter, v: EncodingSpace) => {
  w.obj('matrixSize', v.matrixSize, (w2, m) => {
    w2.int('x', m.x, USHORT, true);
    w2.int('y', m.y, USHORT, true);
    w2.int('z', m.z, USHORT, true);
    w2.unknown(m);
  }, true);
  w.obj('fieldOfView_mm', v.fieldOfView_mm, writeThreeDimensionalFloat, true);
  w.unknown(v);
};

const writeLimit = (w: ElementWriter, v: Limit) => {
  w.int('minimum', v.minimum, USHORT, true);
  w.int('maximum', v.maximum, USHORT, true);
  w.int('center', v.center, USHORT, true);
  w.unknown(v);
};

const writeLong = (w: ElementWriter, v: UserParameterLong) => {
  w.str('name', v.name, true);
  w.int('value', v.value, LONG, true);
  w.unknown(v);
};
const writeDouble = (w: ElementWriter, v: UserParameterDouble) => {
  w.str('name', v.name, true);
  w.float('value', v.value, true);
  w.unknown(v);
};
const writeString = (w: ElementWriter, v: UserParameterString) => {
  w.str('name', v.name, true);
  w.str('value', v.value, true);
  w.unknown(v);
};

const writeUserParameters = (w: ElementWriter, v: UserParameters) => {
  w.objList('userParameterLong', v.userParameterLong, writeLong);
  w.objList('userParameterDouble', v.userParameterDouble, writeDouble);
  w.objList('userParameterString', v.userParameterString, writeString);
  w.objList('userParameterBase64', v.userParameterBase64, writeString);
  w.unknown(v);
};

function writeHeader(w: ElementWriter, h: IsmrmrdHeader): void {
  w.int('version', h.version, LONG);
  w.obj('subjectInformation', h.subjectInformation, (w, s) => {
    w.str('patientName', s.patientName);
    w.float('patientWeight_kg', s.patientWeight_kg);
    w.float('patientHeight_m', s.patientHeight_m);
    w.str('patientID', s.patientID);
    w.str('patientBirthdate', s.patientBirthdate);
    w.enumeration('patientGender', s.patientGender, PATIENT_GENDERS);
    w.unknown(s);
  });
  w.obj('studyInformation', h.studyInformation, (w, s) => {
    w.str('studyDate', s.studyDate);
    w.str('studyTime', s.studyTime);
    w.str('studyID', s.studyID);
    w.int('accessionNumber', s.accessionNumber, LONG);
    w.str('referringPhysicianName', s.referringPhysicianName);
    w.str('studyDescription', s.studyDescription);
    w.str('studyInstanceUID', s.studyInstanceUID);
    w.str('bodyPartExamined', s.bodyPartExamined);
    w.unknown(s);
  });
  w.obj('measurementInformation', h.measurementInformation, (w, m) => {
    w.str('measurementID', m.measurementID);
    w.str('seriesDate', m.seriesDate);
    w.str('seriesTime', m.seriesTime);
    w.enumeration('patientPosition', m.patientPosition, PATIENT_POSITIONS, true);
    w.obj('relativeTablePosition', m.relativeTablePosition, writeThreeDimensionalFloat);
    w.int('initialSeriesNumber', m.initialSeriesNumber, LONG);
    w.str('protocolName', m.protocolName);
    w.str('sequenceName', m.sequenceName);
    w.str('seriesDescription', m.seriesDescription);
    w.objList('measurementDependency', m.measurementDependency, (w, d) => {
      w.str('dependencyType', d.dependencyType, true);
      w.str('measurementID', d.measurementID, true);
      w.unknown(d);
    });
    w.str('seriesInstanceUIDRoot', m.seriesInstanceUIDRoot);
    w.str('frameOfReferenceUID', m.frameOfReferenceUID);
    w.obj('referencedImageSequence', m.referencedImageSequence, (w, r) => {
      w.strList('referencedSOPInstanceUID', r.referencedSOPInstanceUID);
      w.unknown(r);
    });
    w.unknown(m);
  });
  w.obj('acquisitionSystemInformation', h.acquisitionSystemInformation, (w, a) => {
    w.str('systemVendor', a.systemVendor);
    w.str('systemModel', a.systemModel);
    w.float('systemFieldStrength_T', a.systemFieldStrength_T);
    w.float('relativeReceiverNoiseBandwidth', a.relativeReceiverNoiseBandwidth);
    w.int('receiverChannels', a.receiverChannels, USHORT);
    w.objList('coilLabel', a.coilLabel, (w, c) => {
      w.int('coilNumber', c.coilNumber, USHORT, true);
      w.str('coilName', c.coilName, true);
      w.unknown(c);
    });
    w.str('institutionName', a.institutionName);
    w.str('stationName', a.stationName);
    w.str('deviceID', a.deviceID);
    w.str('deviceSerialNumber', a.deviceSerialNumber);
    w.unknown(a);
  });
  w.obj('experimentalConditions', h.experimentalConditions, (w, e) => {
    w.int('H1resonanceFrequency_Hz', e.H1resonanceFrequency_Hz, LONG, true);
    w.unknown(e);
  }, true);
  w.objList('encoding', h.encoding, (w, e) => {
    w.obj('encodedSpace', e.encodedSpace, writeEncodingSpace, true);
    w.obj('reconSpace', e.reconSpace, writeEncodingSpace, true);
    w.obj('encodingLimits', e.encodingLimits, (w, l) => {
      for (const name of ENCODING_LIMIT_NAMES) w.obj(name, l[name], writeLimit);
      w.unknown(l);
    }, true);
    w.enumeration('trajectory', e.trajectory, TRAJECTORY_TYPES, true);
    w.obj('trajectoryDescription', e.trajectoryDescription, (w, t) => {
      w.str('identifier', t.identifier, true);
      w.objList('userParameterLong', t.userParameterLong, writeLong);
      w.objList('userParameterDouble', t.userParameterDouble, writeDouble);
      w.objList('userParameterString', t.userParameterString, writeString);
      w.str('comment', t.comment);
      w.unknown(t);
    });
    w.obj('parallelImaging', e.parallelImaging, (w, p) => {
      w.obj('accelerationFactor', p.accelerationFactor, (w, a) => {
        w.int('kspace_encoding_step_1', a.kspace_encoding_step_1, USHORT, true);
        w.int('kspace_encoding_step_2', a.kspace_encoding_step_2, USHORT, true);
        w.unknown(a);
      }, true);
      w.enumeration('calibrationMode', p.calibrationMode, CALIBRATION_MODES);
      w.enumeration('interleavingDimension', p.interleavingDimension, INTERLEAVING_DIMENSIONS);
      w.obj('multiband', p.multiband, (w, m) => {
        w.objList('spacing', m.spacing, (w, s) => {
          if (!s.dZ?.length) throw new IsmrmrdHeaderError(`${w.path}/dZ`, 'required element is missing (at least 1)');
          w.floatList('dZ', s.dZ);
          w.unknown(s);
        }, 1);
        w.float('deltaKz', m.deltaKz, true);
        w.int('multiband_factor', m.multiband_factor, UINT, true);
        w.enumeration('calibration', m.calibration, MULTIBAND_CALIBRATION_TYPES, true);
        w.int('calibration_encoding', m.calibration_encoding, ULONG, true);
        w.unknown(m);
      });
      w.unknown(p);
    });
    w.int('echoTrainLength', e.echoTrainLength, LONG);
    w.unknown(e);
  }, 1);
  w.obj('sequenceParameters', h.sequenceParameters, (w, s) => {
    w.floatList('TR', s.TR);
    w.floatList('TE', s.TE);
    w.floatList('TI', s.TI);
    w.floatList('flipAngle_deg', s.flipAngle_deg);
    w.str('sequence_type', s.sequence_type);
    w.floatList('echo_spacing', s.echo_spacing);
    w.enumeration('diffusionDimension', s.diffusionDimension, DIFFUSION_DIMENSIONS);
    w.objList('diffusion', s.diffusion, (w, d) => {
      w.obj('gradientDirection', d.gradientDirection, (w, g) => {
        w.float('rl', g.rl, true);
        w.float('ap', g.ap, true);
        w.float('fh', g.fh, true);
        w.unknown(g);
      }, true);
      w.float('bvalue', d.bvalue, true);
      w.unknown(d);
    });
    w.str('diffusionScheme', s.diffusionScheme);
    w.unknown(s);
  });
  w.obj('userParameters', h.userParameters, writeUserParameters);
  if ((h.waveformInformation?.length ?? 0) > 32) {
    throw new IsmrmrdHeaderError(`${w.path}/waveformInformation`, `${h.waveformInformation!.length} entries, at most 32 allowed`);
  }
  w.objList('waveformInformation', h.waveformInformation, (w, wf) => {
    w.str('waveformName', wf.waveformName, true);
    w.enumeration('waveformType', wf.waveformType, WAVEFORM_TYPES, true);
    w.obj('userParameters', wf.userParameters, writeUserParameters);
    w.unknown(wf);
  });
  w.unknown(h);
}

/** Serialize a header model to XML text (see the module comment for layout and checks). */
export function serializeIsmrmrdHeader(h: IsmrmrdHeader, options: SerializeIsmrmrdHeaderOptions = {}): string {
  const w = new ElementWriter('ismrmrdHeader', 'ismrmrdHeader', options.floatFormat);
  w.el.attributes = { xmlns: ISMRMRD_NAMESPACE };
  writeHeader(w, h);
  const layout: XmlLayout = {
    indent: options.indent ?? '  ',
    declaration: options.declaration ?? '<?xml version="1.0" encoding="utf-8"?>',
  };
  return serializeXmlDocument(w.el, layout);
}
