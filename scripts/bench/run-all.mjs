#!/usr/bin/env node
// `pnpm bench`: runs every scripts/bench/*.bench.mjs in turn (or those named on the command line,
// e.g. `pnpm bench stream-codec`). Each prints our absolute figure and the ratio against the
// reference tool measured in the same run.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
let failed = 0;
for (const f of benches) {
  console.log(`\n=== ${f}`);
  const r = spawnSync(process.execPath, [join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`=== ${f} failed (exit ${r.status})`);
  }
}
if (benches.length === 0) console.log('no benchmarks matched');
process.exit(failed ? 1 : 0);
