// The HDF5 writer: MRD files (MrdWriter) on a general writer of HDF5 files (Hdf5FileWriter) and
// the datatypes its datasets take.
export { MrdWriter, type MrdWriterCreateOptions, type MrdWriterOpenOptions, type AppendImageOptions } from './mrd-writer.js';
export { Hdf5FileWriter, type Hdf5WriterOptions } from './hdf5-file-writer.js';
export { u32, type Datatype } from '../format/datatype.js';
