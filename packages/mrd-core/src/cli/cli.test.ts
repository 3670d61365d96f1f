import { describe, expect, it } from 'vitest';
import { yargsFor } from './index.js';

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
