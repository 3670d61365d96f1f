/**
 * Child process of the SIGKILL tests (bundled with esbuild by ./harness.ts for mrd-writer.kill.test.ts and
 * tests/interop/hdf5-writer.test.ts): streams deterministic acquisitions (scan_counter
 * base + i, data f32(i + k/1000)) and, after every 10th, an image (image_index i, pixels = image
 * number) into an MRD file, printing "<epoch ms> <acquisitions handed over>" after each call
 * returns, until killed.
 * Usage: node child.mjs <file.h5> <checkpointIntervalMs | default> [create | append]
 * `append` opens the existing file's `dataset` group and uses base 1000000.
 */
import { MrdWriter } from '../../hdf5/writer/index.js';
import { emptyAcquisitionHeader, emptyImageHeader } from '../../headers/types.js';
import type { Acquisition } from '../../messages/types.js';

const [path, interval, mode] = process.argv.slice(2);
const checkpointIntervalMs = interval && interval !== 'default' ? Number(interval) : undefined;
const append = mode === 'append';
const base = append ? 1_000_000 : 0;
const w = append ? await MrdWriter.open(path, { group: 'dataset', checkpointIntervalMs }) : await MrdWriter.create(path, { overwrite: true, checkpointIntervalMs });
if (!append) await w.writeHeader('<ismrmrdHeader/>');
let i = 0;
let images = 0;
for (;;) {
  const batch: Acquisition[] = [];
  for (let k = 0; k < 20; k++, i++) {
    const head = emptyAcquisitionHeader();
    head.scan_counter = base + i;
    head.number_of_samples = 64 + (i % 7);
    head.active_channels = head.available_channels = 4;
    const data = new Float32Array(2 * head.number_of_samples * 4);
    for (let j = 0; j < data.length; j++) data[j] = i + j / 1000;
    batch.push({ head, data, traj: new Float32Array(0) });
  }
  await w.appendAcquisitions(batch);
  for (let j = i - 20; j < i; j++) {
    if (j % 10 !== 9) continue;
    const head = emptyImageHeader();
    head.data_type = 5;
    head.channels = 1;
    head.matrix_size = [16, 16, 1];
    head.image_index = j;
    await w.appendImage({ head, attribute: `<meta>${j}</meta>`, data: new Float32Array(256).fill(images++) });
  }
  process.stdout.write(`${Date.now()} ${i}\n`);
  await new Promise((r) => setTimeout(r, 1));
}
