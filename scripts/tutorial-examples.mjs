#!/usr/bin/env node
// Regenerates examples/modules/*.ts from the README tutorials: the built-in invertcontrast module
// with the README's "Old code -> New code" edits applied (what a reader following the tutorials
// gets). tests/e2e/server-tutorials.test.ts checks that the committed files are up to date.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const base = readFileSync(join(root, 'packages/mrd-server/src/modules/invertcontrast.ts'), 'utf8');
const a = readme.indexOf('<!-- tutorials:start -->');
const b = readme.indexOf('<!-- tutorials:end -->');
const lines = readme.slice(a, b).split('\n');
const files = {};
let pending = null;
for (let i = 0; i < lines.length; i++) {
  const m = /^(\s*)```(\S+)(?:\s+(\S+))?\s*$/.exec(lines[i]);
  if (!m) continue;
  const indent = m[1].length;
  const body = [];
  for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i].slice(Math.min(indent, lines[i].length - lines[i].trimStart().length)));
  const tag = m[3];
  if (tag?.startsWith('old:')) pending = { file: tag.slice(4), text: body.join('\n') };
  else if (tag?.startsWith('new:')) {
    const file = tag.slice(4);
    const text = files[file] ?? base;
    const at = text.indexOf(pending.text);
    if (at < 0 || text.indexOf(pending.text, at + 1) >= 0) throw new Error(`${file}: the README's "Old code" is not in invertcontrast.ts exactly once`);
    files[file] = text.slice(0, at) + body.join('\n') + text.slice(at + pending.text.length);
  }
}
mkdirSync(join(root, 'examples/modules'), { recursive: true });
for (const [file, text] of Object.entries(files)) {
  writeFileSync(join(root, 'examples', file), text);
  console.log(`wrote examples/${file}`);
}
