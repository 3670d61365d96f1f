/**
 * `plainCommandLine`, mrd-client's reading of a plain command line without yargs: for every
 * command line it reads, the result is what yargs' parser of the same option table gives (on the
 * keys the run uses, defaults included); what it does not read (help, other forms, repeats,
 * several inputs, number-like names, bad ports) is left to yargs.
 */
import { describe, expect, it } from 'vitest';
import { clientParser, plainCommandLine, type ClientArgv } from './command-line.js';

const KEYS: (keyof ClientArgv)[] = [
  '_', 'address', 'port', 'outfile', 'in-group', 'out-group', 'config', 'config-local', 'send-waveforms', 'verbose', 'logfile', 'quiet',
  'ignore-json-config', 'fix-transposed', 'output-format', 'mrd2gif', 'jobs', 'retries', 'skip-existing',
];
const pick = (o: object) => Object.fromEntries(KEYS.map((k) => [k, (o as Record<string, unknown>)[k]]));

async function viaYargs(args: string[]): Promise<Record<string, unknown>> {
  return pick(await clientParser(args).parseAsync());
}

/** Command lines of every plain option, alone and together, in both spellings and orders, with values yargs might read otherwise. */
function corpus(): string[][] {
  const values = ['x', 'null', '123', 'true', 'a b', 'o=p.h5', '/tmp/out.h5', 'Ü.h5'];
  const valued: [string, string][] = [['-a', '--address'], ['-o', '--outfile'], ['-g', '--in-group'], ['-G', '--out-group'], ['-c', '--config'], ['-C', '--config-local'], ['-l', '--logfile']];
  const flags: [string, string | null][] = [['-q', '--quiet'], ['-w', '--send-waveforms'], ['-v', '--verbose'], ['--ignore-json-config', null], ['--fix-transposed', null], ['--mrd2gif', null]];
  const out: string[][] = [['in.h5'], ['o=p.h5'], ['Ü.h5'], ['a b.h5'], ['/abs/in.h5'], ['dir/'], ['true'], ['null'], ['NaN'], ['Infinity'], ['.bench-data/in.h5'], ['./in.h5'], ['..5'], ['in.h5', '-p', '1'], ['-p', '65535', 'in.h5'], ['--port', '9003', 'in.h5', '-q']];
  for (const [short, long] of valued) for (const v of values) {
    out.push([short, v, 'in.h5'], ['in.h5', long, v]);
  }
  for (const [short, long] of flags) out.push([short, 'in.h5'], ['in.h5', long ?? short]);
  // everything at once, as the benches run it, and in another order
  out.push(['-q', '-p', '9002', '-c', 'null', '-G', 'bench', '-o', 'out.h5', 'in.h5']);
  out.push(['in.h5', '-w', '-v', '--fix-transposed', '--mrd2gif', '--ignore-json-config', '-a', '127.0.0.1', '-g', 'dataset', '-C', 'c.xml', '-l', 'log.txt', '-q']);
  return out;
}

describe('plainCommandLine', () => {
  it("gives yargs' result for every plain command line", async () => {
    for (const args of corpus()) {
      const quick = plainCommandLine(args);
      expect(quick, args.join(' ')).not.toBeNull();
      expect(pick(quick!), args.join(' ')).toEqual(await viaYargs(args));
    }
  });

  it('leaves everything else to yargs', () => {
    for (const args of [
      [], ['--help', 'in.h5'], ['-h'], ['--version'], ['a.h5', 'b.h5'], ['--port=9003', 'in.h5'], ['-qw', 'in.h5'], ['-q', '-q', 'in.h5'],
      ['-c', 'a', '-c', 'b', 'in.h5'], ['-p', '0', 'in.h5'], ['-p', '65536', 'in.h5'], ['-p', '0x10', 'in.h5'], ['-p', '90.5', 'in.h5'], ['-p', 'x', 'in.h5'],
      ['-o', '-x', 'in.h5'], ['-o', '', 'in.h5'], ['-o'], ['in.h5', '-o'], ['123'], ['1e3.h5'], ['0x10'], ['.5'], ['.5.h5'], ['+x'], ['--', 'in.h5'], ['-j', '2', 'in.h5'],
      ['--retries', '1', 'in.h5'], ['--skip-existing', 'in.h5'], ['--output-format', 'mrd2', 'in.h5'], ['--no-quiet', 'in.h5'], ['--unknown', 'in.h5'],
    ]) {
      expect(plainCommandLine(args), JSON.stringify(args)).toBeNull();
    }
  });
});
