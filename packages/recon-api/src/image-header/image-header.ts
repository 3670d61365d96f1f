/**
 * Image headers derived from acquisitions, as the reference modules build them:
 * - `imageHeaderFromArray`: ismrmrd-python `Image.from_array(array, acquisition=acq)`: the
 *   acquisition's version (then forced to 1), measurement_uid, position, directions, table
 *   position, time stamps, user ints/floats and the idx average/slice/contrast/phase/repetition/
 *   set; everything else zero except data_type, channels and matrix_size.
 * - `updateImageHeaderFromRaw`: mrdhelper.update_img_header_from_raw: copies version, flags,
 *   measurement_uid, geometry, counters, time stamps, user values from the readout and sets
 *   image_type MAGNITUDE, image_index 1, image_series_index 0.
 */
import { emptyImageHeader, type AcquisitionHeader, type ImageHeader } from '@mrd-tools/core/headers';
import { dataTypeOfPixels } from '@mrd-tools/core/messages';
import type { ImagePixels } from '@mrd-tools/core/messages';
import { ImageType } from '@mrd-tools/core/constants';

/**
 * The data_type of a pixel array (complex arrays must be flagged explicitly): the messages
 * layer's `dataTypeOfPixels`, under the name the recon modules use.
 */
export const dataTypeOf: (data: ImagePixels, complex?: boolean) => number = dataTypeOfPixels;

export function imageHeaderFromArray(
  shape: { dataType: number; channels: number; x: number; y: number; z: number },
  acquisition?: AcquisitionHeader,
): ImageHeader {
  const h = emptyImageHeader();
  if (acquisition !== undefined) {
    h.measurement_uid = acquisition.measurement_uid;
    h.position = [...acquisition.position];
    h.read_dir = [...acquisition.read_dir];
    h.phase_dir = [...acquisition.phase_dir];
    h.slice_dir = [...acquisition.slice_dir];
    h.patient_table_position = [...acquisition.patient_table_position];
    h.acquisition_time_stamp = acquisition.acquisition_time_stamp;
    h.physiology_time_stamp = [...acquisition.physiology_time_stamp];
    h.user_int = [...acquisition.user_int];
    h.user_float = [...acquisition.user_float];
    h.average = acquisition.idx.average;
    h.slice = acquisition.idx.slice;
    h.contrast = acquisition.idx.contrast;
    h.phase = acquisition.idx.phase;
    h.repetition = acquisition.idx.repetition;
    h.set = acquisition.idx.set;
  }
  h.version = 1;
  h.data_type = shape.dataType;
  h.channels = shape.channels;
  h.matrix_size = [shape.x, shape.y, shape.z];
  return h;
}

export function updateImageHeaderFromRaw(img: ImageHeader, raw: AcquisitionHeader | null | undefined): ImageHeader {
  if (raw === null || raw === undefined) return img;
  return {
    ...img,
    version: raw.version,
    flags: raw.flags,
    measurement_uid: raw.measurement_uid,
    position: [...raw.position],
    read_dir: [...raw.read_dir],
    phase_dir: [...raw.phase_dir],
    slice_dir: [...raw.slice_dir],
    patient_table_position: [...raw.patient_table_position],
    average: raw.idx.average,
    slice: raw.idx.slice,
    contrast: raw.idx.contrast,
    phase: raw.idx.phase,
    repetition: raw.idx.repetition,
    set: raw.idx.set,
    acquisition_time_stamp: raw.acquisition_time_stamp,
    physiology_time_stamp: [...raw.physiology_time_stamp],
    image_type: ImageType.MAGNITUDE,
    image_index: 1,
    image_series_index: 0,
    user_float: [...raw.user_float],
    user_int: [...raw.user_int],
  };
}
