import { call } from './runtime-server.js';

/** One series of a runtime's /metrics, e.g. `glass_errors_total{code="conflict"}`; 0 when absent. */
export async function metricOf(base: string, series: string): Promise<number> {
  const text = (await call(base, 'GET', '/metrics')).text;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}
