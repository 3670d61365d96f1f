/**
 * Built-in module `invertcontrast` (reference invertcontrast.py): recon of raw data or
 * normalisation of incoming images, then contrast inversion; options complex / rgb / roi /
 * colormap / sendOriginal from the JSON config. See image-contrast.ts.
 */
import type { MrdConnection, ModuleConfig } from '@mrd-tools/core';
import { INVERTCONTRAST, processContrast } from './image-contrast.js';

export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown): Promise<void> {
  await processContrast(connection, config, header, INVERTCONTRAST);
}
