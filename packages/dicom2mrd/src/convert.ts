/**
 * DICOM -> MRD in memory: frames grouped into series, ordered, indexed and mapped to MRD images
 * (ImageHeader + meta attributes + pixels) and an ismrmrdHeader, as the reference dicom2mrd.py,
 * with the corrections the issue lists (no crash on missing AcquisitionTime / TriggerTime /
 * SliceLocation or on times without fractional seconds; one image per frame of enhanced MR).
 */
import { ImageType } from '@mrd-tools/core/constants';
import { MetaAttributes, formatPythonFloat } from '@mrd-tools/core/meta';
import { Tag, cross, dicomTimeToTicks, dot, encodeDicomJsonMeta, flowFromSequenceName, millisecondsToTicks, numberValue, sequenceItem, stringValue, DICOM_TO_MRD_IMAGE_TYPE, SopClass, type DicomJsonDataset } from '@mrd-tools/dicom-mapping';
import { emptyImageHeader } from '@mrd-tools/core/headers';
import { logger } from '@mrd-tools/core/logging';
import { serializeIsmrmrdHeader, PATIENT_POSITIONS, type IsmrmrdHeader, type PatientPosition } from '@mrd-tools/core/xml-header';
import type { Image } from '@mrd-tools/core/messages';
import type { DicomFile } from './dicom-file.js';
import { framesOf, type DicomFrame } from './frames.js';
import { restoreMrdPrivatePixels } from './mrd-private.js';
import type { FramePixels } from './pixel-decoding.js';

export interface DicomToMrdResult {
  header: IsmrmrdHeader;
  /** The serialized ismrmrdHeader XML. */
  xml: string;
  /** Images per series, in `image_<index>` order. */
  series: { index: number; seriesNumber: number; images: Image[] }[];
}

const COMPLEX_COMPONENT_TO_MRD: Record<string, number> = { MAGNITUDE: 1, PHASE: 2, REAL: 3, IMAGINARY: 4 };

/** Field of view [x, y, z] in mm: x along rows (Columns * column spacing), y along columns. */
export function fieldOfView(rows: number, columns: number, pixelSpacing: number[] | undefined, thickness: number | undefined): [number, number, number] {
  const rowSpacing = pixelSpacing?.[0] ?? 0;
  const colSpacing = pixelSpacing?.[1] ?? rowSpacing;
  return [columns * colSpacing, rows * rowSpacing, thickness ?? 0];
}

/** Siemens absolute table position, private (0019,xx13) of creator `SIEMENS MR HEADER`. */
function siemensTablePosition(ds: DicomJsonDataset): number[] | undefined {
  const creators = Object.keys(ds).filter((t) => t.startsWith('001900') && t >= '00190010' && t <= '001900FF').sort();
  for (const creatorTag of creators) {
    if (stringValue(ds, creatorTag)?.trim() !== 'SIEMENS MR HEADER') continue;
    const el = ds['0019' + creatorTag.slice(6) + '13'];
    if (!el) return undefined;
    if (el.Value && el.Value.length >= 3) {
      const v = el.Value.slice(0, 3).map(Number);
      return v.every(Number.isFinite) ? v : undefined;
    }
    if (el.InlineBinary) {
      const b = Buffer.from(el.InlineBinary, 'base64');
      if (b.length >= 24) return [b.readDoubleLE(0), b.readDoubleLE(8), b.readDoubleLE(16)];
    }
    return undefined;
  }
  return undefined;
}

function asPatientPosition(s: string | undefined): PatientPosition | undefined {
  const t = s?.trim().toUpperCase();
  return t && (PATIENT_POSITIONS as readonly string[]).includes(t) ? (t as PatientPosition) : undefined;
}

function isoDate(da: string | undefined): string | undefined {
  const m = da ? /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim()) : null;
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

function isoTime(tm: string | undefined): string | undefined {
  const m = tm ? /^(\d{2})(\d{2})?(\d{2})?/.exec(tm.trim()) : null;
  return m ? `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}` : undefined;
}

/** The ismrmrdHeader of a dataset (the first file), with the reference's mapping. */
function createMrdHeader(frame: DicomFrame): IsmrmrdHeader {
  const ds = frame.file.dataset;
  const str = (tag: string) => {
    const v = stringValue(ds, tag)?.trim();
    return v === '' ? undefined : v;
  };
  const enhanced = str(Tag.SOPClassUID) === SopClass.EnhancedMRImageStorage || ds[Tag.SharedFunctionalGroupsSequence] !== undefined;
  const b0 = numberValue(ds, Tag.MagneticFieldStrength);
  const freqMHz = numberValue(ds, Tag.TransmitterFrequency) ?? numberValue(ds, Tag.ImagingFrequency);
  let h1: number;
  if (b0 !== undefined) h1 = Math.trunc(b0 * 4258e4);
  else if (freqMHz !== undefined) h1 = Math.trunc(freqMHz * 1e6);
  else h1 = 0;

  const fov = fieldOfView(frame.rows, frame.columns, frame.pixelSpacing, frame.sliceThickness);
  let accel1 = 1;
  let accel2 = 1;
  if (enhanced) {
    const shared = sequenceItem(ds, Tag.SharedFunctionalGroupsSequence);
    const modifier = shared ? sequenceItem(shared, Tag.MRModifierSequence) : undefined;
    if (modifier && stringValue(modifier, Tag.ParallelAcquisition)?.trim() !== 'NO') {
      accel1 = numberValue(modifier, Tag.ParallelReductionFactorInPlane) ?? 1;
      accel2 = numberValue(modifier, Tag.ParallelReductionFactorOutOfPlane) ?? 1;
    }
  }

  const position = asPatientPosition(str(Tag.PatientPosition));
  if (!position) logger.warning(`${frame.file.path}: PatientPosition ${str(Tag.PatientPosition) ?? '(absent)'} is not an MRD patient position; using HFS in the MRD header`);

  const header: IsmrmrdHeader = {
    experimentalConditions: { H1resonanceFrequency_Hz: h1 },
    encoding: [{
      encodedSpace: { matrixSize: { x: frame.columns, y: frame.rows, z: 1 }, fieldOfView_mm: { x: fov[0], y: fov[1], z: fov[2] } },
      reconSpace: { matrixSize: { x: frame.columns, y: frame.rows, z: 1 }, fieldOfView_mm: { x: fov[0], y: fov[1], z: fov[2] } },
      encodingLimits: {},
      trajectory: 'cartesian',
      parallelImaging: { accelerationFactor: { kspace_encoding_step_1: accel1, kspace_encoding_step_2: accel2 } },
    }],
  };
  const study: NonNullable<IsmrmrdHeader['studyInformation']> = {};
  const sd = isoDate(str(Tag.StudyDate));
  if (sd) study.studyDate = sd;
  const st = isoTime(str(Tag.StudyTime));
  if (st) study.studyTime = st;
  if (str(Tag.StudyID)) study.studyID = str(Tag.StudyID);
  const acc = str(Tag.AccessionNumber);
  if (acc && /^-?\d{1,15}$/.test(acc)) study.accessionNumber = Number(acc);
  if (str(Tag.StudyDescription)) study.studyDescription = str(Tag.StudyDescription);
  if (str(Tag.StudyInstanceUID)) study.studyInstanceUID = str(Tag.StudyInstanceUID);
  if (str(Tag.BodyPartExamined)) study.bodyPartExamined = str(Tag.BodyPartExamined);
  if (Object.keys(study).length > 0) header.studyInformation = study;

  header.measurementInformation = { patientPosition: position ?? 'HFS' };
  const mi = header.measurementInformation;
  if (str(Tag.SeriesInstanceUID)) mi.measurementID = str(Tag.SeriesInstanceUID);
  if (str(Tag.SeriesDescription)) mi.protocolName = str(Tag.SeriesDescription);
  if (str(Tag.FrameOfReferenceUID)) mi.frameOfReferenceUID = str(Tag.FrameOfReferenceUID);
  // Key order of measurementInformation follows the schema in the serializer.

  header.acquisitionSystemInformation = {};
  const asi = header.acquisitionSystemInformation;
  if (str(Tag.Manufacturer)) asi.systemVendor = str(Tag.Manufacturer);
  if (str(Tag.ManufacturerModelName)) asi.systemModel = str(Tag.ManufacturerModelName);
  if (b0 !== undefined) asi.systemFieldStrength_T = b0;
  asi.institutionName = str(Tag.InstitutionName) ?? 'Virtual';
  if (str(Tag.StationName)) asi.stationName = str(Tag.StationName);

  const seq: NonNullable<IsmrmrdHeader['sequenceParameters']> = {};
  let tr: number | undefined, te: number | undefined, fa: number | undefined;
  if (enhanced) {
    const shared = sequenceItem(ds, Tag.SharedFunctionalGroupsSequence);
    const timing = shared ? sequenceItem(shared, Tag.MRTimingAndRelatedParametersSequence) : undefined;
    const echo = shared ? sequenceItem(shared, Tag.MREchoSequence) : undefined;
    tr = numberValue(timing, Tag.RepetitionTime);
    fa = numberValue(timing, Tag.FlipAngle);
    te = numberValue(echo, Tag.EffectiveEchoTime);
  } else {
    tr = numberValue(ds, Tag.RepetitionTime);
    te = numberValue(ds, Tag.EchoTime);
    fa = numberValue(ds, Tag.FlipAngle);
  }
  if (tr !== undefined) seq.TR = [tr];
  if (te !== undefined) seq.TE = [te];
  const ti = numberValue(ds, Tag.InversionTime);
  if (ti !== undefined) seq.TI = [ti];
  if (fa !== undefined) seq.flipAngle_deg = [fa];
  header.sequenceParameters = seq;
  return header;
}

function sliceNormal(orientation: number[] | undefined): number[] | undefined {
  if (!orientation || orientation.length < 6) return undefined;
  return cross(orientation.slice(0, 3), orientation.slice(3, 6));
}

const QUANT = 1e4; // positions and times compared to 0.1 um / 0.1 us

function uniqueOrdered(values: number[], first: number): number[] {
  const u = [...new Set(values.map((v) => Math.round(v * QUANT)))].sort((a, b) => a - b);
  // The reference reverses the list when the first image is not at the lowest value.
  if (u.length > 0 && Math.round(first * QUANT) !== u[0]) u.reverse();
  return u;
}

/** Where a frame goes in MRD: its series and indices. */
export interface PlannedImage {
  frame: DicomFrame;
  seriesIndex: number;
  imageIndex: number;
  slice: number;
  phase: number;
}

/** One MRD image from a planned frame and the decoded pixels of its file. */
export function frameToImage(p: PlannedImage, decoded: { dataType: number; frames: FramePixels[] }): Image {
  const { frame, seriesIndex, imageIndex, slice, phase } = p;
  const px = decoded.frames[frame.frameIndex];
  if (!px) throw new Error(`${frame.file.path}: frame ${frame.frameIndex + 1} missing from the decoded pixel data`);
  const restored = frame.frameCount === 1 ? restoreMrdPrivatePixels(frame.fileDataset, decoded.dataType, px, frame.file.path) : { dataType: decoded.dataType, pixels: px };
  const head = emptyImageHeader();
  const rgb = frame.samplesPerPixel === 3;
  head.data_type = restored.dataType;
  head.matrix_size = [frame.columns, frame.rows, 1];
  head.channels = rgb ? 3 : 1;
  if (frame.mrdImageType !== undefined) head.image_type = frame.mrdImageType;
  else if (rgb) head.image_type = ImageType.RGB;
  else if (frame.complexComponent && COMPLEX_COMPONENT_TO_MRD[frame.complexComponent.trim()]) head.image_type = COMPLEX_COMPONENT_TO_MRD[frame.complexComponent.trim()]!;
  else {
    const letter = frame.imageType[2]?.trim() ?? '';
    const t = DICOM_TO_MRD_IMAGE_TYPE[letter];
    if (t === undefined) logger.debug(`${frame.file.path}: unsupported ImageType ${letter || '(none)'} -- defaulting to IMTYPE_MAGNITUDE`);
    head.image_type = t ?? ImageType.MAGNITUDE;
  }
  head.field_of_view = fieldOfView(frame.rows, frame.columns, frame.pixelSpacing, frame.sliceThickness);
  if (frame.position && frame.position.length >= 3) head.position = frame.position.slice(0, 3);
  if (frame.mrdDirections) {
    head.read_dir = frame.mrdDirections.slice(0, 3);
    head.phase_dir = frame.mrdDirections.slice(3, 6);
    head.slice_dir = cross(head.read_dir, head.phase_dir);
  } else if (frame.orientation && frame.orientation.length >= 6) {
    head.read_dir = frame.orientation.slice(0, 3);
    head.phase_dir = frame.orientation.slice(3, 6);
    head.slice_dir = cross(head.read_dir, head.phase_dir);
  }
  const ticks = dicomTimeToTicks(frame.acquisitionTime);
  if (ticks !== undefined) head.acquisition_time_stamp = ticks;
  if (frame.triggerTime !== undefined) head.physiology_time_stamp = [Math.max(0, millisecondsToTicks(frame.triggerTime)), 0, 0];
  const table = siemensTablePosition(frame.dataset);
  if (table) head.patient_table_position = table;
  head.image_series_index = seriesIndex;
  head.image_index = imageIndex;
  head.slice = slice;
  head.phase = phase;

  const ds = frame.dataset;
  const meta = new MetaAttributes();
  const flow = flowFromSequenceName(stringValue(ds, Tag.SequenceName));
  if (flow) {
    meta.set('FlowVelocity', formatPythonFloat(flow.velocity));
    meta.set('FlowDirDisplay', flow.direction);
  }
  const comments = stringValue(ds, Tag.ImageComments);
  if (comments !== undefined) meta.set('ImageComments', comments);
  meta.set('SequenceDescription', stringValue(ds, Tag.SeriesDescription) ?? '');
  meta.set('DicomJson', encodeDicomJsonMeta(ds));
  const attribute = meta.serialize();
  head.attribute_string_len = Buffer.byteLength(attribute, 'utf8');
  return { head, attribute, data: restored.pixels };
}

export interface DicomToMrdPlan {
  header: IsmrmrdHeader;
  xml: string;
  series: { index: number; seriesNumber: number; images: PlannedImage[] }[];
}

/** Groups, orders and indexes the frames of the read files (in search order); no pixels needed. */
export function planDicomToMrd(files: DicomFile[]): DicomToMrdPlan {
  if (files.length === 0) throw new Error('no DICOM images to convert');
  const frames = files.flatMap(framesOf);
  const numbers = [...new Set(frames.map((f) => f.seriesNumber))];
  // Re-group series split during conversion from multi-frame to single-frame DICOMs (Siemens).
  const split = numbers.every((n) => n > 1000);
  const seriesOf = (f: DicomFrame) => (split ? Math.floor(f.seriesNumber / 1000) : f.seriesNumber);
  const uSeries = [...new Set(frames.map(seriesOf))].sort((a, b) => a - b);
  logger.info(`Found ${uSeries.length} unique series from ${files.length} files`);
  logger.info(`Creating MRD XML header from file ${files[0]!.path}`);
  const header = createMrdHeader(framesOf(files[0]!)[0]!);
  const xml = serializeIsmrmrdHeader(header);
  logger.debug(xml);

  const order = new Map(files.map((f, i) => [f, i]));
  const series: DicomToMrdPlan['series'] = [];
  uSeries.forEach((sn, iSer) => {
    const fs = frames
      .filter((f) => seriesOf(f) === sn)
      .sort((a, b) => (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) || order.get(a.file)! - order.get(b.file)! || a.frameIndex - b.frameIndex);
    const allHaveLocation = fs.every((f) => f.sliceLocation !== undefined);
    const locOf = (f: DicomFrame): number => {
      if (allHaveLocation) return f.sliceLocation!;
      const n = sliceNormal(f.orientation);
      return n && f.position ? dot(f.position, n) : 0;
    };
    const locs = fs.map(locOf);
    const uLoc = uniqueOrdered(locs, locs[0]!);
    const trig = fs.map((f) => f.triggerTime ?? 0);
    const uTrig = uniqueOrdered(trig, trig[0]!);
    logger.info(`Series ${sn} has ${fs.length} images with ${uLoc.length} slices and ${uTrig.length} phases`);
    const images = fs.map((f, i): PlannedImage => ({
      frame: f,
      seriesIndex: iSer,
      imageIndex: f.frameCount > 1 ? i + 1 : (f.instanceNumber ?? 0),
      slice: uLoc.indexOf(Math.round(locs[i]! * QUANT)),
      phase: uTrig.indexOf(Math.round(trig[i]! * QUANT)),
    }));
    series.push({ index: iSer, seriesNumber: sn, images });
  });
  return { header, xml, series };
}

/** Converts the read files (in search order, pixels held) to MRD images and header, in memory. */
export function dicomFilesToMrd(files: DicomFile[]): DicomToMrdResult {
  const plan = planDicomToMrd(files);
  return {
    header: plan.header,
    xml: plan.xml,
    series: plan.series.map((s) => ({
      index: s.index,
      seriesNumber: s.seriesNumber,
      images: s.images.map((p) => {
        if (p.frame.file.released) throw new Error(`${p.frame.file.path}: pixel data released; use the streaming conversion`);
        return frameToImage(p, p.frame.file.pixels);
      }),
    })),
  };
}
