/**
 * File names of the data the server saves, as the reference server writes them, made safe:
 * - incoming data (`-s` or config `savedataonly`): `MRD_input_<YYYY-MM-DD-HHMMSS>_<n>.h5`,
 *   renamed at the end to `<protocolName>_<YYYY-MM-DD-HHMMSS>_<n>.h5`;
 * - the `savedata` config: `meas_MID<id, 5 digits>_<protocolName>_<HHMMSS>.h5`, or
 *   `meas_MID<id>_UnknownProtocol_<YYYY-MM-DD-HHMMSS>.h5` when the header has no protocol name.
 *
 * The protocol name and measurement id come from the client's XML header: they are sanitised to
 * a plain file name (no separators, no leading dots, no control characters, bounded length), and
 * the final path is checked to stay inside the save folder. Existing files are never replaced:
 * a numeric suffix is added instead.
 */
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve, isAbsolute } from 'node:path';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DD-HHMMSS` in local time, as Python's `strftime("%Y-%m-%d-%H%M%S")`. */
function dateTimeStamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** `HHMMSS` in local time. */
export function timeStamp(d: Date): string {
  return `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** The reference's name for a fresh incoming-data file: `MRD_input_<date-time>_<n>.h5`. */
export function incomingDataFileName(d: Date, n: number): string {
  return `MRD_input_${dateTimeStamp(d)}_${n}.h5`;
}

/**
 * A protocol name (client-controlled text) reduced to a safe file-name part: characters other
 * than letters, digits, `.`, `_`, `-`, `+` become `_`; leading dots and surrounding `_` are
 * removed; at most 100 characters. Returns '' when nothing usable is left.
 */
export function sanitizeFileNamePart(name: unknown): string {
  if (typeof name !== 'string') return '';
  let s = name.normalize('NFC').replace(/[^A-Za-z0-9._+-]/g, '_');
  s = s.replace(/^[._]+/, '').replace(/_+$/, '');
  s = s.slice(0, 100);
  if (s === '' || /^\.+$/.test(s)) return '';
  return s;
}

/** The renamed incoming-data file: `MRD_input_` replaced by `<protocol>_` (in the base name only). */
export function protocolFileName(savedBaseName: string, protocolName: unknown): string | null {
  const safe = sanitizeFileNamePart(protocolName);
  if (!safe || !savedBaseName.startsWith('MRD_input_')) return null;
  return safe + '_' + savedBaseName.slice('MRD_input_'.length);
}

/** Parsed-header fields the naming needs, read defensively (the header may be raw text). */
export function measurementInfo(header: unknown): { protocolName: string; measurementID: string } {
  const mi = (header && typeof header === 'object' ? (header as Record<string, unknown>).measurementInformation : undefined) as
    | Record<string, unknown>
    | undefined;
  const protocolName = typeof mi?.protocolName === 'string' ? mi.protocolName : '';
  const measurementID = typeof mi?.measurementID === 'string' ? mi.measurementID : mi?.measurementID != null ? String(mi.measurementID) : '';
  return { protocolName, measurementID };
}

/** The `savedata` module's file name: `meas_MID<00042>_<protocol>_<HHMMSS>.h5`. */
export function measFileName(header: unknown, d: Date): string {
  const { protocolName, measurementID } = measurementInfo(header);
  // Reference: int(measurementID.split('_')[-1]); a non-numeric id (where Python crashes) gives 0.
  const last = measurementID.split('_').pop() ?? '';
  const id = /^\s*[+-]?\d+\s*$/.test(last) ? Math.abs(parseInt(last, 10)) : 0;
  const mid = String(id).padStart(5, '0');
  const safe = sanitizeFileNamePart(protocolName);
  return safe ? `meas_MID${mid}_${safe}_${timeStamp(d)}.h5` : `meas_MID${mid}_UnknownProtocol_${dateTimeStamp(d)}.h5`;
}

/** True when `path` lies inside `folder` (after resolving `.`/`..`). */
export function isInsideFolder(folder: string, path: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && basename(path) === rel;
}

/**
 * `folder/name`, or `folder/<stem>_1.h5`, `_2`, ... when that file exists. Throws if the name
 * would leave the folder (it cannot, after sanitising; this is a second guard).
 */
export function uniquePathInFolder(folder: string, name: string, exists: (p: string) => boolean = existsSync): string {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 0; ; i++) {
    const candidate = join(folder, i === 0 ? name : `${stem}_${i}${ext}`);
    if (!isInsideFolder(folder, candidate)) throw new Error(`refusing to write outside ${folder}: ${name}`);
    if (!exists(candidate)) return candidate;
  }
}
