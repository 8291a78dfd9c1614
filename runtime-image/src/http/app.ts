import Router from '@koa/router';
import Koa from 'koa';
import { stateKey } from '../host/protocol.js';
import { badRequest, notFound } from '../runtime/errors.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { readBody } from './body.js';
import { errorMiddleware, failureReporter, type FailureReporter } from './error-middleware.js';
import { invokeHandler, type RequestHandler } from './invoke-handler.js';

export interface AppDeps {
  runtime: GlassRuntime;
  /** Request bodies over this answer 413 before any guest runs. */
  maxBodyBytes: number;
  /** Sent as `X-Glass-Pod`, so a caller (or the router) can tell which pod answered. */
  podName: string;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
function stateKeyOf(ctx: Koa.Context): string {
  const { namespace, key } = ctx.params as { namespace: string; key: string };
  if (!NAMESPACE.test(namespace)) {
    throw badRequest(`namespace must be a DNS label, got "${namespace}"`);
  }
  return stateKey(namespace, key);
}

/** Everything but `/invoke`: state admin, health, readiness, metrics, and 404 for the rest. */
function createAdminApp(deps: AppDeps, report: FailureReporter): Koa {
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
    await runtime.writeState(stateKeyOf(ctx), await readBody(ctx.req, maxBodyBytes));
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

  app.use(errorMiddleware(report, deps.podName));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use((ctx) => {
    throw notFound(`no route for ${ctx.method} ${ctx.path}`);
  });
  return app;
}

/**
 * The runtime pod's HTTP API (DESIGN.md, Runtime pod) as a node:http request handler:
 * `/invoke` on the raw hot path, the rest through koa.
 */
export function createRequestHandler(deps: AppDeps): RequestHandler {
  const report = failureReporter(deps.runtime.log, deps.runtime.metrics);
  const admin = createAdminApp(deps, report).callback();
  return invokeHandler({ ...deps, report }, (request, response) => {
    void admin(request, response);
  });
}
