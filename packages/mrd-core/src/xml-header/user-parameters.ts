/**
 * User parameter lookups by name and kind in a parsed header (`mrdhelper.get_userParameter*_value`):
 * the first parameter of that name in `userParameters`, or undefined (Python None) when the
 * header has no such parameter. Base64 parameters are decoded to UTF-8 text, as the reference
 * does (`getUserParameterBase64Bytes` gives the raw bytes).
 */
import type { IsmrmrdHeader, UserParameters } from './types.js';

export type UserParameterKind = 'long' | 'double' | 'string' | 'base64';

export class UserParameterError extends Error {
  override name = 'UserParameterError';
}

/** A header (its top-level `userParameters`) or any `userParameters` block (e.g. of a waveformInformation). */
export type UserParameterSource = IsmrmrdHeader | UserParameters | undefined;

function block(source: UserParameterSource): UserParameters | undefined {
  if (!source) return undefined;
  if ('experimentalConditions' in source || 'encoding' in source) return (source as IsmrmrdHeader).userParameters;
  return source as UserParameters;
}

export function getUserParameterLong(source: UserParameterSource, name: string): number | undefined {
  return block(source)?.userParameterLong?.find((p) => p.name === name)?.value;
}

export function getUserParameterDouble(source: UserParameterSource, name: string): number | undefined {
  return block(source)?.userParameterDouble?.find((p) => p.name === name)?.value;
}

export function getUserParameterString(source: UserParameterSource, name: string): string | undefined {
  return block(source)?.userParameterString?.find((p) => p.name === name)?.value;
}

/** Decode base64 as Python's `base64.b64decode` (characters outside the alphabet are skipped; padding must be right). */
export function decodeBase64Strict(text: string, what = 'base64 value'): Uint8Array {
  const clean = text.replace(/[^A-Za-z0-9+/=]/g, '');
  const body = clean.replace(/=+$/, '');
  if (body.includes('=') || clean.length % 4 !== 0 || clean.length - body.length > 2) {
    throw new UserParameterError(`${what}: incorrect base64 padding`);
  }
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

export function getUserParameterBase64Bytes(source: UserParameterSource, name: string): Uint8Array | undefined {
  const p = block(source)?.userParameterBase64?.find((q) => q.name === name);
  return p ? decodeBase64Strict(p.value, `userParameterBase64 ${name}`) : undefined;
}

export function getUserParameterBase64(source: UserParameterSource, name: string): string | undefined {
  const bytes = getUserParameterBase64Bytes(source, name);
  if (!bytes) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserParameterError(`userParameterBase64 ${name}: the decoded bytes are not UTF-8 text`);
  }
}

/** Lookup by kind: long/double give numbers, string/base64 give text. */
export function getUserParameter(source: UserParameterSource, kind: 'long' | 'double', name: string): number | undefined;
export function getUserParameter(source: UserParameterSource, kind: 'string' | 'base64', name: string): string | undefined;
export function getUserParameter(source: UserParameterSource, kind: UserParameterKind, name: string): number | string | undefined;
export function getUserParameter(source: UserParameterSource, kind: UserParameterKind, name: string): number | string | undefined {
  switch (kind) {
    case 'long': return getUserParameterLong(source, name);
    case 'double': return getUserParameterDouble(source, name);
    case 'string': return getUserParameterString(source, name);
    case 'base64': return getUserParameterBase64(source, name);
    default: throw new UserParameterError(`unknown user parameter kind "${String(kind)}" (long, double, string, base64)`);
  }
}
