// BART interop: .cfl/.hdr arrays and the `bart` executable runner with version adaptation.
export * from './cfl.js';
export * from './runner.js';
