/**
 * Byte-exact binary codecs of the ISMRMRD header records (little endian; layouts: ./fields.ts,
 * the one table of the records' fields): AcquisitionHeader 340 bytes, ImageHeader 198,
 * WaveformHeader 40 (its padding written as zeros, as the C library's memset-initialised structs
 * and every reference stream carry it, and ignored on reading), EncodingCounters 34.
 *
 * The codecs sit on the hot path of the stream decoder and encoder (one header per readout), so
 * each reader and writer is generated once from the table: one object literal of DataView reads
 * (one block of DataView writes) at constant offsets, as a hand-written codec would be
 * (docs/wire.md has the measurements).
 */
import {
  ACQUISITION_HEADER_LAYOUT, ENCODING_COUNTERS_LAYOUT, IMAGE_HEADER_LAYOUT, WAVEFORM_HEADER_LAYOUT, type RecordLayout,
} from './fields.js';
import {
  ACQUISITION_HEADER_SIZE,
  IMAGE_HEADER_SIZE,
  WAVEFORM_HEADER_SIZE,
  type AcquisitionHeader,
  type EncodingCounters,
  type ImageHeader,
  type WaveformHeader,
} from './types.js';

const ENCODING_COUNTERS_SIZE = ENCODING_COUNTERS_LAYOUT.size;

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function need(view: DataView, offset: number, size: number, what: string): void {
  if (offset < 0 || offset + size > view.byteLength) {
    throw new RangeError(`${what}: needs ${size} bytes at offset ${offset}, have ${view.byteLength - offset}`);
  }
}

/** A u64 as bigint; zero words (most channel_mask words) reuse the 0n constant instead of allocating. */
function u64(v: DataView, o: number): bigint {
  return v.getUint32(o, true) === 0 && v.getUint32(o + 4, true) === 0 ? 0n : v.getBigUint64(o, true);
}

const GET = { u16: 'getUint16', u32: 'getUint32', i32: 'getInt32', f32: 'getFloat32' } as const;
const SET = { u16: 'setUint16', u32: 'setUint32', i32: 'setInt32', f32: 'setFloat32' } as const;

function at(base: string, offset: number): string {
  return offset === 0 ? base : `${base} + ${offset}`;
}

/** The object literal reading the record `layout` at byte `base` of DataView `dv`. */
function readExpr(layout: RecordLayout, base: string): string {
  const parts = layout.fields.map((f) => {
    const one = (k: number): string => {
      const where = at(base, f.offset + k * (f.type === 'u64' ? 8 : f.type === 'u16' ? 2 : 4));
      if (f.type === 'u64') return `u64(dv, ${where})`;
      if (f.type === 'counters') return readExpr(ENCODING_COUNTERS_LAYOUT, `(${at(base, f.offset)})`);
      return `dv.${GET[f.type]}(${where}, true)`;
    };
    const value = f.count === undefined ? one(0) : `[${Array.from({ length: f.count }, (_, k) => one(k)).join(', ')}]`;
    return `${f.name}: ${value}`;
  });
  return `{ ${parts.join(', ')} }`;
}

/**
 * The statements writing the record `layout` from object `h` at byte `base` of DataView `dv`, padding
 * zeroed. Each array field is one local and a loop, and the counters one local: unrolling every
 * element as `h.field[k]` made the acquisition writer twice as slow as a hand-written one.
 */
function writeStatements(layout: RecordLayout, h: string, base: string, depth = 0): string[] {
  const out: string[] = [];
  for (const [i, f] of layout.fields.entries()) {
    const local = `v${depth}_${i}`;
    if (f.type === 'counters') {
      out.push(`const ${local} = ${h}.${f.name};`, ...writeStatements(ENCODING_COUNTERS_LAYOUT, local, `(${at(base, f.offset)})`, depth + 1));
      continue;
    }
    const type = f.type;
    const size = type === 'u64' ? 8 : type === 'u16' ? 2 : 4;
    const put = (where: string, value: string): string => type === 'u64'
      ? `dv.setBigUint64(${where}, BigInt.asUintN(64, ${value}), true);`
      : `dv.${SET[type]}(${where}, ${value}, true);`;
    if (f.count === undefined) out.push(put(at(base, f.offset), `${h}.${f.name}`));
    else {
      out.push(`const ${local} = ${h}.${f.name};`,
        `for (let k = 0; k < ${f.count}; k++) ${put(`${at(base, f.offset)} + ${size} * k`, `${local}[k] ?? ${type === 'u64' ? '0n' : '0'}`)}`);
    }
  }
  for (const [offset, length] of layout.padding) {
    let k = 0;
    while (k < length) {
      const w = length - k >= 4 && (offset + k) % 4 === 0 ? 4 : length - k >= 2 && (offset + k) % 2 === 0 ? 2 : 1;
      out.push(`dv.setUint${8 * w}(${at(base, offset + k)}, 0${w > 1 ? ', true' : ''});`);
      k += w;
    }
  }
  return out;
}

function compileReader<T>(layout: RecordLayout): (v: DataView, o?: number) => T {
  return new Function('u64', `return function read${layout.name}(dv, o = 0) { return ${readExpr(layout, 'o')}; };`)(u64) as (v: DataView, o?: number) => T;
}

function compileWriter<T>(layout: RecordLayout): (h: T, v: DataView, o?: number) => void {
  return new Function(`return function write${layout.name}(h, dv, o = 0) { ${writeStatements(layout, 'h', 'o').join(' ')} };`)() as (h: T, v: DataView, o?: number) => void;
}

// ---------------------------------------------------------------- EncodingCounters (34 bytes)

const readEncodingCounters: (v: DataView, o?: number) => EncodingCounters = compileReader(ENCODING_COUNTERS_LAYOUT);
const writeEncodingCounters: (c: EncodingCounters, v: DataView, o?: number) => void = compileWriter(ENCODING_COUNTERS_LAYOUT);

// ---------------------------------------------------------------- AcquisitionHeader (340 bytes)

/** Reads an AcquisitionHeader at `o` of `v` (no bounds check beyond DataView's own). */
export const readAcquisitionHeader: (v: DataView, o?: number) => AcquisitionHeader = compileReader(ACQUISITION_HEADER_LAYOUT);
export const writeAcquisitionHeader: (h: AcquisitionHeader, v: DataView, o?: number) => void = compileWriter(ACQUISITION_HEADER_LAYOUT);

/** Decodes the 340 header bytes starting at `offset` of `bytes`. */
export function decodeAcquisitionHeader(bytes: Uint8Array, offset = 0): AcquisitionHeader {
  const v = viewOf(bytes);
  need(v, offset, ACQUISITION_HEADER_SIZE, 'decodeAcquisitionHeader');
  return readAcquisitionHeader(v, offset);
}

/** Encodes into a new 340-byte array, or into `out` at `offset`. */
export function encodeAcquisitionHeader(h: AcquisitionHeader, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(ACQUISITION_HEADER_SIZE);
  const v = viewOf(dst);
  need(v, offset, ACQUISITION_HEADER_SIZE, 'encodeAcquisitionHeader');
  writeAcquisitionHeader(h, v, offset);
  return dst;
}

// ---------------------------------------------------------------- ImageHeader (198 bytes)

export const readImageHeader: (v: DataView, o?: number) => ImageHeader = compileReader(IMAGE_HEADER_LAYOUT);
export const writeImageHeader: (h: ImageHeader, v: DataView, o?: number) => void = compileWriter(IMAGE_HEADER_LAYOUT);

export function decodeImageHeader(bytes: Uint8Array, offset = 0): ImageHeader {
  const v = viewOf(bytes);
  need(v, offset, IMAGE_HEADER_SIZE, 'decodeImageHeader');
  return readImageHeader(v, offset);
}

export function encodeImageHeader(h: ImageHeader, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(IMAGE_HEADER_SIZE);
  const v = viewOf(dst);
  need(v, offset, IMAGE_HEADER_SIZE, 'encodeImageHeader');
  writeImageHeader(h, v, offset);
  return dst;
}

// ---------------------------------------------------------------- WaveformHeader (40 bytes)

export const readWaveformHeader: (v: DataView, o?: number) => WaveformHeader = compileReader(WAVEFORM_HEADER_LAYOUT);
/** Writes the 40 bytes including the zeroed padding (bytes 2..7 and 38..39). */
export const writeWaveformHeader: (h: WaveformHeader, v: DataView, o?: number) => void = compileWriter(WAVEFORM_HEADER_LAYOUT);

export function decodeWaveformHeader(bytes: Uint8Array, offset = 0): WaveformHeader {
  const v = viewOf(bytes);
  need(v, offset, WAVEFORM_HEADER_SIZE, 'decodeWaveformHeader');
  return readWaveformHeader(v, offset);
}

export function encodeWaveformHeader(h: WaveformHeader, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(WAVEFORM_HEADER_SIZE);
  const v = viewOf(dst);
  need(v, offset, WAVEFORM_HEADER_SIZE, 'encodeWaveformHeader');
  writeWaveformHeader(h, v, offset);
  return dst;
}

export function decodeEncodingCounters(bytes: Uint8Array, offset = 0): EncodingCounters {
  const v = viewOf(bytes);
  need(v, offset, ENCODING_COUNTERS_SIZE, 'decodeEncodingCounters');
  return readEncodingCounters(v, offset);
}

export function encodeEncodingCounters(c: EncodingCounters, out?: Uint8Array, offset = 0): Uint8Array {
  const dst = out ?? new Uint8Array(ENCODING_COUNTERS_SIZE);
  const v = viewOf(dst);
  need(v, offset, ENCODING_COUNTERS_SIZE, 'encodeEncodingCounters');
  writeEncodingCounters(c, v, offset);
  return dst;
}

// ---------------------------------------------------------------- copies

function cloneEncodingCounters(c: EncodingCounters): EncodingCounters {
  return { ...c, user: c.user.slice() };
}

export function cloneAcquisitionHeader(h: AcquisitionHeader): AcquisitionHeader {
  return {
    ...h,
    physiology_time_stamp: h.physiology_time_stamp.slice(),
    channel_mask: h.channel_mask.slice(),
    position: h.position.slice(),
    read_dir: h.read_dir.slice(),
    phase_dir: h.phase_dir.slice(),
    slice_dir: h.slice_dir.slice(),
    patient_table_position: h.patient_table_position.slice(),
    idx: cloneEncodingCounters(h.idx),
    user_int: h.user_int.slice(),
    user_float: h.user_float.slice(),
  };
}

export function cloneImageHeader(h: ImageHeader): ImageHeader {
  return {
    ...h,
    matrix_size: h.matrix_size.slice(),
    field_of_view: h.field_of_view.slice(),
    position: h.position.slice(),
    read_dir: h.read_dir.slice(),
    phase_dir: h.phase_dir.slice(),
    slice_dir: h.slice_dir.slice(),
    patient_table_position: h.patient_table_position.slice(),
    physiology_time_stamp: h.physiology_time_stamp.slice(),
    user_int: h.user_int.slice(),
    user_float: h.user_float.slice(),
  };
}

export function cloneWaveformHeader(h: WaveformHeader): WaveformHeader {
  return { ...h };
}
