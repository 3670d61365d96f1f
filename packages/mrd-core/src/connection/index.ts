// The connection contract (MrdConnection, MrdMessage) and its socket implementation.
export type { MrdMessage, MrdConnection, TextLogLevel } from './types.js';
export { SocketConnection, formatLogging, type SocketConnectionOptions, type ChunkReleasingStream, type MessageCounters, type MrdMessageType } from './socket-connection.js';
