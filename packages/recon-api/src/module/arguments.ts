/**
 * What every module does with its arguments and its failures, written once (the built-in modules
 * and the spiral recons share it; a user module copied from invertcontrast keeps calling it):
 * logging the config as the reference modules do, the header argument as a parsed header (it is
 * the header's text when the session's header was not a valid ISMRMRD header), and a module's
 * error reported to its client as one ERROR line while a failure of the stream itself goes on
 * to the session.
 */
import { logger } from '@mrd-tools/core/logging';
import { MrdProtocolError } from '@mrd-tools/core/stream';
import type { MrdConnection } from '@mrd-tools/core/connection';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { ModuleConfig } from './types.js';

/** The reference modules' first line: `logging.info("Config: \n%s", config)`. */
export function logModuleConfig(config: ModuleConfig): void {
  logger.info(`Config: \n${typeof config === 'string' ? config : JSON.stringify(config)}`);
}

/** The module's `header` argument when it is a parsed header, else undefined (a header sent as text). */
export function moduleHeader(header: unknown): IsmrmrdHeader | undefined {
  return typeof header === 'object' && header !== null ? (header as IsmrmrdHeader) : undefined;
}

/** Error of a module that needs a parsed header with an encoding and got none. */
export class MissingHeaderError extends Error {}

/** The parsed header with at least one encoding, else a MissingHeaderError naming `what` needs it. */
export function requireEncodedHeader(header: unknown, what: string): IsmrmrdHeader {
  const h = moduleHeader(header);
  if (!h || !Array.isArray(h.encoding) || h.encoding.length === 0) {
    throw new MissingHeaderError(`${what} needs a parsed MRD header with an encoding (the header sent was not a valid ISMRMRD header)`);
  }
  return h;
}

/** Whether `err` is a failure of the stream itself (bytes that are not MRD, a client gone), which the session reports. */
export function isStreamFailure(err: unknown): boolean {
  return err instanceof MrdProtocolError || (err as { code?: string } | null)?.code === 'ECONNRESET';
}

/**
 * The reference modules' `except Exception`: the trace goes to the log and the client gets one
 * ERROR line naming the module (the reference sends the whole traceback); a stream failure is
 * rethrown for the session.
 */
export async function sendModuleError(connection: MrdConnection, module: string, err: unknown): Promise<void> {
  if (isStreamFailure(err)) throw err;
  logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  const msg = err instanceof Error ? err.message : String(err);
  await connection.sendLogging('ERROR', `${module}: ${msg.split('\n')[0]}`);
}
