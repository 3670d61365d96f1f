/**
 * GIF LZW compression of 8-bit index images, written here rather than taken from gifenc: the
 * dictionary is a direct-indexed Uint16Array of 2^20 entries (key = prefix code << 8 | pixel, one
 * load per pixel, no probing; cleared through the list of keys set), where gifenc's hash table
 * probes were the largest single cost of mrd2gif on noisy MRI previews (docs/numerics.md).
 *
 * The code stream and its packing are exactly gifenc 1.0.3's, so the bytes are identical to
 * what gifenc writes (tests compare them byte for byte and decode with omggif): the same
 * moments of code-size growth (including its 4096 bound at 12 bits), the same table clear
 * when the 4096 codes are used up, and data sub-blocks of at most 254 bytes as gifenc writes.
 */

const BITS = 12;
const MAX_CODES = 1 << BITS;
/** Minimum code size of 8-bit indices (gifenc's max(2, colorDepth) with colorDepth 8). */
const INIT_CODE_SIZE = 8;
const CLEAR_CODE = 1 << INIT_CODE_SIZE;
const EOF_CODE = CLEAR_CODE + 1;
/** gifenc flushes its accumulator as a sub-block when it holds 254 bytes. */
const SUB_BLOCK = 254;

let dict: Uint16Array | null = null;
const usedKeys = new Int32Array(MAX_CODES);

/**
 * The most bytes `lzwEncode8` can write for `pixels` pixels: at most one 12-bit code per pixel,
 * plus clear codes, the end code, sub-block length bytes, code-size byte and terminator.
 */
export function lzwBound(pixels: number): number {
  const codes = pixels + 2 + Math.ceil(pixels / (MAX_CODES - CLEAR_CODE - 2));
  const data = Math.ceil((codes * BITS) / 8);
  return data + Math.ceil(data / SUB_BLOCK) + 3;
}

/**
 * Writes the image data of one GIF frame (code-size byte, LZW data sub-blocks, terminator) of
 * the 8-bit index image `pixels` into `out` from `pos`; returns the position after it. `out`
 * must have `lzwBound(pixels.length)` bytes free.
 */
export function lzwEncode8(pixels: Uint8Array, out: Uint8Array, pos: number): number {
  const table = (dict ??= new Uint16Array(1 << 20));
  const used = usedKeys;
  let nUsed = 0;

  const initBits = INIT_CODE_SIZE + 1;
  let nBits = initBits;
  let maxcode = (1 << nBits) - 1;
  let freeEnt = CLEAR_CODE + 2;
  let clearFlag = false;
  let acc = 0;
  let accBits = 0;

  out[pos++] = INIT_CODE_SIZE;
  let blockStart = pos++;
  let count = 0;

  // output(code) of gifenc, inlined where hot: append nBits bits, emit whole bytes into
  // sub-blocks, then grow the code size (or reset it after a clear).
  const output = (code: number): void => {
    acc = accBits > 0 ? acc | (code << accBits) : code;
    accBits += nBits;
    while (accBits >= 8) {
      out[pos++] = acc & 0xff;
      if (++count === SUB_BLOCK) {
        out[blockStart] = SUB_BLOCK;
        blockStart = pos++;
        count = 0;
      }
      acc >>= 8;
      accBits -= 8;
    }
    if (freeEnt > maxcode || clearFlag) {
      if (clearFlag) {
        nBits = initBits;
        maxcode = (1 << nBits) - 1;
        clearFlag = false;
      } else {
        ++nBits;
        maxcode = nBits === BITS ? 1 << nBits : (1 << nBits) - 1;
      }
    }
  };

  output(CLEAR_CODE);
  const n = pixels.length;
  let ent = n > 0 ? pixels[0] : 0;
  for (let i = 1; i < n; i++) {
    const c = pixels[i];
    const key = (ent << 8) | c;
    const code = table[key];
    if (code !== 0) {
      ent = code;
      continue;
    }
    // output(ent), inlined
    acc = accBits > 0 ? acc | (ent << accBits) : ent;
    accBits += nBits;
    while (accBits >= 8) {
      out[pos++] = acc & 0xff;
      if (++count === SUB_BLOCK) {
        out[blockStart] = SUB_BLOCK;
        blockStart = pos++;
        count = 0;
      }
      acc >>= 8;
      accBits -= 8;
    }
    if (freeEnt > maxcode) {
      ++nBits;
      maxcode = nBits === BITS ? 1 << nBits : (1 << nBits) - 1;
    }
    ent = c;
    if (freeEnt < MAX_CODES) {
      table[key] = freeEnt++;
      used[nUsed++] = key;
    } else {
      for (let k = 0; k < nUsed; k++) table[used[k]] = 0;
      nUsed = 0;
      freeEnt = CLEAR_CODE + 2;
      clearFlag = true;
      output(CLEAR_CODE);
    }
  }
  output(ent);
  output(EOF_CODE);
  while (accBits > 0) {
    out[pos++] = acc & 0xff;
    if (++count === SUB_BLOCK) {
      out[blockStart] = SUB_BLOCK;
      blockStart = pos++;
      count = 0;
    }
    acc >>= 8;
    accBits -= 8;
  }
  if (count > 0) out[blockStart] = count;
  else pos = blockStart;
  out[pos++] = 0;
  // leave the table empty for the next frame
  for (let k = 0; k < nUsed; k++) table[used[k]] = 0;
  return pos;
}
