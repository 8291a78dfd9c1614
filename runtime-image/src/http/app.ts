import Router from '@koa/router';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { stateKey } from '../host/protocol.js';
import { parseIdempotencyKey } from '../state/idempotency.js';
import { badRequest, notFound, notReady, tooLarge } from '../runtime/errors.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { invokeIdempotently } from '../runtime/idempotent-invoke.js';
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
/** `/invoke/:faaslet/:export` or `/invoke/:export`, matched before the router: the hot path. */
const INVOKE_PATH = /^\/invoke\/([^/]+)(?:\/([^/]+))?$/;
const EMPTY = new Uint8Array(0);

async function readBody(ctx: Koa.Context, limit: number): Promise<Uint8Array> {
  const headers = ctx.req.headers;
  if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
    return EMPTY;
  }
  const declared = ctx.request.length;
  if (declared > limit) {
    throw tooLarge(`request body of ${declared} bytes is over the limit of ${limit}`);
  }
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
  if (!NAMESPACE.test(namespace)) {
    throw badRequest(`namespace must be a DNS label, got "${namespace}"`);
  }
  return stateKey(namespace, key);
}

function invokeRoute(runtime: GlassRuntime, maxBodyBytes: number): Koa.Middleware {
  const invoke = async (ctx: Koa.Context, target: ResolvedExport): Promise<void> => {
    if (!runtime.ready) throw notReady('runtime is not ready');
    const body = await readBody(ctx, maxBodyBytes);
    const started = performance.now();
    let outcome = 'internal';
    try {
      const key = parseIdempotencyKey(ctx.get('Idempotency-Key'));
      const result = await invokeIdempotently(runtime, target, {
        body,
        args: queryValues(ctx),
        key,
      });
      if (result.replayed) ctx.set('Idempotent-Replayed', 'true');
      outcome = 'ok';
      ctx.type = result.numeric ? 'text/plain' : 'application/octet-stream';
      ctx.body = Buffer.from(result.output.buffer, result.output.byteOffset, result.output.length);
    } catch (error) {
      outcome = (error as { code?: string }).code ?? outcome;
      throw error;
    } finally {
      const ms = performance.now() - started;
      runtime.metrics.recordInvocation(target.definition.name, target.signature.name, outcome, ms);
    }
  };
  return async (ctx, next) => {
    const match = INVOKE_PATH.exec(ctx.path);
    if (!match) {
      await next();
      return;
    }
    const [, first = '', second] = match;
    const { registry } = runtime;
    if (second !== undefined) {
      await invoke(ctx, registry.resolve(decodeURIComponent(first), decodeURIComponent(second)));
    } else if (ctx.method === 'GET') {
      await invoke(ctx, registry.resolveExportOnly(decodeURIComponent(first)));
    } else {
      throw badRequest('use GET /invoke/:export?value=N or POST /invoke/:faaslet/:export');
    }
  };
}

/**
 * The runtime pod's HTTP API (DESIGN.md, Runtime pod), as a koa app that does not listen:
 * tests drive `app.callback()`, `glass runtime` listens.
 */
export function createApp(deps: AppDeps): Koa {
  const { runtime, maxBodyBytes } = deps;
  const app = new Koa();
  const router = new Router();

  router.get('/state/:namespace/:key', async (ctx) => {
    const value = await runtime.readState(stateKeyOf(ctx));
    if (value === null) throw notFound('no such key');
    ctx.type = 'application/octet-stream';
    ctx.body = Buffer.from(value);
  });
  router.put('/state/:namespace/:key', async (ctx) => {
    await runtime.writeState(stateKeyOf(ctx), await readBody(ctx, maxBodyBytes));
    ctx.status = 204;
  });
  router.delete('/state/:namespace/:key', async (ctx) => {
    const key = stateKeyOf(ctx);
    if ((await runtime.readState(key)) === null) throw notFound('no such key');
    await runtime.writeState(key, null);
    ctx.status = 204;
  });

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  // `?tier=local` leaves the global tier out: what a router probes (ADR 0045).
  router.get('/ready', (ctx) => {
    const down = ctx.query.tier === 'local' ? undefined : runtime.store.unavailableReason;
    const reason = runtime.ready ? down : 'loading or draining';
    ctx.status = reason === undefined ? 200 : 503;
    ctx.body = {
      ready: reason === undefined,
      faaslets: runtime.registry.all().length,
      ...(reason === undefined ? {} : { reason }),
    };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = runtime.metrics.registry.contentType;
    ctx.body = await runtime.metrics.registry.metrics();
  });

  app.use(errorMiddleware(runtime.log, runtime.metrics, deps.podName));
  app.use(invokeRoute(runtime, maxBodyBytes));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    throw notFound(`no route for ${ctx.method} ${ctx.path}`);
  });
  return app;
}
