/**
 * Environment variables for every mrd-server option, as twelve-factor deployments (containers,
 * Kubernetes, systemd) expect: `--http-port` is `MRD_SERVER_HTTP_PORT`, `--savedataFolder` is
 * `MRD_SERVER_SAVEDATA_FOLDER`, and so on; a flag given on the command line wins. yargs' `.env()`
 * does the mapping and the precedence; this file checks the variables first, so that a typo or
 * a bad value is a usage error naming the variable (yargs would report an unknown option or
 * silently take `1` for false):
 * - an `MRD_SERVER_*` variable that is no option is an error (with the near miss);
 * - booleans accept true/false, 1/0, yes/no, on/off;
 * - numbers are checked against the option's rule (the toolParser number rules);
 * - folder lists (`--modules-dir`, ...) take several folders separated by `:`.
 *
 * Kubernetes injects `<SERVICE>_PORT=tcp://...` variables for every Service in the namespace:
 * a Service named `mrd-server` would set `MRD_SERVER_PORT`. The manifests set
 * `enableServiceLinks: false` (deploy/kubernetes/deployment.yaml).
 */
import type { Argv } from 'yargs';
import { CliUsageError, nearestName, numberRuleViolation, type NumberRule } from '@mrd-tools/tool-kit/cli';

export const ENV_PREFIX = 'MRD_SERVER';

/** Variables with the prefix that are not options (set by the server for its session processes). */
const INTERNAL = new Set(['MRD_SERVER_SESSION']);

/** `http-port` / `defaultConfig` -> `MRD_SERVER_HTTP_PORT` / `MRD_SERVER_DEFAULT_CONFIG`. */
export function envName(key: string): string {
  return `${ENV_PREFIX}_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase()}`;
}

interface OptionTable {
  keys: string[];
  booleans: Set<string>;
  numbers: Set<string>;
  arrays: Set<string>;
  hidden: Set<string>;
  choices: Record<string, string[]>;
}

function optionTable(parser: Argv): OptionTable {
  const o = (parser as unknown as {
    getOptions(): { key: Record<string, unknown>; boolean: string[]; number: string[]; array: string[]; hiddenOptions: string[]; choices: Record<string, string[]> };
  }).getOptions();
  // (one-letter keys are the short aliases: -p is --port)
  const keys = Object.keys(o.key).filter((k) => k.length > 1 && k !== 'help' && k !== 'version' && k !== '$0');
  return {
    keys, booleans: new Set(o.boolean), numbers: new Set(o.number), arrays: new Set(o.array), hidden: new Set(o.hiddenOptions ?? []), choices: o.choices ?? {},
  };
}

/** The options that have an environment variable, as `MRD_SERVER_X (--x)` lines for --help. */
export function environmentHelp(parser: Argv): string {
  const t = optionTable(parser);
  const lines = t.keys.filter((k) => !t.hidden.has(k)).map((k) => `  ${envName(k)}  (--${k})`);
  return `\nEnvironment variables: every option can be given as ${ENV_PREFIX}_<OPTION> (a flag on the command line wins); booleans take true/false, 1/0, yes/no; folder lists take folders separated by ':'.\n${lines.join('\n')}`;
}

/**
 * Checks the `MRD_SERVER_*` variables of `env` against the options of `parser` (see the file
 * header), normalises booleans in `env` for yargs, and returns the option keys they set.
 */
export function checkEnvironment(parser: Argv, env: NodeJS.ProcessEnv, spec: { name: string; usage: string; numbers: Record<string, NumberRule> }): Set<string> {
  const t = optionTable(parser);
  const byName = new Map(t.keys.map((k) => [envName(k), k]));
  const fail = (text: string) => new CliUsageError(`${spec.name}: error: ${text}`, `usage: ${spec.usage} (${spec.name} --help lists the options)`);
  const set = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(`${ENV_PREFIX}_`) || INTERNAL.has(name) || value === undefined) continue;
    const key = byName.get(name);
    if (!key) {
      const near = nearestName(name, [...byName.keys()]);
      throw fail(`environment variable ${name} is not an option of ${spec.name}${near ? ` (did you mean ${near}?)` : ''}`);
    }
    set.add(key);
    if (t.booleans.has(key)) {
      if (/^(1|true|yes|on)$/i.test(value.trim())) env[name] = 'true';
      else if (/^(0|false|no|off)$/i.test(value.trim())) env[name] = 'false';
      else throw fail(`environment variable ${name}: invalid value '${value}' (expected true or false)`);
    } else if (t.numbers.has(key)) {
      const rule = spec.numbers[key] ?? {};
      const n = value.trim() === '' ? NaN : Number(value);
      const bad = numberRuleViolation({ [key]: n }, { [key]: rule }, [`--${key}`, value]);
      if (bad) throw fail(bad.replace(/^argument \S+:/, `environment variable ${name}:`));
    } else if (t.choices[key] && !t.choices[key]!.includes(value)) {
      throw fail(`environment variable ${name}: invalid choice '${value}' (choose from ${t.choices[key]!.map((c) => `'${c}'`).join(', ')})`);
    }
  }
  return set;
}

/** Folder-list options set by an environment variable (not by a flag): `a:b` is two folders. */
export function splitEnvironmentLists(argv: Record<string, unknown>, fromEnv: Set<string>, rawArgs: readonly string[], keys: readonly string[]): void {
  for (const key of keys) {
    if (!fromEnv.has(key) || rawArgs.some((a) => a === `--${key}` || a.startsWith(`--${key}=`))) continue;
    const v = argv[key];
    if (Array.isArray(v)) argv[key] = v.flatMap((x) => String(x).split(':')).filter((x) => x !== '');
  }
}
