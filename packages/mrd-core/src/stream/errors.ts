/** The one error class of the MRD wire protocol: what went wrong, in which message, where. */
import { describeMessageId, messageIdName } from '../constants/index.js';

export type MrdProtocolErrorReason =
  /** An id that is not a supported message (deprecated, unsupported or unknown). */
  | 'unsupported-message'
  /** A length that exceeds the configured maximum message size. */
  | 'message-too-large'
  /** A header field that makes the message impossible to size (bad data type, ndim...). */
  | 'invalid-field'
  /** The stream ended inside a message. */
  | 'truncated';

export interface MrdProtocolErrorDetails {
  reason: MrdProtocolErrorReason;
  /** Message id at fault, when known. */
  messageId?: number;
  /** Its name, when it is a known (supported or deprecated) id. */
  messageName?: string;
  /** Offset in the stream (bytes from its start) of the message at fault. */
  offset?: number;
}

export class MrdProtocolError extends Error {
  override readonly name = 'MrdProtocolError';
  readonly reason: MrdProtocolErrorReason;
  readonly messageId: number | undefined;
  readonly messageName: string | undefined;
  readonly offset: number | undefined;

  constructor(message: string, details: MrdProtocolErrorDetails) {
    super(message);
    this.reason = details.reason;
    this.messageId = details.messageId;
    this.messageName = details.messageName ?? (details.messageId !== undefined ? messageIdName(details.messageId) : undefined);
    this.offset = details.offset;
  }

  static unsupported(id: number, offset: number): MrdProtocolError {
    return new MrdProtocolError(`unsupported MRD message id ${describeMessageId(id)} at stream offset ${offset}`, {
      reason: 'unsupported-message', messageId: id, offset,
    });
  }
}
