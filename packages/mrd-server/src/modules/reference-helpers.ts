/**
 * The reference helpers the built-in modules call (ismrmrd.Meta, mrdhelper's user-parameter and
 * JSON-config lookups), in one place so the modules read like the reference.
 *
 * TEMPORARY: the meta-attribute helper (packages/mrd-core/src/meta) has not landed yet; until
 * it does, the minimal Meta parse/serialize below stands in, written to ismrmrd-python's
 * behaviour (ElementTree output). Replace with the core implementation when it lands.
 */
import type { IsmrmrdHeader } from '@mrd-tools/core';
import type { ModuleConfig } from '@mrd-tools/core';

/** ismrmrd.Meta: an ordered map; a single value is a string, several are a list. */
export type Meta = Map<string, string | string[]>;

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (m, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return e[1] === 'x' ? String.fromCodePoint(parseInt(e.slice(2), 16)) : String.fromCodePoint(parseInt(e.slice(1), 10));
    }
  });
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function parseMeta(xml: string): Meta {
  const meta: Meta = new Map();
  const text = xml.replace(/\0+$/, '');
  if (text.trim() === '') return meta;
  const metaRe = /<meta>([\s\S]*?)<\/meta>/g;
  let m: RegExpExecArray | null;
  while ((m = metaRe.exec(text)) !== null) {
    const body = m[1];
    const name = /<name>([\s\S]*?)<\/name>/.exec(body);
    if (!name) throw new Error('meta attribute without <name>');
    const key = unescapeXml(name[1]);
    const values: string[] = [];
    const vRe = /<value>([\s\S]*?)<\/value>|<value\s*\/>/g;
    let v: RegExpExecArray | null;
    while ((v = vRe.exec(body)) !== null) values.push(v[1] === undefined ? '' : unescapeXml(v[1]));
    const value: string | string[] = values.length === 1 ? values[0] : values;
    const existing = meta.get(key);
    if (existing !== undefined) {
      const list = Array.isArray(existing) ? existing : [existing];
      meta.set(key, list.concat(value));
    } else meta.set(key, value);
  }
  return meta;
}

export function serializeMeta(meta: Meta): string {
  let out = "<?xml version='1.0' encoding='UTF-8'?>\n";
  if (meta.size === 0) return out + '<ismrmrdMeta />';
  out += '<ismrmrdMeta>';
  for (const [k, v] of meta) {
    out += `<meta><name>${escapeXml(k)}</name>`;
    for (const item of Array.isArray(v) ? v : [v]) out += item === '' ? '<value />' : `<value>${escapeXml(item)}</value>`;
    out += '</meta>';
  }
  return out + '</ismrmrdMeta>';
}

/** mrdhelper.get_json_config_param */
export function getJsonConfigParam(config: ModuleConfig, key: string, defaultValue?: unknown, type = 'str'): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return defaultValue;
  const params = (config as Record<string, unknown>).parameters;
  if (typeof params !== 'object' || params === null || !(key in params)) return defaultValue;
  const value = (params as Record<string, unknown>)[key];
  switch (type) {
    case 'int': {
      const n = typeof value === 'number' ? Math.trunc(value) : Number.parseInt(String(value).trim(), 10);
      if (!Number.isFinite(n) || (typeof value === 'string' && !/^\s*[+-]?\d+\s*$/.test(value))) throw new Error(`invalid literal for int() with base 10: '${String(value)}'`);
      return n;
    }
    case 'float':
    case 'double':
      return Number(value);
    case 'str':
    case 'string':
    case 'choice':
      return typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
    case 'bool':
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const s = String(value).toLowerCase();
      if (s.includes('true')) return true;
      if (s.includes('false')) return false;
      return defaultValue;
    }
    default:
      throw new Error("'type' must be int, float, string, or bool");
  }
}

/** mrdhelper.get_userParameterLong_value (undefined when absent or the header is not parsed). */
export function getUserParameterLong(header: unknown, name: string): number | undefined {
  if (typeof header !== 'object' || header === null) return undefined;
  const list = (header as IsmrmrdHeader).userParameters?.userParameterLong ?? [];
  for (const p of list) if (p.name === name) return Math.trunc(p.value);
  return undefined;
}
