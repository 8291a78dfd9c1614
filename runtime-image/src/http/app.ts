import Router from '@koa/router';
import Koa from 'koa';
import { stateKey } from '../host/protocol.js';
import { NAMESPACE_NAME } from '@glass/crds/namespace-template';
import { FORWARDED_BY, ForwardError, PeerForwarder } from '../placement/peer-forwarder.js';
import { NotOwnedError } from '../runtime/handoff.js';
import { LeavingError, type PodOwnership } from '../runtime/pod-ownership.js';
import { badRequest, GlassError, notFound, notOwner } from '../runtime/errors.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { AdminCredentials, refusal, type Scope } from './admin-credentials.js';
import { readBody } from './body.js';
import { errorMiddleware, failureReporter, type FailureReporter } from './error-middleware.js';
import { invokeHandler, type RequestHandler } from './invoke-handler.js';

export interface AppDeps {
  runtime: GlassRuntime;
  /** Request bodies over this answer 413 before any guest runs. */
  maxBodyBytes: number;
  /** Sent as `X-Glass-Pod`, so a caller (or the router) can tell which pod answered. */
  podName: string;
  /** Sends calls for namespaces another pod owns to that pod (default: one of its own). */
  forwarder?: PeerForwarder;
  /** The pod's namespace ownership, when it follows a membership: takes hand-offs. */
  ownership?: PodOwnership;
  /** Who may reach the routes that are not calls (ADR 0125); absent: anyone (loopback). */
  credentials?: AdminCredentials;
}

/** A hand-off carries whole namespaces: far more than a call's body may be. */
const HANDOFF_BYTES = 256 * 1024 * 1024;

function stateKeyOf(ctx: Koa.Context): string {
  const { namespace, key } = ctx.params as { namespace: string; key: string };
  if (!NAMESPACE_NAME.test(namespace)) {
    throw badRequest(`"${namespace}" is not a state namespace name`);
  }
  return stateKey(namespace, key);
}

/**
 * The /state routes act only on namespaces this pod owns; the others go to their owner, once,
 * like /invoke (DESIGN.md, State placement).
 */
function ownerOnly(runtime: GlassRuntime, forwarder: PeerForwarder): Koa.Middleware {
  return async (ctx, next) => {
    const { namespace } = ctx.params as { namespace: string };
    const by = ctx.get(FORWARDED_BY);
    const placement = runtime.placement.place(namespace, by === '' ? undefined : by);
    if (placement.here) {
      await runtime.handoff?.gate(namespace);
      await next();
      return;
    }
    runtime.metrics.forwarded.inc();
    const body = await readBody(ctx.req, Number.MAX_SAFE_INTEGER);
    ctx.respond = false;
    const call = { method: ctx.method, url: ctx.url, headers: ctx.req.headers, body };
    try {
      await forwarder.forward(placement.owner, call, ctx.res);
    } catch (error) {
      if (ctx.res.headersSent) {
        ctx.res.destroy();
        return;
      }
      ctx.respond = true;
      throw error instanceof ForwardError ? notOwner(error.message) : error;
    }
  };
}

/** Liveness and readiness stay open: kubelets and routers probe them without credentials. */
const PUBLIC_PATHS = new Set(['/health', '/ready']);

/** What a path of the admin app is; koa matches `/metrics/` as `/metrics`, so this does too. */
function scopeOf(path: string): Scope {
  const bare = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (PUBLIC_PATHS.has(bare)) return 'public';
  return bare === '/metrics' ? 'metrics' : 'admin';
}

/** Refuses, before any route runs, a request without the token its route needs. */
function requireCredentials(credentials: AdminCredentials): Koa.Middleware {
  return async (ctx, next) => {
    const scope = scopeOf(ctx.path);
    if (!credentials.allows(scope, ctx.get('authorization'))) {
      ctx.set('WWW-Authenticate', 'Bearer realm="glass"');
      throw new GlassError(401, 'unauthorized', refusal(scope));
    }
    await next();
  };
}

/** Everything but `/invoke`: state admin, health, readiness, metrics, and 404 for the rest. */
function createAdminApp(deps: AppDeps, forwarder: PeerForwarder, report: FailureReporter): Koa {
  const { runtime, maxBodyBytes } = deps;
  const app = new Koa();
  const router = new Router();

  router.use('/state/:namespace/:key', ownerOnly(runtime, forwarder));
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

  // Pod to pod: local namespaces a previous owner hands over (ADR 0103).
  router.post('/handoff', async (ctx) => {
    if (!deps.ownership) throw notFound('this runtime follows no membership: nothing to hand over');
    const body = await readBody(ctx.req, HANDOFF_BYTES);
    try {
      deps.ownership.receive(Buffer.from(body).toString('utf8'));
    } catch (error) {
      if (error instanceof LeavingError) throw new GlassError(410, 'leaving', error.message);
      if (error instanceof NotOwnedError) throw notOwner(error.message);
      throw badRequest(`not a hand-off: ${(error as Error).message}`);
    }
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
  app.use(requireCredentials(deps.credentials ?? new AdminCredentials()));
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
  const forwarder =
    deps.forwarder ?? new PeerForwarder(deps.podName, 60_000, deps.credentials?.peerHeaders);
  const admin = createAdminApp(deps, forwarder, report).callback();
  return invokeHandler({ ...deps, forwarder, report }, (request, response) => {
    void admin(request, response);
  });
}
