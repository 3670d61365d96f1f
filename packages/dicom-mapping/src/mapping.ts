/**
 * The DICOM <-> MRD value mappings both converters share, as the reference dicom2mrd.py and
 * mrd2dicom.py define them: image type letters, Siemens flow directions, and the geometry
 * conventions.
 *
 * Geometry: DICOM ImageOrientationPatient holds the row direction (towards increasing column
 * index) then the column direction; MRD `read_dir` is the row direction, `phase_dir` the column
 * direction, `slice_dir` their cross product. PixelSpacing is `[row spacing (between rows),
 * column spacing (between columns)]`, so MRD `field_of_view = [Columns * PixelSpacing[1],
 * Rows * PixelSpacing[0], thickness]`. (The reference pairs PixelSpacing[0] with Rows for x,
 * which is only right for square matrices with square pixels; both converters here use the
 * correct pairing, so a round trip is consistent either way.)
 */

/** DICOM ImageType value 3 (index 2) -> MRD image_type. */
export const DICOM_TO_MRD_IMAGE_TYPE: Readonly<Record<string, number>> = { M: 1, P: 2, R: 3, I: 4 };

/** MRD image_type -> DICOM ImageType value 3 letter (0, unset, and complex fall back to M). */
export const MRD_TO_DICOM_IMAGE_TYPE: Readonly<Record<number, string>> = { 0: 'M', 1: 'M', 2: 'P', 3: 'R', 4: 'I', 5: 'M' };

/** Siemens sequence-name flow direction suffix -> MRD FlowDirDisplay. */
const VENC_DIR_TO_MRD: Readonly<Record<string, string>> = {
  rl: 'FLOW_DIR_R_TO_L',
  lr: 'FLOW_DIR_L_TO_R',
  ap: 'FLOW_DIR_A_TO_P',
  pa: 'FLOW_DIR_P_TO_A',
  fh: 'FLOW_DIR_F_TO_H',
  hf: 'FLOW_DIR_H_TO_F',
  in: 'FLOW_DIR_TP_IN',
  out: 'FLOW_DIR_TP_OUT',
};

/**
 * Flow encoding from a Siemens sequence name such as `fl2d1_v150in` or `*fl1_v200fh`:
 * the number after `_v` is the velocity (cm/s) and the letters after it the direction.
 * Undefined when the name carries no (known) flow encoding.
 */
export function flowFromSequenceName(sequenceName: string | undefined): { velocity: number; direction: string } | undefined {
  if (!sequenceName) return undefined;
  const m = /_v(\d+)([^\d]*)$/.exec(sequenceName.trim());
  if (!m) return undefined;
  const direction = VENC_DIR_TO_MRD[m[2]!];
  if (!direction) return undefined;
  return { velocity: Number(m[1]), direction };
}

export function cross(a: readonly number[], b: readonly number[]): [number, number, number] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

export function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}
