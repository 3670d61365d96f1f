/**
 * The server's view of the wire: mrd-core's SocketConnection over the session's byte stream
 * (the net.Socket itself in `-m` processes, the relayed PortSocket in worker threads).
 *
 * The ring that borrowed messages are assembled in (16 MB) is kept on the thread from session to
 * session: a fresh one's first touch cost about 50 ms per session (page faults; rewriting warm
 * memory, about 1 ms). Sessions running at once on one thread each get their own; a session's
 * ring is given back when its byte stream has closed.
 */
import type { Duplex } from 'node:stream';
import { SocketConnection } from '@mrd-tools/core/connection';
import { AssemblyArena } from '@mrd-tools/core/stream';

/** Decoded-but-unconsumed bytes at which a session stops reading its socket (bounds memory). */
const READ_HIGH_WATER = 16 * 1024 * 1024;
/** The assembly ring of a session's borrowed messages. */
export const WIRE_ARENA_BYTES = 16 * 1024 * 1024;

/** The thread's ring not in use by a session (null: in use, or none made yet). */
let spareArena: AssemblyArena | null = null;
/** Per wire: gives its ring back (once its byte stream has closed and its session has ended). */
const endOf = new WeakMap<SocketConnection, () => void>();

/**
 * The wire of a session on `io`; its ring serves the thread's next session once `io` has closed
 * (nothing more can be decoded into it) and the session has ended (`closeWireConnection`: its
 * module is done with every message).
 */
export function openWireConnection(io: Duplex): SocketConnection {
  const arena = spareArena ?? new AssemblyArena(WIRE_ARENA_BYTES);
  spareArena = null;
  let pending = 2;
  const done = () => {
    if (--pending === 0 && spareArena === null) spareArena = arena;
  };
  if (io.destroyed) pending--;
  else io.once('close', done);
  const wire = new SocketConnection(io, { readHighWaterMark: READ_HIGH_WATER, borrowArena: arena });
  endOf.set(wire, done);
  return wire;
}

/** The session on `wire` has ended (see openWireConnection). */
export function closeWireConnection(wire: unknown): void {
  if (!(wire instanceof SocketConnection)) return;
  const done = endOf.get(wire);
  endOf.delete(wire);
  done?.();
}
