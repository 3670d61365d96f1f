// Public surface of @mrd-tools/core. Each concept lives in its own folder; this file only re-exports.
export * from './logging/index.js';
export * from './headers/types.js';
export * from './messages/types.js';
export * from './connection/types.js';
export * from './recon-module/types.js';
export * from './phantom/index.js';
export * from './image-series-groups/index.js';
export * from './preview/index.js';
export * from './xml-header/index.js';
export * from './constants/index.js';
export * from './headers/codec.js';
export * from './headers/flags.js';
export * from './messages/create.js';
export * from './stream/index.js';
export * from './hdf5/reader/index.js';
export * from './connection/socket-connection.js';
export * from './meta/index.js';
