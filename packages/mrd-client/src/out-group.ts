/**
 * The default output group: the current local date and time as Python's
 * `str(datetime.datetime.now())`, e.g. `2024-01-02 03:04:05.123456` (microseconds, omitted
 * when zero, as Python does).
 */
export function pythonNowString(d: Date = new Date(), micro?: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const us = micro ?? d.getMilliseconds() * 1000 + Math.floor(((performance.timeOrigin + performance.now()) * 1000) % 1000);
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return us === 0 ? base : `${base}.${p(us, 6)}`;
}
