/**
 * Which HDF5 image group an incoming image is stored in.
 *
 * MRD files keep each series (`image_<image_series_index>`) as one N-d array, so every image of
 * a group must have the same matrix size, channel count and data type. The reference client
 * crashes on a series that mixes sizes (h5py "Can't broadcast") and loses every received image.
 * Here the first image of a series fixes its group's shape; an image that does not fit goes
 * into a sibling group named after its shape, `image_<series>_<x>x<y>x<z>x<channels>_<type>`,
 * and the caller is told so it can warn the user where the image went.
 */
import type { Image } from '@mrd-tools/core/messages';

const DATA_TYPE_NAMES: Record<number, string> = {
  1: 'ushort', 2: 'short', 3: 'uint', 4: 'int', 5: 'float', 6: 'double', 7: 'cxfloat', 8: 'cxdouble',
};

export interface ImageGroupChoice {
  /** Group name inside the output group, e.g. `image_0` or `image_0_128x128x1x1_ushort`. */
  group: string;
  /** True when the image did not fit its series group and went to a sibling group. */
  sibling: boolean;
  /** True the first time a given group is chosen. */
  firstInGroup: boolean;
}

function shapeKey(img: Image): string {
  const h = img.head;
  return `${h.matrix_size[0]}x${h.matrix_size[1]}x${h.matrix_size[2]}x${h.channels}_${DATA_TYPE_NAMES[h.data_type] ?? `type${h.data_type}`}`;
}

export class ImageSeriesGroups {
  private readonly seriesShape = new Map<string, string>();
  private readonly seen = new Set<string>();

  constructor(private readonly prefix = 'image_') {}

  /** Declares the shape an existing series group already has (when appending to a file). */
  declareExisting(group: string, img: Image): void {
    this.seriesShape.set(group, shapeKey(img));
    this.seen.add(group);
  }

  choose(img: Image): ImageGroupChoice {
    const series = `${this.prefix}${img.head.image_series_index}`;
    const key = shapeKey(img);
    const fixed = this.seriesShape.get(series);
    let group = series;
    let sibling = false;
    if (fixed === undefined) this.seriesShape.set(series, key);
    else if (fixed !== key) {
      group = `${series}_${key}`;
      sibling = true;
    }
    const firstInGroup = !this.seen.has(group);
    this.seen.add(group);
    return { group, sibling, firstInGroup };
  }

  /** The shape key (`<x>x<y>x<z>x<channels>_<type>`) of an image. */
  static shapeOf(img: Image): string {
    return shapeKey(img);
  }
}
