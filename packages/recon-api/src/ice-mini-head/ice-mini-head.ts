/**
 * Siemens IceMiniHead values (`mrdhelper.extract_minihead_*`). Images from a Siemens scanner carry
 * the ICE MiniHeader as base64 text in the meta attribute `IceMiniHead`; its XProtocol text has
 * entries such as
 *
 *   <ParamLong."NoOfCols">  { 128  }
 *   <ParamBool."BIsSeriesEnd">  { "true"  }
 *   <ParamDouble."SliceThickness">  { <Precision> 16  5.0000000000000000  }
 *
 * A value is found as the reference does: the text after `<ParamType."name">` up to the next `}`,
 * stripped of `{`, newlines and spaces, split into lines, lines starting with a `<Tag>` (e.g.
 * `<Precision> 16`) dropped; exactly one line must remain (so a `<Precision>` on the same line
 * as the value yields no value, as in the reference). Defaults when absent: bool false, long 0,
 * double 0; strings lose surrounding quotes and spaces. Unlike the reference (which raises on
 * it), a missing string parameter gives undefined, and regular-expression characters in the
 * name are matched literally.
 */
import type { MetaAttributes } from '@mrd-tools/core/meta';
import { decodeBase64Strict } from '@mrd-tools/core/xml-header';
import { parsePythonFloat, parsePythonInt, PythonValueError } from '@mrd-tools/core/meta';

export type MiniHeadParamType = 'ParamBool' | 'ParamLong' | 'ParamDouble' | 'ParamString';

export class IceMiniHeadError extends Error {
  override name = 'IceMiniHeadError';
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Python str.strip(chars) */
function stripChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** The raw text of one parameter, or undefined when absent or not a single value. */
export function extractMiniHeadParam(miniHead: string, name: string, type: MiniHeadParamType): string | undefined {
  const re = new RegExp(`(?<=<${type}."${escapeRegExp(name)}">)\\s*[^}]*\\s*`, 'u');
  const m = re.exec(miniHead);
  if (!m) return undefined;
  const lines = stripChars(m[0], '{\n ')
    .split('\n')
    .filter((line) => !/^\s*<[\p{L}\p{N}_]+>/u.test(line));
  return lines.length === 1 ? lines[0] : undefined;
}

export function extractMiniHeadBoolParam(miniHead: string, name: string): boolean {
  const v = extractMiniHeadParam(miniHead, name, 'ParamBool');
  return v !== undefined && stripChars(v, '" ').toLowerCase() === 'true';
}

export function extractMiniHeadLongParam(miniHead: string, name: string): number {
  const v = extractMiniHeadParam(miniHead, name, 'ParamLong');
  if (v === undefined) return 0;
  try {
    return parsePythonInt(v);
  } catch (e) {
    throw new IceMiniHeadError(`IceMiniHead ParamLong ${name}: ${(e as PythonValueError).message}`);
  }
}

export function extractMiniHeadDoubleParam(miniHead: string, name: string): number {
  const v = extractMiniHeadParam(miniHead, name, 'ParamDouble');
  if (v === undefined) return 0;
  try {
    return parsePythonFloat(v);
  } catch (e) {
    throw new IceMiniHeadError(`IceMiniHead ParamDouble ${name}: ${(e as PythonValueError).message}`);
  }
}

export function extractMiniHeadStringParam(miniHead: string, name: string): string | undefined {
  const v = extractMiniHeadParam(miniHead, name, 'ParamString');
  return v === undefined ? undefined : stripChars(v, ' "');
}

/** The decoded IceMiniHead text of an image's meta attributes, undefined when it has none. */
export function getIceMiniHead(meta: MetaAttributes): string | undefined {
  const b64 = meta.get('IceMiniHead');
  if (b64 === undefined) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(decodeBase64Strict(b64, 'IceMiniHead'));
  } catch (e) {
    throw new IceMiniHeadError(e instanceof Error ? e.message : String(e));
  }
}
