/**
 * Driving a recon module without a server: an in-memory MrdConnection fed from a decoded
 * client-to-server stream, recording what the module sends, and the reference server's
 * session preamble (config, XML header, optional JSON config as TEXT: ../session, shared with
 * mrd-server).
 * Used by the built-in modules' acceptance tests and handy for testing user modules.
 */
import type { MrdConnection, MrdMessage, TextLogLevel } from '@mrd-tools/core/connection';
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import type { ModuleConfig } from '../module/types.js';
import { readSessionPreamble, type MessageSource } from '../session/preamble.js';

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
  /** The config the client asked for (CONFIG_FILE name or CONFIG_TEXT text). */
  requestedConfig: string;
  /** The config that selects the module (after the JSON config's parameters.config / customconfig). */
  configName: string;
  /** What the module's `config` argument is: the parsed JSON config, else the config name. */
  config: ModuleConfig;
  /** The parsed header, or the raw text when it is not a valid ISMRMRD header. */
  header: unknown;
  /** The remaining messages, for the module. */
  rest: MrdMessage[];
}

/** The session preamble of a recorded client-to-server stream, read as mrd-server reads it. */
export async function replaySession(messages: readonly MrdMessage[]): Promise<ReplaySession> {
  const queue = messages.filter((m) => m.type !== 'close');
  let i = 0;
  const source: MessageSource = {
    next: async () => (i < queue.length ? queue[i++] : null),
    unread: () => { i--; },
  };
  const p = await readSessionPreamble(source);
  if (p === null) throw new Error('replaySession: the stream ends before a config and an MRD header');
  return { requestedConfig: p.requestedConfig, configName: p.configName, config: p.config, header: p.header, rest: queue.slice(i) };
}
