/**
 * A small MRD stream with one message of every type (config file and text, header, text,
 * acquisitions, images of two data types, a waveform, an NDArray, CLOSE), for the decoder's and
 * the frame scanner's tests; `after` is appended behind CLOSE.
 */
import type { MrdMessage } from '../connection/types.js';
import { DataType } from '../constants/index.js';
import { createAcquisition, createImage, createWaveform } from '../messages/create.js';
import { encodeMessages } from '../stream/encoder.js';
import { encodeNdArray } from '../stream/ndarray.js';

export function everyMessageTypeStream(after: MrdMessage[] = []): Uint8Array {
  const acq = createAcquisition({ head: { number_of_samples: 32, active_channels: 3, trajectory_dimensions: 2 } });
  return encodeMessages([
    { type: 'config_file', name: 'simplefft' },
    { type: 'config_text', text: '{"parameters": {}}' },
    { type: 'header', xml: '<?xml version="1.0"?><ismrmrdHeader></ismrmrdHeader>' },
    { type: 'text', text: 'INFO     hello' },
    { type: 'acquisition', acquisition: acq },
    { type: 'image', image: createImage({ dataType: DataType.CXDOUBLE, matrixSize: [4, 4, 2], channels: 2, attribute: '<ismrmrdMeta></ismrmrdMeta>' }) },
    { type: 'image', image: createImage({ dataType: DataType.USHORT, matrixSize: [7, 3, 1], channels: 3 }) },
    { type: 'waveform', waveform: createWaveform({ head: { number_of_samples: 9, channels: 2 } }) },
    { type: 'ndarray', bytes: encodeNdArray({ data_type: DataType.INT, dims: [2, 2, 2], data: new Int32Array(8) }) },
    { type: 'acquisition', acquisition: acq },
    { type: 'close' },
    ...after,
  ]);
}
