/**
 * The model's second protocol, `MrdNoiseCovariance` (one step: a NoiseCovariance), in both
 * encodings, as upstream's BinaryMrdNoiseCovarianceWriter / NDJsonMrdNoiseCovarianceWriter write
 * it: the same magic and version, its own schema, then the record (binary), or the yardl line and
 * `{"noiseCovariance": ...}` (NDJSON). The value is small (a coil x coil matrix), so it is read
 * from a whole buffer; the size limit guards it as any stream item.
 */
import { MrdProtocolError } from '../../stream/errors.js';
import { BinaryReader, DecodeFault, NEED_MORE } from '../codec/binary-reader.js';
import { BinaryWriter } from '../codec/binary-writer.js';
import { ValueFault } from '../codec/codec.js';
import { JsonSyntaxError, jsonEqual, parseJson } from '../codec/json.js';
import { NoiseCovariance as NoiseCovarianceCodec } from '../model/codecs.js';
import { MRD_NOISE_COVARIANCE_SCHEMA } from '../model/schema.js';
import type { NoiseCovariance } from '../model/types.js';
import { DEFAULT_MAX_ITEM_SIZE } from './decoder.js';
import { valueError } from './encoder.js';
import { BINARY_FORMAT_VERSION, YARDL_MAGIC } from './preamble.js';

function preamble(): Uint8Array {
  const s = new TextEncoder().encode(MRD_NOISE_COVARIANCE_SCHEMA);
  const w = new BinaryWriter();
  w.raw(YARDL_MAGIC);
  w.raw(new Uint8Array(new Uint32Array([BINARY_FORMAT_VERSION]).buffer));
  w.u(s.length);
  w.raw(s);
  return w.takeContiguous();
}

let cached: Uint8Array | undefined;

/** The first bytes of every MrdNoiseCovariance binary stream (magic, version, its schema). */
export function noiseCovariancePreamble(): Uint8Array {
  return (cached ??= preamble());
}

export function encodeMrdNoiseCovariance(value: NoiseCovariance): Uint8Array {
  const w = new BinaryWriter();
  w.raw(noiseCovariancePreamble());
  try {
    NoiseCovarianceCodec.write(w, value);
  } catch (e) {
    throw valueError(e, 'noiseCovariance');
  }
  return w.takeContiguous();
}

export function decodeMrdNoiseCovariance(bytes: Uint8Array, opts: { maxItemSize?: number } = {}): NoiseCovariance {
  const pre = noiseCovariancePreamble();
  for (let i = 0; i < pre.length; i++) {
    if (bytes[i] !== pre[i]) {
      const what = i >= bytes.length ? 'the stream ended inside its preamble' : i < 5 ? 'not an MRD v2 stream (magic)' : i < 9 ? 'unsupported yardl binary format version' : 'the schema is not the one of MRD 2.2.1\'s MrdNoiseCovariance protocol';
      throw new MrdProtocolError(`MRD v2 noise covariance offset ${i}: ${what}`, { reason: i >= bytes.length ? 'truncated' : 'invalid-field', offset: i });
    }
  }
  const r = new BinaryReader();
  r.reset(bytes, pre.length, bytes.length, 0, opts.maxItemSize ?? DEFAULT_MAX_ITEM_SIZE);
  try {
    const v = NoiseCovarianceCodec.read(r);
    if (r.pos !== bytes.length) throw r.fault('invalid-field', `${bytes.length - r.pos} bytes follow the noise covariance`);
    return v;
  } catch (e) {
    if (e === NEED_MORE) throw new MrdProtocolError(`MRD v2 noise covariance offset ${r.offset}: the stream ended inside the noise covariance`, { reason: 'truncated', offset: pre.length });
    if (e instanceof DecodeFault) {
      throw new MrdProtocolError(`MRD v2 noise covariance offset ${e.offset}: ${e.path.join('.').replace(/\.\[/g, '[')}: ${e.detail}`, { reason: e.reason, offset: e.offset });
    }
    throw e;
  }
}

export function encodeMrdNoiseCovarianceNdjson(value: NoiseCovariance): string {
  let v: string;
  try {
    v = NoiseCovarianceCodec.json(value);
  } catch (e) {
    throw valueError(e, 'noiseCovariance');
  }
  return `{"yardl":{"version":1,"schema":${MRD_NOISE_COVARIANCE_SCHEMA}}}\n{"noiseCovariance":${v}}\n`;
}

export function decodeMrdNoiseCovarianceNdjson(text: string): NoiseCovariance {
  const lines = text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
  try {
    const first = parseJson(lines[0] ?? '');
    const y = first instanceof Map ? first.get('yardl') : undefined;
    if (!(y instanceof Map) || y.get('version') !== 1) throw new ValueFault('not a yardl NDJSON stream of version 1');
    const schema = y.get('schema');
    if (schema === undefined || !jsonEqual(schema, parseJson(MRD_NOISE_COVARIANCE_SCHEMA))) {
      throw new ValueFault('the schema is not the one of MRD 2.2.1\'s MrdNoiseCovariance protocol');
    }
    const second = parseJson(lines[1] ?? '');
    if (!(second instanceof Map) || !second.has('noiseCovariance')) throw new ValueFault('expected the line {"noiseCovariance": ...}');
    return NoiseCovarianceCodec.fromJson(second.get('noiseCovariance'));
  } catch (e) {
    if (e instanceof ValueFault) throw new MrdProtocolError(`MRD v2 NDJSON noise covariance: ${e.describe('noiseCovariance')}`, { reason: 'invalid-field' });
    if (e instanceof JsonSyntaxError) throw new MrdProtocolError(`MRD v2 NDJSON noise covariance: not JSON: ${e.message}`, { reason: 'invalid-field' });
    throw e;
  }
}
