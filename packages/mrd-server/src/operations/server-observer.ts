/**
 * The hooks through which mrd-server's listener (server.ts) tells the operational surface what
 * happens to each connection, without knowing about metrics or log formats. All calls come on
 * the main thread; a connection is identified by its ClientConnection.
 */
import type { ClientConnection } from '../client-connection.js';
import type { Duplex } from 'node:stream';
import type { SessionFact } from './session-facts.js';
import type { LogContext } from './log-context.js';

/** Why a connection was refused before it got a session. */
export type RefusalReason = 'busy' | 'shutting-down' | 'error';

export interface ServerObserver {
  /** A connection was accepted (`conn.label` is the client's address, the real one with PROXY protocol). */
  connectionOpened(conn: ClientConnection): void;
  /** The connection got a session; `stream` carries its bytes to and from the session. */
  sessionStarted(conn: ClientConnection, stream: Duplex): void;
  /** The session's runner has exited. */
  sessionEnded(conn: ClientConnection): void;
  /** The connection was answered with an ERROR text and CLOSE instead of a session. */
  refused(conn: ClientConnection, reason: RefusalReason): void;
  /** Something only the session knows (config, recon time, saved file, ERROR count). */
  fact(conn: ClientConnection, fact: SessionFact): void;
  /** The connection is closed and its session (if any) is over. */
  connectionClosed(conn: ClientConnection): void;
  /** The log context of the connection's lines (JSON logs), if any. */
  logContext(conn: ClientConnection): LogContext | undefined;
}

/** One observer telling several, in order (the first log context given wins). */
export function combineObservers(list: ServerObserver[]): ServerObserver {
  return {
    connectionOpened: (c) => list.forEach((o) => o.connectionOpened(c)),
    sessionStarted: (c, s) => list.forEach((o) => o.sessionStarted(c, s)),
    sessionEnded: (c) => list.forEach((o) => o.sessionEnded(c)),
    refused: (c, r) => list.forEach((o) => o.refused(c, r)),
    fact: (c, f) => list.forEach((o) => o.fact(c, f)),
    connectionClosed: (c) => list.forEach((o) => o.connectionClosed(c)),
    logContext: (c) => {
      for (const o of list) {
        const ctx = o.logContext(c);
        if (ctx) return ctx;
      }
      return undefined;
    },
  };
}
