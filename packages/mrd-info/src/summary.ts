/**
 * The summary mrd-info prints: per group the XML header's essentials, the acquisitions by flag
 * and counter ranges, the image series and the waveforms by id. Everything comes from headers
 * (acquisition and waveform headers are read without their payloads, image headers without
 * pixels), so a 2 GB file is summarised from a few MB of reads.
 *
 * `Summary` is the `--json` output: its shape is the schema written down in README.md (and
 * checked against it by the tests); a change to it is a change of `schema`.
 */
import { AcquisitionFlag, DataType, ImageType } from '@mrd-tools/core/constants';
import { ENCODING_LIMIT_NAMES, tryParseIsmrmrdHeader, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { AcquisitionHeader, ImageHeader, WaveformHeader } from '@mrd-tools/core/headers';
import { statSync } from 'node:fs';
import { mrdV2FileKind } from '@mrd-tools/core/mrd-v2-file/kind';
import { summarizeV2 } from './v2-summary.js';

export const SCHEMA = 'mrd-info/1';

export interface Range {
  min: number;
  max: number;
}

export interface Space {
  matrix: [number, number, number];
  fov_mm: [number, number, number];
}

export interface EncodingSummary {
  trajectory: string;
  trajectory_description: string | null;
  encoded_space: Space;
  recon_space: Space;
  limits: Record<string, { min: number; max: number; center: number }>;
  parallel_imaging: { acceleration: [number, number]; calibration_mode: string | null; interleaving_dimension: string | null } | null;
  echo_train_length: number | null;
}

export interface HeaderSummary {
  /** The parse error when the XML is not a valid ISMRMRD header (other fields are then null/empty). */
  error: string | null;
  system: {
    vendor: string | null;
    model: string | null;
    field_strength_T: number | null;
    receiver_channels: number | null;
    institution: string | null;
  };
  h1_resonance_frequency_Hz: number | null;
  protocol_name: string | null;
  patient_position: string | null;
  encodings: EncodingSummary[];
  sequence: { type: string | null; TR_ms: number[]; TE_ms: number[]; TI_ms: number[]; flip_angle_deg: number[] };
  waveform_information: { name: string; type: string }[];
}

export interface AcquisitionSummary {
  count: number;
  noise: number;
  /** Readouts carrying each flag, by ISMRMRD flag name (`BIT_<n>` for unnamed bits, n from 1). */
  flags: Record<string, number>;
  /** Encoding counter ranges over the readouts that are not noise (null when all are noise). */
  counters: Record<string, Range> | null;
  channels: Range;
  samples: Range;
  trajectory_dimensions: Range;
  sample_time_us: Range;
  encoding_space_refs: number[];
}

export interface ImageSeriesSummary {
  name: string;
  count: number;
  /** Distinct matrix sizes [x, y, z]. */
  matrix_sizes: [number, number, number][];
  channels: number[];
  image_types: string[];
  data_types: string[];
  series_indices: number[];
  /** Ranges of the image counters. */
  counters: Record<string, Range> | null;
}

export interface WaveformSummary {
  id: number;
  /** The name of ISMRMRD's reserved ids 0-4 (ECG, PULSE, RESPIRATORY, EXT1, EXT2); null for others. */
  name: string | null;
  count: number;
  channels: number[];
  samples: Range;
  sample_time_us: Range;
}

export interface OtherDataset {
  name: string;
  shape: number[];
  type: string;
}

export interface GroupSummary {
  name: string;
  header: HeaderSummary | null;
  acquisitions: AcquisitionSummary | null;
  image_series: ImageSeriesSummary[];
  waveforms: { count: number; by_id: WaveformSummary[] } | null;
  other_datasets: OtherDataset[];
}

export interface Summary {
  schema: string;
  file: string;
  size_bytes: number;
  groups: GroupSummary[];
}

const FLAG_NAMES = new Map<number, string>(Object.entries(AcquisitionFlag).map(([k, v]) => [v, k]));
const IMAGE_TYPE_NAMES = new Map<number, string>(Object.entries(ImageType).map(([k, v]) => [v, k]));
const DATA_TYPE_NAMES = new Map<number, string>(Object.entries(DataType).map(([k, v]) => [v, k]));
/** ISMRMRD's reserved waveform ids (ismrmrd waveform.h: ECG 0, pulse 1, respiratory 2, external 3-4). */
const WAVEFORM_ID_NAMES = ['ECG', 'PULSE', 'RESPIRATORY', 'EXT1', 'EXT2'];
const ACQ_COUNTERS = ['kspace_encode_step_1', 'kspace_encode_step_2', 'average', 'slice', 'contrast', 'phase', 'repetition', 'set', 'segment'] as const;
const IMAGE_COUNTERS = ['average', 'slice', 'contrast', 'phase', 'repetition', 'set', 'image_index'] as const;

function widen(r: Range | undefined, v: number): Range {
  if (!r) return { min: v, max: v };
  if (v < r.min) r.min = v;
  if (v > r.max) r.max = v;
  return r;
}

export function headerSummary(xml: string): HeaderSummary {
  const parsed = tryParseIsmrmrdHeader(xml);
  const empty: HeaderSummary = {
    error: null,
    system: { vendor: null, model: null, field_strength_T: null, receiver_channels: null, institution: null },
    h1_resonance_frequency_Hz: null,
    protocol_name: null,
    patient_position: null,
    encodings: [],
    sequence: { type: null, TR_ms: [], TE_ms: [], TI_ms: [], flip_angle_deg: [] },
    waveform_information: [],
  };
  if (!parsed.header) return { ...empty, error: parsed.error.message };
  const h: IsmrmrdHeader = parsed.header;
  const sys = h.acquisitionSystemInformation;
  const space = (s: { matrixSize: { x: number; y: number; z: number }; fieldOfView_mm: { x: number; y: number; z: number } }): Space => ({
    matrix: [s.matrixSize.x, s.matrixSize.y, s.matrixSize.z],
    fov_mm: [s.fieldOfView_mm.x, s.fieldOfView_mm.y, s.fieldOfView_mm.z],
  });
  return {
    error: null,
    system: {
      vendor: sys?.systemVendor ?? null,
      model: sys?.systemModel ?? null,
      field_strength_T: sys?.systemFieldStrength_T ?? null,
      receiver_channels: sys?.receiverChannels ?? null,
      institution: sys?.institutionName ?? null,
    },
    h1_resonance_frequency_Hz: h.experimentalConditions.H1resonanceFrequency_Hz,
    protocol_name: h.measurementInformation?.protocolName ?? null,
    patient_position: h.measurementInformation?.patientPosition ?? null,
    encodings: h.encoding.map((e) => {
      const limits: EncodingSummary['limits'] = {};
      for (const name of ENCODING_LIMIT_NAMES) {
        const l = e.encodingLimits[name];
        if (l) limits[name] = { min: l.minimum, max: l.maximum, center: l.center };
      }
      const pi = e.parallelImaging;
      return {
        trajectory: e.trajectory,
        trajectory_description: e.trajectoryDescription?.identifier ?? null,
        encoded_space: space(e.encodedSpace),
        recon_space: space(e.reconSpace),
        limits,
        parallel_imaging: pi
          ? {
            acceleration: [pi.accelerationFactor.kspace_encoding_step_1, pi.accelerationFactor.kspace_encoding_step_2],
            calibration_mode: pi.calibrationMode ?? null,
            interleaving_dimension: pi.interleavingDimension ?? null,
          }
          : null,
        echo_train_length: e.echoTrainLength ?? null,
      };
    }),
    sequence: {
      type: h.sequenceParameters?.sequence_type ?? null,
      TR_ms: h.sequenceParameters?.TR ?? [],
      TE_ms: h.sequenceParameters?.TE ?? [],
      TI_ms: h.sequenceParameters?.TI ?? [],
      flip_angle_deg: h.sequenceParameters?.flipAngle_deg ?? [],
    },
    waveform_information: (h.waveformInformation ?? []).map((w) => ({ name: w.waveformName, type: w.waveformType })),
  };
}

type AcqFields = Pick<AcquisitionHeader, 'flags' | 'idx' | 'active_channels' | 'number_of_samples' | 'trajectory_dimensions' | 'sample_time_us' | 'encoding_space_ref'>;

/** Acquisition headers added one by one, summarised at the end. */
export class AcquisitionTally {
  private count = 0;
  private readonly bitCounts = new Float64Array(64);
  private readonly counters: Partial<Record<string, Range>> = {};
  private noise = 0;
  private channels: Range | undefined;
  private samples: Range | undefined;
  private traj: Range | undefined;
  private dwell: Range | undefined;
  private readonly refs = new Set<number>();

  add(h: AcqFields): void {
    this.count++;
    const noiseBit = AcquisitionFlag.IS_NOISE_MEASUREMENT - 1;
    const lo = Number(h.flags & 0xffffffffn);
    const hi = Number(h.flags >> 32n);
    for (let b = 0; lo >>> b && b < 32; b++) if ((lo >>> b) & 1) this.bitCounts[b]++;
    for (let b = 0; hi >>> b && b < 32; b++) if ((hi >>> b) & 1) this.bitCounts[32 + b]++;
    this.channels = widen(this.channels, h.active_channels);
    this.samples = widen(this.samples, h.number_of_samples);
    this.traj = widen(this.traj, h.trajectory_dimensions);
    this.dwell = widen(this.dwell, h.sample_time_us);
    this.refs.add(h.encoding_space_ref);
    if ((lo >>> noiseBit) & 1) {
      this.noise++;
      return;
    }
    for (const c of ACQ_COUNTERS) this.counters[c] = widen(this.counters[c], h.idx[c]);
  }

  summary(): AcquisitionSummary | null {
    if (this.count === 0) return null;
    const flags: Record<string, number> = {};
    for (let b = 0; b < 64; b++) if (this.bitCounts[b]) flags[FLAG_NAMES.get(b + 1) ?? `BIT_${b + 1}`] = this.bitCounts[b]!;
    return {
      count: this.count,
      noise: this.noise,
      flags,
      counters: this.noise === this.count ? null : (this.counters as Record<string, Range>),
      channels: this.channels!,
      samples: this.samples!,
      trajectory_dimensions: this.traj!,
      sample_time_us: this.dwell!,
      encoding_space_refs: [...this.refs].sort((a, b) => a - b),
    };
  }
}

async function acquisitionSummary(file: MrdFile, group: string): Promise<AcquisitionSummary | null> {
  if (file.acquisitionCount(group) === 0) return null;
  const tally = new AcquisitionTally();
  const fields = ['flags', 'idx', 'active_channels', 'number_of_samples', 'trajectory_dimensions', 'sample_time_us', 'encoding_space_ref'] as const;
  for await (const batch of file.acquisitionHeaderFieldBatches(group, fields)) {
    for (const h of batch as AcqFields[]) tally.add(h);
  }
  return tally.summary();
}

/** The summary of one image series from its image headers. */
export function imageSeriesFromHeaders(name: string, heads: ImageHeader[]): ImageSeriesSummary {
  const sizes = new Map<string, [number, number, number]>();
  const distinct = (f: (h: ImageHeader) => number) => [...new Set(heads.map(f))].sort((a, b) => a - b);
  const counters: Partial<Record<string, Range>> = {};
  for (const h of heads) {
    const m = [h.matrix_size[0]!, h.matrix_size[1]!, h.matrix_size[2]!] as [number, number, number];
    sizes.set(m.join('x'), m);
    for (const c of IMAGE_COUNTERS) counters[c] = widen(counters[c], h[c]);
  }
  return {
    name,
    count: heads.length,
    matrix_sizes: [...sizes.values()],
    channels: distinct((h) => h.channels),
    image_types: distinct((h) => h.image_type).map((t) => IMAGE_TYPE_NAMES.get(t) ?? `TYPE_${t}`),
    data_types: distinct((h) => h.data_type).map((t) => DATA_TYPE_NAMES.get(t) ?? `TYPE_${t}`),
    series_indices: distinct((h) => h.image_series_index),
    counters: heads.length ? (counters as Record<string, Range>) : null,
  };
}

async function imageSeriesSummary(file: MrdFile, group: string, name: string): Promise<ImageSeriesSummary> {
  return imageSeriesFromHeaders(name, await file.imageHeaders(group, name));
}

/** Waveform headers added one by one, summarised at the end. */
export class WaveformTally {
  private count = 0;
  private readonly ids = new Map<number, { count: number; channels: Set<number>; samples?: Range; dwell?: Range }>();

  add(h: WaveformHeader): void {
    this.count++;
    let e = this.ids.get(h.waveform_id);
    if (!e) this.ids.set(h.waveform_id, (e = { count: 0, channels: new Set() }));
    e.count++;
    e.channels.add(h.channels);
    e.samples = widen(e.samples, h.number_of_samples);
    e.dwell = widen(e.dwell, h.sample_time_us);
  }

  summary(): GroupSummary['waveforms'] {
    if (this.count === 0) return null;
    return {
      count: this.count,
      by_id: [...this.ids.entries()].sort((a, b) => a[0] - b[0]).map(([id, e]) => ({
        id,
        name: WAVEFORM_ID_NAMES[id] ?? null,
        count: e.count,
        channels: [...e.channels].sort((a, b) => a - b),
        samples: e.samples!,
        sample_time_us: e.dwell!,
      })),
    };
  }
}

async function waveformSummary(file: MrdFile, group: string): Promise<GroupSummary['waveforms']> {
  if (file.waveformCount(group) === 0) return null;
  const tally = new WaveformTally();
  for await (const batch of file.waveformHeaderBatches(group)) {
    for (const h of batch as WaveformHeader[]) tally.add(h);
  }
  return tally.summary();
}

/** The summary of an MRD file (of one group with `group`): HDF5, or an MRD v2 stream (v2-summary.ts). */
export async function summarize(path: string, group?: string): Promise<Summary> {
  const kind = await mrdV2FileKind(path).catch(() => undefined);
  if (kind) return summarizeV2(path, kind, group);
  const file = await MrdFile.open(path);
  try {
    const all = file.groups();
    if (group !== undefined && !all.includes(group)) throw new Error(`${path}: no group '${group}' (groups: ${all.join(', ') || 'none'})`);
    const groups: GroupSummary[] = [];
    for (const g of group !== undefined ? [group] : all) {
      const xml = file.readHeader(g);
      const header = xml === undefined ? null : headerSummary(xml);
      const series = file.imageSeries(g);
      const known = new Set(['xml', 'data', 'waveforms', ...series]);
      const other: OtherDataset[] = [];
      for (const name of file.list(g)) {
        if (known.has(name)) continue;
        const d = file.describe(`/${g}/${name}`);
        if (d?.kind === 'dataset') other.push({ name, shape: d.shape, type: d.type });
      }
      const imageSeries: ImageSeriesSummary[] = [];
      for (const s of series) imageSeries.push(await imageSeriesSummary(file, g, s));
      groups.push({
        name: g,
        header,
        acquisitions: await acquisitionSummary(file, g),
        image_series: imageSeries,
        waveforms: await waveformSummary(file, g),
        other_datasets: other,
      });
    }
    return { schema: SCHEMA, file: path, size_bytes: statSync(path).size, groups };
  } finally {
    file.close();
  }
}
