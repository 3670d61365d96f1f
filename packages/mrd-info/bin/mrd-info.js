#!/usr/bin/env node
// Launcher for the `mrd-info` command. The CLI itself is bundled into ../dist/cli.js by
// scripts/build.mjs (the repository's `prepare` script, run after `pnpm install`). This small
// file is committed so that the package's `bin` target exists when pnpm links bins at install
// time, before dist/ is built (pnpm skips a bin whose file is missing).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(`mrd-info: ${fileURLToPath(cli)} is missing; build it with "npx pnpm@9.15.9 build" in the mrd-tools repository\n`);
  process.exit(1);
}
await import(cli.href);
