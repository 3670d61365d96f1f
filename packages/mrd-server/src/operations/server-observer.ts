/**
 * The hooks through which mrd-server's listener (server.ts) tells the operational surface what
 * happens to each connection, without knowing about metrics or log formats. All calls come on
 * the main thread; a connection is identified by its ClientConnection.
 */
import type { ClientConnection } from '../client-connection.js';
import type { Duplex } from 'node:stream';
import type { SessionFact } from './session-facts.js';
import type { LogContext } from './log-context.js';
import { logger } from '@mrd-tools/core/logging';

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

/**
 * One observer telling several, in order (the first log context given wins). An observer that
 * throws is logged and does not keep the others, or the server, from their work.
 */
export function combineObservers(list: ServerObserver[]): ServerObserver {
  const each = (what: string, fn: (o: ServerObserver) => void) => {
    for (const o of list) {
      try {
        fn(o);
      } catch (err) {
        logger.error(`Server observer failed in ${what}: ${(err as Error).message}`);
      }
    }
  };
  return {
    connectionOpened: (c) => each('connectionOpened', (o) => o.connectionOpened(c)),
    sessionStarted: (c, s) => each('sessionStarted', (o) => o.sessionStarted(c, s)),
    sessionEnded: (c) => each('sessionEnded', (o) => o.sessionEnded(c)),
    refused: (c, r) => each('refused', (o) => o.refused(c, r)),
    fact: (c, f) => each('fact', (o) => o.fact(c, f)),
    connectionClosed: (c) => each('connectionClosed', (o) => o.connectionClosed(c)),
    logContext: (c) => {
      for (const o of list) {
        const ctx = o.logContext(c);
        if (ctx) return ctx;
      }
      return undefined;
    },
  };
}
