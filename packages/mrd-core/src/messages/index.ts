// The MRD data objects (acquisition, image, waveform): types, constructors, sizes, pixel types.
export type { Acquisition, Image, ImagePixels, Waveform } from './types.js';
export {
  acquisitionMessageBytes, cloneAcquisition, cloneImage,
  cloneWaveform, createAcquisition, type CreateAcquisitionOptions, createImage, type CreateImageOptions,
  createWaveform, type CreateWaveformOptions, dataTypeOfPixels, elementsPerPixel, imageDataBytes,
  imageMessageBytes, isComplexDataType, pixelArrayConstructor, setImageAttribute, utf8Length, waveformMessageBytes,
} from './create.js';
