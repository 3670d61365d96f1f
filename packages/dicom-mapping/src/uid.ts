/**
 * DICOM unique identifiers. New UIDs use the `2.25.<UUID as a decimal integer>` form of
 * PS3.5 B.2, which needs no registered root: random (UUID v4) for new instances and series,
 * name-based (SHA-1 of a namespace and a name, UUID v5 layout) where the same input must always
 * map to the same UID (e.g. a replacement FrameOfReferenceUID derived from an original one).
 */
import { createHash, randomUUID } from 'node:crypto';

function uuidHexToUid(hex: string): string {
  return '2.25.' + BigInt('0x' + hex).toString(10);
}

/** A new random UID (`2.25.` + UUID v4). */
export function generateUid(): string {
  return uuidHexToUid(randomUUID().replace(/-/g, ''));
}

/** A UID that depends only on `namespace` and `name` (`2.25.` + UUID v5 layout of SHA-1). */
export function uidFromName(namespace: string, name: string): string {
  const h = createHash('sha1').update(namespace).update('\0').update(name).digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return uuidHexToUid(b.toString('hex'));
}

/** Whether `uid` is a syntactically valid DICOM UID (PS3.5 9.1). */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(uid);
}
