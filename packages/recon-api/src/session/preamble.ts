/**
 * The start of every session, as the reference server (`server.py` `handle`) reads it, written
 * once for mrd-server's sessions and the test replay (../testing/replay.ts):
 *
 * 1. the first message is the config: a CONFIG_FILE name or CONFIG_TEXT (anything else: its text);
 * 2. the second is the XML header, parsed, or passed on as text when it is not a valid header
 *    (a data message there is put back for the module);
 * 3. if the next message is TEXT, it is the JSON additional config: the module's `config`
 *    argument becomes the parsed JSON (or the text when it is not JSON), and its
 *    `parameters.config`, then a non-empty `parameters.customconfig`, replace the config name
 *    that selects the module.
 */
import { logger } from '@mrd-tools/core/logging';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { parseIsmrmrdHeader, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { ModuleConfig } from '../module/types.js';

/** Where the preamble reads from: the session's messages, with one message of look-ahead. */
export interface MessageSource {
  next(): Promise<MrdMessage | null>;
  unread(message: MrdMessage): void;
}

export interface SessionPreamble {
  /** The config the client asked for (CONFIG_FILE name or CONFIG_TEXT text). */
  requestedConfig: string;
  /** The config that selects the module: the requested one, or the JSON config's override. */
  configName: string;
  /** The module's `config` argument: the parsed JSON config, the TEXT when not JSON, else the config name. */
  config: ModuleConfig;
  /** The module's `header` argument: the parsed header, else the text of the second message. */
  header: unknown;
  /** The parsed header, null when the second message was no valid header. */
  parsedHeader: IsmrmrdHeader | null;
  /** The XML text when the second message was a header, else null. */
  headerXml: string | null;
}

export interface PreambleHooks {
  /** Called with the additional config TEXT before it is interpreted (mrd-server saves it with -s). */
  onAdditionalConfig?(text: string): Promise<void> | void;
}

/** A config name safe to print in a log line (client-controlled text). */
export function printableConfigName(name: string): string {
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

function parseHeaderOrNull(xml: string): IsmrmrdHeader | null {
  try {
    return parseIsmrmrdHeader(xml);
  } catch {
    return null;
  }
}

/**
 * The module's config and the config name after the JSON additional config `text` (step 3):
 * `parameters.config`, then a non-empty `parameters.customconfig`, replace `configName`.
 */
function applyAdditionalConfig(configName: string, text: string): { configName: string; config: ModuleConfig } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    logger.error('Failed to parse as JSON');
    return { configName, config: text };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { configName, config: parsed as ModuleConfig };
  const params = (parsed as Record<string, unknown>).parameters as Record<string, unknown> | undefined;
  let name = configName;
  if (params && typeof params === 'object') {
    if ('config' in params) {
      name = String(params.config);
      logger.info(`Changing config to: ${printableConfigName(name)}`);
    }
    if ('customconfig' in params && params.customconfig !== '' && params.customconfig != null) {
      name = String(params.customconfig);
      logger.info(`Changing config to: ${printableConfigName(name)}`);
    }
  }
  return { configName: name, config: parsed as Record<string, unknown> };
}

/** Reads steps 1-3 from `source`; null when it ends before a config and a second message. */
export async function readSessionPreamble(source: MessageSource, hooks: PreambleHooks = {}): Promise<SessionPreamble | null> {
  const first = await source.next();
  if (first === null) {
    logger.info('Connection closed without any data received');
    return null;
  }
  const requestedConfig = textOf(first);
  if (first.type !== 'config_file' && first.type !== 'config_text') logger.warning(`First message is ${first.type}, not a config; using its text as the config`);

  const second = await source.next();
  if (second === null) {
    logger.info('Connection closed without an MRD header received');
    return null;
  }
  let header: unknown;
  let parsedHeader: IsmrmrdHeader | null = null;
  const headerXml = second.type === 'header' ? second.xml : null;
  if (second.type !== 'header') {
    logger.warning(`Second message is ${second.type}, not the MRD header`);
    if (second.type === 'acquisition' || second.type === 'image' || second.type === 'waveform') source.unread(second);
    header = textOf(second);
  } else {
    logger.debug(`XML Metadata: ${second.xml}`);
    parsedHeader = parseHeaderOrNull(second.xml);
    if (parsedHeader) {
      header = parsedHeader;
      const asi = parsedHeader.acquisitionSystemInformation;
      const t = asi?.systemFieldStrength_T;
      if (typeof t === 'number') logger.info(`Data is from a ${asi?.systemVendor ?? 'None'} ${asi?.systemModel ?? 'None'} at ${t.toFixed(1)}T`);
    } else {
      logger.warning('Metadata is not a valid MRD XML structure.  Passing on metadata as text');
      header = second.xml;
    }
  }

  let configName = requestedConfig;
  let config: ModuleConfig = requestedConfig;
  const third = await source.next();
  if (third?.type === 'text') {
    logger.info(`Received additional config text: ${third.text}`);
    await hooks.onAdditionalConfig?.(third.text);
    ({ configName, config } = applyAdditionalConfig(requestedConfig, third.text));
  } else if (third !== null) {
    source.unread(third);
  }
  return { requestedConfig, configName, config, header, parsedHeader, headerXml };
}
