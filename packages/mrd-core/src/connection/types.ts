/**
 * The contract between the streaming layer and everything that consumes or produces MRD
 * messages: recon modules (built-in and user modules), the server, the client.
 *
 * A module receives an `MrdConnection`. Iterating it yields every incoming message up to (not
 * including) CLOSE; the send functions resolve once the bytes are handed to the socket within
 * its buffer limit (backpressure), so a module that sends faster than the peer reads waits.
 * In the server, a module may run in a worker thread or a child process; it then receives a
 * proxy implementing this same interface.
 */
import type { Acquisition, Image, Waveform } from '../messages/types.js';

/*
 * `raw` (optional, set by the stream decoder only when needed): the exact payload bytes received
 * for a text-like message when the default encoding (utf8(text) + NUL; for config_file the name
 * NUL-padded to 1024 bytes) would not reproduce them. The encoder writes `raw` back as long as it
 * still decodes to the message's text, so decoded streams re-encode byte for byte.
 */
export type MrdMessage =
  | { type: 'config_file'; name: string; raw?: Uint8Array }
  | { type: 'config_text'; text: string; raw?: Uint8Array }
  | { type: 'header'; xml: string; raw?: Uint8Array }
  | { type: 'text'; text: string; raw?: Uint8Array }
  | { type: 'acquisition'; acquisition: Acquisition }
  | { type: 'image'; image: Image }
  | { type: 'waveform'; waveform: Waveform }
  | { type: 'ndarray'; bytes: Uint8Array }
  | { type: 'close' };

/** Logging levels of the reference's TEXT convention: `"INFO    " + text` (name padded to 8). */
export type TextLogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export interface MrdConnection extends AsyncIterable<MrdMessage> {
  sendConfigFile(name: string): Promise<void>;
  sendConfigText(text: string): Promise<void>;
  sendHeader(xml: string): Promise<void>;
  sendText(text: string): Promise<void>;
  /** A TEXT message in the reference's logging convention, e.g. sendLogging('ERROR', 'boom'). */
  sendLogging(level: TextLogLevel, text: string): Promise<void>;
  sendAcquisition(acq: Acquisition | Acquisition[]): Promise<void>;
  sendImage(img: Image | Image[]): Promise<void>;
  sendWaveform(wav: Waveform | Waveform[]): Promise<void>;
  sendClose(): Promise<void>;
  /**
   * Optional. The consumer declares that from now on it is done with each message it iterates
   * (payloads included) once it asks for the next one, copying what it keeps: the connection may
   * then reuse the memory of messages that spanned socket reads (no fresh buffer per message).
   * Connections that cannot reuse memory do not implement it; calling it is then a no-op.
   */
  borrowPayloads?(): void;
}
