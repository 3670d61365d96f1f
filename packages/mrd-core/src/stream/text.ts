/**
 * Text payloads of the protocol. The reference writes text + NUL and counts the NUL in the
 * length (CONFIG_TEXT, HEADER, TEXT), and a NUL-padded 1024-byte name (CONFIG_FILE); readers
 * cut at the first NUL. Bytes that this default encoding would not reproduce (no NUL, bytes
 * after the NUL, invalid UTF-8) are kept in `raw` so a decoded stream re-encodes byte for byte.
 */
const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Text up to the first NUL (or the end). */
export function decodeCString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

function sameBytes(a: Uint8Array, b: Uint8Array, bOffset: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[bOffset + i]) return false;
  return true;
}

/** Whether `payload` is exactly utf8(text) + NUL. */
export function isDefaultTextPayload(text: string, payload: Uint8Array): boolean {
  const enc = encoder.encode(text);
  return payload.length === enc.length + 1 && payload[enc.length] === 0 && sameBytes(enc, payload, 0);
}

/** Whether `payload` (1024 bytes) is exactly utf8(name) then zeros. */
export function isDefaultConfigFilePayload(name: string, payload: Uint8Array): boolean {
  const enc = encoder.encode(name);
  if (enc.length > payload.length || !sameBytes(enc, payload, 0)) return false;
  for (let i = enc.length; i < payload.length; i++) if (payload[i] !== 0) return false;
  return true;
}
