/**
 * The error every header parse/serialize failure throws: it names the element path at fault,
 * e.g. `ismrmrdHeader/encoding[1]/encodedSpace/matrixSize/x`.
 */
export class IsmrmrdHeaderError extends Error {
  override name = 'IsmrmrdHeaderError';
  /** Slash-separated element path, with `[i]` (0-based) for repeated elements. */
  readonly path: string;
  /** The problem without the path prefix. */
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(path ? `${path}: ${reason}` : reason);
    this.path = path;
    this.reason = reason;
  }
}
