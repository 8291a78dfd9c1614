import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { createLogger } from '../../src/logger.js';
import type { RuntimeOptions } from '../../src/runtime/glass-runtime.js';
import { serveRuntime, type RunningRuntime } from '../../src/runtime/serve.js';
import type { RedisSettings } from '../../src/state/redis-config.js';

/** The repository root, from runtime-image/dist/test/support/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const SAMPLES = `${REPO_ROOT}crds/samples`;

export interface TestRuntime extends RunningRuntime {
  base: string;
}

/**
 * A real runtime (worker threads, HTTP on a loopback port) serving the given YAML paths; with
 * `redis`, on that real Redis as its global tier.
 */
export async function startRuntime(
  faaslets: string[] = [SAMPLES],
  tuning: Partial<RuntimeOptions> & {
    workers?: number;
    maxBodyBytes?: number;
    redis?: RedisSettings;
  } = {},
): Promise<TestRuntime> {
  const { redis, ...options } = tuning;
  const running = await serveRuntime(
    {
      port: 0,
      host: '127.0.0.1',
      faaslets,
      workers: tuning.workers ?? 2,
      maxBodyBytes: tuning.maxBodyBytes ?? 1024 * 1024,
      logLevel: 'silent',
      ...(redis && { redis }),
    },
    createLogger('silent', 'test-runtime'),
    options,
  );
  return { ...running, base: `http://127.0.0.1:${running.port}` };
}

/** Enough pooled connections for the concurrency tests, on loopback only. */
export const loopbackAgent = new Agent({ connections: 64, pipelining: 1 });

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

export async function call(
  base: string,
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, {
    method,
    body,
    headers,
    // @ts-expect-error undici's dispatcher option is not in the DOM-less fetch types
    dispatcher: loopbackAgent,
  });
  const text = await response.text();
  return { status: response.status, text, ms: performance.now() - started };
}

/** The `{ error: { code, message } }` body of an error answer. */
export function errorOf(answer: Answer): { code: string; message: string } {
  const parsed = JSON.parse(answer.text) as { error?: { code: string; message: string } };
  if (!parsed.error) throw new Error(`not an error answer: ${answer.status} ${answer.text}`);
  return parsed.error;
}
