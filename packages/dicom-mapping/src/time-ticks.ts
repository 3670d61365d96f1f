/**
 * MRD time stamps and DICOM times. MRD counts time in ticks of 2.5 ms (Siemens convention, as the
 * reference dicom2mrd.py): `acquisition_time_stamp` is ticks since midnight, and
 * `physiology_time_stamp[0]` is the trigger delay in ticks.
 *
 * Corrections to the reference:
 * - DICOM TM values without fractional seconds (`HHMMSS`), with fewer components (`HHMM`, `HH`)
 *   or in the ACR-NEMA form (`HH:MM:SS.frac`) are accepted (the reference crashes on them).
 * - Going back (mrd2dicom) the ticks are multiplied by 2.5 ms (the reference divides).
 */

/** Length of one MRD time-stamp tick in milliseconds. */
const MRD_TICK_MS = 2.5;
const TICKS_PER_SECOND = 400;
const TICKS_PER_DAY = 86400 * TICKS_PER_SECOND;

/**
 * Seconds since midnight of a DICOM TM value, or undefined when the value is empty or malformed.
 * Accepts `HH`, `HHMM`, `HHMMSS`, `HHMMSS.F` .. `HHMMSS.FFFFFF` and `HH:MM:SS(.F)`.
 */
export function dicomTimeToSeconds(tm: string | undefined | null): number | undefined {
  if (tm === undefined || tm === null) return undefined;
  const t = String(tm).trim();
  if (t === '') return undefined;
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(\.\d{0,6})?)?)?$/.exec(t);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = m[2] === undefined ? 0 : Number(m[2]);
  const s = m[3] === undefined ? 0 : Number(m[3]);
  const frac = m[4] === undefined || m[4] === '.' ? 0 : Number('0' + m[4]);
  if (h > 23 || min > 59 || s > 60) return undefined;
  return h * 3600 + min * 60 + s + frac;
}

/** A DICOM TM value in MRD ticks (nearest tick), or undefined when absent/malformed. */
export function dicomTimeToTicks(tm: string | undefined | null): number | undefined {
  const s = dicomTimeToSeconds(tm);
  return s === undefined ? undefined : Math.round(s * TICKS_PER_SECOND);
}

/**
 * MRD ticks as a DICOM TM value `HHMMSS.FFFF` (2.5 ms is exactly four decimals). Ticks beyond
 * one day wrap around midnight.
 */
export function ticksToDicomTime(ticks: number): string {
  const t = ((Math.round(ticks) % TICKS_PER_DAY) + TICKS_PER_DAY) % TICKS_PER_DAY;
  const secs = Math.floor(t / TICKS_PER_SECOND);
  const frac = (t % TICKS_PER_SECOND) * 25; // units of 0.1 ms
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(h)}${p2(m)}${p2(s)}.${String(frac).padStart(4, '0')}`;
}

/** A duration in milliseconds (e.g. DICOM TriggerTime) in MRD ticks, nearest tick. */
export function millisecondsToTicks(ms: number): number {
  return Math.round(ms / MRD_TICK_MS);
}

/** MRD ticks as milliseconds (e.g. for DICOM TriggerTime). */
export function ticksToMilliseconds(ticks: number): number {
  return ticks * MRD_TICK_MS;
}
