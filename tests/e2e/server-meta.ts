/** The core meta-attribute parser when available, so tests compare meta by content. */
import * as core from '../../packages/mrd-core/src/index.js';
import type { MetaParser } from './server-harness.js';

export function metaParser(): MetaParser | undefined {
  const c = core as unknown as Record<string, unknown>;
  for (const name of ['parseMeta', 'deserializeMeta', 'parseMetaAttributes', 'decodeMeta']) {
    if (typeof c[name] === 'function') return c[name] as MetaParser;
  }
  return undefined;
}
