/**
 * Mutated meta attribute strings: parseMeta returns (and then serialize -> parse gives the same
 * attributes, and the fast scanner, when it accepts, agrees with the general parser) or throws
 * MetaAttributesError; never another exception. Scale with MRD_FUZZ_CASES.
 */
import { expect, it } from 'vitest';
import { MetaAttributesError, parseMeta, parseMetaDocument, scanPlainMeta, serializeMeta } from './meta.js';

const SEED = "<?xml version='1.0' encoding='UTF-8'?>\n<ismrmrdMeta><meta><name>DataRole</name><value>Image</value></meta><meta><name>ImageProcessingHistory</name><value>PYTHON</value><value>INVERT</value></meta><meta><name>Keep_image_geometry</name><value>1</value></meta><meta><name>WindowCenter</name><value>2048.0</value></meta><meta><name>ROI_x</name><value>1.000000</value><value>0.000000</value></meta></ismrmrdMeta>";
const SNIPPETS = ['<meta>', '</meta>', '<name>', '</name>', '<value>', '</value>', '<value/>', '&amp;', '&#65;', '&#xD800;', '&x;', '<!-- c -->', '<![CDATA[<]]>', ' a="1"', '<?pi?>', '>', '<', '\n\t', 'é', '\0'];
const CASES = Number(process.env.MRD_FUZZ_CASES ?? 3000);

it(`${CASES} mutated meta strings parse consistently or fail with MetaAttributesError`, () => {
  let x = 12345;
  const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296);
  let parsed = 0;
  for (let i = 0; i < CASES; i++) {
    let s = SEED;
    for (let e = 0, n = 1 + Math.floor(rand() * 3); e < n; e++) {
      const at = Math.floor(rand() * s.length);
      if (rand() < 0.4) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 12));
      else s = s.slice(0, at) + SNIPPETS[Math.floor(rand() * SNIPPETS.length)] + s.slice(at);
    }
    let m;
    try {
      m = parseMeta(s);
    } catch (err) {
      if (!(err instanceof MetaAttributesError)) throw new Error(`case ${i}: ${String(err)}\n${s}`);
      continue;
    }
    parsed++;
    expect([...parseMeta(serializeMeta(m))], `case ${i}`).toEqual([...m]);
    const text = s.includes('\0') ? s.slice(0, s.indexOf('\0')) : s;
    const fast = text.trim() === '' ? undefined : scanPlainMeta(text);
    if (fast) expect([...fast], `case ${i}: ${s}`).toEqual([...parseMetaDocument(text)]);
  }
  expect(parsed).toBeGreaterThan(CASES / 10);
});
