// The ISMRMRD binary header records (acquisition, image, waveform, encoding counters): types,
// byte-exact codecs, flags.
export {
  ACQUISITION_HEADER_SIZE, type AcquisitionHeader, emptyAcquisitionHeader, emptyEncodingCounters,
  emptyImageHeader, emptyWaveformHeader, type EncodingCounters, IMAGE_HEADER_SIZE, type ImageHeader,
  WAVEFORM_HEADER_SIZE, type WaveformHeader,
} from './types.js';
export {
  cloneAcquisitionHeader, cloneImageHeader, cloneWaveformHeader,
  decodeAcquisitionHeader, decodeEncodingCounters, decodeImageHeader, decodeWaveformHeader,
  encodeAcquisitionHeader, encodeEncodingCounters, encodeImageHeader, encodeWaveformHeader,
  readAcquisitionHeader, readImageHeader,
  readWaveformHeader, writeAcquisitionHeader, writeImageHeader,
  writeWaveformHeader,
} from './codec.js';
export {
  clearAcquisitionFlag, clearAllAcquisitionFlags, clearAllImageFlags, clearImageFlag,
  isAcquisitionFlagSet, isChannelOn, isFlagSet, isImageFlagSet, setAcquisitionFlag, setChannelOff,
  setChannelOn, setImageFlag, withFlag,
} from './flags.js';
