/**
 * Adds a finished session's result group to an output file that already exists (a batch never
 * writes a session straight into an existing file: a session that has to be retried would leave
 * half a group behind). Copies what mrd-client writes into a result group: acquisitions,
 * waveforms, image series, the XML header and the `incomplete` text.
 */
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { INCOMPLETE_DATASET } from '../results-writer.js';

export async function copyResultGroup(fromPath: string, group: string, toPath: string): Promise<void> {
  const src = await MrdFile.open(fromPath);
  let dst: MrdWriter | null = null;
  try {
    // atomic: a copy that fails leaves the existing file byte for byte as it was
    dst = await MrdWriter.addGroup(toPath, { group, atomic: true });
    if (src.has(`${group}/data`)) for await (const batch of src.acquisitionBatches(group)) await dst.appendAcquisitions(batch);
    if (src.has(`${group}/waveforms`)) {
      for await (const w of src.waveforms(group)) await dst.appendWaveform(w);
    }
    for (const series of src.imageSeries(group)) {
      for await (const img of src.images(group, series)) await dst.appendImage(img, { series });
    }
    const xml = src.readHeader(group);
    if (xml !== undefined) await dst.writeHeader(xml);
    const incomplete = src.readText(group, INCOMPLETE_DATASET);
    if (incomplete !== undefined) await dst.writeText(INCOMPLETE_DATASET, incomplete);
    const w = dst;
    dst = null;
    await w.close();
  } finally {
    src.close();
    if (dst) await dst.abandon().catch(() => undefined);
  }
}
