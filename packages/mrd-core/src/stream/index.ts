// The MRD v1 stream codec: message decoder and encoder, frame scanner, protocol errors, NDArray payloads.
export { MrdProtocolError, type MrdProtocolErrorDetails, type MrdProtocolErrorReason } from './errors.js';
export {
  decodeMessages, decodeStream, DEFAULT_MAX_MESSAGE_SIZE, frameLength, MrdStreamDecoder,
  type MrdStreamDecoderOptions, type MrdStreamDecoderStats,
} from './decoder.js';
export {
  encodedMessageLength, encodeMessage, encodeMessageInto, encodeMessages,
  messageIdOf,
} from './encoder.js';
export { decodeNdArray, encodeNdArray, type NdArray } from './ndarray.js';
export { AssemblyArena, type ArenaBlock } from './assembly-arena.js';
export { MrdFrameScanner } from './frame-scanner.js';
export { decodeCString } from './text.js';
