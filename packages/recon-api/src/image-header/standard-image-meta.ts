/**
 * The meta attributes the reference modules (simplefft.py and the spiral recons built on it) put on
 * a magnitude image: DataRole, ImageProcessingHistory, the window from the int16 scale, and the
 * row/column directions printed as Python's '%.18f'. Order matters for byte-exact output, so any
 * extra entries (e.g. Keep_image_geometry) go where the reference puts them: after WindowWidth.
 */
import type { ImageHeader } from '@mrd-tools/core/headers';
import { MetaAttributes, serializeMeta, type MetaValue } from '@mrd-tools/core/meta';
import { formatPythonFixed, formatPythonFloat } from '@mrd-tools/core/meta';

export function standardImageMeta(head: ImageHeader, maxVal: number, extra: [string, MetaValue | readonly MetaValue[]][] = []): string {
  return serializeMeta(new MetaAttributes([
    ['DataRole', 'Image'],
    ['ImageProcessingHistory', ['FIRE', 'PYTHON']],
    ['WindowCenter', formatPythonFloat((maxVal + 1) / 2)],
    ['WindowWidth', String(maxVal + 1)],
    ...extra,
    ['ImageRowDir', head.read_dir.map((v) => formatPythonFixed(v, 18))],
    ['ImageColumnDir', head.phase_dir.map((v) => formatPythonFixed(v, 18))],
  ]));
}
