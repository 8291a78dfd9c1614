// Runtime processes that share one real Redis, for the global tier's tests.
import { runGlass, type CliProcess } from './cli-process.js';
import { call, type Answer } from './runtime-server.js';

export { counterFaaslets, type CounterFaaslet } from './counter-faaslets.js';
import type { CounterFaaslet } from './counter-faaslets.js';

/** Three Faaslets of the counter guest sharing one global namespace, as the issue asks. */
export const SHARED_GLOBAL: CounterFaaslet[] = [
  { name: 'inc-a', namespace: 'shared', durability: 'global' },
  { name: 'inc-b', namespace: 'shared', durability: 'global' },
  { name: 'inc-c', namespace: 'shared', durability: 'global' },
];

export interface GlassProcess {
  process: CliProcess;
  base: string;
  port: number;
}

/** `glass runtime --redis URL` as a real child process; resolves once it is ready. */
export async function startGlassRuntime(
  faaslets: string,
  redisUrl: string,
  extra: string[] = [],
): Promise<GlassProcess> {
  const args = ['runtime', '--port', '0', '--faaslets', faaslets, '--redis', redisUrl, ...extra];
  const child = runGlass(args);
  try {
    const line = await child.line(/"msg":"runtime ready"/, 30_000);
    const { port } = JSON.parse(line) as { port: number };
    return { process: child, base: `http://127.0.0.1:${port}`, port };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Runs `count` calls with at most `inFlight` outstanding; answers in call order. */
export async function boundedLoad(
  count: number,
  inFlight: number,
  send: (i: number) => Promise<Answer>,
): Promise<Answer[]> {
  const answers = new Array<Answer>(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        answers[i] = await send(i);
      } catch (error) {
        // A connection refused or reset (a killed pod) is an answer too: status 0.
        answers[i] = { status: 0, text: (error as Error).message, ms: 0 };
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return answers;
}

export interface AnswerWithHeaders extends Answer {
  headers: Headers;
}

/** Like `call`, keeping the response headers (Idempotent-Replayed, X-Glass-Pod). */
export async function callWithHeaders(
  base: string,
  method: string,
  path: string,
  body: string | undefined,
  headers: Record<string, string> = {},
): Promise<AnswerWithHeaders> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, { method, body, headers });
  const text = await response.text();
  return {
    status: response.status,
    text,
    ms: performance.now() - started,
    headers: response.headers,
  };
}

/** POST /invoke/:faaslet/add with `1`, as the counter guest's increment. */
export function increment(
  base: string,
  faaslet: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return call(base, 'POST', `/invoke/${faaslet}/add`, '1', headers);
}
