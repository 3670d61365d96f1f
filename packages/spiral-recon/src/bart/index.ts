// BART interop: .cfl/.hdr arrays and the bart executable runner with version adaptation.
export { type CflArray, parseCflHeader, readCfl, writeCfl } from './cfl.js';
export {
  adaptBartArgs, Bart, BartNotFoundError,
  type BartVersion, parseBartVersion, splitBartCommand,
} from './runner.js';
