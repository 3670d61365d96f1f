/**
 * What a recon module is: built-in (`invertcontrast`, `simplefft`, ...) or a user module loaded by
 * mrd-server from a modules directory (`filterkspace.ts` exporting `process`).
 *
 * As in the reference server, `config` is the parsed JSON additional config when the client sent
 * one (an object), otherwise the config name (a string); `header` is the parsed XML header, or
 * the raw text when it was not a valid ISMRMRD header. The module reads messages from the
 * connection until it is exhausted and sends its results; it does NOT send CLOSE (the server
 * does, after `process` returns or throws). A thrown error becomes an ERROR text message to the
 * client.
 */
import type { MrdConnection } from '@mrd-tools/core/connection';

export type ModuleConfig = Record<string, unknown> | string;

/** The parsed header type is the xml-header model; `unknown` here keeps this contract independent of it. */
export type ReconModuleProcess = (connection: MrdConnection, config: ModuleConfig, header: unknown) => Promise<void>;

export interface ReconModule {
  process: ReconModuleProcess;
}
