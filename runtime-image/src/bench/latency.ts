// Latency of single requests, one after another on one keep-alive connection: what a hop
// adds when nothing queues, which throughput figures on a saturated machine cannot show.
import { Client } from 'undici';

/** Latency in µs of each of `count` GETs of `path`, sequential on one connection to `origin`. */
export async function latencies(origin: string, path: string, count: number): Promise<number[]> {
  const client = new Client(origin);
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      const res = await client.request({ method: 'GET', path });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`${origin}${path} answered ${res.statusCode}`);
      out.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  } finally {
    await client.close();
  }
  return out;
}
