/**
 * The server's view of the wire: mrd-core's SocketConnection over the session's byte stream
 * (the net.Socket itself in `-m` processes, the relayed PortSocket in worker threads).
 */
import type { Duplex } from 'node:stream';
import { SocketConnection } from '@mrd-tools/core/connection';

/** Decoded-but-unconsumed bytes at which a session stops reading its socket (bounds memory). */
const READ_HIGH_WATER = 16 * 1024 * 1024;

export function openWireConnection(io: Duplex): SocketConnection {
  return new SocketConnection(io, { readHighWaterMark: READ_HIGH_WATER });
}

