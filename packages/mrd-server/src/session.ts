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
 *    (including a name that is not a plain identifier) falls back to the default config with a
 *    logged error.
 *
 * A module error becomes an ERROR text message then CLOSE. After the module the rest of the
 * client's input is drained (so a client still sending is not cut off mid-write), the socket is
 * ended, and the saved-data file is closed and renamed to the protocol name.
 */
import type { Duplex } from 'node:stream';
import { logger, MrdProtocolError } from '@mrd-tools/core';
import type { ModuleConfig, MrdMessage, ReconModule } from '@mrd-tools/core';
import { SessionConnection } from './session-connection.js';
import { IncomingDataRecorder } from './incoming-data-recorder.js';
import { isValidConfigName } from './config-name.js';
import { findUserModule, loadUserModule } from './user-modules.js';
import { savedataModule } from './savedata-module.js';
import { builtInModule } from './modules/index.js';
import { openWireConnection, parseHeaderOrNull } from './wire.js';

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

async function resolveModule(name: string, opts: SessionOptions, headerXml: string | null): Promise<{ name: string; module: ReconModule } | null> {
  if (name === 'savedata') return { name, module: savedataModule(opts.savedataFolder, headerXml) };
  const builtin = builtInModule(name);
  if (builtin) return { name, module: builtin };
  if (!isValidConfigName(name)) return null;
  const file = findUserModule(opts.modulesDirs, name);
  if (!file) return null;
  logger.info(`Loading user module '${name}' from ${file}`);
  return { name, module: await loadUserModule(file) };
}

export async function runSession(io: Duplex, opts: SessionOptions): Promise<void> {
  const wire = openWireConnection(io);
  let recorder: IncomingDataRecorder | null = opts.savedata ? new IncomingDataRecorder(opts.savedataFolder) : null;
  if (opts.savedata) logger.debug('Saving incoming data is enabled.');
  let recorderFailed = false;
  // Saving must never take the session down silently: on a write error the client is told
  // (ERROR text), the error is logged, and the session goes on without saving.
  const recordSafely = async (what: () => Promise<void>) => {
    if (!recorder || recorderFailed) return;
    try {
      await what();
    } catch (err) {
      recorderFailed = true;
      const text = `Saving incoming data to ${recorder.path ?? opts.savedataFolder} failed: ${(err as Error).message}`;
      logger.error(text);
      wire.sendLogging('ERROR', text).catch(() => undefined);
    }
  };
  const conn = new SessionConnection(wire, (msg) => {
    if (msg.type === 'config_file' && msg.name === 'savedataonly') {
      logger.info('Save data, but no processing based on config');
      if (recorder) logger.debug('Saving data is already enabled');
      else recorder = new IncomingDataRecorder(opts.savedataFolder);
    }
    return recordSafely(() => recorder!.record(msg));
  }, () => recorder === null || recorderFailed);
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
      return resolveModule(name, opts, headerXml);
    };

    let chosen: { name: string; module: ReconModule } | null = null;
    try {
      chosen = await lookup(config);
      if (!chosen) {
        logger.error(`Could not find config module '${printable(config)}' -- falling back to default config: ${opts.defaultConfig}`);
        chosen = await lookup(opts.defaultConfig);
        if (!chosen) logger.error(`Failed to load default config '${opts.defaultConfig}'`);
      }
    } catch (err) {
      logger.error(`Failed to load config '${printable(config)}' with error:\n  ${(err as Error).message}`);
      await conn.sendLogging('ERROR', (err as Error).message).catch(() => undefined);
      chosen = null;
    }

    if (!chosen) {
      await conn.drain().catch(() => undefined);
      await conn.sendClose().catch(() => undefined);
      return;
    }

    if (chosen.module !== drainOnly) logger.info(`Starting ${chosen.name} processing based on config`);
    try {
      await chosen.module.process(conn, configAdditional, metadata);
    } catch (err) {
      const e = err as Error;
      logger.error(`Module '${chosen.name}' failed: ${e?.stack ?? String(err)}`);
      if (!conn.closeSent) await conn.sendLogging('ERROR', e?.stack ?? String(err)).catch(() => undefined);
    } finally {
      await conn.sendClose().catch(() => undefined);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e instanceof MrdProtocolError) {
      // Bytes that are not MRD (garbage, an unknown id, a hostile length): tell the client, close.
      logger.error(`Protocol error from the client: ${e.message}`);
      await conn.sendLogging('ERROR', `protocol error: ${e.message}`).catch(() => undefined);
      await conn.sendClose().catch(() => undefined);
    } else if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE' || /closed|reset/i.test(e?.message ?? '')) {
      logger.error(`Connection closed unexpectedly: ${e.message}`);
    } else {
      logger.error(e?.stack ?? String(err));
    }
  } finally {
    // Keep reading what the client still sends (saving it if enabled) until it closes.
    await drainWithTimeout(conn, opts.drainTimeoutMs ?? 60_000);
    await wire.close().catch(() => undefined);
    logger.info('Socket closed');
    if (recorder) {
      try {
        const saved = await recorder.close(parsedHeader);
        if (saved) logger.info(`Incoming data was saved at ${saved}`);
      } catch (err) {
        logger.error(`Failed to close the saved data file: ${(err as Error).message}`);
      }
    }
  }
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
