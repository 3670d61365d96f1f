/**
 * Small adapters between the modules and mrd-core's meta helpers, for the shapes the modules
 * receive: the header argument may be the raw text when it was not a valid ISMRMRD header
 * (mrdhelper's lookups then fail softly, as `get_userParameterLong_value` does on a header
 * without userParameters).
 */
import { getUserParameterLong, type IsmrmrdHeader } from '@mrd-tools/core';

/** mrdhelper.get_userParameterLong_value on the module's header argument. */
export function headerUserParameterLong(header: unknown, name: string): number | undefined {
  if (typeof header !== 'object' || header === null) return undefined;
  return getUserParameterLong(header as IsmrmrdHeader, name);
}

/** Python-like traceback text of an error, for the ERROR message sent to the client. */
export function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}
