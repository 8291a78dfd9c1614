import Router from '@koa/router';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { stateKey } from '../host/protocol.js';
import { badRequest, notFound, notReady, tooLarge } from '../runtime/errors.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import type { ResolvedExport } from '../runtime/registry.js';
import { errorMiddleware } from './error-middleware.js';

export interface AppDeps {
  runtime: GlassRuntime;
  /** Request bodies over this answer 413 before any guest runs. */
  maxBodyBytes: number;
  /** Sent as `X-Glass-Pod`, so a caller (or the router) can tell which pod answered. */
  podName: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

async function readBody(ctx: Koa.Context, limit: number): Promise<Uint8Array> {
  const declared = ctx.request.length;
  if (declared > limit)
    throw tooLarge(`request body of ${declared} bytes is over the limit of ${limit}`);
  const body = await getRawBody(ctx.req, { limit, length: declared || undefined });
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}

function queryValues(ctx: Koa.Context): string[] {
  const value = ctx.query.value;
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function stateKeyOf(ctx: Koa.Context): string {
  const { namespace, key } = ctx.params as { namespace: string; key: string };
  if (!NAMESPACE.test(namespace))
    throw badRequest(`namespace must be a DNS label, got "${namespace}"`);
  return stateKey(namespace, key);
}

/**
 * The runtime pod's HTTP API (DESIGN.md, Runtime pod), as a koa app that does not listen:
 * tests drive `app.callback()`, `glass runtime` listens.
 */
export function createApp(deps: AppDeps): Koa {
  const { runtime, maxBodyBytes } = deps;
  const app = new Koa();
  const router = new Router();

  const invoke = async (ctx: Koa.Context, target: ResolvedExport): Promise<void> => {
    if (!runtime.ready) throw notReady('runtime is not ready');
    const body = await readBody(ctx, maxBodyBytes);
    const started = performance.now();
    const faaslet = target.definition.name;
    try {
      const result = await runtime.invoker.invoke(target, body, queryValues(ctx));
      runtime.metrics.invocations.inc({ faaslet, export: target.signature.name, outcome: 'ok' });
      ctx.type = result.numeric ? 'text/plain' : 'application/octet-stream';
      ctx.body = Buffer.from(result.output.buffer, result.output.byteOffset, result.output.length);
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'internal';
      runtime.metrics.invocations.inc({ faaslet, export: target.signature.name, outcome: code });
      throw error;
    } finally {
      runtime.metrics.latency.observe({ faaslet }, (performance.now() - started) / 1000);
    }
  };

  router.all('/invoke/:faaslet/:export', async (ctx) => {
    const { faaslet, export: exportName } = ctx.params as { faaslet: string; export: string };
    await invoke(ctx, runtime.registry.resolve(faaslet, exportName));
  });
  router.get('/invoke/:export', async (ctx) => {
    await invoke(
      ctx,
      runtime.registry.resolveExportOnly((ctx.params as { export: string }).export),
    );
  });

  router.get('/state/:namespace/:key', (ctx) => {
    const value = runtime.readState(stateKeyOf(ctx));
    if (value === null) throw notFound('no such key');
    ctx.type = 'application/octet-stream';
    ctx.body = Buffer.from(value);
  });
  router.put('/state/:namespace/:key', async (ctx) => {
    runtime.writeState(stateKeyOf(ctx), await readBody(ctx, maxBodyBytes));
    ctx.status = 204;
  });
  router.delete('/state/:namespace/:key', (ctx) => {
    const key = stateKeyOf(ctx);
    if (runtime.readState(key) === null) throw notFound('no such key');
    runtime.writeState(key, null);
    ctx.status = 204;
  });

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', (ctx) => {
    ctx.status = runtime.ready ? 200 : 503;
    ctx.body = { ready: runtime.ready, faaslets: runtime.registry.all().length };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = runtime.metrics.registry.contentType;
    ctx.body = await runtime.metrics.registry.metrics();
  });

  app.use(async (ctx, next) => {
    ctx.set('X-Glass-Pod', deps.podName);
    await next();
  });
  app.use(errorMiddleware(runtime.log, runtime.metrics));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    throw notFound(`no route for ${ctx.method} ${ctx.path}`);
  });
  return app;
}
