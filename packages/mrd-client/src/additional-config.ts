/**
 * The JSON "additional config" the client sends after the XML header (reference `client.py`):
 * - `<config>.json` in the working directory, when it exists and no `-C` local config is given;
 * - otherwise the input group's `configAdditional` dataset, if any.
 * With `--ignore-json-config` (implied by giving `-c`), `parameters.config` and
 * `parameters.customconfig` are removed from that JSON before sending, so the config named on
 * the command line is the one the server runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { logger } from '@mrd-tools/core/logging';

export interface AdditionalConfigChoice {
  /** Text to send as a TEXT message, or null to send none. */
  text: string | null;
  /** Where it came from, for the log. */
  source: string | null;
}

/** The name of the local JSON file the reference looks for (`<config>.json`), or null. */
function localJsonName(config: string | undefined, configLocal: string | undefined): string | null {
  if (!config || configLocal) return null;
  return `${config}.json`;
}

/**
 * Removes `parameters.config` / `parameters.customconfig`, re-serialising as Python's
 * `json.dumps(obj, indent=2)`. Returns the text unchanged when it has no `parameters`.
 * Throws a clear error when the text is not JSON.
 */
export function stripJsonConfig(text: string, origin: string): string {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new Error(`${origin}: additional config is not valid JSON (${(err as Error).message})`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return text;
  const params = (obj as Record<string, unknown>).parameters;
  if (!params || typeof params !== 'object' || Array.isArray(params)) return text;
  const p = params as Record<string, unknown>;
  if ('config' in p) {
    logger.warning(`${origin} specifies config '${String(p.config)}', but will be ignored because '--ignore-json-config' was specified!`);
    delete p.config;
  }
  if ('customconfig' in p) {
    if (p.customconfig !== '') logger.warning(`${origin} specifies customconfig '${String(p.customconfig)}', but will be ignored because '--ignore-json-config' was specified!`);
    delete p.customconfig;
  }
  return pythonJsonDumps(obj, 2);
}

/** `json.dumps(value, indent=2)` with Python's separators and ASCII escaping. */
export function pythonJsonDumps(value: unknown, indent: number): string {
  const pad = (n: number) => ' '.repeat(n * indent);
  const str = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const walk = (v: unknown, depth: number): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
      return String(v);
    }
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return '[\n' + v.map((x) => pad(depth + 1) + walk(x, depth + 1)).join(',\n') + '\n' + pad(depth) + ']';
    }
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return '{\n' + entries.map(([k, x]) => pad(depth + 1) + str(k) + ': ' + walk(x, depth + 1)).join(',\n') + '\n' + pad(depth) + '}';
  };
  return walk(value, 0);
}

/**
 * Decides the additional config to send.
 * `fileConfigAdditional` is the input group's `configAdditional` text (or null).
 */
export function chooseAdditionalConfig(opts: {
  config?: string;
  configLocal?: string;
  ignoreJsonConfig: boolean;
  fileConfigAdditional: string | null;
  inputFile: string;
  cwdExists?: (p: string) => boolean;
  read?: (p: string) => string;
}): AdditionalConfigChoice {
  const exists = opts.cwdExists ?? existsSync;
  const read = opts.read ?? ((p: string) => readFileSync(p, 'utf8'));
  const jsonName = localJsonName(opts.config, opts.configLocal);
  if (jsonName && exists(jsonName)) {
    logger.info(`Found additional config file ${jsonName}`);
    let text = read(jsonName);
    if (opts.fileConfigAdditional !== null) logger.warning(`configAdditional found in file ${opts.inputFile}, but is overriden by local file ${jsonName}!`);
    if (opts.ignoreJsonConfig) text = stripJsonConfig(text, `configAdditional file '${jsonName}'`);
    logger.info(`Sending configAdditional found in file ${jsonName}:\n${text}`);
    return { text, source: jsonName };
  }
  if (opts.fileConfigAdditional !== null) {
    let text = opts.fileConfigAdditional;
    if (opts.ignoreJsonConfig) text = stripJsonConfig(text, `Input file contains JSON configAdditional that`);
    logger.info(`Sending configAdditional found in file ${opts.inputFile}:\n${text}`);
    return { text, source: opts.inputFile };
  }
  return { text: null, source: null };
}
