/**
 * Pieces every mrd-tools command line shares, so the tools behave alike and like the tools users
 * know (argparse, coreutils):
 * - `toolParser`: yargs set up the same way for every tool: `--version` prints the tool's own
 *   version (`toolVersion`, never a package.json of the working directory), `-h/--help`, strict
 *   options, and usage errors as argparse reports them: the error first, on one line (an unknown
 *   option with "did you mean --xyz?" for a near miss, a bad choice, a number out of range), then
 *   the usage line, exit status 2 -- never the whole help;
 * - numbers checked before anything happens (`NumberRule`s: integer, range), with the value given;
 * - the width of --help text, the -v/-q options and the log level they give;
 * - how `main` ends the process (`runCli`: its result is the exit status; an error it did not
 *   handle is printed on stderr after the tool's name, and the status is 1).
 */
import { readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { LogLevel } from '@mrd-tools/core/logging';

/** Inlined by scripts/build.mjs (esbuild `define`) with the version in the tool's package.json. */
declare const __MRD_TOOL_VERSION__: string | undefined;

/**
 * The running tool's own version: the one inlined at build time, else (sources run unbundled)
 * the `version` of the package.json one folder above `moduleUrl` (the tool's src/ or dist/).
 */
export function toolVersion(moduleUrl: string): string {
  if (typeof __MRD_TOOL_VERSION__ === 'string') return __MRD_TOOL_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') return pkg.version;
  } catch {
    /* below */
  }
  return 'unknown';
}

/** A bad command line: reported as argparse does (see the file header), exit status 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

/** Exit status of a usage error, as argparse and most Unix tools. */
const USAGE_EXIT_STATUS = 2;

/** Exit status of a run that did part of its work (some inputs skipped, each named in a warning). */
export const PARTIAL_EXIT_STATUS = 3;

/** Constraints on a numeric option, checked right after parsing. */
export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  /** the bound itself is excluded (e.g. > 0) */
  minExclusive?: boolean;
}

export interface ToolSpec {
  /** the command name, e.g. mrd-client */
  name: string;
  /** its version (`toolVersion(import.meta.url)`) */
  version: string;
  /** yargs usage: '$0 [options] <filename>\n\nWhat it does.' (the first line is the usage line) */
  usage: string;
  /** numeric options and their rules (by option key) */
  numbers?: Record<string, NumberRule>;
}

/** Edit distance with adjacent transpositions (optimal string alignment; small strings): "fsp" is one edit from "fps". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name nearest to `given`, if near enough to be a likely typo. */
export function nearestName(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dd = distance(given.toLowerCase(), k.toLowerCase());
    if (dd < bestD) { bestD = dd; best = k; }
  }
  const limit = Math.max(1, Math.min(3, Math.floor((given.length + 1) / 3)));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** `--name` or `-n` as the user would type it. */
function dashed(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** The option names (keys and aliases) yargs knows. */
function knownOptionNames(y: Argv): { names: string[]; aliases: Record<string, string[]> } {
  const o = (y as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> } }).getOptions();
  const names = new Set<string>(Object.keys(o.key));
  for (const [k, as] of Object.entries(o.alias)) { names.add(k); for (const a of as) names.add(a); }
  names.delete('$0');
  return { names: [...names], aliases: o.alias };
}

/** How the user wrote an option: `-p/--port` (argparse names arguments so). */
function optionLabel(key: string, aliases: Record<string, string[]>): string {
  const all = [key, ...(aliases[key] ?? [])];
  const short = all.filter((n) => n.length === 1);
  // yargs adds camelCase twins of dashed names; they are not what users type
  const long = all.filter((n) => n.length > 1 && (n === key || !/[A-Z]/.test(n)));
  return [...new Set([...short, ...long])].map(dashed).join('/');
}

/** The text the user gave for option `key` (or one of its aliases) in `args`, if found. */
function givenText(args: readonly string[], names: readonly string[]): string | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i]!;
    for (const n of names) {
      const flag = dashed(n);
      if (a === flag) return args[i + 1];
      if (a.startsWith(flag + '=')) return a.slice(flag.length + 1);
    }
  }
  return undefined;
}

function describeRule(r: NumberRule): string {
  const kind = r.integer ? 'an integer' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return r.minExclusive ? `${kind} > ${r.min} and <= ${r.max}` : `${kind} from ${r.min} to ${r.max}`;
  if (r.min !== undefined) return `${kind} ${r.minExclusive ? '>' : '>='} ${r.min}`;
  if (r.max !== undefined) return `${kind} <= ${r.max}`;
  return kind;
}

/** The first numeric option of `argv` that breaks its rule, as an argparse-style message. */
export function numberRuleViolation(argv: Record<string, unknown>, rules: Record<string, NumberRule>, args: readonly string[], aliases: Record<string, string[]> = {}): string | undefined {
  for (const [key, rule] of Object.entries(rules)) {
    const v = argv[key];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      const ok = typeof x === 'number' && Number.isFinite(x) && (!rule.integer || Number.isInteger(x))
        && (rule.min === undefined || (rule.minExclusive ? x > rule.min : x >= rule.min))
        && (rule.max === undefined || x <= rule.max);
      if (ok) continue;
      const given = givenText(args, [key, ...(aliases[key] ?? [])]) ?? String(x);
      return `argument ${optionLabel(key, aliases)}: invalid value '${given}' (expected ${describeRule(rule)})`;
    }
  }
  return undefined;
}

/** yargs' "Unknown arguments: a, b" message for the options in `args` that `y` does not know, if any. */
function unknownOptions(args: readonly string[], y: Argv): string | undefined {
  const { names } = knownOptionNames(y);
  const known = new Set(names);
  const unknown: string[] = [];
  for (const a of args) {
    if (a === '--') break;
    const m = /^--?([^=]+)/.exec(a);
    if (!m || /^-\d/.test(a) || a === '-') continue;
    const name = m[1]!.startsWith('no-') && known.has(m[1]!.slice(3)) ? m[1]!.slice(3) : m[1]!;
    // bundled short flags (-vq) are known when each letter is
    if (!a.startsWith('--') && name.length > 1 && [...name].every((c) => known.has(c))) continue;
    if (!known.has(name)) unknown.push(name);
  }
  return unknown.length ? `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}` : undefined;
}

/** One line for yargs' failure message `msg` (unknown options with a suggestion, bad choices). */
function usageMessage(msg: string, args: readonly string[], y: Argv): string {
  const { names, aliases } = knownOptionNames(y);
  const unknown = /^Unknown arguments?: (.*)$/s.exec(msg);
  if (unknown) {
    const all = unknown[1]!.split(', ').map((n) => n.trim()).filter(Boolean);
    // yargs also lists the camelCase twin of an unknown dashed name
    const kebab = (n: string) => n.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    const parts = all.filter((n) => !(/[A-Z]/.test(n) && all.includes(kebab(n))));
    const said = parts.map((n) => {
      // as typed: an option (-x, --xyz, --xyz=1) or a stray positional word
      const typed = args.find((a) => a === `--${n}` || a.startsWith(`--${n}=`) || a === `-${n}` || a.startsWith(`-${n}=`))?.split('=')[0];
      if (!typed) return `unexpected argument '${n}'`;
      const near = nearestName(n, names.filter((k) => k.length > 1 || n.length === 1));
      return `unrecognized option ${typed}${near ? ` (did you mean ${dashed(near)}?)` : ''}`;
    });
    return said.join('; ');
  }
  const choice = /Invalid values:\s*Argument: (\S+), Given: ("[^"]*"|\S+), Choices: (.*)$/s.exec(msg);
  if (choice) {
    const choices = [...choice[3]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    const given = choice[2]!.replace(/^"|"$/g, '');
    const near = nearestName(given, choices);
    return `argument ${optionLabel(choice[1]!, aliases)}: invalid choice '${given}' (choose from ${choices.map((c) => `'${c}'`).join(', ')}${near ? `; did you mean '${near}'?` : ''})`;
  }
  const missing = /^Not enough arguments following: (\S+)$/.exec(msg.trim());
  if (missing) return `argument ${optionLabel(missing[1]!, aliases)}: expected a value`;
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * yargs for a tool, set up as every mrd-tools command line is (see the file header). Add the
 * tool's options, then `.parseAsync()`; a usage error rejects with CliUsageError, which
 * `runCli` / `cliFailureStatus` report (one line, the usage line, status 2).
 */
export function toolParser(args: string[], spec: ToolSpec): Argv {
  const usageLine = `usage: ${spec.usage.split('\n')[0]!.replace('$0', spec.name)} (${spec.name} --help lists the options)`;
  const parser: Argv = yargsFor(args);
  return parser
    .scriptName(spec.name)
    .usage(spec.usage)
    .version(spec.version)
    .help()
    .alias('help', 'h')
    .strict()
    .showHelpOnFail(false)
    .wrap(helpWidth())
    .check((argv, options) => {
      if (spec.numbers) {
        const aliases = (options as unknown as { alias: Record<string, string[]> }).alias ?? {};
        const bad = numberRuleViolation(argv as Record<string, unknown>, spec.numbers, args, aliases);
        if (bad) throw new Error(bad);
      }
      return true;
    })
    .fail((msg: string | null, err: Error | null) => {
      // yargs checks required arguments before unknown options; a mistyped option is the likelier
      // cause of both ("--outpt x" leaves --output missing), so it is named first.
      const unknown = err ? undefined : unknownOptions(args, parser);
      const text = err ? err.message : usageMessage(unknown ?? msg ?? 'invalid command line', args, parser);
      throw new CliUsageError(`${spec.name}: error: ${text}`, usageLine);
    });
}

/**
 * A yargs parser for `args`, loaded through yargs' CommonJS entry. Its ESM entry wires in cliui's
 * ESM build, whose help-text wrapping cuts words in the middle of the line ("as h5py li / sts
 * them"); the CommonJS build wraps at word boundaries. The module is resolved from the running
 * file: in a built tool that is the tool's own `dist/cli.js`, so the tool's yargs dependency is used.
 */
export function yargsFor(args: string[]): Argv {
  const req = createRequire(import.meta.url);
  deferHelpLayout(createRequire(req.resolve('yargs/yargs')));
  const factory = req('yargs/yargs') as (argv: string[]) => Argv;
  return factory(args);
}

/** What yargs loads only to lay out --help text (see deferHelpLayout), in load order. */
export const HELP_LAYOUT_MODULES = ['string-width', 'cliui'] as const;

/**
 * yargs requires cliui and string-width (with wrap-ansi, strip-ansi, the emoji pattern) when it
 * loads, a third of its load time (docs/streaming-performance.md), but calls them only for --help
 * text. Each gets a stand-in in the require cache, at the path yargs' `require` resolves; the first
 * call puts the real modules there and calls the real one (cli.test.ts: the same text).
 */
function deferHelpLayout(yargsRequire: NodeJS.Require): void {
  const paths = new Map<string, string>();
  for (const name of HELP_LAYOUT_MODULES) {
    try {
      const path = yargsRequire.resolve(name);
      if (!yargsRequire.cache[path]) paths.set(name, path);
    } catch {
      // not found: yargs reports it
    }
  }
  const real = new Map<string, (...a: unknown[]) => unknown>();
  for (const [name, path] of paths) {
    const module = new Module(path) as NodeJS.Module;
    module.filename = path;
    module.loaded = true;
    module.exports = function helpLayoutStandIn(this: unknown, ...a: unknown[]): unknown {
      for (const [n, p] of paths) {
        if (real.has(n)) continue;
        delete yargsRequire.cache[p];
        real.set(n, yargsRequire(n) as (...a: unknown[]) => unknown);
      }
      return real.get(name)!.apply(this, a);
    };
    yargsRequire.cache[path] = module;
  }
}

/** Width of --help text: the terminal's width, at most 110 columns; 100 when not a terminal. */
function helpWidth(): number {
  return Math.min(110, process.stdout.columns || 100);
}

/** The -v/--verbose and -q/--quiet options, for yargs' `.options()`. */
export const verbosityOptions = {
  verbose: { alias: 'v', type: 'boolean', default: false, describe: 'Verbose mode: DEBUG log messages.' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Only warnings and errors.' },
} as const;

/** The log level -v/-q ask for: DEBUG with -v, else WARNING with -q, else INFO. */
export function logLevelFromVerbosity(argv: { verbose?: boolean; quiet?: boolean }): LogLevel {
  return argv.verbose ? LogLevel.DEBUG : argv.quiet ? LogLevel.WARNING : LogLevel.INFO;
}

export interface RunCliOptions {
  /**
   * 'when-idle' (default): set process.exitCode and let Node end once nothing is pending.
   * 'immediately': process.exit as soon as `main` settles, even with worker threads, sockets or
   * timers still alive.
   */
  exit?: 'when-idle' | 'immediately';
  /**
   * What of an error `main` did not handle is printed: 'message' (default, one line) or 'stack'
   * (for tools whose `main` reports every expected failure itself, so what reaches here is a bug).
   */
  report?: 'message' | 'stack';
}

/**
 * Reports an error that ended a tool on stderr and gives the exit status: a usage error as
 * argparse does (the error line, the usage line; status 2), anything else as `<name>: <message>`
 * (or the stack with report 'stack'; status 1).
 */
export function cliFailureStatus(name: string, err: unknown, report: RunCliOptions['report'] = 'message'): number {
  if (err instanceof CliUsageError) {
    process.stderr.write(`${err.message}\n${err.usage}\n`);
    return USAGE_EXIT_STATUS;
  }
  const text = err instanceof Error ? (report === 'stack' ? err.stack : err.message) : String(err);
  process.stderr.write(`${name}: ${text}\n`);
  return 1;
}

/** Runs a tool's `main`, whose result is the exit status; see RunCliOptions. */
export function runCli(name: string, main: () => Promise<number>, options: RunCliOptions = {}): void {
  const end = (code: number) => {
    if (options.exit === 'immediately') process.exit(code);
    process.exitCode = code;
  };
  main().then(end, (err: unknown) => end(cliFailureStatus(name, err, options.report)));
}
