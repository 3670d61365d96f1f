/**
 * One client session of mrd-server, dispatched as the reference server (`server.py` `handle`):
 *
 * 1-3. the session preamble (config, XML header, optional JSON additional config, which is
 *    saved with `-s`): @mrd-tools/recon-api/session, shared with the test replay;
 * 4. the config selects the module: `null` and `savedataonly` drain the input (saving it when
 *    enabled) and answer CLOSE; `savedata` stores the raw data under the reference's
 *    `meas_MID...` name; built-in modules; then user modules from `--modules-dir`; anything else
 *    (including a name that is not a plain identifier) falls back to the default config, as the
 *    reference, and the client is told so in a WARNING text.
 *
 * Every session ends with CLOSE. Whatever goes wrong (a module throwing, a module that cannot
 * be loaded, a protocol error, saving that fails) is first told to the client in one ERROR text
 * line naming what failed; the stack trace goes to the server log only. After the module the
 * rest of the client's input is drained (so a client still sending is not cut off mid-write);
 * when incoming data is saved, the file is closed before CLOSE so that a failure to finish it
 * still reaches the client. The output is ended only once everything written is handed on.
 */
import type { Duplex } from 'node:stream';
import { logger } from '@mrd-tools/core/logging';
import { MrdProtocolError } from '@mrd-tools/core/stream';
import type { ModuleConfig, ReconModule } from '@mrd-tools/recon-api/module';
import { printableConfigName as printable, readSessionPreamble, type SessionPreamble } from '@mrd-tools/recon-api/session';
import type { MrdConnection } from '@mrd-tools/core/connection';
import { SessionConnection } from './session-connection.js';
import { IncomingDataRecorder } from './incoming-data-recorder.js';
import { isValidConfigName } from './config-name.js';
import { findUserModule, loadUserModule, UserModuleLoadError } from './user-modules.js';
import { savedataModule } from './savedata-module.js';
import { builtInModule } from './modules/index.js';
import { closeWireConnection, openWireConnection } from './wire.js';
import { MrdV2Wire, sniffSessionStream } from './v2-session.js';
import { ignoreSessionFacts, type SessionFactSink } from './operations/session-facts.js';
import { savedFileFact } from './operations/saved-file-fact.js';

export interface SessionOptions {
  defaultConfig: string;
  savedata: boolean;
  savedataFolder: string;
  modulesDirs: string[];
  /** How long to keep reading a client's leftover input after the module is done (ms). */
  drainTimeoutMs?: number;
}

/** The one line a client is told about an error: the first line of its message, never a stack trace. */
export function errorLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = msg.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? (err instanceof Error ? err.name : 'unknown error');
  return line.length > 500 ? line.slice(0, 500) + '…' : line;
}

/** What a running session holds: its wire, the connection its module reads, and the saving of its input. */
interface Session {
  io: Duplex;
  /** v1 (SocketConnection) or v2 (MrdV2Wire, see v2-session.ts), by the stream's first bytes */
  wire: MrdConnection & { flush(): Promise<void> };
  conn: SessionConnection;
  opts: SessionOptions;
  /** Saves the incoming data (-s, or config savedataonly); null when not saving. */
  recorder: IncomingDataRecorder | null;
  recorderFailed: boolean;
  parsedHeader: unknown;
  /** where the session's facts go (config, recon time, saved files, ERROR count; see operations/session-facts.ts) */
  report: SessionFactSink;
  /** ERROR texts sent on the wire directly (not through the module's connection) */
  wireErrors: number;
  /** Time (ms) from the module's start to its end (0 without a module). */
  reconMs: number;
}

/** `report`: where the session's facts go (config, recon time, saved files, ERROR count; see operations/session-facts.ts). */
export async function runSession(stream: Duplex, opts: SessionOptions, report: SessionFactSink = ignoreSessionFacts): Promise<void> {
  const { kind, io } = await sniffSessionStream(stream);
  const session = startSession(io, opts, report, kind === 'mrd-v1' ? openWireConnection(io) : new MrdV2Wire(io, kind, opts.defaultConfig));
  io.resume(); // the sniffing left it paused; the wire now reads it
  try {
    const preamble = await readSessionPreamble(session.conn, {
      onAdditionalConfig: (text) => recordSafely(session, (r) => r.recordAdditionalConfig(text)),
    });
    if (preamble) {
      session.parsedHeader = preamble.parsedHeader;
      await dispatch(session, preamble);
    }
  } catch (err) {
    await reportSessionFailure(session, err);
  } finally {
    await endSession(session);
    closeWireConnection(session.wire);
  }
}

// ------------------------------------------------------------------------------------ start-up

/**
 * Opens the wire and the module's connection. Incoming data is saved (-s, or config
 * savedataonly) once a config and an MRD header are in: a connection that never sends both
 * creates no file.
 */
function startSession(io: Duplex, opts: SessionOptions, report: SessionFactSink, wire: Session['wire']): Session {
  const session: Session = {
    io, wire, opts, conn: null as unknown as SessionConnection, recorder: null, recorderFailed: false, parsedHeader: null, report, wireErrors: 0, reconMs: 0,
  };
  if (opts.savedata) {
    logger.debug('Saving incoming data is enabled.');
    session.recorder = newRecorder(session);
  }
  session.conn = new SessionConnection(wire, (msg) => {
    if (msg.type === 'config_file' && msg.name === 'savedataonly') {
      logger.info('Save data, but no processing based on config');
      if (session.recorder) logger.debug('Saving data is already enabled');
      else session.recorder = newRecorder(session);
    }
    return recordSafely(session, (r) => r.record(msg));
  }, () => session.recorder === null || session.recorderFailed);
  return session;
}

function newRecorder(session: Session): IncomingDataRecorder {
  const r = new IncomingDataRecorder(session.opts.savedataFolder);
  r.onBackgroundError = (err) => saveFailed(session, err);
  return r;
}

/**
 * Saving must never take the session down silently: on a write error the client is told (ERROR
 * text naming the file), the error is logged, and the session goes on without saving.
 */
function saveFailed(session: Session, err: unknown): void {
  if (session.recorderFailed) return;
  session.recorderFailed = true;
  const text = `Saving incoming data to ${session.recorder?.path ?? session.opts.savedataFolder} failed: ${errorLine(err)}`;
  logger.error(text);
  session.wireErrors++;
  session.wire.sendLogging('ERROR', text).catch(() => undefined);
}

async function recordSafely(session: Session, what: (recorder: IncomingDataRecorder) => Promise<void>): Promise<void> {
  if (!session.recorder || session.recorderFailed) return;
  try {
    await what(session.recorder);
  } catch (err) {
    saveFailed(session, err);
  }
}

// ------------------------------------------------------------------------------------ dispatch

const drainOnly: ReconModule = {
  async process(c) {
    await (c as SessionConnection).drain();
  },
};

async function resolveModule(name: string, opts: SessionOptions, headerXml: string | null, report: SessionFactSink): Promise<{ name: string; module: ReconModule } | null> {
  if (name === 'null' || name === 'savedataonly') {
    logger.info(name === 'null' ? 'No processing based on config' : 'Save data, but no processing based on config');
    return { name, module: drainOnly };
  }
  if (name === 'savedata') return { name, module: savedataModule(opts.savedataFolder, headerXml, (path) => report(savedFileFact(path))) };
  const builtin = builtInModule(name);
  if (builtin) return { name, module: builtin };
  if (!isValidConfigName(name)) return null;
  const file = findUserModule(opts.modulesDirs, name);
  if (!file) return null;
  logger.info(`Loading user module '${name}' from ${file}`);
  return { name, module: await loadUserModule(file) };
}

/**
 * The module of the config (4): built-in, savedata, a user module, else the default config, as
 * the reference, with a WARNING text to the client. Null (after an ERROR text) when neither loads.
 */
async function chooseModule(session: Session, p: SessionPreamble): Promise<{ name: string; module: ReconModule } | null> {
  const { conn, opts } = session;
  let loading = p.configName;
  try {
    const chosen = await resolveModule(p.configName, opts, p.headerXml, session.report);
    if (chosen) return chosen;
    // As the reference: fall back to the default config; unlike it, the client is told.
    const text = `Could not find config module '${printable(p.configName)}' -- falling back to default config: ${opts.defaultConfig}`;
    logger.error(text);
    await conn.sendLogging('WARNING', text);
    loading = opts.defaultConfig;
    const fallback = await resolveModule(opts.defaultConfig, opts, p.headerXml, session.report);
    if (fallback) return fallback;
    logger.error(`Failed to load default config '${opts.defaultConfig}'`);
    await conn.sendLogging('ERROR', `default config module '${opts.defaultConfig}' not found either; nothing was processed`);
  } catch (err) {
    logger.error(`Failed to load config '${printable(loading)}' with error:\n  ${(err as Error)?.stack ?? String(err)}`);
    await conn.sendLogging('ERROR', `config module '${printable(loading)}' could not be loaded: ${loadErrorLine(err)}`);
  }
  return null;
}

/** Runs the module the config names on the rest of the session. */
async function dispatch(session: Session, p: SessionPreamble): Promise<void> {
  const { conn } = session;
  const chosen = await chooseModule(session, p);
  session.report({ fact: 'config', config: chosen?.name ?? 'none' });
  if (!chosen) {
    await conn.drain().catch(() => undefined);
    return;
  }
  if (chosen.module !== drainOnly) logger.info(`Starting ${chosen.name} processing based on config`);
  const reconStart = performance.now();
  try {
    await chosen.module.process(conn, p.config as ModuleConfig, p.header);
  } catch (err) {
    // A failure of the stream itself (not MRD, client gone) is the session's, not the module's.
    const code = (err as { code?: string })?.code;
    if (err instanceof MrdProtocolError || code === 'ECONNRESET' || code === 'EPIPE') throw err;
    // The trace goes to the log; the client gets one line naming the module.
    logger.error(`Module '${chosen.name}' failed: ${(err as Error)?.stack ?? String(err)}`);
    if (!conn.closeSent) await conn.sendLogging('ERROR', `${chosen.name}: ${errorLine(err)}`).catch(() => undefined);
  } finally {
    session.reconMs = performance.now() - reconStart;
    session.report({ fact: 'recon', seconds: session.reconMs / 1000 });
  }
}

// ------------------------------------------------------------------------------------ clean-up

/** A failure of the session itself: bytes that are not MRD, a client gone, anything unexpected. */
async function reportSessionFailure(session: Session, err: unknown): Promise<void> {
  const { conn } = session;
  const e = err as Error & { code?: string };
  if (e instanceof MrdProtocolError) {
    // Bytes that are not MRD (garbage, an unknown id, a hostile length): tell the client, close.
    logger.error(`Protocol error from the client: ${e.message}`);
    if (!conn.closeSent) await conn.sendLogging('ERROR', `protocol error: ${e.message}`).catch(() => undefined);
  } else if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE') {
    logger.error(`Connection closed unexpectedly: ${e.message}`);
  } else {
    logger.error(`Session failed: ${e?.stack ?? String(err)}`);
    if (!conn.closeSent) await conn.sendLogging('ERROR', `session failed: ${errorLine(err)}`).catch(() => undefined);
  }
}

/**
 * Every session ends here: the saved file is completed (everything the client sends is saved,
 * and the file closed, before CLOSE, so a save that fails at the end is still reported), CLOSE
 * is sent, the client's leftover input read, and the output ended once everything is handed on.
 */
async function endSession(session: Session): Promise<void> {
  const { conn, recorder, opts } = session;
  const drainMs = opts.drainTimeoutMs ?? 60_000;
  if (recorder) {
    await drainWithTimeout(conn, drainMs);
    try {
      const saved = await recorder.close(session.parsedHeader);
      if (saved) {
        logger.info(`Incoming data was saved at ${saved}`);
        session.report(savedFileFact(saved));
      }
    } catch (err) {
      logger.error(`Failed to close the saved data file ${recorder.path}: ${(err as Error).message}`);
      saveFailed(session, err);
    }
  }
  // Every session ends with CLOSE (after an ERROR text when something went wrong).
  if (!conn.closeSent) await conn.sendClose().catch(() => undefined);
  // Keep reading what the client still sends until it closes (or a while).
  if (!recorder) await drainWithTimeout(conn, drainMs);
  await endOutput(session.io, session.wire);
  if (session.wire instanceof MrdV2Wire) session.report({ fact: 'v2-items', received: session.wire.itemsIn, sent: session.wire.itemsOut });
  session.report({ fact: 'errors', count: conn.errorTexts + session.wireErrors });
  if (process.env.MRD_PHASE_TIMES) logPhases(session);
  logger.info('Socket closed');
}

/**
 * MRD_PHASE_TIMES=1 (scripts/bench/e2e-throughput): where the session's time went, in ms:
 * decoding the input, the module's own work (its run minus waiting for input and for sends),
 * encoding the output, and the waits.
 */
function logPhases(session: Session): void {
  const { conn } = session;
  // the v1 wire times its codec; the MRD v2 wire (v2-session.ts) does not: its figures show 0
  const timing = (session.wire as { timing?: { decodeMs: number; encodeMs: number } }).timing ?? { decodeMs: 0, encodeMs: 0 };
  const moduleMs = Math.max(0, session.reconMs - conn.timing.inputWaitMs - conn.timing.sendWaitMs);
  const r = (x: number) => Math.round(x);
  // messages assembled in the borrow ring (the module called borrowPayloads) / given fresh memory because it was full
  const arena = (session.wire as { arenaStats?: { carved: number; misses: number; peakInUse: number } | null }).arenaStats;
  logger.info(`Session phases ${JSON.stringify({
    decodeMs: r(timing.decodeMs), moduleMs: r(moduleMs), encodeMs: r(timing.encodeMs),
    inputWaitMs: r(conn.timing.inputWaitMs), sendWaitMs: r(conn.timing.sendWaitMs),
    ...(arena ? { arenaBlocks: arena.carved, arenaMisses: arena.misses, arenaPeakMB: +(arena.peakInUse / 1048576).toFixed(1) } : {}),
  })}`);
}

/** A module load failure in one line, without the compiler's file locations. */
function loadErrorLine(err: unknown): string {
  if (err instanceof UserModuleLoadError) return err.clientMessage;
  return errorLine(err);
}

/**
 * Ends the session's output: waits until every byte written is handed on (to the relaying main
 * thread or the pipe), then ends the write side. Never cuts what was written.
 */
async function endOutput(io: Duplex, wire: { flush(): Promise<void> }): Promise<void> {
  await wire.flush().catch(() => undefined);
  if (io.destroyed || io.writableFinished) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      io.off('finish', done);
      io.off('close', done);
      io.off('error', done);
      resolve();
    };
    io.on('finish', done);
    io.on('close', done);
    io.on('error', done);
    io.end();
  });
}

async function drainWithTimeout(conn: SessionConnection, ms: number): Promise<void> {
  if (conn.isExhausted) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    const r = await Promise.race([conn.drain().then(() => 'done' as const, () => 'done' as const), timeout]);
    if (r === 'timeout') logger.warning('Client kept the connection open after the session ended; closing it');
  } finally {
    clearTimeout(timer);
  }
}
