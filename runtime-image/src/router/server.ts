// The router's HTTP handler on raw node:http (docs/adr/0024): its own /lb/* and /metrics,
// and everything else buffered, keyed, and proxied to the pod the ring names.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyExtractor } from './keys.js';
import type { RouterMetrics } from './metrics.js';
import type { PodTable } from './pods.js';
import { endToEnd, type UpstreamProxy } from './proxy.js';
import { carriesIdempotencyKey } from '../state/idempotency.js';

export interface RouterHandlerDeps {
  table: PodTable;
  proxy: UpstreamProxy;
  keys: KeyExtractor;
  metrics: RouterMetrics;
  /** Largest request body the router buffers (it must, to be able to retry); more is 413. */
  maxBody: number;
  /** Extra fields for /lb/status (the configuration the router runs with). */
  describe: () => Record<string, unknown>;
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

/** Whether the request has a body to read (a GET usually has none). */
function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
  );
}

/** The whole request body; rejects past `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

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
        sendJson(res, 200, { pods: deps.table.status(), ...deps.describe() });
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
  return readBody(req, deps.maxBody).then((body) => forward(deps, req, res, body, started));
}

async function forward(
  deps: RouterHandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | undefined,
  started: number,
): Promise<void> {
  const view = { url: req.url ?? '/', headers: req.headers, peer: req.socket.remoteAddress ?? '' };
  const key = deps.keys.keyOf(view);
  const outcome = await deps.proxy.forward(
    {
      method: req.method ?? 'GET',
      path: view.url,
      headers: upstreamHeaders(req, deps.keys.clientIp(view)),
      body,
      idempotent: carriesIdempotencyKey(req.headers['idempotency-key']),
    },
    key?.value,
    res,
  );
  deps.metrics.duration.observe((performance.now() - started) / 1000);
  deps.metrics.countRequest(outcome.ok ? outcome.pod.name : '', outcome.status);
  if (!outcome.ok && !res.headersSent && !res.destroyed) {
    sendError(res, outcome.status, outcome.code, outcome.message);
  }
}

/** The router's request handler; `http.createServer(handler)` makes it listen. */
export function createRouterHandler(deps: RouterHandlerDeps): Handler {
  const local = lbEndpoints(deps);
  return (req, res) => {
    const q = req.url?.indexOf('?') ?? -1;
    const path = q === -1 ? (req.url ?? '/') : (req.url ?? '/').slice(0, q);
    const endpoint = local.get(path);
    if (endpoint !== undefined) {
      if (req.method === 'GET' || req.method === 'HEAD') endpoint(req, res);
      else sendError(res, 405, 'method_not_allowed', `${path} answers GET only`, { allow: 'GET' });
      return;
    }
    proxyRequest(deps, req, res).catch((err: unknown) => {
      if (err instanceof BodyTooLarge) {
        const message = `request body is larger than ${deps.maxBody} bytes`;
        sendError(res, 413, 'body_too_large', message, { connection: 'close' });
        return;
      }
      deps.onError(err);
      if (!res.headersSent) sendError(res, 500, 'router_error', String(err));
      else res.destroy();
    });
  };
}
