/**
 * The reference's JSON config parameter getter (`mrdhelper.get_json_config_param`): reads
 * `config.parameters[key]` and coerces it as Python would:
 *
 * - `int`: Python `int(value)` (bools 1/0, floats truncated toward zero, strings in Python's
 *   integer syntax; "2.5" is an error, as in Python);
 * - `float`/`double`: Python `float(value)`;
 * - `str`/`string`/`choice`: Python `str(value)` (`True`, `None`, `['a', 1]`, ...);
 * - `bool`/`boolean`: a JSON bool as is; a string containing "true" (any case) true, else one
 *   containing "false" false, else the default.
 *
 * The default is returned when the config is not an object, has no `parameters` object, or the
 * key is absent. Values Python could not convert throw JsonConfigError naming the key.
 * Note: a JSON number written `1.0` arrives in JavaScript as 1 and reads as "1" with type str,
 * where Python gives "1.0".
 */
import { parsePythonFloat, parsePythonInt, pythonStr, PythonValueError } from '@mrd-tools/core/meta';

export type JsonConfigType = 'int' | 'float' | 'double' | 'str' | 'string' | 'choice' | 'bool' | 'boolean';

export class JsonConfigError extends Error {
  override name = 'JsonConfigError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const typeName = (v: unknown) => (v === null ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'dict' : typeof v);

function toInt(key: string, v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new JsonConfigError(`config parameter ${key}: cannot convert ${v} to int`);
    return Math.trunc(v) || 0;
  }
  if (typeof v === 'string') {
    try {
      return parsePythonInt(v);
    } catch (e) {
      throw new JsonConfigError(`config parameter ${key}: ${(e as PythonValueError).message}`);
    }
  }
  throw new JsonConfigError(`config parameter ${key}: int() argument must be a string or a number, not '${typeName(v)}'`);
}

function toFloat(key: string, v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    try {
      return parsePythonFloat(v);
    } catch (e) {
      throw new JsonConfigError(`config parameter ${key}: ${(e as PythonValueError).message}`);
    }
  }
  throw new JsonConfigError(`config parameter ${key}: float() argument must be a string or a real number, not '${typeName(v)}'`);
}

export function getJsonConfigParam<D = undefined>(config: unknown, key: string, defaultValue?: D, type?: 'str' | 'string' | 'choice'): string | D;
export function getJsonConfigParam<D = undefined>(config: unknown, key: string, defaultValue: D, type: 'int' | 'float' | 'double'): number | D;
export function getJsonConfigParam<D = undefined>(config: unknown, key: string, defaultValue: D, type: 'bool' | 'boolean'): boolean | D;
export function getJsonConfigParam<D = undefined>(config: unknown, key: string, defaultValue: D, type: JsonConfigType): string | number | boolean | D;
export function getJsonConfigParam<D = undefined>(
  config: unknown, key: string, defaultValue?: D, type: JsonConfigType = 'str',
): string | number | boolean | D | undefined {
  if (!isObject(config)) return defaultValue;
  const params = config['parameters'];
  if (!isObject(params) || !Object.prototype.hasOwnProperty.call(params, key)) return defaultValue;
  const value = params[key];
  switch (type) {
    case 'int':
      return toInt(key, value);
    case 'float':
    case 'double':
      return toFloat(key, value);
    case 'str':
    case 'string':
    case 'choice':
      return pythonStr(value);
    case 'bool':
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value !== 'string') throw new JsonConfigError(`config parameter ${key}: a ${typeName(value)} is not a boolean`);
      if (value.toLowerCase().includes('true')) return true;
      if (value.toLowerCase().includes('false')) return false;
      return defaultValue;
    default:
      throw new JsonConfigError("'type' must be int, float, string, or bool");
  }
}
