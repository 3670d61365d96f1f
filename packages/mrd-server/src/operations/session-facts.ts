/**
 * What a session tells the server's main thread about itself, for the operational surface
 * (metrics, structured logs). The main thread sees a session's bytes and message frames as it
 * relays them; only the session knows which config module it resolved, how long the module ran,
 * what it saved and how many ERROR texts it sent. It reports those over the channel it already
 * has: its worker port (`{ t: 'fact' }` messages) or its `-m` process's IPC channel.
 */

export type SessionFact =
  /** The config module the session runs (after the JSON override and the default fallback); 'none' when no module could be loaded. */
  | { fact: 'config'; config: string }
  /** Seconds the recon module's `process` ran. */
  | { fact: 'recon'; seconds: number }
  /** A data file the session saved (incoming data with `-s`/savedataonly, or the savedata config). */
  | { fact: 'saved'; path: string; bytes: number }
  /** ERROR texts the session sent to its client. */
  | { fact: 'errors'; count: number }
  /**
   * Items an MRD v2 client's stream carried in / the session wrote back. The main thread relays a
   * v2 client's bytes without framing them (it counts v1 messages as it relays them), so only the
   * session can count these.
   */
  | { fact: 'v2-items'; received: number; sent: number };

export type SessionFactSink = (fact: SessionFact) => void;

/** The message carrying a fact on a worker port or an IPC channel. */
export interface SessionFactMessage {
  t: 'fact';
  fact: SessionFact;
}

export function isSessionFactMessage(m: unknown): m is SessionFactMessage {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'fact' && typeof (m as { fact?: unknown }).fact === 'object';
}

/** For sessions nobody observes. */
export const ignoreSessionFacts: SessionFactSink = () => undefined;
