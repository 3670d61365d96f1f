/**
 * Pieces every mrd-tools command line shares, so the tools behave alike: the width of --help
 * text, the -v/-q options and the log level they give, and how `main` ends the process (its
 * result is the exit status; an error it did not handle is printed on stderr after the tool's
 * name, and the status is 1), and yargs itself (`yargsFor`).
 */
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { LogLevel } from '../logging/index.js';

/**
 * A yargs parser for `args`, loaded through yargs' CommonJS entry. Its ESM entry wires in cliui's
 * ESM build, whose help-text wrapping cuts words in the middle of the line ("as h5py li / sts
 * them"); the CommonJS build wraps at word boundaries. The module is resolved from the running
 * file: in a built tool that is the tool's own `dist/cli.js`, so the tool's yargs dependency is used.
 */
export function yargsFor(args: string[]): Argv {
  const factory = createRequire(import.meta.url)('yargs/yargs') as (argv: string[]) => Argv;
  return factory(args);
}

/** Width of --help text: the terminal's width, at most 110 columns; 100 when not a terminal. */
export function helpWidth(): number {
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

/** Runs a tool's `main`, whose result is the exit status; see RunCliOptions. */
export function runCli(name: string, main: () => Promise<number>, options: RunCliOptions = {}): void {
  const end = (code: number) => {
    if (options.exit === 'immediately') process.exit(code);
    process.exitCode = code;
  };
  main().then(end, (err: unknown) => {
    const text = err instanceof Error ? (options.report === 'stack' ? err.stack : err.message) : String(err);
    process.stderr.write(`${name}: ${text}\n`);
    end(1);
  });
}
