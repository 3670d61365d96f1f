/**
 * Acquisitions, images and waveforms between MRD v1 (messages/types.ts) and MRD v2, field for
 * field as upstream's converters map them (ismrmrd/mrd python/mrd/tools ismrmrd_to_mrd.py and
 * mrd_to_ismrmrd.py, with the local trajectory fix: v2 trajectories are [basis, samples], v1's are
 * [samples][dimensions], so they are transposed both ways).
 *
 * Data are shared, not copied, where the layouts agree: v1 acquisition data (complex
 * [channels][samples]) and v2 `data` [coils, samples] are the same bytes, as are image pixels
 * ([channels][z][y][x]) and waveform samples ([channels][samples]). Trajectories are transposed
 * (a copy is unavoidable).
 *
 * Units: v1 time stamps are milliseconds (uint32), v2's nanoseconds (uint64); v1 sample times
 * microseconds (float32), v2's nanoseconds (integer): v1 -> v2 multiplies (ns = trunc(us * 1000)),
 * v2 -> v1 divides (floor for stamps, float32 for sample times) and keeps the low 32 bits of a
 * stamp as the v1 field does.
 *
 * What a round trip loses (the formats, or upstream's mapping): see MAPPING_LOSSES. One upstream
 * bug is not copied: mrd_to_ismrmrd writes `int(ns or 0 // 1e6)` (operator precedence), i.e. the
 * acquisition time stamp in nanoseconds modulo 2^32 instead of milliseconds; here it is ns // 1e6.
 */
import type { Acquisition as V1Acquisition, Image as V1Image, ImagePixels, Waveform as V1Waveform } from '../../messages/types.js';
import { emptyAcquisitionHeader, emptyImageHeader, emptyWaveformHeader } from '../../headers/types.js';
import { DataType } from '../../constants/index.js';
import { MetaAttributes, serializeMeta } from '../../meta/meta.js';
import { formatPythonFloat, parsePythonFloat } from '../../meta/python-format.js';
import type * as V2 from '../model/types.js';
import { IMAGE_TYPE } from '../model/types.js';

/** Round-trip losses of the mapping, for help texts and reports. */
export const MAPPING_LOSSES = {
  acquisition: {
    v1ToV2: ['version', 'available_channels (v2 has only the active channels)', 'channel_mask (v2 channelOrder is 0..active_channels-1)', 'idx.user (the 8 user counters)'],
    v2ToV1: ['acquisitionCenterFrequency', 'phase', 'idx.user', 'channelOrder (only its length)', 'physiologyTimeStampNs beyond 3', 'userInt/userFloat beyond 8',
      'absent optionals become 0', 'time stamps below a millisecond', 'sample time below float32 precision of microseconds'],
  },
  image: {
    v1ToV2: ['version', 'meta attribute text: values that read as numbers become int64/float64 (e.g. "1.000000000000000000" comes back as "1.0"), others are stripped of surrounding whitespace; unreadable meta XML is dropped'],
    v2ToV1: ['physiologyTimeStampNs beyond 3', 'userInt/userFloat beyond 8', 'absent optionals become 0', 'time stamps below a millisecond'],
  },
  waveform: {
    v1ToV2: ['version (comes back as 0)'],
    v2ToV1: ['time stamps below a millisecond', 'waveformId above 65535 cannot be written (error)'],
  },
} as const;

/** Python `int(x // 1e6)` for a non-negative integer x: float floor division, as CPython computes it. */
function nsToMs(ns: bigint): number {
  const x = Number(ns);
  const mod = x % 1e6;
  const div = (x - mod) / 1e6;
  let q = Math.floor(div);
  if (div - q > 0.5) q += 1;
  return q;
}

/** The low 32 bits of a non-negative integer (ctypes c_uint32 assignment). */
function low32(v: number): number {
  return v < 4294967296 ? v : Number(BigInt(v) & 0xffffffffn);
}

function msToNs(ms: number): bigint {
  return BigInt(ms) * 1000000n;
}

/** v1 sample time (us, float32) -> v2 ns: `int(us * 1000)` (truncated toward zero). */
function usToNs(us: number, what: string): bigint {
  const ns = Math.trunc(us * 1000);
  if (!Number.isFinite(ns) || ns < 0) throw new RangeError(`${what}: sample_time_us ${us} has no MRD v2 value (a non-negative number of nanoseconds)`);
  return BigInt(ns);
}

function first<T>(v: readonly T[], n: number, fill: T): T[] {
  const out = new Array<T>(n).fill(fill);
  for (let i = 0; i < Math.min(n, v.length); i++) out[i] = v[i]!;
  return out;
}

function checkUint16(v: number, what: string): number {
  if (v > 0xffff) throw new RangeError(`${what} ${v} does not fit the v1 field (uint16)`);
  return v;
}

// ---------------------------------------------------------------- acquisitions

export function acquisitionToV2(a: V1Acquisition): V2.Acquisition {
  const h = a.head;
  const ns = h.number_of_samples;
  const nt = h.trajectory_dimensions;
  let trajectory: V2.NDArray<Float32Array> = { shape: [0, 0], data: new Float32Array(0) };
  if (ns * nt > 0) {
    const t = new Float32Array(ns * nt);
    for (let s = 0; s < ns; s++) for (let d = 0; d < nt; d++) t[d * ns + s] = a.traj[s * nt + d]!;
    trajectory = { shape: [nt, ns], data: t };
  }
  return {
    head: {
      flags: h.flags,
      idx: {
        kspaceEncodeStep1: h.idx.kspace_encode_step_1, kspaceEncodeStep2: h.idx.kspace_encode_step_2, average: h.idx.average, slice: h.idx.slice,
        contrast: h.idx.contrast, phase: h.idx.phase, repetition: h.idx.repetition, set: h.idx.set, segment: h.idx.segment, user: [],
      },
      measurementUid: h.measurement_uid,
      scanCounter: h.scan_counter,
      acquisitionTimeStampNs: msToNs(h.acquisition_time_stamp),
      physiologyTimeStampNs: h.physiology_time_stamp.map(msToNs),
      channelOrder: Array.from({ length: h.active_channels }, (_, i) => i),
      discardPre: h.discard_pre,
      discardPost: h.discard_post,
      centerSample: h.center_sample,
      encodingSpaceRef: h.encoding_space_ref,
      sampleTimeNs: usToNs(h.sample_time_us, `acquisition scan_counter ${h.scan_counter}`),
      position: [...h.position], readDir: [...h.read_dir], phaseDir: [...h.phase_dir], sliceDir: [...h.slice_dir],
      patientTablePosition: [...h.patient_table_position],
      userInt: [...h.user_int],
      userFloat: [...h.user_float],
    },
    data: { shape: [h.active_channels, ns], data: a.data },
    trajectory,
  };
}

export function acquisitionToV1(a: V2.Acquisition): V1Acquisition {
  const h = a.head;
  const what = `acquisition scanCounter ${h.scanCounter ?? '(none)'}`;
  if (a.data.shape.length !== 2) throw new RangeError(`${what}: data has ${a.data.shape.length} dimensions, expected [coils, samples]`);
  const [coils, samples] = a.data.shape as [number, number];
  const basis = a.trajectory.shape[0] ?? 0;
  const trajSamples = a.trajectory.shape[1] ?? 0;
  const traj = new Float32Array(samples * basis);
  if (a.trajectory.data.length > 0) {
    if (trajSamples !== samples) throw new RangeError(`${what}: trajectory [${a.trajectory.shape.join(', ')}] does not match ${samples} samples; v1 stores one trajectory point per sample`);
    const t = a.trajectory.data;
    for (let d = 0; d < basis; d++) for (let s = 0; s < samples; s++) traj[s * basis + d] = t[d * samples + s]!;
  }
  const head = emptyAcquisitionHeader();
  Object.assign(head, {
    version: 1,
    flags: h.flags,
    measurement_uid: h.measurementUid,
    scan_counter: h.scanCounter ?? 0,
    acquisition_time_stamp: low32(nsToMs(h.acquisitionTimeStampNs ?? 0n)),
    physiology_time_stamp: [0, 1, 2].map((i) => (i < h.physiologyTimeStampNs.length ? low32(nsToMs(h.physiologyTimeStampNs[i]!)) : 0)),
    number_of_samples: checkUint16(samples, `${what}: number of samples`),
    available_channels: checkUint16(coils, `${what}: number of coils`),
    active_channels: coils,
    discard_pre: checkUint16(h.discardPre ?? 0, `${what}: discardPre`),
    discard_post: checkUint16(h.discardPost ?? 0, `${what}: discardPost`),
    center_sample: checkUint16(h.centerSample ?? 0, `${what}: centerSample`),
    encoding_space_ref: checkUint16(h.encodingSpaceRef ?? 0, `${what}: encodingSpaceRef`),
    trajectory_dimensions: checkUint16(basis, `${what}: trajectory basis`),
    sample_time_us: Math.fround(Number(h.sampleTimeNs ?? 0n) / 1000),
    position: [...h.position], read_dir: [...h.readDir], phase_dir: [...h.phaseDir], slice_dir: [...h.sliceDir],
    patient_table_position: [...h.patientTablePosition],
    idx: {
      kspace_encode_step_1: checkUint16(h.idx.kspaceEncodeStep1 ?? 0, `${what}: kspaceEncodeStep1`),
      kspace_encode_step_2: checkUint16(h.idx.kspaceEncodeStep2 ?? 0, `${what}: kspaceEncodeStep2`),
      average: checkUint16(h.idx.average ?? 0, `${what}: average`), slice: checkUint16(h.idx.slice ?? 0, `${what}: slice`),
      contrast: checkUint16(h.idx.contrast ?? 0, `${what}: contrast`), phase: checkUint16(h.idx.phase ?? 0, `${what}: phase`),
      repetition: checkUint16(h.idx.repetition ?? 0, `${what}: repetition`), set: checkUint16(h.idx.set ?? 0, `${what}: set`),
      segment: checkUint16(h.idx.segment ?? 0, `${what}: segment`), user: [0, 0, 0, 0, 0, 0, 0, 0],
    },
    user_int: first(h.userInt, 8, 0),
    user_float: first(h.userFloat, 8, 0),
  });
  return { head, traj, data: a.data.data };
}

// ---------------------------------------------------------------- images

const IMAGE_CASE_OF_DATA_TYPE: Record<number, V2.ImageItemType> = {
  [DataType.USHORT]: 'imageUint16', [DataType.SHORT]: 'imageInt16', [DataType.UINT]: 'imageUint32', [DataType.INT]: 'imageInt32',
  [DataType.FLOAT]: 'imageFloat', [DataType.DOUBLE]: 'imageDouble', [DataType.CXFLOAT]: 'imageComplexFloat', [DataType.CXDOUBLE]: 'imageComplexDouble',
};
const DATA_TYPE_OF_IMAGE_CASE: Record<V2.ImageItemType, number> = {
  imageUint16: DataType.USHORT, imageInt16: DataType.SHORT, imageUint32: DataType.UINT, imageInt32: DataType.INT,
  imageFloat: DataType.FLOAT, imageDouble: DataType.DOUBLE, imageComplexFloat: DataType.CXFLOAT, imageComplexDouble: DataType.CXDOUBLE,
};

export function isImageItem(item: V2.StreamItem): item is V2.ImageItem {
  return item.type in DATA_TYPE_OF_IMAGE_CASE;
}

// Python's str.strip() whitespace, int() syntax (underscores are refused by the converter anyway).
const PY_WS = /^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/g;
const PY_INT = /^[+-]?\d+$/;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/**
 * A v1 meta value (text) as upstream's converter types it: int64 when Python's int() reads it
 * (and it has no '_', '.', 'e'), else float64 when float() reads it, else the stripped string.
 * (An integer beyond int64, on which upstream fails, stays a string.)
 */
export function metaValueToV2(v: string): V2.ImageMetaValue {
  const s = v.replace(PY_WS, '');
  if (PY_INT.test(s)) {
    const n = BigInt(s);
    if (n >= I64_MIN && n <= I64_MAX) return n;
    return s;
  }
  try {
    return parsePythonFloat(s);
  } catch {
    return s;
  }
}

/** Python `str()` of a v2 meta value (what upstream writes into the v1 attribute XML). */
export function metaValueToV1(v: V2.ImageMetaValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  return formatPythonFloat(v);
}

/** v1 attribute XML -> v2 ImageMeta (unreadable XML gives an empty meta, as upstream). */
export function metaToV2(attribute: string, onError?: (e: unknown) => void): V2.ImageMeta {
  const meta: V2.ImageMeta = new Map();
  if (!attribute) return meta;
  try {
    for (const [k, values] of MetaAttributes.parse(attribute)) meta.set(k, values.map(metaValueToV2));
  } catch (e) {
    onError?.(e);
    return new Map();
  }
  return meta;
}

/** v2 ImageMeta -> v1 attribute XML (ElementTree's bytes, as ismrmrd-python's Meta.serialize); '' when empty. */
export function metaToV1(meta: V2.ImageMeta): string {
  if (meta.size === 0) return '';
  return serializeMeta([...meta].map(([k, vs]) => [k, vs.map(metaValueToV1)] as const));
}

export interface ImageToV2Options {
  /** Called when the attribute XML cannot be read (its meta is then empty, as upstream). */
  onMetaError?: (e: unknown) => void;
}

export function imageToV2(img: V1Image, opts: ImageToV2Options = {}): V2.ImageItem {
  const h = img.head;
  const type = IMAGE_CASE_OF_DATA_TYPE[h.data_type];
  if (!type) throw new RangeError(`image ${h.image_index}: data_type ${h.data_type} has no MRD v2 image type`);
  const head: V2.ImageHeader = {
    flags: h.flags,
    measurementUid: h.measurement_uid,
    fieldOfView: [...h.field_of_view], position: [...h.position], colDir: [...h.read_dir], lineDir: [...h.phase_dir], sliceDir: [...h.slice_dir],
    patientTablePosition: [...h.patient_table_position],
    average: h.average, slice: h.slice, contrast: h.contrast, phase: h.phase, repetition: h.repetition, set: h.set,
    acquisitionTimeStampNs: msToNs(h.acquisition_time_stamp),
    physiologyTimeStampNs: h.physiology_time_stamp.map(msToNs),
    imageType: IMAGE_TYPE[h.image_type - 1] ?? h.image_type,
    imageIndex: h.image_index,
    imageSeriesIndex: h.image_series_index,
    userInt: [...h.user_int],
    userFloat: [...h.user_float],
  };
  const shape = [h.channels, h.matrix_size[2]!, h.matrix_size[1]!, h.matrix_size[0]!];
  return { type, value: { head, data: { shape, data: img.data }, meta: metaToV2(img.attribute, opts.onMetaError) } } as V2.ImageItem;
}

export function imageToV1(item: V2.ImageItem): V1Image {
  const img = item.value;
  const h = img.head;
  const what = `image imageIndex ${h.imageIndex ?? '(none)'}`;
  if (img.data.shape.length !== 4) throw new RangeError(`${what}: data has ${img.data.shape.length} dimensions, expected [channel, z, y, x]`);
  const [channels, z, y, x] = img.data.shape as [number, number, number, number];
  const head = emptyImageHeader();
  const imageType = typeof h.imageType === 'number' ? h.imageType : IMAGE_TYPE.indexOf(h.imageType) + 1;
  const attribute = metaToV1(img.meta);
  Object.assign(head, {
    version: 1,
    data_type: DATA_TYPE_OF_IMAGE_CASE[item.type],
    flags: h.flags,
    measurement_uid: h.measurementUid,
    matrix_size: [checkUint16(x, `${what}: x`), checkUint16(y, `${what}: y`), checkUint16(z, `${what}: z`)],
    field_of_view: [...h.fieldOfView],
    channels: checkUint16(channels, `${what}: channels`),
    position: [...h.position], read_dir: [...h.colDir], phase_dir: [...h.lineDir], slice_dir: [...h.sliceDir],
    patient_table_position: [...h.patientTablePosition],
    average: checkUint16(h.average ?? 0, `${what}: average`), slice: checkUint16(h.slice ?? 0, `${what}: slice`),
    contrast: checkUint16(h.contrast ?? 0, `${what}: contrast`), phase: checkUint16(h.phase ?? 0, `${what}: phase`),
    repetition: checkUint16(h.repetition ?? 0, `${what}: repetition`), set: checkUint16(h.set ?? 0, `${what}: set`),
    acquisition_time_stamp: low32(nsToMs(h.acquisitionTimeStampNs ?? 0n)),
    physiology_time_stamp: [0, 1, 2].map((i) => (i < h.physiologyTimeStampNs.length ? low32(nsToMs(h.physiologyTimeStampNs[i]!)) : 0)),
    image_type: checkUint16(imageType, `${what}: imageType`),
    image_index: checkUint16(h.imageIndex ?? 0, `${what}: imageIndex`),
    image_series_index: checkUint16(h.imageSeriesIndex ?? 0, `${what}: imageSeriesIndex`),
    user_int: first(h.userInt, 8, 0),
    user_float: first(h.userFloat, 8, 0),
    attribute_string_len: Buffer.byteLength(attribute),
  });
  return { head, attribute, data: img.data.data as ImagePixels };
}

// ---------------------------------------------------------------- waveforms

export function waveformToV2(w: V1Waveform): V2.WaveformUint32 {
  const h = w.head;
  return {
    flags: h.flags,
    measurementUid: h.measurement_uid,
    scanCounter: h.scan_counter,
    timeStampNs: msToNs(h.time_stamp),
    sampleTimeNs: usToNs(h.sample_time_us, `waveform scan_counter ${h.scan_counter}`),
    waveformId: h.waveform_id,
    data: { shape: [h.channels, h.number_of_samples], data: w.data },
  };
}

export function waveformToV1(w: V2.WaveformUint32): V1Waveform {
  const what = `waveform scanCounter ${w.scanCounter}`;
  if (w.data.shape.length !== 2) throw new RangeError(`${what}: data has ${w.data.shape.length} dimensions, expected [channels, samples]`);
  const [channels, samples] = w.data.shape as [number, number];
  const head = emptyWaveformHeader();
  Object.assign(head, {
    version: 0,
    flags: w.flags,
    measurement_uid: w.measurementUid,
    scan_counter: w.scanCounter,
    time_stamp: low32(nsToMs(w.timeStampNs)),
    number_of_samples: checkUint16(samples, `${what}: samples`),
    channels: checkUint16(channels, `${what}: channels`),
    sample_time_us: Math.fround(Number(w.sampleTimeNs) / 1000),
    waveform_id: checkUint16(w.waveformId, `${what}: waveformId`),
  });
  return { head, data: w.data.data };
}
