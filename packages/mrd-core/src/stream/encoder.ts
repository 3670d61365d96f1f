/**
 * MRD stream encoder: messages to bytes, exactly as the reference writes them (u16 id, then the
 * payload; text + NUL with the NUL counted; 1024-byte NUL-padded config name; u64 attribute
 * length before the image attribute; waveform header padding zero). A message decoded with
 * `raw` bytes (text the default encoding would not reproduce) is written back with them, as long
 * as they still decode to the message's text.
 *
 * The output is one contiguous buffer per call (payloads copied once, so a caller may reuse its
 * arrays as soon as the call returns). `encodeMessages` packs a batch into one buffer.
 */
import { MessageId, isDataType, sizeofDataType, dataTypeName } from '../constants/index.js';
import { writeAcquisitionHeader, writeImageHeader, writeWaveformHeader } from '../headers/codec.js';
import { ACQUISITION_HEADER_SIZE, IMAGE_HEADER_SIZE, WAVEFORM_HEADER_SIZE } from '../headers/types.js';
import type { MrdMessage } from '../connection/types.js';
import type { Acquisition, Image, Waveform } from '../messages/types.js';
import { imageDataBytes } from '../messages/create.js';
import { decodeCString, utf8Encode } from './text.js';

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function checkAcquisition(a: Acquisition): void {
  const h = a.head;
  const nt = h.number_of_samples * h.trajectory_dimensions;
  const nd = 2 * h.number_of_samples * h.active_channels;
  if (a.traj.length !== nt) {
    throw new RangeError(`acquisition scan_counter ${h.scan_counter}: traj has ${a.traj.length} floats, header implies ${nt} (number_of_samples ${h.number_of_samples} x trajectory_dimensions ${h.trajectory_dimensions})`);
  }
  if (a.data.length !== nd) {
    throw new RangeError(`acquisition scan_counter ${h.scan_counter}: data has ${a.data.length} floats, header implies ${nd} (2 x active_channels ${h.active_channels} x number_of_samples ${h.number_of_samples})`);
  }
}

function checkImage(img: Image): void {
  const h = img.head;
  if (!isDataType(h.data_type)) throw new RangeError(`image ${h.image_index}: data_type ${h.data_type} is not one of 1..8`);
  const want = imageDataBytes(h);
  const perElement = sizeofDataType(h.data_type) / (h.data_type >= 7 ? 2 : 1);
  if (img.data.byteLength !== want || img.data.BYTES_PER_ELEMENT !== perElement) {
    throw new RangeError(`image ${h.image_index}: data is ${img.data.constructor.name}[${img.data.length}], header implies ${dataTypeName(h.data_type)} ${h.channels}x${h.matrix_size.join('x')} (${want} bytes)`);
  }
}

function checkWaveform(w: Waveform): void {
  const h = w.head;
  const n = h.number_of_samples * h.channels;
  if (w.data.length !== n) {
    throw new RangeError(`waveform scan_counter ${h.scan_counter}: data has ${w.data.length} values, header implies ${n} (channels ${h.channels} x number_of_samples ${h.number_of_samples})`);
  }
}

/** Payload bytes of a text-like message: `raw` when consistent with the text, else utf8(text) + NUL. */
function textPayload(text: string, raw: Uint8Array | undefined): Uint8Array {
  if (raw && decodeCString(raw) === text) return raw;
  const enc = utf8Encode(text);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}

function configFilePayload(name: string, raw: Uint8Array | undefined): Uint8Array {
  if (raw && raw.length === 1024 && decodeCString(raw) === name) return raw;
  const enc = utf8Encode(name);
  if (enc.length > 1024) throw new RangeError(`config file name is ${enc.length} bytes in UTF-8; MRD allows at most 1024`);
  const out = new Uint8Array(1024);
  out.set(enc);
  return out;
}

/** A message prepared for writing: its size and the variable parts already encoded. */
interface Prepared {
  msg: MrdMessage;
  size: number;
  bytes?: Uint8Array;
}

function prepare(msg: MrdMessage): Prepared {
  switch (msg.type) {
    case 'acquisition': {
      const a = msg.acquisition;
      checkAcquisition(a);
      return { msg, size: 2 + ACQUISITION_HEADER_SIZE + a.traj.byteLength + a.data.byteLength };
    }
    case 'image': {
      const img = msg.image;
      checkImage(img);
      const attr = img.attribute ? utf8Encode(img.attribute) : new Uint8Array(0);
      return { msg, size: 2 + IMAGE_HEADER_SIZE + 8 + attr.length + img.data.byteLength, bytes: attr };
    }
    case 'waveform':
      checkWaveform(msg.waveform);
      return { msg, size: 2 + WAVEFORM_HEADER_SIZE + msg.waveform.data.byteLength };
    case 'close':
      return { msg, size: 2 };
    case 'config_file': {
      const b = configFilePayload(msg.name, msg.raw);
      return { msg, size: 2 + 1024, bytes: b };
    }
    case 'config_text':
    case 'text': {
      const b = textPayload(msg.text, msg.raw);
      return { msg, size: 6 + b.length, bytes: b };
    }
    case 'header': {
      const b = textPayload(msg.xml, msg.raw);
      return { msg, size: 6 + b.length, bytes: b };
    }
    case 'ndarray':
      return { msg, size: 2 + msg.bytes.length };
    default: {
      const never: never = msg;
      throw new TypeError(`not an MRD message: ${JSON.stringify((never as { type?: unknown }).type)}`);
    }
  }
}

const ID_OF: Record<MrdMessage['type'], number> = {
  config_file: MessageId.CONFIG_FILE,
  config_text: MessageId.CONFIG_TEXT,
  header: MessageId.HEADER,
  close: MessageId.CLOSE,
  text: MessageId.TEXT,
  acquisition: MessageId.ACQUISITION,
  image: MessageId.IMAGE,
  waveform: MessageId.WAVEFORM,
  ndarray: MessageId.NDARRAY,
};

/** The message id a message is sent with. */
export function messageIdOf(msg: MrdMessage): number {
  return ID_OF[msg.type];
}

function write(pr: Prepared, out: Uint8Array, dv: DataView, o: number): number {
  const msg = pr.msg;
  dv.setUint16(o, ID_OF[msg.type], true);
  o += 2;
  switch (msg.type) {
    case 'acquisition': {
      const a = msg.acquisition;
      writeAcquisitionHeader(a.head, dv, o);
      o += ACQUISITION_HEADER_SIZE;
      out.set(bytesOf(a.traj), o);
      o += a.traj.byteLength;
      out.set(bytesOf(a.data), o);
      return o + a.data.byteLength;
    }
    case 'image': {
      const img = msg.image;
      const attr = pr.bytes!;
      writeImageHeader(img.head, dv, o);
      // attribute_string_len always states the real length (as the ISMRMRD libraries keep it).
      dv.setUint32(o + 194, attr.length, true);
      o += IMAGE_HEADER_SIZE;
      dv.setUint32(o, attr.length, true);
      dv.setUint32(o + 4, 0, true);
      o += 8;
      out.set(attr, o);
      o += attr.length;
      out.set(bytesOf(img.data), o);
      return o + img.data.byteLength;
    }
    case 'waveform': {
      const w = msg.waveform;
      writeWaveformHeader(w.head, dv, o);
      o += WAVEFORM_HEADER_SIZE;
      out.set(bytesOf(w.data), o);
      return o + w.data.byteLength;
    }
    case 'close':
      return o;
    case 'config_file':
      out.set(pr.bytes!, o);
      return o + 1024;
    case 'config_text':
    case 'text':
    case 'header':
      dv.setUint32(o, pr.bytes!.length, true);
      out.set(pr.bytes!, o + 4);
      return o + 4 + pr.bytes!.length;
    case 'ndarray':
      out.set(msg.bytes, o);
      return o + msg.bytes.length;
  }
}

function allocate(n: number): Uint8Array {
  // Every byte is written below, so the unzeroed allocation is safe and saves a pass.
  return Buffer.allocUnsafe(n);
}

/** Bytes `msg` takes on the wire (id included). */
export function encodedMessageLength(msg: MrdMessage): number {
  return prepare(msg).size;
}

/** Encodes one message into a new buffer. */
export function encodeMessage(msg: MrdMessage): Uint8Array {
  const pr = prepare(msg);
  const out = allocate(pr.size);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  write(pr, out, dv, 0);
  return out;
}

/** Encodes a batch of messages into one buffer, in order. */
export function encodeMessages(msgs: Iterable<MrdMessage>): Uint8Array {
  const prs: Prepared[] = [];
  let total = 0;
  for (const m of msgs) {
    const pr = prepare(m);
    prs.push(pr);
    total += pr.size;
  }
  const out = allocate(total);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = 0;
  for (const pr of prs) o = write(pr, out, dv, o);
  return out;
}

/** Encodes into `out` at `offset` (which must have room: see encodedMessageLength); returns the end offset. */
export function encodeMessageInto(msg: MrdMessage, out: Uint8Array, offset = 0): number {
  const pr = prepare(msg);
  if (offset + pr.size > out.length) throw new RangeError(`encodeMessageInto: needs ${pr.size} bytes at ${offset}, buffer has ${out.length - offset}`);
  return write(pr, out, new DataView(out.buffer, out.byteOffset, out.byteLength), offset);
}

