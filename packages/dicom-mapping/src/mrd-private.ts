/**
 * The private DICOM block mrd2dicom writes so that MRD -> DICOM -> MRD is exact where DICOM
 * Pixel Data cannot be (float, complex, 32-bit values): private creator `MRD-TOOLS` in group
 * 0071, in the first free block (0071,00xx):
 * - (0071,xx01) US: the MRD `data_type` of the image;
 * - (0071,xx02) OB: the exact MRD pixel values of this DICOM image (one channel and slice),
 *   little endian, present only when the Pixel Data is a rescaled version of them;
 * - (0071,xx03) US: the MRD `image_type` when ImageType value 3 cannot say it (unset, complex);
 * - (0071,xx04) FD x6: the MRD `read_dir` and `phase_dir` when they are no valid
 *   ImageOrientationPatient (e.g. zero vectors): the DICOM then holds the identity orientation.
 * dicom2mrd uses the exact values only while the Pixel Data still matches them.
 */
import { stringValue, type DicomJsonDataset } from './dicom-json.js';

export const MRD_PRIVATE_CREATOR = 'MRD-TOOLS';
const MRD_PRIVATE_GROUP = '0071';

/** The element-number prefix `xx` of our block in `ds`, or undefined. */
export function findMrdPrivateBlock(ds: DicomJsonDataset | undefined): string | undefined {
  if (!ds) return undefined;
  const creators = Object.keys(ds).filter((t) => t.startsWith(`${MRD_PRIVATE_GROUP}00`) && t >= `${MRD_PRIVATE_GROUP}0010` && t <= `${MRD_PRIVATE_GROUP}00FF`).sort();
  for (const t of creators) if (stringValue(ds, t)?.trim() === MRD_PRIVATE_CREATOR) return t.slice(6);
  return undefined;
}

/** Our block if present, else the first free creator slot in group 0071. */
export function allocateMrdPrivateBlock(ds: DicomJsonDataset): string {
  const existing = findMrdPrivateBlock(ds);
  if (existing) return existing;
  for (let b = 0x10; b <= 0xff; b++) {
    const xx = b.toString(16).toUpperCase().padStart(2, '0');
    if (!ds[`${MRD_PRIVATE_GROUP}00${xx}`]) return xx;
  }
  throw new Error('no free private creator slot in group 0071');
}

export function mrdPrivateTags(xx: string) {
  return {
    creator: `${MRD_PRIVATE_GROUP}00${xx}`,
    dataType: `${MRD_PRIVATE_GROUP}${xx}01`,
    exactPixels: `${MRD_PRIVATE_GROUP}${xx}02`,
    imageType: `${MRD_PRIVATE_GROUP}${xx}03`,
    directions: `${MRD_PRIVATE_GROUP}${xx}04`,
  };
}

/** Removes our block (creator and its elements) from `ds`. */
export function removeMrdPrivateBlock(ds: DicomJsonDataset): void {
  const xx = findMrdPrivateBlock(ds);
  if (!xx) return;
  delete ds[`${MRD_PRIVATE_GROUP}00${xx}`];
  for (const t of Object.keys(ds)) if (t.startsWith(`${MRD_PRIVATE_GROUP}${xx}`)) delete ds[t];
}
