// The session preamble (config, XML header, JSON additional config) of mrd-server and the replay.
export {
  printableConfigName, readSessionPreamble,
  type MessageSource, type PreambleHooks, type SessionPreamble,
} from './preamble.js';
