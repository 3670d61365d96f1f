import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CliUsageError, HELP_LAYOUT_MODULES, cliFailureStatus, nearestName, toolParser, toolVersion, yargsFor } from './index.js';

describe('yargsFor', () => {
  it('wraps --help text at word boundaries (the ESM yargs cut words in two)', async () => {
    const text =
      'Input data group. Default: the last group of the file (by name, as h5py lists them), i.e. the most recent mrd-client output group.';
    const help = await yargsFor([])
      .option('in-group', { alias: 'g', type: 'string', describe: text })
      .wrap(60)
      .getHelp();
    const line = help.split('\n').filter((l) => l.includes('--in-group') || /^ {10,}\S/.test(l));
    expect(line.length).toBeGreaterThan(1); // it did wrap
    const words = new Set(text.split(/\s+/));
    const shown = help.split(/\s+/).filter((w) => w && !w.startsWith('-') && !w.startsWith('['));
    const broken = shown.filter((w) => !words.has(w) && /^[A-Za-z(),.:]+$/.test(w) && !['Options:', 'Show', 'help', 'version', 'number', 'string]', 'boolean]'].includes(w));
    expect(broken).toEqual([]);
  });
});

describe('yargs help-layout modules loaded on demand', () => {
  const req = createRequire(import.meta.url);
  const yargsReq = createRequire(req.resolve('yargs/yargs'));
  /** yargs and its help-layout modules out of the require cache, so the next yargsFor loads them afresh. */
  const forget = () => {
    for (const p of [req.resolve('yargs/yargs'), yargsReq.resolve('./build/index.cjs'), ...HELP_LAYOUT_MODULES.map((n) => yargsReq.resolve(n))]) delete req.cache[p];
  };
  const demo = (args: string[]) => toolParser(args, { name: 'demo-tool', version: '1.2.3', usage: '$0 [options] <file>\n\nDoes things, described at some length so that the help text wraps.' })
    .option('port', { alias: 'p', type: 'number', default: 9002, describe: 'Port of the server: a long description that has to be wrapped at the width of the help text.' })
    .option('mode', { type: 'string', choices: ['a', 'b'], describe: 'Mode.' })
    .wrap(60);

  it('parsing loads neither cliui nor string-width; --help loads them and its text is the same as with them loaded first', async () => {
    const standIn = (n: string) => (req.cache[yargsReq.resolve(n)]?.exports as { name?: string } | undefined)?.name === 'helpLayoutStandIn';
    forget();
    for (const n of HELP_LAYOUT_MODULES) yargsReq(n); // loaded before yargs: used as they are
    const reference = await demo([]).getHelp();
    expect(HELP_LAYOUT_MODULES.some(standIn)).toBe(false);
    forget();
    const argv = await demo(['-p', '7', '--mode', 'b']).parseAsync();
    expect(argv.port).toBe(7);
    expect(HELP_LAYOUT_MODULES.every(standIn)).toBe(true);
    const help = await demo([]).getHelp();
    expect(HELP_LAYOUT_MODULES.some(standIn)).toBe(false);
    expect(help).toBe(reference);
    expect(help).toContain('--port');
    expect(help.split('\n').length).toBeGreaterThan(8); // wrapped
  });
});

describe('toolParser: usage errors as argparse reports them', () => {
  const spec = {
    name: 'demo-tool', version: '1.2.3', usage: '$0 [options] <file>\n\nDoes things.',
    numbers: { port: { integer: true, min: 0, max: 65535 }, 'matrix-size': { integer: true, min: 2 }, 'noise-level': { min: 0 } },
  };
  const parse = (args: string[]) => toolParser(args, spec)
    .option('port', { alias: 'p', type: 'number', default: 9002 })
    .option('config', { alias: 'c', type: 'string' })
    .option('matrix-size', { alias: ['m', 'matrix'], type: 'number', default: 256 })
    .option('noise-level', { alias: 'n', type: 'number', default: 0.05 })
    .option('trajectory', { type: 'string', choices: ['cartesian', 'spiral'] })
    .parseAsync();
  const failure = (args: string[]) => Promise.resolve().then(() => parse(args)).then(() => undefined, (e: unknown) => e as CliUsageError);

  it('an unknown option: one line naming it, with the near miss, then the usage line', async () => {
    const e = await failure(['--confg', 'x']);
    expect(e).toBeInstanceOf(CliUsageError);
    expect(e!.message).toBe('demo-tool: error: unrecognized option --confg (did you mean --config?)');
    expect(e!.usage).toBe('usage: demo-tool [options] <file> (demo-tool --help lists the options)');
    expect((await failure(['--zzzzzzzz']))!.message).toBe('demo-tool: error: unrecognized option --zzzzzzzz');
    expect((await failure(['--matrx-size=3']))!.message).toBe('demo-tool: error: unrecognized option --matrx-size (did you mean --matrix-size?)');
  });

  it('a mistyped option is named before the required argument it leaves missing', async () => {
    const strictParse = (args: string[]) => toolParser(args, spec)
      .option('output', { alias: 'o', type: 'string', demandOption: true })
      .option('fps', { type: 'number', default: 25 })
      .demandCommand(1, 1, 'an input file is required')
      .parseAsync();
    const fail = (args: string[]) => Promise.resolve().then(() => strictParse(args)).then(() => undefined, (e: unknown) => e as CliUsageError);
    expect((await fail(['--outpt', 'x', 'in.h5']))!.message).toBe('demo-tool: error: unrecognized option --outpt (did you mean --output?)');
    expect((await fail(['in.h5', '-o', 'x', '--fsp', '3']))!.message).toBe('demo-tool: error: unrecognized option --fsp (did you mean --fps?)');
    expect((await fail(['--no-fps', 'in.h5']))!.message).toBe('demo-tool: error: Missing required argument: output');
    expect((await fail(['in.h5']))!.message).toBe('demo-tool: error: Missing required argument: output');
  });

  it('numbers are checked at parse time, with the text given and the range expected', async () => {
    expect((await failure(['-p', 'notanumber']))!.message).toBe("demo-tool: error: argument -p/--port: invalid value 'notanumber' (expected an integer from 0 to 65535)");
    expect((await failure(['--port=70000']))!.message).toBe("demo-tool: error: argument -p/--port: invalid value '70000' (expected an integer from 0 to 65535)");
    expect((await failure(['-m', '-5']))!.message).toBe("demo-tool: error: argument -m/--matrix-size/--matrix: invalid value '-5' (expected an integer >= 2)");
    expect((await failure(['-m', '2.5']))!.message).toMatch(/invalid value '2\.5'/);
    expect((await failure(['-n', '-0.1']))!.message).toBe("demo-tool: error: argument -n/--noise-level: invalid value '-0.1' (expected a number >= 0)");
    const ok = await parse(['-p', '0', '-m', '8']);
    expect([ok.port, ok['matrix-size']]).toEqual([0, 8]);
  });

  it('a bad choice: one line with the choices and the near miss', async () => {
    expect((await failure(['--trajectory', 'spirl']))!.message).toBe("demo-tool: error: argument --trajectory: invalid choice 'spirl' (choose from 'cartesian', 'spiral'; did you mean 'spiral'?)");
  });

  it('cliFailureStatus prints the error line then the usage line, and gives 2', async () => {
    const e = await failure(['--confg']);
    const writes: string[] = [];
    const orig = process.stderr.write;
    process.stderr.write = ((s: string) => { writes.push(s); return true; }) as typeof process.stderr.write;
    let status: number;
    try {
      status = cliFailureStatus('demo-tool', e);
    } finally {
      process.stderr.write = orig;
    }
    expect(status).toBe(2);
    expect(writes.join('').split('\n')).toEqual([e!.message, e!.usage, '']);
  });

  it('nearestName: near misses only', () => {
    expect(nearestName('confg', ['config', 'port'])).toBe('config');
    expect(nearestName('x', ['config', 'port'])).toBeUndefined();
    expect(nearestName('verbos', ['verbose', 'version'])).toBe('verbose');
    expect(nearestName('fsp', ['fps', 'port'])).toBe('fps'); // a transposition is one edit
  });
});

describe('toolVersion', () => {
  it('reads the version of the package.json one folder above the module (src/ or dist/), never the working directory', () => {
    expect(toolVersion(new URL('../../../mrd-client/src/cli.ts', import.meta.url).href)).toBe(JSON.parse(readFileSync(new URL('../../../mrd-client/package.json', import.meta.url), 'utf8')).version);
    expect(toolVersion(new URL('file:///nonexistent/dist/cli.js').href)).toBe('unknown');
  });
});
