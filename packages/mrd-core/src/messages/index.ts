// The MRD data objects (acquisition, image, waveform): types, constructors, sizes, pixel types.
export type { Acquisition, Image, ImagePixels, Waveform } from './types.js';
export {
  acquisitionDataBytes, acquisitionMessageBytes, acquisitionTrajBytes, cloneAcquisition, cloneImage,
  cloneWaveform, createAcquisition, type CreateAcquisitionOptions, createImage, type CreateImageOptions,
  createWaveform, type CreateWaveformOptions, dataTypeOfPixels, elementsPerPixel, imageDataBytes,
  imageMessageBytes, imagePixelCount, isComplexDataType, pixelArrayConstructor, pixelView,
  setImageAttribute, utf8Length, waveformDataBytes, waveformMessageBytes,
} from './create.js';
