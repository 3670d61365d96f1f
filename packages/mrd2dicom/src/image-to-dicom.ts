/**
 * One MRD image (or one channel/slice of it) -> one DICOM dataset, with the reference
 * mrd2dicom.py mapping and these corrections:
 * - times go back with the 2.5 ms tick multiplied (the reference divides);
 * - PixelRepresentation 1 for signed data; float/complex/32-bit data as documented in
 *   pixel-encoding.ts;
 * - the `DicomJson` meta (the original DICOM header that dicom2mrd stored) is the starting
 *   dataset, so DICOM -> MRD -> DICOM keeps every original tag. Where the MRD header still agrees
 *   with the original value (to float32 precision for geometry, to the 2.5 ms tick for times)
 *   the original text is kept; where the MRD value differs (the image was processed) the MRD
 *   value is written;
 * - every image gets a new SOPInstanceUID (with the original referenced in SourceImageSequence),
 *   every MRD series a new SeriesInstanceUID, every MRD file one StudyInstanceUID;
 * - what the MR Image IOD requires (type 2, or type 2C whose condition holds) and the original
 *   lacks is added (PositionReferenceIndicator, ... empty); a type 2C attribute whose condition
 *   does not hold is not invented. Laterality (General Series, 2C) is required only for a paired
 *   body part when Image Laterality is not sent; MRD records neither body part nor laterality,
 *   so when the original has none of Laterality / Image Laterality / Frame Laterality, an empty
 *   Image Laterality (General Image, type 3: zero length means unknown) states that the
 *   laterality is unknown, and Laterality is left out (dciodvfy flags an empty Laterality, and
 *   an absent one without Image Laterality); and a FrameOfReferenceUID equal to the
 *   StudyInstanceUID (which dciodvfy rejects) is replaced by one derived from it.
 * - ImageRowDir / ImageColumnDir meta are used only when the header's read/phase directions are
 *   zero (the header is the MRD geometry; the reference lets the meta override it).
 */
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { MRD_TO_DICOM_IMAGE_TYPE, DICOM_TO_MRD_IMAGE_TYPE, SopClass, Tag, TransferSyntax, decodeDicomJsonMeta, dicomTimeToTicks, float32ShortestValue, generateUid, millisecondsToTicks, numberValue, numberValues, stringValue, stringValues, ticksToDicomTime, ticksToMilliseconds, uidFromName, allocateMrdPrivateBlock, mrdPrivateTags, removeMrdPrivateBlock, MRD_PRIVATE_CREATOR, type DicomJsonDataset, type DicomJsonElement } from '@mrd-tools/dicom-mapping';
import { logger } from '@mrd-tools/core/logging';
import type { Image } from '@mrd-tools/core/messages';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { MetaAttributes } from '@mrd-tools/core/meta';
import { encodeMonochrome, encodeRgb, range16, type EncodedPixels } from './pixel-encoding.js';

export const IMPLEMENTATION_CLASS_UID = uidFromName('mrd-tools', 'implementation-class');
export const IMPLEMENTATION_VERSION_NAME = 'MRD_TOOLS_0_1';

/** UIDs shared by the images of one output run. */
export interface UidContext {
  studyInstanceUID: string;
  /** SeriesInstanceUID per MRD series name. */
  seriesUids: Map<string, string>;
  /** FrameOfReferenceUID when neither the image nor the MRD header has one. */
  defaultFrameOfReferenceUID: string;
}

export interface DicomImagePart {
  /** Series name (MRD image series group, e.g. image_0). */
  series: string;
  image: Image;
  meta: MetaAttributes;
  /** Channel and slice this part holds (RGB: channel is -1, all three). */
  channel: number;
  slice: number;
  instanceNumber: number;
}

export interface DicomOutput {
  dataset: DicomJsonDataset;
  pixels: EncodedPixels;
  sopClassUID: string;
  sopInstanceUID: string;
  seriesNumber: number;
  seriesDescription: string;
  instanceNumber: number;
}

const el = (vr: string, ...values: (string | number | null)[]): DicomJsonElement => (values.length ? { vr, Value: values } : { vr });

function setIfAbsent(ds: DicomJsonDataset, tag: string, e: DicomJsonElement): void {
  if (!ds[tag]) ds[tag] = e;
}

function isEmpty(ds: DicomJsonDataset, tag: string): boolean {
  const v = ds[tag]?.Value;
  return !v || v.length === 0 || v.every((x) => x === null || x === '');
}

function f32eq(a: number | undefined, b: number): boolean {
  return a !== undefined && Math.fround(a) === Math.fround(b);
}

function metaNumber(meta: MetaAttributes, name: string): number | undefined {
  const s = meta.get(name);
  if (s === undefined) return undefined;
  const t = s.trim();
  // Python complex repr, e.g. "(208.2+0j)": take the real part.
  const c = /^\(?([-+]?[\d.]+(?:e[-+]?\d+)?)[-+][\d.]*(?:e[-+]?\d+)?j\)?$/i.exec(t);
  const n = c ? Number(c[1]) : Number(t);
  return t !== '' && Number.isFinite(n) ? n : undefined;
}

function validOrientation(r: readonly number[], c: readonly number[]): boolean {
  const unit = (v: readonly number[]) => Math.abs(Math.hypot(v[0]!, v[1]!, v[2]!) - 1) < 1e-3;
  return unit(r) && unit(c) && Math.abs(r[0]! * c[0]! + r[1]! * c[1]! + r[2]! * c[2]!) < 1e-3;
}

function nonZero(v: readonly number[]): boolean {
  return v.some((x) => x !== 0);
}

/** The plane of an MRD image for one channel and slice (complex: interleaved pairs). */
function planeOf(image: Image, channel: number, slice: number): Image['data'] {
  const [x, y, z] = image.head.matrix_size as [number, number, number];
  const per = x * y * (image.head.data_type === DataType.CXFLOAT || image.head.data_type === DataType.CXDOUBLE ? 2 : 1);
  const start = (channel * Math.max(1, z) + slice) * per;
  return image.data.subarray(start, start + per) as Image['data'];
}

/** Part of an RGB image: its three channels at one slice, as [3][y][x]. */
function rgbPlanes(image: Image, slice: number): Float64Array | Uint16Array {
  const [x, y] = image.head.matrix_size as [number, number, number];
  const n = x * y;
  const out = image.data instanceof Uint16Array ? new Uint16Array(3 * n) : new Float64Array(3 * n);
  for (let c = 0; c < 3; c++) out.set(planeOf(image, c, slice) as ArrayLike<number>, c * n);
  return out;
}

/**
 * ACR-NEMA date and time forms (`1997.04.24`, `14:04:38`), which DICOM no longer allows in DA and
 * TM, rewritten to `19970424` and `140438` (same values; dciodvfy rejects the old forms).
 */
export function normaliseDatesAndTimes(ds: DicomJsonDataset): void {
  for (const e of Object.values(ds)) {
    if (!e.Value) continue;
    if (e.vr === 'SQ') { for (const item of e.Value) if (item && typeof item === 'object') normaliseDatesAndTimes(item as DicomJsonDataset); continue; }
    if (e.vr === 'DA') e.Value = e.Value.map((v) => (typeof v === 'string' && /^\d{4}\.\d{2}\.\d{2}$/.test(v.trim()) ? v.trim().replace(/\./g, '') : v));
    else if (e.vr === 'TM') e.Value = e.Value.map((v) => (typeof v === 'string' && /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v.trim()) ? v.trim().replace(/:/g, '') : v));
  }
}

/** The original dataset from the DicomJson meta, cleaned of what must not be copied. */
export function originalDataset(meta: MetaAttributes, where: string): DicomJsonDataset | undefined {
  const text = meta.get('DicomJson');
  if (text === undefined || text.trim() === '') return undefined;
  let ds: DicomJsonDataset;
  try {
    ds = decodeDicomJsonMeta(text);
  } catch (e) {
    logger.warning(`${where}: DicomJson meta is not a readable DICOM JSON dataset (${e instanceof Error ? e.message : String(e)}); writing without it`);
    return undefined;
  }
  for (const tag of Object.keys(ds)) {
    const t = tag.toUpperCase();
    if (t !== tag) { ds[t] = ds[tag]!; delete ds[tag]; }
    if (t.startsWith('0002') || t.endsWith('0000') || t === Tag.PixelData || t === Tag.FloatPixelData || t === Tag.DoubleFloatPixelData) delete ds[t];
    else if (ds[t]?.BulkDataURI !== undefined) {
      logger.warning(`${where}: DicomJson element ${t} is a BulkDataURI reference; it is not restored`);
      delete ds[t];
    }
  }
  // Our own private block from an earlier conversion is rewritten for this image.
  removeMrdPrivateBlock(ds);
  normaliseDatesAndTimes(ds);
  return ds;
}

/** Converts one image part. `header` is the parsed MRD XML header (if any). */
export function imagePartToDicom(part: DicomImagePart, header: IsmrmrdHeader | undefined, uids: UidContext): DicomOutput {
  const { image, meta } = part;
  const h = image.head;
  const where = `${part.series} image ${h.image_index}`;
  const original = originalDataset(meta, where);
  const ds: DicomJsonDataset = original ? { ...original } : {};
  const rgb = part.channel < 0;
  const [nx, ny] = h.matrix_size as [number, number, number];
  const rows = ny;
  const cols = nx;

  // ----- pixels
  let pixels: EncodedPixels;
  if (rgb) pixels = encodeRgb(rgbPlanes(image, part.slice), nx * ny, h.data_type);
  else pixels = encodeMonochrome(planeOf(image, part.channel, part.slice), h.data_type, numberValue(original, Tag.BitsStored));

  const sopClassUID = rgb ? SopClass.SecondaryCaptureImageStorage : SopClass.MRImageStorage;
  const originalSopClass = stringValue(original, Tag.SOPClassUID);
  const originalSop = stringValue(original, Tag.SOPInstanceUID);
  const sopInstanceUID = generateUid();

  // Enhanced (multi-frame) originals become single-frame classic images.
  delete ds[Tag.NumberOfFrames];
  if (ds[Tag.PerFrameFunctionalGroupsSequence] || ds[Tag.SharedFunctionalGroupsSequence]) {
    delete ds['00209221']; // DimensionOrganizationSequence
    delete ds['00209222']; // DimensionIndexSequence
  }

  // ----- MRD XML header -> patient/study/series/equipment (reference order: header first)
  const mi = header?.measurementInformation;
  const asi = header?.acquisitionSystemInformation;
  if (mi?.patientPosition && (isEmpty(ds, Tag.PatientPosition) || !original)) ds[Tag.PatientPosition] = el('CS', mi.patientPosition);
  if (mi?.protocolName !== undefined && !original) ds[Tag.SeriesDescription] = el('LO', mi.protocolName);
  if (asi) {
    if (asi.systemVendor !== undefined && isEmpty(ds, Tag.Manufacturer)) ds[Tag.Manufacturer] = el('LO', asi.systemVendor);
    if (asi.systemModel !== undefined && isEmpty(ds, Tag.ManufacturerModelName)) ds[Tag.ManufacturerModelName] = el('LO', asi.systemModel);
    if (asi.systemFieldStrength_T !== undefined && !f32eq(numberValue(ds, Tag.MagneticFieldStrength), asi.systemFieldStrength_T)) {
      if (isEmpty(ds, Tag.MagneticFieldStrength)) ds[Tag.MagneticFieldStrength] = el('DS', asi.systemFieldStrength_T);
    }
    if (asi.institutionName !== undefined && !original) ds[Tag.InstitutionName] = el('LO', asi.institutionName);
    if (asi.stationName !== undefined && isEmpty(ds, Tag.StationName)) ds[Tag.StationName] = el('SH', asi.stationName);
  }
  const subj = header?.subjectInformation;
  if (subj && !original) {
    if (subj.patientName) ds[Tag.PatientName] = { vr: 'PN', Value: [{ Alphabetic: subj.patientName }] };
    if (subj.patientID) ds[Tag.PatientID] = el('LO', subj.patientID);
    if (subj.patientBirthdate) ds[Tag.PatientBirthDate] = el('DA', subj.patientBirthdate.replace(/-/g, ''));
    if (subj.patientGender) ds[Tag.PatientSex] = el('CS', subj.patientGender);
  }
  const study = header?.studyInformation;
  if (study && !original) {
    if (study.studyDate) ds[Tag.StudyDate] = el('DA', study.studyDate.replace(/-/g, ''));
    if (study.studyTime) ds[Tag.StudyTime] = el('TM', study.studyTime.replace(/:/g, '').replace(/[^\d.].*$/, ''));
    if (study.studyID) ds[Tag.StudyID] = el('SH', study.studyID);
    if (study.accessionNumber !== undefined) ds[Tag.AccessionNumber] = el('SH', String(study.accessionNumber));
    if (study.studyDescription) ds[Tag.StudyDescription] = el('LO', study.studyDescription);
  }

  // ----- UIDs
  ds[Tag.SOPClassUID] = el('UI', sopClassUID);
  ds[Tag.SOPInstanceUID] = el('UI', sopInstanceUID);
  ds[Tag.StudyInstanceUID] = el('UI', uids.studyInstanceUID);
  let seriesUid = uids.seriesUids.get(part.series);
  if (!seriesUid) { seriesUid = generateUid(); uids.seriesUids.set(part.series, seriesUid); }
  ds[Tag.SeriesInstanceUID] = el('UI', seriesUid);
  let frameOfRef = stringValue(ds, Tag.FrameOfReferenceUID)?.trim() || mi?.frameOfReferenceUID || uids.defaultFrameOfReferenceUID;
  if (frameOfRef === uids.studyInstanceUID) frameOfRef = uidFromName('frame-of-reference', frameOfRef);
  ds[Tag.FrameOfReferenceUID] = el('UI', frameOfRef);
  if (originalSop && originalSopClass && !ds[Tag.SourceImageSequence]) {
    const item: DicomJsonDataset = {};
    item[Tag.ReferencedSOPClassUID] = el('UI', originalSopClass);
    item[Tag.ReferencedSOPInstanceUID] = el('UI', originalSop);
    ds[Tag.SourceImageSequence] = { vr: 'SQ', Value: [item] };
  }

  // ----- image pixel module
  ds[Tag.Rows] = el('US', rows);
  ds[Tag.Columns] = el('US', cols);
  ds[Tag.SamplesPerPixel] = el('US', pixels.samplesPerPixel);
  ds[Tag.PhotometricInterpretation] = el('CS', pixels.photometric);
  if (pixels.samplesPerPixel > 1) ds[Tag.PlanarConfiguration] = el('US', 0);
  else delete ds[Tag.PlanarConfiguration];
  ds[Tag.BitsAllocated] = el('US', pixels.bitsAllocated);
  ds[Tag.BitsStored] = el('US', pixels.bitsStored);
  ds[Tag.HighBit] = el('US', pixels.bitsStored - 1);
  ds[Tag.PixelRepresentation] = el('US', pixels.pixelRepresentation);
  const vrMinMax = pixels.pixelRepresentation === 1 ? 'SS' : 'US';
  if ((ds[Tag.SmallestImagePixelValue] || ds[Tag.LargestImagePixelValue]) && pixels.minValue === undefined && pixels.bitsAllocated === 16 && pixels.samplesPerPixel === 1) {
    const stored = pixels.pixelRepresentation === 1
      ? new Int16Array(pixels.bytes.buffer.slice(pixels.bytes.byteOffset, pixels.bytes.byteOffset + pixels.bytes.byteLength))
      : new Uint16Array(pixels.bytes.buffer.slice(pixels.bytes.byteOffset, pixels.bytes.byteOffset + pixels.bytes.byteLength));
    const r = range16(stored);
    pixels.minValue = r.min;
    pixels.maxValue = r.max;
  }
  for (const t of [Tag.SmallestImagePixelValue, Tag.LargestImagePixelValue]) {
    if (ds[t]) {
      const v = numberValue(ds, t);
      const ok = v !== undefined && pixels.minValue !== undefined && pixels.maxValue !== undefined && (t === Tag.SmallestImagePixelValue ? v <= pixels.minValue : v >= pixels.maxValue) && pixels.bitsAllocated === 16 && !pixels.rescale;
      if (ok) ds[t] = el(vrMinMax, v);
      else delete ds[t];
    }
  }

  // ----- ImageHeader -> geometry, numbers, times
  const seriesNumber = numberValue(original, Tag.SeriesNumber) ?? h.image_series_index;
  ds[Tag.SeriesNumber] = original?.[Tag.SeriesNumber] ?? el('IS', seriesNumber);
  if (!(original && numberValue(original, Tag.InstanceNumber) === part.instanceNumber)) ds[Tag.InstanceNumber] = el('IS', part.instanceNumber);

  // ImageType: value 3 from image_type unless the original already says the same.
  const itype = stringValues(ds, Tag.ImageType);
  const metaImageType = meta.getAll('ImageType');
  // An ImageType meta (set by a recon module) is taken whole, as the reference does.
  if (metaImageType && metaImageType.length > 0) {
    if (metaImageType.some((v, i) => v !== itype[i]) || metaImageType.length !== itype.length) ds[Tag.ImageType] = el('CS', ...metaImageType);
  }
  else {
    const base = itype.length >= 3 ? [...itype] : itype.length === 2 ? [...itype, 'M'] : ['ORIGINAL', 'PRIMARY', 'M'];
    const wanted = rgb ? undefined : MRD_TO_DICOM_IMAGE_TYPE[h.image_type] ?? 'M';
    const current = DICOM_TO_MRD_IMAGE_TYPE[base[2]!.trim()] ?? ImageType.MAGNITUDE;
    const same = current === (h.image_type === 0 || h.image_type === ImageType.COMPLEX ? ImageType.MAGNITUDE : h.image_type);
    if (wanted && !same) base[2] = wanted;
    if (base.some((v, i) => v !== itype[i]) || itype.length !== base.length) ds[Tag.ImageType] = el('CS', ...base);
  }

  const fov = h.field_of_view;
  const ps = numberValues(original, Tag.PixelSpacing);
  const psKept = ps && ps.length >= 2 && f32eq(cols * ps[1]!, fov[0]!) && f32eq(rows * ps[0]!, fov[1]!);
  if (!psKept) {
    const rowSpacing = fov[1]! / rows;
    const colSpacing = fov[0]! / cols;
    ds[Tag.PixelSpacing] = el('DS', rowSpacing > 0 ? rowSpacing : 1, colSpacing > 0 ? colSpacing : 1);
  }
  if (!f32eq(numberValue(original, Tag.SliceThickness), fov[2]!) && !(original && !original[Tag.SliceThickness] && fov[2] === 0)) {
    ds[Tag.SliceThickness] = el('DS', float32ShortestValue(fov[2]!));
  }
  const ipp = numberValues(original, Tag.ImagePositionPatient);
  if (!(ipp && ipp.length >= 3 && h.position.every((v, i) => f32eq(ipp[i], v)))) ds[Tag.ImagePositionPatient] = el('DS', ...h.position.map(float32ShortestValue));
  let rowDir = h.read_dir;
  let colDir = h.phase_dir;
  const metaRow = meta.getAll('ImageRowDir')?.map(Number);
  const metaCol = meta.getAll('ImageColumnDir')?.map(Number);
  if (!nonZero(rowDir) && !nonZero(colDir) && metaRow?.length === 3 && metaCol?.length === 3 && nonZero(metaRow) && metaRow.every(Number.isFinite) && metaCol.every(Number.isFinite)) {
    rowDir = metaRow;
    colDir = metaCol;
  }
  const iop = numberValues(original, Tag.ImageOrientationPatient);
  let dirs = [...rowDir, ...colDir];
  // DICOM needs two orthogonal unit vectors; MRD headers may hold zeros (e.g. the C++ phantom).
  let invalidDirections: number[] | undefined;
  if (!validOrientation(rowDir, colDir)) {
    invalidDirections = [...h.read_dir, ...h.phase_dir];
    dirs = [1, 0, 0, 0, 1, 0];
  }
  if (!(iop && iop.length >= 6 && dirs.every((v, i) => f32eq(iop[i], v)))) ds[Tag.ImageOrientationPatient] = el('DS', ...dirs.map(float32ShortestValue));

  const acq = h.acquisition_time_stamp;
  const origAcq = stringValue(original, Tag.AcquisitionTime);
  if (origAcq !== undefined && dicomTimeToTicks(origAcq) === acq) { /* original kept */ }
  else if (original && origAcq === undefined && acq === 0) { /* the original had none */ }
  else ds[Tag.AcquisitionTime] = el('TM', ticksToDicomTime(acq));
  const trig = h.physiology_time_stamp[0]!;
  const origTrig = numberValue(original, Tag.TriggerTime);
  if (origTrig !== undefined && millisecondsToTicks(origTrig) === trig) { /* kept */ }
  else if (origTrig === undefined && trig === 0) { /* none: not gated */ }
  else ds[Tag.TriggerTime] = el('DS', ticksToMilliseconds(trig));
  if (ds[Tag.TriggerTime] && !rgb) {
    // The MR Image module allows TriggerTime only for gated scans (ScanOptions CG or PPG).
    const opts = stringValues(ds, Tag.ScanOptions).filter((o) => o.trim() !== '');
    if (!opts.some((o) => o.trim() === 'CG' || o.trim() === 'PPG')) ds[Tag.ScanOptions] = el('CS', ...opts, 'CG');
  }

  // ----- meta -> series description, comments, rescale, window, echo/inversion
  let seriesDescription = stringValue(ds, Tag.SeriesDescription) ?? '';
  const metaDesc = meta.get('SeriesDescription');
  if (metaDesc !== undefined) seriesDescription = metaDesc;
  const metaDescAdd = meta.get('SeriesDescriptionAdditional');
  if (metaDescAdd !== undefined) seriesDescription += metaDescAdd;
  if (metaDesc !== undefined || metaDescAdd !== undefined || !original) {
    if ((stringValue(ds, Tag.SeriesDescription) ?? '') !== seriesDescription || !ds[Tag.SeriesDescription]) {
      ds[Tag.SeriesDescription] = seriesDescription === '' ? el('LO') : el('LO', seriesDescription.slice(0, 64));
    }
  }
  const comment = meta.getAll('ImageComment') ?? meta.getAll('ImageComments');
  if (comment && comment.length > 0) {
    const text = meta.getAll('ImageComment') ? comment.join('_') : comment.join('\\');
    if (stringValue(ds, Tag.ImageComments) !== text) ds[Tag.ImageComments] = el('LT', text);
  }
  if (pixels.rescale) {
    ds[Tag.RescaleIntercept] = el('DS', pixels.rescale.intercept);
    ds[Tag.RescaleSlope] = el('DS', pixels.rescale.slope);
    setIfAbsent(ds, Tag.RescaleType, el('LO', 'US'));
  } else {
    const ri = metaNumber(meta, 'RescaleIntercept');
    const rs = metaNumber(meta, 'RescaleSlope');
    if (ri !== undefined && numberValue(ds, Tag.RescaleIntercept) !== ri) ds[Tag.RescaleIntercept] = el('DS', ri);
    if (rs !== undefined && numberValue(ds, Tag.RescaleSlope) !== rs) ds[Tag.RescaleSlope] = el('DS', rs);
  }
  if (!rgb) {
    const wc = metaNumber(meta, 'WindowCenter');
    const ww = metaNumber(meta, 'WindowWidth');
    if (wc !== undefined && ww !== undefined && ww >= 1) {
      if (numberValue(ds, Tag.WindowCenter) !== wc) ds[Tag.WindowCenter] = el('DS', wc);
      if (numberValue(ds, Tag.WindowWidth) !== ww) ds[Tag.WindowWidth] = el('DS', ww);
    }
  }
  const te = metaNumber(meta, 'EchoTime');
  if (te !== undefined && numberValue(ds, Tag.EchoTime) !== te) ds[Tag.EchoTime] = el('DS', te);
  const ti = metaNumber(meta, 'InversionTime');
  if (ti !== undefined && numberValue(ds, Tag.InversionTime) !== ti) ds[Tag.InversionTime] = el('DS', ti);

  // ----- what the IOD requires and may be missing
  setIfAbsent(ds, Tag.Modality, el('CS', 'MR'));
  if (isEmpty(ds, Tag.Modality)) ds[Tag.Modality] = el('CS', 'MR');
  // laterality unknown: said once, at image level (see the header)
  if (!ds[Tag.Laterality] && !ds[Tag.ImageLaterality] && !ds[Tag.FrameLaterality]) ds[Tag.ImageLaterality] = el('CS');
  // type 2 attributes (present, possibly empty); Laterality (type 2C) is not among them, see the header
  for (const t of [Tag.PatientName, Tag.PatientID, Tag.PatientBirthDate, Tag.PatientSex, Tag.StudyDate, Tag.StudyTime, Tag.ReferringPhysicianName, Tag.StudyID, Tag.AccessionNumber, Tag.Manufacturer, Tag.PositionReferenceIndicator]) {
    const vr = { [Tag.PatientName]: 'PN', [Tag.PatientID]: 'LO', [Tag.PatientBirthDate]: 'DA', [Tag.PatientSex]: 'CS', [Tag.StudyDate]: 'DA', [Tag.StudyTime]: 'TM', [Tag.ReferringPhysicianName]: 'PN', [Tag.StudyID]: 'SH', [Tag.AccessionNumber]: 'SH', [Tag.Manufacturer]: 'LO', [Tag.PositionReferenceIndicator]: 'LO' }[t]!;
    setIfAbsent(ds, t, el(vr));
  }
  if (!rgb) {
    setIfAbsent(ds, Tag.PatientPosition, el('CS', 'HFS'));
    if (isEmpty(ds, Tag.ScanningSequence)) ds[Tag.ScanningSequence] = el('CS', 'RM');
    if (isEmpty(ds, Tag.SequenceVariant)) ds[Tag.SequenceVariant] = el('CS', 'NONE');
    for (const [t, vr] of [[Tag.ScanOptions, 'CS'], [Tag.MRAcquisitionType, 'CS'], [Tag.EchoTime, 'DS'], [Tag.EchoTrainLength, 'IS']] as const) setIfAbsent(ds, t, el(vr));
    if (!ds[Tag.RepetitionTime]) {
      const tr = header?.sequenceParameters?.TR?.[0];
      ds[Tag.RepetitionTime] = tr !== undefined ? el('DS', tr) : el('DS');
    }
    if (stringValues(ds, Tag.ScanningSequence).includes('IR')) setIfAbsent(ds, Tag.InversionTime, el('DS'));
  } else {
    setIfAbsent(ds, Tag.ConversionType, el('CS', 'WSD'));
    setIfAbsent(ds, '00200020', el('CS')); // PatientOrientation
  }

  // Private block: the exact MRD pixels where the Pixel Data is not exact, or the MRD type.
  const imageTypeLost = !rgb && (h.image_type === 0 || h.image_type === ImageType.COMPLEX || h.image_type > ImageType.RGB);
  if (pixels.exact || pixels.originalDataType !== undefined || imageTypeLost || invalidDirections) {
    const p = mrdPrivateTags(allocateMrdPrivateBlock(ds));
    ds[p.creator] = el('LO', MRD_PRIVATE_CREATOR);
    ds[p.dataType] = el('US', pixels.exact?.dataType ?? pixels.originalDataType ?? h.data_type);
    if (pixels.exact) ds[p.exactPixels] = { vr: 'OB', InlineBinary: Buffer.from(pixels.exact.bytes.buffer, pixels.exact.bytes.byteOffset, pixels.exact.bytes.byteLength).toString('base64') };
    if (imageTypeLost) ds[p.imageType] = el('US', h.image_type);
    if (invalidDirections) ds[p.directions] = el('FD', ...invalidDirections);
  }

  return { dataset: ds, pixels, sopClassUID, sopInstanceUID, seriesNumber, seriesDescription, instanceNumber: part.instanceNumber };
}

export { TransferSyntax };
