// BART interop: .cfl/.hdr arrays and the bart executable runner with version adaptation.
export { BART_DIMS, type CflArray, parseCflHeader, readCfl, writeCfl } from './cfl.js';
export {
  adaptBartArgs, Bart, BART_INSTALL_HINT, bartCandidates, BartCommandError, BartNotFoundError,
  type BartVersion, parseBartVersion, splitBartCommand,
} from './runner.js';
