/**
 * The binary responses of mrd-view's server (pixels, samples, trajectories): a JSON part and
 * typed arrays in one body, so the page gets numbers as they are, with no text conversion.
 *
 * Layout: u32 (little-endian) byte length of the JSON text, the JSON (UTF-8), zero padding to a
 * multiple of 8, then the arrays back to back, each padded to 8 bytes. The JSON holds the
 * caller's fields plus `arrays`: [name, type, offset, length] per array (offset in bytes from
 * the start of the body, length in elements). Shared by the server (encode) and the page
 * (decode); little-endian throughout, as every machine that runs either is.
 */

export type ArrayType = 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'f64';
export type TypedArray = Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

const CTORS = {
  u8: Uint8Array, i16: Int16Array, u16: Uint16Array, i32: Int32Array, u32: Uint32Array, f32: Float32Array, f64: Float64Array,
} as const;

function arrayType(a: TypedArray): ArrayType {
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Int16Array) return 'i16';
  if (a instanceof Uint16Array) return 'u16';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  if (a instanceof Float32Array) return 'f32';
  return 'f64';
}

const pad8 = (n: number) => (n + 7) & ~7;

/** One body of `json` plus the named arrays. */
export function encodeEnvelope(json: Record<string, unknown>, arrays: Record<string, TypedArray>): Uint8Array {
  const names = Object.keys(arrays);
  // offsets depend on the JSON length, which depends on the offsets: settle it in two passes
  let headerEnd = 0;
  let table: [string, ArrayType, number, number][] = [];
  let text = '';
  for (let pass = 0; pass < 3; pass++) {
    let off = headerEnd;
    table = names.map((n) => {
      const a = arrays[n]!;
      const e: [string, ArrayType, number, number] = [n, arrayType(a), off, a.length];
      off = pad8(off + a.byteLength);
      return e;
    });
    text = JSON.stringify({ ...json, arrays: table });
    const end = pad8(4 + new TextEncoder().encode(text).length);
    if (end === headerEnd) break;
    headerEnd = end;
  }
  const bytes = new TextEncoder().encode(text);
  const last = table[table.length - 1];
  const total = last ? pad8(last[2] + arrays[last[0]]!.byteLength) : pad8(4 + bytes.length);
  const out = new Uint8Array(Math.max(total, pad8(4 + bytes.length)));
  new DataView(out.buffer).setUint32(0, bytes.length, true);
  out.set(bytes, 4);
  for (const [n, , off] of table) {
    const a = arrays[n]!;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
  }
  return out;
}

/** The JSON part and the arrays (views into `buf`, which must be 8-byte aligned: a fresh ArrayBuffer is). */
export function decodeEnvelope<T = Record<string, unknown>>(buf: ArrayBuffer): { json: T; arrays: Record<string, TypedArray> } {
  const n = new DataView(buf).getUint32(0, true);
  const json = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as T & { arrays: [string, ArrayType, number, number][] };
  const arrays: Record<string, TypedArray> = {};
  for (const [name, type, off, len] of json.arrays) arrays[name] = new CTORS[type](buf, off, len);
  return { json, arrays };
}
