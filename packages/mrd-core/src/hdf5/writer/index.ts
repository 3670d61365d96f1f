export { MrdWriter, type MrdWriterCreateOptions, type MrdWriterOpenOptions, type AppendImageOptions } from './mrd-writer.js';
export { Hdf5FileWriter, type Hdf5WriterOptions } from './hdf5-file-writer.js';
