/**
 * The server's view of the wire: mrd-core's SocketConnection over the session's byte stream
 * (the net.Socket itself in `-m` processes, the relayed PortSocket in worker threads), and
 * header parsing as the reference (parsed, or null to pass the text on).
 */
import type { Duplex } from 'node:stream';
import { SocketConnection } from '@mrd-tools/core/connection';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';

/** Decoded-but-unconsumed bytes at which a session stops reading its socket (bounds memory). */
const READ_HIGH_WATER = 16 * 1024 * 1024;

export function openWireConnection(io: Duplex): SocketConnection {
  return new SocketConnection(io, { readHighWaterMark: READ_HIGH_WATER });
}

/** The parsed ISMRMRD header, or null when the text is not a valid header. */
export function parseHeaderOrNull(xml: string): unknown {
  try {
    return parseIsmrmrdHeader(xml);
  } catch {
    return null;
  }
}
