/**
 * Reading mrd-server's /metrics in tests: fetched over HTTP and parsed with
 * parse-prometheus-text-format (a Prometheus text-format parser, not our own regular expressions).
 */
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';

export async function scrape(host: string, port: number): Promise<PromFamily[]> {
  const res = await fetch(`http://${host}:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parsePrometheusTextFormat(await res.text());
}

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
export function sampleSum(families: PromFamily[], name: string, labels: Record<string, string> = {}): number {
  const f = families.find((x) => x.name === name);
  if (!f) return 0;
  let sum = 0;
  for (const m of f.metrics) {
    if (Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) sum += Number(f.type === 'HISTOGRAM' ? m.count : m.value);
  }
  return sum;
}

/** Sessions by outcome, summed over configs. */
export function sessionsByOutcome(families: PromFamily[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of families.find((x) => x.name === 'mrd_server_sessions_total')?.metrics ?? []) {
    const o = m.labels?.outcome ?? '?';
    out[o] = (out[o] ?? 0) + Number(m.value);
  }
  return out;
}
