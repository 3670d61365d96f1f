export * from './types.js';
export { IsmrmrdHeaderError } from './errors.js';
export { parseIsmrmrdHeader, tryParseIsmrmrdHeader, type HeaderOrText } from './parse.js';
export { serializeIsmrmrdHeader, formatXsdFloat, formatXsdataFloat, type SerializeIsmrmrdHeaderOptions } from './serialize.js';
