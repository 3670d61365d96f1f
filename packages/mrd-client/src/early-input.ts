/**
 * The input file named on the command line, found before yargs parses it, so the reader
 * worker can boot meanwhile (see `startInputReaderEarly`). A guess only: the run checks it
 * against the parsed arguments and closes an unused reader.
 */
/** Options that take a value (the next argument unless given as --opt=value). */
const VALUE_OPTIONS = new Set(['-a', '--address', '-p', '--port', '-o', '--outfile', '-g', '--in-group', '-G', '--out-group', '-c', '--config', '-C', '--config-local', '-l', '--logfile', '-j', '--jobs', '--retries']);

/** The input file named by `args` when it is unambiguous before parsing (one positional), else undefined. */
export function inputFileBeforeParsing(args: string[]): string | undefined {
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    positionals.push(a);
  }
  return positionals.length === 1 ? positionals[0] : undefined;
}

