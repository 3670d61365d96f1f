/**
 * One client session of mrd-server, dispatched as the reference server (`server.py` `handle`):
 *
 * 1. the first message is the config: a CONFIG_FILE name or CONFIG_TEXT;
 * 2. the second is the XML header, parsed, or passed on as text when it is not a valid header;
 * 3. if the next message is TEXT, it is the JSON additional config: it is saved (with `-s`) and
 *    `parameters.config`, then a non-empty `parameters.customconfig`, replace the config name;
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
import { logger, MrdProtocolError } from '@mrd-tools/core';
import type { ModuleConfig, MrdMessage, ReconModule } from '@mrd-tools/core';
import { SessionConnection } from './session-connection.js';
import { IncomingDataRecorder } from './incoming-data-recorder.js';
import { isValidConfigName } from './config-name.js';
import { findUserModule, loadUserModule, UserModuleLoadError } from './user-modules.js';
import { savedataModule } from './savedata-module.js';
import { builtInModule } from './modules/index.js';
import { openWireConnection, parseHeaderOrNull } from './wire.js';
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

/** A config name safe to print in a log line (client-controlled text). */
function printable(name: string): string {
  const s = JSON.stringify(name.length > 200 ? name.slice(0, 200) + '…' : name);
  return s.slice(1, -1);
}

function textOf(msg: MrdMessage): string {
  switch (msg.type) {
    case 'config_file': return msg.name;
    case 'config_text': return msg.text;
    case 'header': return msg.xml;
    case 'text': return msg.text;
    default: return '';
  }
}

function describeHeader(h: unknown): void {
  const asi = (h as { acquisitionSystemInformation?: Record<string, unknown> } | null)?.acquisitionSystemInformation;
  const t = asi?.systemFieldStrength_T;
  if (typeof t === 'number') logger.info(`Data is from a ${asi?.systemVendor ?? 'None'} ${asi?.systemModel ?? 'None'} at ${t.toFixed(1)}T`);
}

async function resolveModule(name: string, opts: SessionOptions, headerXml: string | null, report: SessionFactSink): Promise<{ name: string; module: ReconModule } | null> {
  if (name === 'savedata') return { name, module: savedataModule(opts.savedataFolder, headerXml, (path) => report(savedFileFact(path))) };
  const builtin = builtInModule(name);
  if (builtin) return { name, module: builtin };
  if (!isValidConfigName(name)) return null;
  const file = findUserModule(opts.modulesDirs, name);
  if (!file) return null;
  logger.info(`Loading user module '${name}' from ${file}`);
  return { name, module: await loadUserModule(file) };
}

/** The one line a client is told about an error: the first line of its message, never a stack trace. */
export function errorLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = msg.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? (err instanceof Error ? err.name : 'unknown error');
  return line.length > 500 ? line.slice(0, 500) + '…' : line;
}

/** `report`: where the session's facts go (config, recon time, saved files, ERROR count; see operations/session-facts.ts). */
export async function runSession(io: Duplex, opts: SessionOptions, report: SessionFactSink = ignoreSessionFacts): Promise<void> {
  const wire = openWireConnection(io);
  let wireErrors = 0;
  // Incoming data is saved (-s, or config savedataonly) once a config and an MRD header are in:
  // a connection that never sends both creates no file.
  let recorder: IncomingDataRecorder | null = opts.savedata ? new IncomingDataRecorder(opts.savedataFolder) : null;
  if (opts.savedata) logger.debug('Saving incoming data is enabled.');
  let recorderFailed = false;
  // Saving must never take the session down silently: on a write error the client is told
  // (ERROR text naming the file), the error is logged, and the session goes on without saving.
  const saveFailed = (err: unknown) => {
    if (recorderFailed) return;
    recorderFailed = true;
    const text = `Saving incoming data to ${recorder?.path ?? opts.savedataFolder} failed: ${errorLine(err)}`;
    logger.error(text);
    wireErrors++;
    wire.sendLogging('ERROR', text).catch(() => undefined);
  };
  const recordSafely = async (what: () => Promise<void>) => {
    if (!recorder || recorderFailed) return;
    try {
      await what();
    } catch (err) {
      saveFailed(err);
    }
  };
  const conn = new SessionConnection(wire, (msg) => {
    if (msg.type === 'config_file' && msg.name === 'savedataonly') {
      logger.info('Save data, but no processing based on config');
      if (recorder) logger.debug('Saving data is already enabled');
      else {
        recorder = new IncomingDataRecorder(opts.savedataFolder);
        recorder.onBackgroundError = saveFailed;
      }
    }
    return recordSafely(() => recorder!.record(msg));
  }, () => recorder === null || recorderFailed);
  if (recorder) recorder.onBackgroundError = saveFailed;
  let parsedHeader: unknown = null;
  try {
    // 1. config
    const first = await conn.next();
    if (first === null) {
      logger.info('Connection closed without any data received');
      return;
    }
    let config = textOf(first);
    if (first.type !== 'config_file' && first.type !== 'config_text') logger.warning(`First message is ${first.type}, not a config; using its text as the config`);

    // 2. XML header
    const second = await conn.next();
    if (second === null) {
      logger.info('Connection closed without an MRD header received');
      return;
    }
    const headerXml = second.type === 'header' ? second.xml : null;
    let metadata: unknown;
    if (second.type !== 'header') {
      logger.warning(`Second message is ${second.type}, not the MRD header`);
      if (second.type === 'acquisition' || second.type === 'image' || second.type === 'waveform') conn.unread(second);
      metadata = textOf(second);
    } else {
      logger.debug(`XML Metadata: ${second.xml}`);
      parsedHeader = parseHeaderOrNull(second.xml);
      if (parsedHeader) {
        metadata = parsedHeader;
        describeHeader(parsedHeader);
      } else {
        logger.warning('Metadata is not a valid MRD XML structure.  Passing on metadata as text');
        metadata = second.xml;
      }
    }

    // 3. optional JSON additional config
    let configAdditional: ModuleConfig = config;
    const third = await conn.next();
    if (third?.type === 'text') {
      logger.info(`Received additional config text: ${third.text}`);
      await recordSafely(() => recorder!.recordAdditionalConfig(third.text));
      try {
        const parsed = JSON.parse(third.text) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          configAdditional = parsed as Record<string, unknown>;
          const params = (parsed as Record<string, unknown>).parameters as Record<string, unknown> | undefined;
          if (params && typeof params === 'object') {
            if ('config' in params) {
              logger.info(`Changing config to: ${printable(String(params.config))}`);
              config = String(params.config);
            }
            if ('customconfig' in params && params.customconfig !== '' && params.customconfig != null) {
              logger.info(`Changing config to: ${printable(String(params.customconfig))}`);
              config = String(params.customconfig);
            }
          }
        } else {
          configAdditional = parsed as ModuleConfig;
        }
      } catch {
        logger.error('Failed to parse as JSON');
        configAdditional = third.text;
      }
    } else if (third !== null) {
      conn.unread(third);
    }

    // 4. dispatch
    const drainOnly: ReconModule = {
      async process(c) {
        await (c as SessionConnection).drain();
      },
    };
    const lookup = async (name: string): Promise<{ name: string; module: ReconModule } | null> => {
      if (name === 'null' || name === 'savedataonly') {
        logger.info(name === 'null' ? 'No processing based on config' : 'Save data, but no processing based on config');
        return { name, module: drainOnly };
      }
      return resolveModule(name, opts, headerXml, report);
    };

    let chosen: { name: string; module: ReconModule } | null = null;
    let loading = config;
    try {
      chosen = await lookup(config);
      if (!chosen) {
        // As the reference: fall back to the default config; unlike it, the client is told.
        const text = `Could not find config module '${printable(config)}' -- falling back to default config: ${opts.defaultConfig}`;
        logger.error(text);
        await conn.sendLogging('WARNING', text);
        loading = opts.defaultConfig;
        chosen = await lookup(opts.defaultConfig);
        if (!chosen) {
          logger.error(`Failed to load default config '${opts.defaultConfig}'`);
          await conn.sendLogging('ERROR', `default config module '${opts.defaultConfig}' not found either; nothing was processed`);
        }
      }
    } catch (err) {
      logger.error(`Failed to load config '${printable(loading)}' with error:\n  ${(err as Error)?.stack ?? String(err)}`);
      await conn.sendLogging('ERROR', `config module '${printable(loading)}' could not be loaded: ${loadErrorLine(err)}`);
      chosen = null;
    }
    report({ fact: 'config', config: chosen?.name ?? 'none' });

    if (!chosen) {
      await conn.drain().catch(() => undefined);
      return;
    }

    if (chosen.module !== drainOnly) logger.info(`Starting ${chosen.name} processing based on config`);
    const reconStart = performance.now();
    try {
      await chosen.module.process(conn, configAdditional, metadata);
    } catch (err) {
      // A failure of the stream itself (not MRD, client gone) is the session's, not the module's.
      const code = (err as { code?: string })?.code;
      if (err instanceof MrdProtocolError || code === 'ECONNRESET' || code === 'EPIPE') throw err;
      // The trace goes to the log; the client gets one line naming the module.
      logger.error(`Module '${chosen.name}' failed: ${(err as Error)?.stack ?? String(err)}`);
      if (!conn.closeSent) await conn.sendLogging('ERROR', `${chosen.name}: ${errorLine(err)}`).catch(() => undefined);
    } finally {
      report({ fact: 'recon', seconds: (performance.now() - reconStart) / 1000 });
    }
  } catch (err) {
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
  } finally {
    if (recorder) {
      // Everything the client sends is saved, and the file closed, before CLOSE: a save that
      // fails at the end is still reported to the client.
      await drainWithTimeout(conn, opts.drainTimeoutMs ?? 60_000);
      try {
        const saved = await recorder.close(parsedHeader);
        if (saved) {
          logger.info(`Incoming data was saved at ${saved}`);
          report(savedFileFact(saved));
        }
      } catch (err) {
        logger.error(`Failed to close the saved data file ${recorder.path}: ${(err as Error).message}`);
        saveFailed(err);
      }
    }
    // Every session ends with CLOSE (after an ERROR text when something went wrong).
    if (!conn.closeSent) await conn.sendClose().catch(() => undefined);
    // Keep reading what the client still sends until it closes (or a while).
    if (!recorder) await drainWithTimeout(conn, opts.drainTimeoutMs ?? 60_000);
    await endOutput(io, wire);
    report({ fact: 'errors', count: conn.errorTexts + wireErrors });
    logger.info('Socket closed');
  }
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
