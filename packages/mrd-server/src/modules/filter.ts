/**
 * Built-in module `filter` (reference custom/filter.py): as invertcontrast but, instead of the
 * inversion, a median filter of `filterSize` (scipy.ndimage.median_filter semantics) and the
 * `comments` parameter appended to ImageComments. See invertcontrast.ts.
 */
import type { MrdConnection } from '@mrd-tools/core/connection';
import type { ModuleConfig } from '@mrd-tools/recon-api/module';
import { FILTER, processContrast } from './invertcontrast.js';

export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown): Promise<void> {
  await processContrast(connection, config, header, FILTER);
}
