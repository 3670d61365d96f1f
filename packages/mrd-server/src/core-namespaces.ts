/**
 * What a user module may import, as the server's own instances (one logger, one FFT engine):
 * - `@mrd-tools/recon-api` (and its concept subpaths): the module contract and the helpers
 *   (mrdhelper), its replay harness `@mrd-tools/recon-api/testing` and the session's thread
 *   count `@mrd-tools/recon-api/threads`;
 * - `@mrd-tools/core/<concept>`: the format layer (constants, headers, messages, xml-header,
 *   meta, stream, connection, hdf5/reader, hdf5/writer, mat-file, logging; not mrd-v2, which
 *   the server does not speak and which would add a fifth to its bundle);
 * - `@mrd-tools/recon-kernels/<concept>`: the numerics (fft, centred-fft, nufft, image,
 *   iterative, progress, mri/sense, mri/coil-maps, mri/coil-combine, mri/nlinv, mri/girf, and
 *   pool: the server's worker pool for them).
 * - `ndarray` and `ndarray-ops`, the server's copies (as numpy is to the reference's modules),
 *   without installing them in the modules folder.
 * Modules written before the packages were split keep working: `@mrd-tools/core` is still
 * everything a module used from it (the format layer and the module API), `@mrd-tools/core/fft`
 * the FFT and `@mrd-tools/core/recon` the image kernels and module helpers.
 */
import * as api from '@mrd-tools/recon-api';
import * as apiModule from '@mrd-tools/recon-api/module';
import * as apiConfig from '@mrd-tools/recon-api/config';
import * as apiIceMiniHead from '@mrd-tools/recon-api/ice-mini-head';
import * as apiImageHeader from '@mrd-tools/recon-api/image-header';
import * as apiDebugDump from '@mrd-tools/recon-api/debug-dump';
import * as apiKspace from '@mrd-tools/recon-api/kspace';
import * as apiColormap from '@mrd-tools/recon-api/colormap';
import * as apiNdarray from '@mrd-tools/recon-api/ndarray';
import * as apiProgress from '@mrd-tools/recon-api/progress';
import * as apiTesting from '@mrd-tools/recon-api/testing';
import * as apiThreads from '@mrd-tools/recon-api/threads';
import * as constants from '@mrd-tools/core/constants';
import * as headers from '@mrd-tools/core/headers';
import * as messages from '@mrd-tools/core/messages';
import * as xmlHeader from '@mrd-tools/core/xml-header';
import * as meta from '@mrd-tools/core/meta';
import * as stream from '@mrd-tools/core/stream';
import * as connection from '@mrd-tools/core/connection';
import * as hdf5Reader from '@mrd-tools/core/hdf5/reader';
import * as hdf5Writer from '@mrd-tools/core/hdf5/writer';
import * as matFile from '@mrd-tools/core/mat-file';
import * as logging from '@mrd-tools/core/logging';
import * as fft from '@mrd-tools/recon-kernels/fft';
import * as centredFft from '@mrd-tools/recon-kernels/centred-fft';
import * as nufft from '@mrd-tools/recon-kernels/nufft';
import * as image from '@mrd-tools/recon-kernels/image';
import * as iterative from '@mrd-tools/recon-kernels/iterative';
import * as progress from '@mrd-tools/recon-kernels/progress';
import * as sense from '@mrd-tools/recon-kernels/mri/sense';
import * as coilMaps from '@mrd-tools/recon-kernels/mri/coil-maps';
import * as coilCombine from '@mrd-tools/recon-kernels/mri/coil-combine';
import * as nlinv from '@mrd-tools/recon-kernels/mri/nlinv';
import * as girf from '@mrd-tools/recon-kernels/mri/girf';
import * as pool from '@mrd-tools/recon-kernels/pool';
import ndarray from 'ndarray';
import * as ndarrayOps from 'ndarray-ops';

type Namespace = Record<string, unknown>;

export function coreNamespaces(): Record<string, Namespace> {
  const core: Record<string, Namespace> = {
    constants, headers, messages, 'xml-header': xmlHeader, meta, stream, connection,
    'hdf5/reader': hdf5Reader, 'hdf5/writer': hdf5Writer, 'mat-file': matFile, logging,
  };
  const kernels: Record<string, Namespace> = {
    fft, 'centred-fft': centredFft, nufft, image, iterative, progress,
    'mri/sense': sense, 'mri/coil-maps': coilMaps, 'mri/coil-combine': coilCombine, 'mri/nlinv': nlinv, 'mri/girf': girf, pool,
  };
  const apiParts: Record<string, Namespace> = {
    module: apiModule, config: apiConfig, 'ice-mini-head': apiIceMiniHead, 'image-header': apiImageHeader,
    'debug-dump': apiDebugDump, kspace: apiKspace, colormap: apiColormap, ndarray: apiNdarray, progress: apiProgress,
    testing: apiTesting, threads: apiThreads,
  };
  const out: Record<string, Namespace> = {
    '@mrd-tools/recon-api': api as Namespace,
    ndarray: { default: ndarray },
    'ndarray-ops': ndarrayOps as Namespace,
  };
  for (const [k, v] of Object.entries(apiParts)) out[`@mrd-tools/recon-api/${k}`] = v;
  for (const [k, v] of Object.entries(core)) out[`@mrd-tools/core/${k}`] = v;
  for (const [k, v] of Object.entries(kernels)) out[`@mrd-tools/recon-kernels/${k}`] = v;
  // the entries of before the split
  out['@mrd-tools/core'] = Object.assign({}, ...Object.values(core), api);
  out['@mrd-tools/core/fft'] = fft as Namespace;
  out['@mrd-tools/core/recon'] = { ...centredFft, ...image, ...api, ...apiTesting };
  return out;
}
