/**
 * Mutated headers: parsing either succeeds, and then the model serializes and reads back equal,
 * or it fails with an IsmrmrdHeaderError; never another exception. Scale with MRD_FUZZ_CASES.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { mulberry32 } from '../testing/random.js';
import { IsmrmrdHeaderError, parseIsmrmrdHeader, serializeIsmrmrdHeader } from './index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const seeds = ['ismrmrd_example.xml', 'ismrmrd_example_extended.xml', 'matlab_minimal_with_user_parameters.xml'].map((f) => readFileSync(join(fixtures, f), 'utf8'));
const CASES = Number(process.env.MRD_FUZZ_CASES ?? 1500);

const SNIPPETS = ['<x>1</x>', '</encoding>', '<encoding>', '&amp;', '&#0;', '-', '1e400', '<![CDATA[z]]>', '<!-- c -->', '"', '<value>', ' ', 'NaN', '99999', '<userParameterLong><name>a</name><value>1</value></userParameterLong>', '<?pi x?>', '\u00e9', '\0'];

it(`${CASES} mutated headers parse or fail with IsmrmrdHeaderError`, () => {
  const rand = mulberry32(20261124);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    let s = seeds[i % seeds.length]!;
    const edits = 1 + Math.floor(rand() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * s.length);
      const op = rand();
      if (op < 0.35) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 20));
      else if (op < 0.7) s = s.slice(0, at) + SNIPPETS[Math.floor(rand() * SNIPPETS.length)] + s.slice(at);
      else if (op < 0.85) s = s.slice(0, at);
      else {
        // replace a number-ish run by another number
        s = s.replace(/>(\d+(\.\d+)?)</, `>${['-1', '70000', '1.5', 'x', '', '4294967296'][Math.floor(rand() * 6)]}<`);
      }
    }
    let h;
    try {
      h = parseIsmrmrdHeader(s);
    } catch (err) {
      if (!(err instanceof IsmrmrdHeaderError)) throw new Error(`case ${i}: ${String(err)}\n${s}`);
      continue;
    }
    parsed++;
    const out = serializeIsmrmrdHeader(h);
    expect(parseIsmrmrdHeader(out), `case ${i}`).toEqual(h);
  }
  expect(parsed).toBeGreaterThan(CASES / 20);
});
