/**
 * The mrd-info summary of an MRD v2 file (binary `.mrd` or NDJSON, told apart by their first
 * bytes): the stream is read once in 1 MiB chunks through mrd-core's incremental decoders, each
 * item mapped to its MRD v1 message (mrd-core's v1 mapping, the `complete` header mapping) and
 * summarised by the same code as an HDF5 group, so a v2 file and its v1 conversion give the same
 * summary. A v2 stream has no groups: it is shown as the one group `dataset` (mrd-convert's
 * default HDF5 group), its images as the series `image_<image_series_index>` (as the v1 HDF5
 * writer stores them). Items MRD v1 has no message for (Pulseq, buckets, arrays...) are listed
 * under `other_datasets` by their StreamItem case, shape [count], type `StreamItem`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { MrdV2NdjsonDecoder, MrdV2StreamDecoder, MrdV2ToV1, type MrdV2Event } from '@mrd-tools/core/mrd-v2';
import { MRD_V2_GROUP } from '@mrd-tools/core/mrd-v2-file/kind';
import type { ImageHeader } from '@mrd-tools/core/headers';
import {
  AcquisitionTally, headerSummary, imageSeriesFromHeaders, SCHEMA, WaveformTally, type GroupSummary, type Summary,
} from './summary.js';

async function* events(path: string, ndjson: boolean): AsyncGenerator<MrdV2Event> {
  const out: MrdV2Event[] = [];
  const push = ndjson ? new MrdV2NdjsonDecoder() : new MrdV2StreamDecoder();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    push.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), out);
    yield* out;
    out.length = 0;
  }
  if (push instanceof MrdV2NdjsonDecoder) yield* push.end();
  else push.end();
}

/** The summary of an MRD v2 file (see the module comment). */
export async function summarizeV2(path: string, kind: 'mrd-v2' | 'mrd-v2-ndjson', group?: string): Promise<Summary> {
  if (group !== undefined && group !== MRD_V2_GROUP) throw new Error(`${path}: no group '${group}' (an MRD v2 stream is shown as the one group '${MRD_V2_GROUP}')`);
  const skipped = new Map<string, number>();
  const toV1 = new MrdV2ToV1({ headerMapping: 'complete', unsupported: 'skip', onSkipped: (item) => skipped.set(item.type, (skipped.get(item.type) ?? 0) + 1) });
  const acqs = new AcquisitionTally();
  const waves = new WaveformTally();
  const series = new Map<string, ImageHeader[]>();
  let header: GroupSummary['header'] = null;
  try {
    for await (const e of events(path, kind === 'mrd-v2-ndjson')) {
      for (const m of toV1.event(e)) {
        if (m.type === 'header') header = headerSummary(m.xml);
        else if (m.type === 'acquisition') acqs.add(m.acquisition.head);
        else if (m.type === 'waveform') waves.add(m.waveform.head);
        else if (m.type === 'image') {
          const name = `image_${m.image.head.image_series_index}`;
          let list = series.get(name);
          if (!list) series.set(name, (list = []));
          list.push(m.image.head);
        }
      }
    }
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
  const names = [...series.keys()].sort();
  const g: GroupSummary = {
    name: MRD_V2_GROUP,
    header,
    acquisitions: acqs.summary(),
    image_series: names.map((n) => imageSeriesFromHeaders(n, series.get(n)!)),
    waveforms: waves.summary(),
    other_datasets: [...skipped.entries()].map(([name, n]) => ({ name, shape: [n], type: 'StreamItem' })),
  };
  return { schema: SCHEMA, file: path, size_bytes: (await stat(path)).size, groups: [g] };
}
