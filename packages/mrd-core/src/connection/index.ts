export * from './types.js';
export { SocketConnection, formatLogging, type SocketConnectionOptions, type MessageCounters, type MrdMessageType } from './socket-connection.js';
