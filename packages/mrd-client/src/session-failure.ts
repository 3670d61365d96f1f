/**
 * A client session that did not complete, with what the batch runner needs to decide whether a
 * new session may help (batch/retry-policy.ts): whether the server's CLOSE arrived, the ERROR
 * texts it sent, whether any result arrived. The message is the one line the client has always
 * printed.
 */
export interface SessionFailureFacts {
  /** The server's CLOSE arrived (it ended the session itself). */
  closeReceived: boolean;
  /** ERROR / CRITICAL texts the server sent. */
  serverErrors: string[];
  /** Some image, acquisition or waveform came back (the output holds them, marked incomplete). */
  receivedData: boolean;
}

export class SessionFailedError extends Error {
  constructor(message: string, readonly facts: SessionFailureFacts) {
    super(message);
  }
}
