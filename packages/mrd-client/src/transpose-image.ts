/**
 * `--fix-transposed`: an image stored with rows and columns swapped, made to match its series,
 * as the upstream client: pixels transposed in the last two dimensions, matrix size and field
 * of view x/y swapped, read and phase directions swapped, and the ImageRowDir / ImageColumnDir
 * meta attributes swapped when both are present.
 */
import { parseMeta, serializeMeta } from '@mrd-tools/core/meta';
import type { Image, ImagePixels } from '@mrd-tools/core/messages';

export function transposeImage(img: Image): Image {
  const h = img.head;
  const [nx, ny, nz] = h.matrix_size;
  const complex = h.data_type === 7 || h.data_type === 8;
  const per = complex ? 2 : 1;
  const planes = h.channels * nz;
  const src = img.data;
  const dst = new (src.constructor as { new (n: number): ImagePixels })(src.length);
  const plane = nx * ny * per;
  for (let p = 0; p < planes; p++) {
    const base = p * plane;
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const s = base + (y * nx + x) * per;
        const d = base + (x * ny + y) * per;
        dst[d] = src[s];
        if (complex) dst[d + 1] = src[s + 1];
      }
    }
  }
  const head = {
    ...h,
    matrix_size: [ny, nx, nz],
    field_of_view: [h.field_of_view[1], h.field_of_view[0], h.field_of_view[2]],
    read_dir: [...h.phase_dir],
    phase_dir: [...h.read_dir],
  };
  let attribute = img.attribute;
  if (attribute) {
    const meta = parseMeta(attribute);
    const row = meta.getAll('ImageRowDir');
    const col = meta.getAll('ImageColumnDir');
    if (row !== undefined && col !== undefined) {
      meta.set('ImageRowDir', col);
      meta.set('ImageColumnDir', row);
      attribute = serializeMeta(meta);
    }
  }
  return { head, attribute, data: dst };
}
