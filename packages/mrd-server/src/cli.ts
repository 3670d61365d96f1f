/**
 * mrd-server: the MRD streaming reconstruction server (reference `main.py`).
 *
 * The same bundled file also hosts session workers and `-m` session processes; the role is
 * decided here before anything else runs.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MAX_NUMERICS_THREADS, setNumericsThreads } from '@mrd-tools/recon-api/threads';
import { coreNamespaces } from './core-namespaces.js';
import { cliFailureStatus, toolParser, toolVersion } from '@mrd-tools/tool-kit/cli';
import { logger, LogLevel } from '@mrd-tools/core/logging';
import { prepareOutputFolder } from '@mrd-tools/core/file-output';
import { MrdServer, defaultMaxSessions, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_WORKER_IDLE_TIMEOUT_MS, SESSIONS_PER_CORE, type SessionBootData } from './server.js';
import { runSessionChild, runSessionWorker } from './session-host.js';
import { configureServerLogging } from './server-logging.js';
import { runStdioSession } from './stdio-session.js';
import { provideCoreToUserModules } from './user-modules.js';
import { checkEnvironment, environmentHelp, ENV_PREFIX, splitEnvironmentLists } from './operations/env-options.js';
import { LOG_FORMATS, type LogFormat } from './operations/json-log.js';
import { ServerMetrics } from './operations/metrics.js';
import { SessionTracker } from './operations/session-tracker.js';
import { startHttpEndpoints, type HttpEndpoints } from './operations/http-endpoints.js';
import { combineObservers } from './operations/server-observer.js';
import { LiveSessions } from './live-view/live-sessions.js';
import { LiveViewHttp } from './live-view/live-http.js';
import { DEFAULT_DRAIN_TIMEOUT_S, drainTimeoutSeconds, handleShutdownSignals } from './operations/drain.js';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 9002,
  defaultConfig: 'invertcontrast',
  savedataFolder: '/tmp/share/saved_data',
};

/** Puts folders (made absolute) in front of a colon-separated search path in the environment. */
function prependSearchPath(name: string, dirs: string[]): void {
  if (dirs.length === 0) return;
  const rest = (process.env[name] ?? '').split(':').filter((p) => p !== '');
  process.env[name] = [...dirs.map((d) => resolve(d)), ...rest].join(':');
}

async function main(): Promise<void> {
  // yargsFor loads yargs when called (here only): session workers and -m session processes start
  // from this same file and never parse arguments.
  const rawArgs = process.argv.slice(2);
  const numbers = {
    port: { integer: true, min: 0, max: 65535 }, 'idle-timeout': { min: 0 }, 'max-sessions': { integer: true, min: 1 },
    'http-port': { integer: true, min: 0, max: 65535 }, 'drain-timeout': { min: 0 }, 'worker-max-heap-mb': { min: 1 }, 'worker-idle-timeout': { min: 0 }, 'shutdown-grace-ms': { min: 0 },
    threads: { integer: true, min: 1, max: MAX_NUMERICS_THREADS },
  };
  const parser = toolParser(rawArgs, {
    name: 'mrd-server',
    version: toolVersion(import.meta.url),
    usage: '$0 [options]\n\nMRD streaming reconstruction server: receives MRD data (raw k-space, images, waveforms) from an MRD client (mrd-client, a scanner via FIRE, ...), runs the recon module named by the client\'s config and streams the results back.',
    numbers,
  })
    .option('port', { alias: 'p', type: 'number', default: DEFAULTS.port, describe: 'TCP port to listen on.' })
    .option('host', {
      alias: 'H', type: 'string', default: DEFAULTS.host,
      describe: 'Address to listen on. The default accepts only connections from this machine; use 0.0.0.0 to accept connections from the network (the start scripts and the container do).',
    })
    .option('defaultConfig', {
      alias: ['d', 'c'], type: 'string', default: DEFAULTS.defaultConfig,
      describe: 'Default config module (also -c, --default-config): the fallback when the config a v1 client asks for is not a built-in module nor a user module, and the config every MRD v2 client gets (MRD v2 streams carry no config; upstream\'s v2 tools run one recon each).',
    })
    .option('stdio', {
      type: 'boolean', default: false,
      describe: 'Run one session from stdin to stdout instead of listening (MRD v1 or v2, told by the first bytes), as upstream\'s MRD v2 tools are chained: mrd-phantom --format mrd2 | mrd-server --stdio -c simplefft | mrd-convert - -o out.h5. Logs go to stderr. Exit status 0 when the session succeeded, 1 when it failed (the error is logged; an MRD v2 output then lacks its end-of-stream marker).',
    })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'Verbose output: log every message at DEBUG level.' })
    .option('logfile', { alias: 'l', type: 'string', describe: 'Path to a log file (its folder is created). Log lines go to the file and to stdout.' })
    .option('savedata', {
      alias: 's', type: 'boolean', default: false,
      describe: 'Save incoming data: every session\'s input is written to MRD_input_<date-time>_<n>.h5 in the save folder (group "dataset", with config_file/config/configAdditional, the XML header, acquisitions, waveforms and images), renamed at the end to <protocol name>_<date-time>_<n>.h5. The config "savedataonly" saves a session even without this option.',
    })
    .option('savedataFolder', { alias: 'S', type: 'string', default: DEFAULTS.savedataFolder, describe: 'Folder to save incoming data in (created when needed); also used by the "savedata" config.' })
    .option('multiprocessing', {
      alias: 'm', type: 'boolean', default: false,
      describe: 'Run each session in its own process, so a module that crashes or runs out of memory ends only its own session. Without it sessions run in worker threads: still concurrent and off the main thread, but sharing one process.',
    })
    .option('crlf', { alias: 'r', type: 'boolean', default: false, describe: 'Use Windows (CRLF) line endings in the log.' })
    .option('modules-dir', {
      type: 'string', array: true, default: [] as string[],
      describe: 'Folder of user recon modules (repeatable). A config name "foo" runs foo.ts, foo.mts, foo.js or foo.mjs from the first folder that has it; the file exports process(connection, config, header) and is compiled at load time (no build step). "import ... from \'@mrd-tools/core\'" gives the server\'s own core library.',
    })
    .option('idle-timeout', {
      type: 'number', default: DEFAULT_IDLE_TIMEOUT_MS / 1000,
      describe: 'Seconds a connection may stay silent while the server waits for it (before its config, within or between its messages, or not reading its results): it then gets an ERROR text and CLOSE and is closed. 0 disables.',
    })
    .option('max-sessions', {
      type: 'number', default: defaultMaxSessions(),
      describe: `Most sessions running at once (default ${SESSIONS_PER_CORE} x the CPU cores, at least 8). A connection beyond it gets an ERROR text "server busy" and CLOSE at once. Connections that have not sent their config yet do not count and cost no worker or process.`,
    })
    .option('config-dir', {
      type: 'string', array: true, default: [] as string[],
      describe: 'Folder of recon config files (e.g. rtspiral_vs_config.toml; repeatable), searched before MRD_TOOLS_CONFIG_PATH, /tmp/share/configs and configs/ in the working directory. Examples: packages/spiral-recon/configs.',
    })
    .option('http-port', {
      type: 'number',
      describe: 'Serve /healthz, /readyz and /metrics (Prometheus) over HTTP on this port, on the same host as the MRD port (0: any free port), and /view/: a page of the sessions in progress and recently finished, with the images they send (it shows image data: keep this port on a trusted network). Off unless given.',
    })
    .option('drain-timeout', {
      type: 'number', defaultDescription: String(DEFAULT_DRAIN_TIMEOUT_S),
      describe: 'Seconds the sessions in flight may take to finish after SIGTERM/SIGINT (the server stops accepting and /readyz answers 503 at once); then they get an ERROR text and CLOSE, their files are closed properly, and the server exits 0.',
    })
    .option('proxy-protocol', {
      type: 'boolean', default: false,
      describe: 'Require a PROXY protocol header (v1 or v2, as HAProxy\'s send-proxy / send-proxy-v2) at the start of every connection, so that logs and metrics carry the real client address behind a load balancer. A connection without one is refused (logged, and told so in an ERROR text).',
    })
    .option('log-format', {
      type: 'string', choices: LOG_FORMATS as string[], default: 'text',
      describe: 'Log line format: text (the reference\'s "date time - message") or json (one JSON object a line: time, level, msg, and for a session\'s lines its session id, client address and config).',
    })
    .option('worker-max-heap-mb', {
      type: 'number',
      describe: 'JavaScript heap limit of each session worker, in MB: a session exceeding it (or a crashing worker) ends with an ERROR message to its client while the server keeps serving. Default: Node\'s.',
    })
    .option('worker-idle-timeout', {
      type: 'number', default: DEFAULT_WORKER_IDLE_TIMEOUT_MS / 1000,
      describe: 'Seconds a session worker that has served a session waits for the next one while keeping that session\'s reusable buffers (tens of MB: the wire\'s ring, a recon\'s k-space storage) so the next session need not allocate them. After that it ends, its memory is given back to the system, and a fresh worker (about 10 MB) waits instead. 0: kept until the server stops. (With -m every session process ends with its session.)',
    })
    .option('threads', {
      type: 'number', defaultDescription: `the available cores (${availableParallelism()} here)`,
      describe: 'Threads the recon modules\' numerics may use in each session (a worker pool: the iterative spiral recons split their coil maps -- nlinv, gridding, FFTs -- over coils and their NUFFT SENSE operator over frames; simplefft splits large coil sets over coils; invertcontrast reconstructs each large group on n - 1 threads while its session thread receives the next). 1: everything on the session\'s own thread, no pool. Results do not depend on it.',
    })
    .option('shutdown-grace-ms', { type: 'number', hidden: true, describe: 'Deprecated: --drain-timeout in milliseconds (MRD_SERVER_SHUTDOWN_GRACE_MS).' })
    .option('metafile-dir', {
      type: 'string', array: true, default: [] as string[],
      describe: 'Folder of spiral sequence metafiles <hash>.mat (repeatable), searched before the metafile_paths of the recon\'s config (default seq_meta/ in the working directory, where mrd-phantom --trajectory spiral puts them).',
    })
    .check((a) => {
      for (const flag of ['config-dir', 'metafile-dir'] as const) {
        for (const d of (a[flag] as string[] | undefined) ?? []) {
          if (!statSync(d, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`argument --${flag}: no such folder '${d}'`);
        }
      }
      return true;
    })
    .epilogue('Built-in configs: null and savedataonly (receive and discard, saving with -s / always for savedataonly), savedata (store raw data as meas_MID<id>_<protocol>_<time>.h5 in the save folder), invertcontrast, simplefft, analyzeflow, filter. Config names are plain identifiers (letters, digits, _ and -); anything else falls back to the default config.\n\nOn SIGINT/SIGTERM the server drains: it stops accepting connections (/readyz answers 503 at once), the connections already accepted and the sessions in flight finish (up to --drain-timeout), then it exits with status 0. A second signal aborts the open sessions (ERROR text and CLOSE, files closed properly) and exits at once.\n\nWith -m each session is a process of its own.');
  // Every option has an environment variable (flags win); a wrong one is a usage error naming it.
  const wantsHelp = rawArgs.some((a) => a === '-h' || a === '--help' || a === '--version');
  const fromEnv = wantsHelp ? new Set<string>() : checkEnvironment(parser, process.env, { name: 'mrd-server', usage: 'mrd-server [options]', numbers });
  const argv = await parser.env(ENV_PREFIX).epilogue(environmentHelp(parser)).parseAsync();
  splitEnvironmentLists(argv as Record<string, unknown>, fromEnv, rawArgs, ['modules-dir', 'config-dir', 'metafile-dir']);

  const level = argv.verbose ? LogLevel.DEBUG : LogLevel.INFO;
  // a log file in a read-only (or otherwise unwritable) folder is named as such
  if (argv.logfile) await prepareOutputFolder(dirname(resolve(argv.logfile)), argv.logfile);
  const logFormat = argv['log-format'] as LogFormat;
  configureServerLogging({ level, crlf: argv.crlf, file: argv.logfile, format: logFormat, announce: true, console: argv.stdio ? 'stderr' : 'stdout' });
  provideCoreToUserModules(coreNamespaces());
  // --config-dir / --metafile-dir reach the recons (in every session worker or process, which
  // inherit the environment) through the search paths they already read
  prependSearchPath('MRD_TOOLS_CONFIG_PATH', argv['config-dir'] as string[]);
  prependSearchPath('MRD_TOOLS_METAFILE_PATH', argv['metafile-dir'] as string[]);
  // --threads reaches the modules the same way (recon-api numericsThreads)
  if (argv.threads !== undefined) setNumericsThreads(argv.threads);

  if (argv.stdio) {
    process.exitCode = await runStdioSession({
      defaultConfig: argv.defaultConfig, savedata: argv.savedata, savedataFolder: argv.savedataFolder, modulesDirs: argv['modules-dir'] as string[],
    });
    return;
  }

  const version = toolVersion(import.meta.url);
  const httpPort = argv['http-port'];
  const maxSessions = argv['max-sessions'];
  // The operational surface: metrics with --http-port; session ids and log contexts for JSON logs.
  const metrics = httpPort !== undefined ? await ServerMetrics.create({ version, maxSessions }) : undefined;
  const tracker = metrics || logFormat === 'json' ? new SessionTracker({ metrics, logContexts: logFormat === 'json', summaryAtInfo: logFormat === 'json' }) : undefined;
  // /view (the live view) comes with the HTTP port; it shares the tracker's session ids
  const live = httpPort !== undefined ? new LiveSessions({ sessionId: (conn) => tracker?.logContext(conn)?.session }) : undefined;
  const observer = tracker && live ? combineObservers([tracker, live]) : tracker;
  const drainTimeoutS = drainTimeoutSeconds(argv['drain-timeout'], argv['shutdown-grace-ms']);

  const server = new MrdServer({
    host: argv.host,
    port: argv.port,
    defaultConfig: argv.defaultConfig,
    savedata: argv.savedata,
    savedataFolder: argv.savedataFolder,
    modulesDirs: (argv['modules-dir'] as string[]).map((d) => d),
    runner: argv.multiprocessing ? 'process' : 'worker',
    idleTimeoutMs: argv['idle-timeout'] * 1000,
    maxSessions,
    entryFile: fileURLToPath(import.meta.url),
    log: { level, crlf: argv.crlf, file: argv.logfile, format: logFormat },
    proxyProtocol: argv['proxy-protocol'],
    workerMaxHeapMb: argv['worker-max-heap-mb'],
    workerIdleTimeoutMs: argv['worker-idle-timeout'] * 1000,
    observer,
  });
  let http: HttpEndpoints | undefined;

  handleShutdownSignals({
    drainTimeoutS,
    drain: (ms) => {
      metrics?.setDraining(true);
      return server.close(ms);
    },
    abortNow: () => server.abortAll(),
    closeEndpoints: () => http?.close() ?? Promise.resolve(),
  });

  try {
    await server.listen();
  } catch (err) {
    logger.error(`Cannot listen on ${argv.host}:${argv.port}: ${(err as Error).message}`);
    process.exit(1);
  }
  if (metrics && httpPort !== undefined) {
    try {
      const view = new LiveViewHttp(live!, { webRoot: join(dirname(fileURLToPath(import.meta.url)), 'web'), host: argv.host });
      http = await startHttpEndpoints({ host: argv.host, port: httpPort, server, metrics, routes: (req, res, path) => view.handle(req, res, path) });
    } catch (err) {
      logger.error(`Cannot listen on ${argv.host}:${httpPort} (--http-port): ${(err as Error).message}`);
      process.exit(1);
    }
  }
}

const boot = (isMainThread ? null : workerData) as SessionBootData | null;
if (boot?.kind === 'mrd-server-session') {
  runSessionWorker(boot);
} else if (process.env.MRD_SERVER_SESSION) {
  const data = JSON.parse(process.env.MRD_SERVER_SESSION) as SessionBootData;
  delete process.env.MRD_SERVER_SESSION;
  runSessionChild(data);
} else {
  main().catch((err) => process.exit(cliFailureStatus('mrd-server', err)));
}
