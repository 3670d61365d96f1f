/** The server's own core library, as user modules see it (`@mrd-tools/core` and its subpaths). */
import * as core from '@mrd-tools/core';
import * as fft from '@mrd-tools/core/fft';
import * as recon from '@mrd-tools/core/recon';

export function coreNamespaces(): Record<string, Record<string, unknown>> {
  return {
    '@mrd-tools/core': core as unknown as Record<string, unknown>,
    '@mrd-tools/core/fft': fft as unknown as Record<string, unknown>,
    '@mrd-tools/core/recon': recon as unknown as Record<string, unknown>,
  };
}
