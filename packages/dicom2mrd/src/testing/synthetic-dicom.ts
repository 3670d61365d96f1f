/** Synthetic DICOM files for tests (written with the mrd2dicom writer, explicit VR little endian). */
import type { DicomJsonDataset, DicomJsonElement } from '@mrd-tools/dicom-mapping';
import { writeDicomFile } from '@mrd-tools/mrd2dicom';

export const e = (vr: string, ...values: (string | number)[]): DicomJsonElement => (values.length ? { vr, Value: values } : { vr });

export interface SyntheticImage {
  seriesNumber?: number;
  instanceNumber?: number;
  position?: number[];
  orientation?: number[];
  sliceLocation?: number;
  acquisitionTime?: string;
  triggerTime?: number;
  rows?: number;
  cols?: number;
  fill?: number;
  frames?: number;
  sopClass?: string;
  extra?: DicomJsonDataset;
}

export function syntheticMr(o: SyntheticImage): Uint8Array {
  const rows = o.rows ?? 4;
  const cols = o.cols ?? 6;
  const sop = `1.2.3.4.${o.seriesNumber ?? 1}.${o.instanceNumber ?? 1}.${Math.round(Math.random() * 1e9)}`;
  const ds: DicomJsonDataset = {
    '00080016': e('UI', '1.2.840.10008.5.1.4.1.1.4'),
    '00080018': e('UI', sop),
    '00080008': e('CS', 'ORIGINAL', 'PRIMARY', 'M'),
    '00080060': e('CS', 'MR'),
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Test^Patient' }] },
    '0020000D': e('UI', '1.2.3.4.100'),
    '0020000E': e('UI', `1.2.3.4.200.${o.seriesNumber ?? 1}`),
    '00200052': e('UI', '1.2.3.4.300'),
    '00185100': e('CS', 'HFS'),
    '00280002': e('US', 1),
    '00280004': e('CS', 'MONOCHROME2'),
    '00280010': e('US', rows),
    '00280011': e('US', cols),
    '00280030': e('DS', '1.5', '2.5'),
    '00180050': e('DS', '3'),
    '00280100': e('US', 16),
    '00280101': e('US', 16),
    '00280102': e('US', 15),
    '00280103': e('US', 0),
  };
  if (o.seriesNumber !== undefined) ds['00200011'] = e('IS', String(o.seriesNumber));
  if (o.instanceNumber !== undefined) ds['00200013'] = e('IS', String(o.instanceNumber));
  ds['00200032'] = e('DS', ...(o.position ?? [0, 0, 0]).map(String));
  ds['00200037'] = e('DS', ...(o.orientation ?? [1, 0, 0, 0, 1, 0]).map(String));
  if (o.sliceLocation !== undefined) ds['00201041'] = e('DS', String(o.sliceLocation));
  if (o.acquisitionTime !== undefined) ds['00080032'] = e('TM', o.acquisitionTime);
  if (o.triggerTime !== undefined) ds['00181060'] = e('DS', String(o.triggerTime));
  Object.assign(ds, o.extra ?? {});
  const px = new Uint16Array(rows * cols * (o.frames ?? 1));
  for (let i = 0; i < px.length; i++) px[i] = (o.fill ?? 0) + i;
  return writeDicomFile(ds, new Uint8Array(px.buffer), 16, o.sopClass ?? '1.2.840.10008.5.1.4.1.1.4', sop);
}
