/**
 * Optional debug dumps of intermediate arrays as .npy files, as the reference modules write
 * into their `debugFolder` (/tmp/share/debug). Unlike the reference, nothing is written unless
 * the folder already exists (or `MRD_DEBUG_FOLDER` names one that exists), the folder is never
 * created, and a failed write is logged and never fails the recon.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logger } from '@mrd-tools/core/logging';
import { encodeNpy } from './npy.js';

/** The reference's debug folder. */
export const DEFAULT_DEBUG_FOLDER = '/tmp/share/debug';

export class DebugDumper {
  readonly enabled: boolean;

  constructor(readonly folder: string = process.env.MRD_DEBUG_FOLDER || DEFAULT_DEBUG_FOLDER) {
    let ok = false;
    try {
      ok = existsSync(folder) && statSync(folder).isDirectory();
    } catch {
      ok = false;
    }
    this.enabled = ok;
  }

  /** Writes `<folder>/<name>` (name like 'raw.npy') when enabled; `data` may be a thunk. */
  save(name: string, data: ArrayBufferView | (() => ArrayBufferView), shape: readonly number[], complex = false): void {
    if (!this.enabled) return;
    try {
      const arr = typeof data === 'function' ? data() : data;
      writeFileSync(join(this.folder, name), encodeNpy(arr, shape, complex));
    } catch (err) {
      logger.warning(`debug dump ${name} into ${this.folder} failed: ${(err as Error).message}`);
    }
  }
}
