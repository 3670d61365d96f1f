/**
 * mrd-view: look inside MRD files in the browser. Opens the files with mrd-core, serves a page
 * (bundled into dist/web at build time: no CDN, nothing loaded from elsewhere) and its API on
 * 127.0.0.1, prints the URL, and with --open starts the default browser on it.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '@mrd-tools/core/logging';
import { logLevelFromVerbosity, runCli, toolParser, toolVersion, verbosityOptions } from '@mrd-tools/tool-kit/cli';
import { MrdSource } from './server/mrd-source.js';
import { ViewServer } from './server/http-server.js';

/** The default port: a fixed one, so that links to views stay valid from one run to the next. */
const DEFAULT_PORT = 8090;

/** Opens `url` in the default browser; resolves an error message when that is not possible. */
function openBrowser(url: string): Promise<string | null> {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
      child.once('error', (e) => resolve(`${cmd}: ${e.message}`));
      child.once('spawn', () => {
        child.unref();
        resolve(null);
      });
    } catch (e) {
      resolve((e as Error).message);
    }
  });
}

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'mrd-view',
    version: toolVersion(import.meta.url),
    numbers: { port: { integer: true, min: 0, max: 65535 } },
    usage: '$0 [options] <file.h5> [file2.h5 ...]\n\nLooks inside MRD files in the browser (ISMRMRD HDF5, or MRD v2 streams: binary .mrd or NDJSON, recognised by their first bytes, read into memory at start (up to 1 GiB each for now) and shown as the group `dataset` of their v1 conversion): file tree, XML header, acquisitions table with plots of each readout, k-space, waveforms, images with window/level, cine and ROIs, and comparisons of two groups or files. Starts a local web server (files are read on demand, so large files open at once), prints its URL and keeps serving until interrupted (Ctrl-C).',
  })
    .positional('file', { type: 'string', describe: 'MRD files to open (the first is shown first; the others can be picked on the page and compared).' })
    .option('port', { alias: 'p', type: 'number', describe: `Port to listen on. Default ${DEFAULT_PORT} (a fixed port keeps shared view links valid), or any free port when ${DEFAULT_PORT} is taken; 0 for any free port. An explicit port that is taken is an error.` })
    .option('host', { alias: 'H', type: 'string', default: '127.0.0.1', describe: 'Address to listen on. The default serves this machine only; anything else shows your data to the network.' })
    .option('open', { type: 'boolean', default: false, describe: 'Open the page in the default browser (xdg-open, open or start).' })
    .options(verbosityOptions)
    .demandCommand(1, 'at least one MRD file is required')
    .parseAsync();
  logger.setSinks([(line) => process.stderr.write(line + '\n')]);
  logger.level = logLevelFromVerbosity(argv);
  const toolDir = dirname(fileURLToPath(import.meta.url));
  const sources: MrdSource[] = [];
  try {
    for (const [k, f] of argv._.map(String).entries()) sources.push(await MrdSource.open(k, f, toolDir));
  } catch (e) {
    for (const s of sources) s.close();
    throw e;
  }
  const webRoot = join(toolDir, 'web');
  const start = async (port: number) => {
    const server = new ViewServer(sources, { webRoot, host: argv.host, port });
    return { server, url: await server.listen() };
  };
  let running: { server: ViewServer; url: string };
  try {
    running = await start(argv.port ?? DEFAULT_PORT);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' && argv.port === undefined) running = await start(0);
    else {
      for (const s of sources) s.close();
      throw new Error(code === 'EADDRINUSE' ? `port ${argv.port} is in use (use another --port, or 0 for any free port)` : (e as Error).message);
    }
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(argv.host)) logger.warning(`listening on ${argv.host}: other machines can read these files`);
  process.stdout.write(`mrd-view: serving ${sources.map((s) => s.path).join(', ')} at ${running.url}\n`);
  // read what the page shows first while the browser starts
  sources[0]!.warm().catch((e: Error) => logger.debug(`reading ahead: ${e.message}`));
  if (argv.open) {
    const err = await openBrowser(running.url);
    if (err) process.stderr.write(`mrd-view: could not open a browser (${err}); open ${running.url} yourself\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.server.close();
  for (const s of sources) s.close();
  return 0;
}

runCli('mrd-view', main);
