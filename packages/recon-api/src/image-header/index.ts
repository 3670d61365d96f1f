// Image headers and meta attributes of images made from readouts (Image.from_array, mrdhelper).
export { dataTypeOf, imageHeaderFromArray, updateImageHeaderFromRaw } from './image-header.js';
export { standardImageMeta } from './standard-image-meta.js';
