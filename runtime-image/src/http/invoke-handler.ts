// The hot path, `/invoke/...`, served on node:http directly: koa's context objects, its
// middleware chain and its response handling cost a request more than the guest does
// (ADR 8). Everything else goes to the koa app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, notReady } from '../runtime/errors.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { invokeIdempotently } from '../runtime/idempotent-invoke.js';
import type { ResolvedExport } from '../runtime/registry.js';
import { parseIdempotencyKey } from '../state/idempotency.js';
import { readBody } from './body.js';
import { errorBody, type FailureReporter } from './error-middleware.js';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface InvokeHandlerDeps {
  runtime: GlassRuntime;
  maxBodyBytes: number;
  podName: string;
  report: FailureReporter;
}

/** `/invoke/:faaslet/:export` or `/invoke/:export`. */
const INVOKE_PATH = /^\/invoke\/([^/]+)(?:\/([^/]+))?$/;
const NUMERIC_TYPE = 'text/plain; charset=utf-8';
const BYTES_TYPE = 'application/octet-stream';

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`malformed percent-encoding in "${segment}"`);
  }
}

/** The `value` query parameters, in order: the guest's numeric arguments. */
function valuesOf(query: string): string[] {
  if (query === '') return [];
  return new URLSearchParams(query).getAll('value');
}

function resolveTarget(runtime: GlassRuntime, method: string, path: RegExpExecArray) {
  const [, first = '', second] = path;
  if (second !== undefined) return runtime.registry.resolve(decoded(first), decoded(second));
  if (method === 'GET') return runtime.registry.resolveExportOnly(decoded(first));
  throw badRequest('use GET /invoke/:export?value=N or POST /invoke/:faaslet/:export');
}

/**
 * Serves `/invoke/...` itself and hands every other request to `fallback` (the koa app).
 * Answers and errors are the ones the koa routes gave: `X-Glass-Pod` on every answer, JSON
 * errors with `X-Glass-Error`, the same metrics.
 */
export function invokeHandler(deps: InvokeHandlerDeps, fallback: RequestHandler): RequestHandler {
  const { runtime, maxBodyBytes, podName, report } = deps;

  const invoke = async (
    request: IncomingMessage,
    target: ResolvedExport,
    query: string,
  ): Promise<{ type: string; body: Buffer; replayed: boolean }> => {
    if (!runtime.ready) throw notReady('runtime is not ready');
    const body = await readBody(request, maxBodyBytes);
    const started = performance.now();
    let outcome = 'internal';
    try {
      const header = request.headers['idempotency-key'];
      const key = parseIdempotencyKey(Array.isArray(header) ? header[0] : header);
      const result = await invokeIdempotently(runtime, target, {
        body,
        args: valuesOf(query),
        key,
      });
      outcome = 'ok';
      const { output } = result;
      return {
        type: result.numeric ? NUMERIC_TYPE : BYTES_TYPE,
        body: Buffer.from(output.buffer, output.byteOffset, output.length),
        replayed: result.replayed,
      };
    } catch (error) {
      outcome = (error as { code?: string }).code ?? outcome;
      throw error;
    } finally {
      const ms = performance.now() - started;
      runtime.metrics.recordInvocation(target.definition.name, target.signature.name, outcome, ms);
    }
  };

  const serve = async (
    request: IncomingMessage,
    response: ServerResponse,
    path: RegExpExecArray,
    query: string,
  ): Promise<void> => {
    try {
      const target = resolveTarget(runtime, request.method ?? 'GET', path);
      const answer = await invoke(request, target, query);
      const headers: Record<string, string | number> = {
        'Content-Type': answer.type,
        'Content-Length': answer.body.length,
        'X-Glass-Pod': podName,
      };
      if (answer.replayed) headers['Idempotent-Replayed'] = 'true';
      response.writeHead(200, headers).end(answer.body);
    } catch (error) {
      const failure = report(error, request.url ?? '');
      const body = JSON.stringify(errorBody(failure));
      response
        .writeHead(failure.status, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          'X-Glass-Pod': podName,
          'X-Glass-Error': failure.code,
        })
        .end(body);
    }
  };

  return (request, response) => {
    const url = request.url ?? '/';
    const mark = url.indexOf('?');
    const path = INVOKE_PATH.exec(mark < 0 ? url : url.slice(0, mark));
    if (path === null) {
      fallback(request, response);
      return;
    }
    void serve(request, response, path, mark < 0 ? '' : url.slice(mark + 1));
  };
}
