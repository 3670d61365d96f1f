/**
 * Built-in module `analyzeflow` (reference analyzeflow.py): phase images are collected; other
 * images go straight back; raw data is ignored with an INFO text per readout. At the end, for
 * each flow direction (meta FlowDirDisplay, sorted), the phase images are stacked [y, x, slice,
 * phase], pixels whose mean absolute temporal difference exceeds 250 are set to 2048, and the
 * result is rescaled `(v - 2048) * maxVal / 2048` to int16, as series 10, 11, ...
 */
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { cloneImage, type Image, type ImagePixels } from '@mrd-tools/core/messages';
import { cloneImageHeader, type ImageHeader } from '@mrd-tools/core/headers';
import { formatPythonFixed, formatPythonFloat, parseMeta, serializeMeta, type MetaAttributes } from '@mrd-tools/core/meta';
import { logger } from '@mrd-tools/core/logging';
import type { MrdConnection } from '@mrd-tools/core/connection';
import {
  DebugDumper, getUserParameterLong, logModuleConfig, moduleHeader, sendModuleError, type ModuleConfig,
} from '@mrd-tools/recon-api';
import { DEFAULT_BITS_STORED, maxValueForBitsStored, roundHalfEven } from '@mrd-tools/recon-kernels/image';

/** Same-typed zeroed array. */
function like(d: ImagePixels, n: number): ImagePixels {
  return new (d.constructor as { new (n: number): ImagePixels })(n);
}

export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown): Promise<void> {
  logModuleConfig(config);
  const debug = new DebugDumper();
  let imgGroup: Image[] = [];
  try {
    for await (const item of connection) {
      if (item.type === 'image') {
        const img = item.image;
        if (img.head.image_type === ImageType.PHASE) {
          imgGroup.push(cloneImage(img));
        } else {
          await connection.sendImage({ head: img.head, attribute: serializeMeta(parseMeta(img.attribute)), data: img.data });
        }
      } else if (item.type === 'waveform') {
        // collected and unused by the reference
      } else if (item.type === 'acquisition') {
        const strWarn = 'Received an ismrmrd.Acquisition which is ignored by this analysis';
        logger.warning(strWarn);
        await connection.sendLogging('INFO', strWarn);
      } else {
        logger.error(`Unsupported data type ${item.type}`);
      }
    }
    if (imgGroup.length > 0) {
      logger.info('Processing a group of images (untriggered)');
      const images = await processImage(imgGroup, connection, header, debug);
      logger.debug('Sending images to client');
      await connection.sendImage(images);
      imgGroup = [];
    }
  } catch (err) {
    await sendModuleError(connection, 'analyzeflow', err);
  }
}

async function processImage(group: Image[], connection: MrdConnection, header: unknown, debug: DebugDumper): Promise<Image[]> {
  logger.info('-----------------------------------------------');
  logger.info(`     process_image called with ${group.length} images`);
  logger.info('-----------------------------------------------');
  const tic = performance.now();
  const metas = group.map((g) => parseMeta(g.attribute));
  const dirOf = (m: MetaAttributes): string => {
    const v = m.getAll('FlowDirDisplay');
    if (v === undefined) throw new Error("KeyError: 'FlowDirDisplay'");
    return v.join(',');
  };
  const dirs = [...new Set(metas.map(dirOf))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const strProcessTime = `Total processing time: ${(performance.now() - tic).toFixed(2)} ms`;
  logger.info(strProcessTime);
  await connection.sendLogging('INFO', strProcessTime);

  const h0 = group[0].head;
  const ny = h0.matrix_size[1], nx = h0.matrix_size[0];
  const nSli = Math.max(...group.map((g) => g.head.slice)) + 1;
  const nPhs = Math.max(...group.map((g) => g.head.phase)) + 1;
  const bits = getUserParameterLong(moduleHeader(header), 'BitsStored') ?? DEFAULT_BITS_STORED;
  const maxVal = maxValueForBitsStored(bits);
  const out: Image[] = [];
  let lastSeries = 10;
  for (const dir of dirs) {
    // data [y][x][sli][phs] in the first image's pixel type
    const plane = ny * nx;
    const data = like(group[0].data, plane * nSli * nPhs);
    const heads: (ImageHeader | null)[] = new Array(nSli * nPhs).fill(null);
    const metaAt: (MetaAttributes | null)[] = new Array(nSli * nPhs).fill(null);
    group.forEach((img, i) => {
      if (dirOf(metas[i]) !== dir) return;
      const sli = img.head.slice, phs = img.head.phase;
      if (img.head.matrix_size[0] !== nx || img.head.matrix_size[1] !== ny || img.head.channels * img.head.matrix_size[2] !== 1) {
        throw new Error(`could not broadcast image ${img.head.image_index} (${img.head.channels}x${img.head.matrix_size[2]}x${img.head.matrix_size[1]}x${img.head.matrix_size[0]}) into shape (${ny},${nx})`);
      }
      for (let p = 0; p < plane; p++) data[(p * nSli + sli) * nPhs + phs] = img.data[p];
      heads[sli * nPhs + phs] = cloneImageHeader(img.head);
      metaAt[sli * nPhs + phs] = parseMeta(img.attribute);
    });
    debug.save(`data_${dir}.npy`, data, [ny, nx, nSli, nPhs]);
    // mean |diff| along phase, computed in the pixel type as numpy does (wrapping), then float64
    const threshold = 250;
    const tmp = like(data, 1);
    for (let p = 0; p < plane * nSli; p++) {
      const base = p * nPhs;
      let sum = 0;
      for (let k = 0; k + 1 < nPhs; k++) {
        tmp[0] = data[base + k + 1] - data[base + k];
        tmp[0] = Math.abs(tmp[0]);
        sum += tmp[0];
      }
      const mean = nPhs > 1 ? sum / (nPhs - 1) : NaN;
      if (mean > threshold) for (let k = 0; k < nPhs; k++) data[base + k] = 2048;
    }
    debug.save(`data_masked_${dir}.npy`, data, [ny, nx, nSli, nPhs]);
    for (let sli = 0; sli < nSli; sli++) {
      for (let phs = 0; phs < nPhs; phs++) {
        const head = heads[sli * nPhs + phs];
        const meta = metaAt[sli * nPhs + phs];
        if (head === null || meta === null) throw new Error(`AttributeError: no image for slice ${sli}, phase ${phs} of flow direction ${dir}`);
        const px = new Int16Array(plane);
        for (let p = 0; p < plane; p++) px[p] = roundHalfEven(((data[(p * nSli + sli) * nPhs + phs] - 2048) * maxVal) / 2048);
        head.data_type = DataType.SHORT;
        head.image_index = phs + sli * nPhs;
        head.image_series_index = lastSeries;
        meta.set('DataRole', 'Image');
        meta.set('ImageProcessingHistory', ['FIRE', 'PYTHON']);
        meta.set('WindowCenter', formatPythonFloat((maxVal + 1) / 2));
        meta.set('WindowWidth', String(maxVal + 1));
        meta.set('Keep_image_geometry', 1);
        if (!meta.has('ImageRowDir')) meta.set('ImageRowDir', head.read_dir.map((v) => formatPythonFixed(v, 18)));
        if (!meta.has('ImageColumnDir')) meta.set('ImageColumnDir', head.phase_dir.map((v) => formatPythonFixed(v, 18)));
        out.push({ head, attribute: serializeMeta(meta), data: px });
      }
    }
    lastSeries += 1;
  }
  return out;
}
