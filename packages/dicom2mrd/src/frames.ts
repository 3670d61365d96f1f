/**
 * One MRD image's worth of DICOM: a single-frame image, or one frame of an enhanced
 * (multi-frame) MR image with its per-frame position, orientation and timing taken from the
 * functional groups (per-frame item first, then the shared item).
 */
import { Tag, numberValue, numberValues, sequenceItem, stringValue, stringValues, type DicomJsonDataset } from '@mrd-tools/dicom-mapping';
import type { DicomFile } from './dicom-file.js';
import { mrdPrivateMetadata } from './mrd-private.js';

export interface DicomFrame {
  file: DicomFile;
  /** 0-based frame number within the file. */
  frameIndex: number;
  /** Number of frames of the file (1 for classic images). */
  frameCount: number;
  /** The whole dataset of the file, private blocks included (for the pixel restoration). */
  fileDataset: DicomJsonDataset;
  /** The dataset stored as DicomJson: for a frame of a multi-frame image, the top level with the per-frame functional groups reduced to this frame's item. */
  dataset: DicomJsonDataset;
  seriesNumber: number;
  instanceNumber: number | undefined;
  imageType: string[];
  /** MRD image_type recorded by mrd2dicom when DICOM cannot express it. */
  mrdImageType: number | undefined;
  /** MRD read_dir + phase_dir recorded by mrd2dicom when they were no valid DICOM orientation. */
  mrdDirections: number[] | undefined;
  /** ComplexImageComponent of an enhanced frame (MAGNITUDE, PHASE, REAL, IMAGINARY), if any. */
  complexComponent: string | undefined;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  pixelSpacing: number[] | undefined;
  sliceThickness: number | undefined;
  position: number[] | undefined;
  orientation: number[] | undefined;
  sliceLocation: number | undefined;
  /** Acquisition time (TM text) or undefined. */
  acquisitionTime: string | undefined;
  /** Trigger delay in ms, or undefined. */
  triggerTime: number | undefined;
}

/** Time part of a DT value `YYYYMMDDHHMMSS.FFFFFF&ZZXX`. */
function timeOfDateTime(dt: string | undefined): string | undefined {
  if (!dt) return undefined;
  const m = /^\s*\d{8}(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)/.exec(dt);
  return m ? m[1] : undefined;
}

function functionalGroup(ds: DicomJsonDataset, perFrame: DicomJsonDataset | undefined, seqTag: string): DicomJsonDataset | undefined {
  const fromFrame = perFrame ? sequenceItem(perFrame, seqTag) : undefined;
  if (fromFrame) return fromFrame;
  const shared = sequenceItem(ds, Tag.SharedFunctionalGroupsSequence);
  return shared ? sequenceItem(shared, seqTag) : undefined;
}

/** The MRD images a DICOM file holds, one per frame. */
export function framesOf(file: DicomFile): DicomFrame[] {
  const ds = file.dataset;
  const d = file.description;
  const seriesNumber = numberValue(ds, Tag.SeriesNumber) ?? 0;
  const instanceNumber = numberValue(ds, Tag.InstanceNumber);
  const perFrameSeq = ds[Tag.PerFrameFunctionalGroupsSequence]?.Value as DicomJsonDataset[] | undefined;
  const enhanced = perFrameSeq !== undefined || ds[Tag.SharedFunctionalGroupsSequence] !== undefined;
  const frames: DicomFrame[] = [];
  const frameCount = d.numberOfFrames;
  for (let k = 0; k < frameCount; k++) {
    const base = {
      file, frameIndex: k, frameCount, fileDataset: ds,
      seriesNumber, instanceNumber, rows: d.rows, columns: d.columns, samplesPerPixel: d.samplesPerPixel,
    };
    if (!enhanced) {
      const r = mrdPrivateMetadata(ds);
      frames.push({
        ...base,
        mrdImageType: r.imageType,
        mrdDirections: r.directions,
        dataset: r.dataset,
        imageType: stringValues(ds, Tag.ImageType),
        complexComponent: undefined,
        pixelSpacing: numberValues(ds, Tag.PixelSpacing),
        sliceThickness: numberValue(ds, Tag.SliceThickness),
        position: numberValues(ds, Tag.ImagePositionPatient),
        orientation: numberValues(ds, Tag.ImageOrientationPatient),
        sliceLocation: numberValue(ds, Tag.SliceLocation),
        acquisitionTime: stringValue(ds, Tag.AcquisitionTime) ?? timeOfDateTime(stringValue(ds, '0008002A')),
        triggerTime: numberValue(ds, Tag.TriggerTime),
      });
      continue;
    }
    const item = perFrameSeq?.[k];
    const measures = functionalGroup(ds, item, Tag.PixelMeasuresSequence);
    const planePos = functionalGroup(ds, item, Tag.PlanePositionSequence);
    const planeOri = functionalGroup(ds, item, Tag.PlaneOrientationSequence);
    const content = functionalGroup(ds, item, Tag.FrameContentSequence);
    const cardiac = functionalGroup(ds, item, Tag.CardiacSynchronizationSequence);
    const frameType = functionalGroup(ds, item, Tag.MRImageFrameTypeSequence);
    const frameDataset: DicomJsonDataset = { ...ds };
    if (perFrameSeq) frameDataset[Tag.PerFrameFunctionalGroupsSequence] = { vr: 'SQ', Value: item ? [item] : [] };
    frames.push({
      ...base,
      mrdImageType: undefined,
      mrdDirections: undefined,
      dataset: frameDataset,
      imageType: frameType ? stringValues(frameType, Tag.FrameType) : stringValues(ds, Tag.ImageType),
      complexComponent: frameType ? stringValue(frameType, '00089208') : stringValue(ds, '00089208'),
      pixelSpacing: numberValues(measures, Tag.PixelSpacing) ?? numberValues(ds, Tag.PixelSpacing),
      sliceThickness: numberValue(measures, Tag.SliceThickness) ?? numberValue(ds, Tag.SliceThickness),
      position: numberValues(planePos, Tag.ImagePositionPatient) ?? numberValues(ds, Tag.ImagePositionPatient),
      orientation: numberValues(planeOri, Tag.ImageOrientationPatient) ?? numberValues(ds, Tag.ImageOrientationPatient),
      sliceLocation: undefined,
      acquisitionTime: timeOfDateTime(stringValue(content, Tag.FrameAcquisitionDateTime)) ?? stringValue(ds, Tag.AcquisitionTime) ?? timeOfDateTime(stringValue(ds, '0008002A')),
      triggerTime: numberValue(cardiac, Tag.NominalCardiacTriggerDelayTime) ?? numberValue(ds, Tag.TriggerTime),
    });
  }
  return frames;
}
