/**
 * The main thread's side of MRD v2 clients (see v2-session.ts for the session's): which
 * generation a connection speaks, from its first bytes (`detectMrdStream`: the yardl magic, or
 * `{"yardl":` for NDJSON, else v1), and when a v2 connection is worth a session (its preamble is
 * in: magic, version and schema, the same bytes for every MRD 2.2.1 stream, binary or NDJSON).
 */
import { detectMrdStream, MRD_PREAMBLE, type MrdStreamKind } from '@mrd-tools/core/mrd-v2';

export class V2Relay {
  private kind: MrdStreamKind | undefined;
  private pending: Buffer[] = [];

  /** Whether the connection is an MRD v2 client (binary or NDJSON). */
  get active(): boolean {
    return this.kind !== undefined && this.kind !== 'mrd-v1';
  }

  /**
   * Feeds a chunk from the client: null while its first bytes cannot tell the generation yet
   * (the chunk is kept), else the bytes to process (those kept, then the chunk).
   */
  sniff(chunk: Buffer): Buffer | null {
    if (this.kind !== undefined) return chunk;
    this.pending.push(chunk);
    const head = this.pending.length === 1 ? chunk : Buffer.concat(this.pending);
    this.kind = detectMrdStream(head);
    if (this.kind === undefined) return null;
    this.pending = [];
    return head;
  }

  /** The stream ended before its generation was told: it is taken as v1; the bytes kept, if any. */
  endUndecided(): Buffer | null {
    if (this.kind !== undefined) return null;
    this.kind = 'mrd-v1';
    const rest = this.pending.length ? Buffer.concat(this.pending) : null;
    this.pending = [];
    return rest;
  }

  /** Whether a v2 client's bytes held so far are enough to start its session (its preamble). */
  readyAt(heldBytes: number): boolean {
    return heldBytes >= MRD_PREAMBLE.length;
  }
}
