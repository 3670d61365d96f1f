export { MrdWriter, type MrdWriterCreateOptions, type MrdWriterOpenOptions, type AppendImageOptions } from './mrd-writer.js';
export { Hdf5FileWriter, ChunkedDataset, VlenHeap, usageError, type Hdf5WriterOptions, type RecordEncoder } from './hdf5-file-writer.js';
export * as mrdHdf5Types from './mrd-datatypes.js';
