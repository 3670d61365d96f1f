/**
 * Driving a recon module without a server: an in-memory MrdConnection fed from a decoded
 * client-to-server stream, recording what the module sends, and the reference server's
 * dispatch of the first messages (config, XML header, optional JSON config as TEXT).
 * Used by the built-in modules' acceptance tests and handy for testing user modules.
 */
import type { MrdConnection, MrdMessage, TextLogLevel } from '@mrd-tools/core/connection';
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import type { ModuleConfig } from '../module/types.js';
import { tryParseIsmrmrdHeader } from '@mrd-tools/core/xml-header';

export class ReplayConnection implements MrdConnection {
  /** Every message the module sent, in order. */
  readonly sent: MrdMessage[] = [];

  constructor(private readonly incoming: readonly MrdMessage[]) {}

  async *[Symbol.asyncIterator](): AsyncIterator<MrdMessage> {
    for (const m of this.incoming) {
      if (m.type === 'close') return;
      yield m;
    }
  }

  async sendConfigFile(name: string): Promise<void> { this.sent.push({ type: 'config_file', name }); }
  async sendConfigText(text: string): Promise<void> { this.sent.push({ type: 'config_text', text }); }
  async sendHeader(xml: string): Promise<void> { this.sent.push({ type: 'header', xml }); }
  async sendText(text: string): Promise<void> { this.sent.push({ type: 'text', text }); }
  async sendLogging(level: TextLogLevel, text: string): Promise<void> {
    this.sent.push({ type: 'text', text: `${level.padEnd(8)} ${text}` });
  }
  async sendAcquisition(acq: Acquisition | Acquisition[]): Promise<void> {
    for (const a of Array.isArray(acq) ? acq : [acq]) this.sent.push({ type: 'acquisition', acquisition: a });
  }
  async sendImage(img: Image | Image[]): Promise<void> {
    for (const i of Array.isArray(img) ? img : [img]) this.sent.push({ type: 'image', image: i });
  }
  async sendWaveform(wav: Waveform | Waveform[]): Promise<void> {
    for (const w of Array.isArray(wav) ? wav : [wav]) this.sent.push({ type: 'waveform', waveform: w });
  }
  async sendClose(): Promise<void> { this.sent.push({ type: 'close' }); }
}

export interface ReplaySession {
  /** The config name (CONFIG_FILE) or text (CONFIG_TEXT) the client asked for. */
  configName: string;
  /** What the module's `config` argument is: the parsed JSON config, else the config name. */
  config: ModuleConfig;
  /** The parsed header, or the raw text when it is not a valid ISMRMRD header. */
  header: unknown;
  /** The remaining messages, for the module. */
  rest: MrdMessage[];
}

/** The reference server's handling of the session's first messages. */
export function replaySession(messages: readonly MrdMessage[]): ReplaySession {
  let i = 0;
  const first = messages[i++];
  if (first === undefined || (first.type !== 'config_file' && first.type !== 'config_text')) {
    throw new Error(`replaySession: first message is ${first?.type ?? 'missing'}, expected a config`);
  }
  const configName = first.type === 'config_file' ? first.name : first.text;
  const second = messages[i++];
  if (second === undefined || second.type !== 'header') throw new Error(`replaySession: second message is ${second?.type ?? 'missing'}, expected the XML header`);
  const parsed = tryParseIsmrmrdHeader(second.xml);
  const header: unknown = parsed.header ?? parsed.text;
  let config: ModuleConfig = configName;
  const third = messages[i];
  if (third !== undefined && third.type === 'text') {
    i++;
    config = JSON.parse(third.text) as Record<string, unknown>;
  }
  return { configName, config, header, rest: messages.slice(i) };
}
