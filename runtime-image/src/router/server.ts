// The router's HTTP handler on raw node:http (docs/adr/0024): its own /lb/* and /metrics,
// `/invoke/...` buffered and proxied to the owner of the namespace it touches (or, for calls
// that touch none, to the pod its routing key names), and 404 for everything else: a pod's
// admin routes (/state, /metrics, /ready) are never reachable through the router.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaasletCatalog } from '../placement/faaslet-catalog.js';
import { FORWARDED_BY } from '../placement/peer-forwarder.js';
import type { KeyExtractor } from './keys.js';
import type { BufferBudget } from './buffer-budget.js';
import type { SeenNamespaces } from './seen-namespaces.js';
import type { RouterMetrics } from './metrics.js';
import type { PodTable } from './pods.js';
import { endToEnd, type UpstreamProxy } from './proxy.js';
import { carriesIdempotencyKey } from '../state/idempotency.js';
import { AdminCredentials, refusal, type Scope } from '../http/admin-credentials.js';

export interface RouterHandlerDeps {
  table: PodTable;
  proxy: UpstreamProxy;
  keys: KeyExtractor;
  /** The Faaslets, so a call's namespace (and its owner) is known from the request. */
  catalog: FaasletCatalog;
  /** Namespaces seen, for the owned-namespace counts of /lb/status. */
  seen: SeenNamespaces;
  metrics: RouterMetrics;
  /** Largest request body the router buffers (it must, to be able to retry); more is 413. */
  maxBody: number;
  /** The bytes of bodies all requests may hold at once. */
  buffered: BufferBudget;
  /** Extra fields for /lb/status (the configuration the router runs with). */
  describe: () => Record<string, unknown>;
  /** Who may read /lb/status and /metrics (ADR 0125); absent: anyone (loopback). */
  credentials?: AdminCredentials;
  onError: (err: unknown) => void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message } }, extra);
}

class BodyTooLarge extends Error {}
/** The bodies all requests hold together are at the budget: this one is refused (ADR 0104). */
class RouterBusy extends Error {}
/** The client closed its connection before its body was complete. */
class ClientGone extends Error {}

/** Whether the request has a body to read (a GET usually has none). */
function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
  );
}

/**
 * The whole request body; rejects past `limit`, when `take` refuses more bytes (the shared
 * budget), or when the client leaves before the end.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  take: (bytes: number) => boolean,
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: Error): void => {
      req.removeAllListeners('data');
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        fail(new BodyTooLarge());
      } else if (!take(chunk.length)) {
        fail(new RouterBusy());
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
    // A client that hangs up mid-upload must not keep its bytes in the budget.
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone());
    });
  });
}

/** Probes need no credentials; what lists pods and configuration does. */
const SCOPES: Record<string, Scope> = {
  '/lb/health': 'public',
  '/lb/ready': 'public',
  '/lb/status': 'admin',
  '/metrics': 'metrics',
};

function lbEndpoints(deps: RouterHandlerDeps): Map<string, Handler> {
  const health = (res: ServerResponse, readyOnly: boolean): void => {
    const pods = deps.table.status();
    const healthyPods = pods.filter((p) => p.healthy).length;
    const status = readyOnly && healthyPods === 0 ? 503 : 200;
    sendJson(res, status, {
      status: status === 200 ? 'ok' : 'no_healthy_pod',
      pods: pods.length,
      healthyPods,
    });
  };
  return new Map<string, Handler>([
    [
      '/lb/health',
      (_req, res) => {
        health(res, false);
      },
    ],
    [
      '/lb/ready',
      (_req, res) => {
        health(res, true);
      },
    ],
    [
      '/lb/status',
      (_req, res) => {
        const owned = deps.seen.countByOwner((ns) => deps.table.ring.owner(ns));
        const pods = deps.table
          .status()
          .map((p) => ({ ...p, ownedNamespaces: owned.get(p.name) ?? 0 }));
        sendJson(res, 200, { pods, ...deps.describe(), faaslets: deps.catalog.all().length });
      },
    ],
    [
      '/metrics',
      (_req, res) => {
        deps.metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            deps.onError(err);
            sendError(res, 500, 'metrics_failed', String(err));
          },
        );
      },
    ],
  ]);
}

const DROPPED_REQUEST_HEADERS = new Set([
  'host',
  'content-length',
  'expect',
  'x-forwarded-for',
  'x-forwarded-host',
  // Only pods mark a call as forwarded; a client that sends it is ignored.
  FORWARDED_BY,
]);

/** Request headers as the pod should see them: end-to-end only, plus X-Forwarded-*. */
function upstreamHeaders(req: IncomingMessage, clientIp: string): string[] {
  const headers = endToEnd(req.rawHeaders, DROPPED_REQUEST_HEADERS);
  headers.push('x-forwarded-for', clientIp);
  if (req.headers.host !== undefined) headers.push('x-forwarded-host', req.headers.host);
  return headers;
}

/** Reads the body (when there is one), then proxies; a body-less request waits for nothing. */
function proxyRequest(
  deps: RouterHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  if (!hasBody(req)) return forward(deps, req, res, undefined, started);
  let held = 0;
  const take = (bytes: number): boolean => {
    if (!deps.buffered.take(bytes)) return false;
    held += bytes;
    return true;
  };
  return readBody(req, deps.maxBody, take)
    .then((body) => forward(deps, req, res, body, started))
    .finally(() => {
      deps.buffered.give(held);
    });
}

async function forward(
  deps: RouterHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | undefined,
  started: number,
): Promise<void> {
  const view = { url: req.url ?? '/', headers: req.headers, peer: req.socket.remoteAddress ?? '' };
  const method = req.method ?? 'GET';
  const namespace = deps.catalog.namespaceOf(method, pathOf(view.url), req.headers);
  if (namespace !== undefined) deps.seen.add(namespace);
  // A call that touches state goes to its namespace's owner; the others by routing key.
  const key = namespace === undefined ? deps.keys.keyOf(view) : undefined;
  const outcome = await deps.proxy.forward(
    {
      method: req.method ?? 'GET',
      path: view.url,
      headers: upstreamHeaders(req, deps.keys.clientIp(view)),
      body,
      idempotent: carriesIdempotencyKey(req.headers['idempotency-key']),
    },
    namespace === undefined
      ? { key: key?.value, bounded: true }
      : { key: namespace, bounded: false, namespace },
    res,
  );
  deps.metrics.duration.observe((performance.now() - started) / 1000);
  deps.metrics.countRequest(outcome.ok ? outcome.pod.name : '', outcome.status);
  if (!outcome.ok && !res.headersSent && !res.destroyed) {
    sendError(res, outcome.status, outcome.code, outcome.message);
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The router's request handler; `http.createServer(handler)` makes it listen. */
export function createRouterHandler(deps: RouterHandlerDeps): Handler {
  const local = lbEndpoints(deps);
  const credentials = deps.credentials ?? new AdminCredentials();
  return (req, res) => {
    const path = pathOf(req.url ?? '/');
    const endpoint = local.get(path);
    if (endpoint !== undefined) {
      const scope = SCOPES[path] ?? 'admin';
      if (!credentials.allows(scope, req.headers.authorization)) {
        sendError(res, 401, 'unauthorized', refusal(scope), {
          'www-authenticate': 'Bearer realm="glass"',
        });
        return;
      }
      if (req.method === 'GET' || req.method === 'HEAD') endpoint(req, res);
      else sendError(res, 405, 'method_not_allowed', `${path} answers GET only`, { allow: 'GET' });
      return;
    }
    // Only calls are proxied: an absolute-form or odd request line never reaches a pod's admin
    // routes, because anything but an origin-form `/invoke/` path is refused here.
    if (!path.startsWith('/invoke/')) {
      sendError(res, 404, 'not_found', `the router serves /invoke/... and /lb/*, not ${path}`);
      return;
    }
    proxyRequest(deps, req, res).catch((err: unknown) => {
      if (err instanceof BodyTooLarge) {
        const message = `request body is larger than ${deps.maxBody} bytes`;
        sendError(res, 413, 'body_too_large', message, { connection: 'close' });
        return;
      }
      if (err instanceof RouterBusy) {
        const message = 'the router holds as many request bodies as it may; retry shortly';
        sendError(res, 503, 'router_busy', message, { connection: 'close', 'retry-after': '1' });
        req.destroy();
        return;
      }
      if (err instanceof ClientGone) return;
      deps.onError(err);
      if (!res.headersSent) sendError(res, 500, 'router_error', String(err));
      else res.destroy();
    });
  };
}
