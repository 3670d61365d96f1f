// Public surface of @mrd-tools/core/mrd-v2: the MRD v2 (yardl) model, its binary and NDJSON
// encodings, and the mapping to and from MRD v1 messages. Re-exports only.
export * from './model/types.js';
export { MRD_SCHEMA, MRD_NOISE_COVARIANCE_SCHEMA } from './model/schema.js';
export { STREAM_ITEM_CODECS, Header as HeaderCodec, StreamItem as StreamItemCodec, NoiseCovariance as NoiseCovarianceCodec } from './model/codecs.js';
export type { Codec } from './codec/codec.js';
export { DecodeFault } from './codec/binary-reader.js';
export { parseJson, stringifyJson, jsonFloat, type JsonValue, type JsonObject } from './codec/json.js';
export { dateFromDays, daysFromDate, formatTime, parseTime } from './codec/codec.js';
export * from './binary/preamble.js';
export * from './binary/decoder.js';
export * from './binary/encoder.js';
export * from './ndjson/ndjson.js';
export { headerToV1, headerToV2, headerV1Xml, UPSTREAM_HEADER_LOSSES, type HeaderMapping } from './v1-mapping/header.js';
export * from './v1-mapping/items.js';
export * from './v1-mapping/stream.js';
export * from './binary/noise-covariance.js';
