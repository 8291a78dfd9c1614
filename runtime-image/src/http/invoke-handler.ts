// The hot path, `/invoke/...`, served on node:http directly: koa's context objects, its
// middleware chain and its response handling cost a request more than the guest does
// (ADR 8). Everything else goes to the koa app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { shortAsciiText } from '../host/ascii.js';
import { badRequest, notReady } from '../runtime/errors.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { invokeIdempotently } from '../runtime/idempotent-invoke.js';
import type { InvocationResult } from '../runtime/invoker.js';
import type { MaybeAsync } from '../runtime/maybe-async.js';
import type { ResolvedExport } from '../runtime/registry.js';
import { NOT_STORED_HEADER, parseIdempotencyKey } from '../state/idempotency.js';
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
  if (!segment.includes('%')) return segment;
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

/** The error code an invocation's failure is counted under. */
function outcomeOf(error: unknown): string {
  return (error as { code?: string }).code ?? 'internal';
}

/**
 * Serves `/invoke/...` itself and hands every other request to `fallback` (the koa app).
 * Answers and errors are the ones the koa routes gave: `X-Glass-Pod` on every answer, JSON
 * errors with `X-Glass-Error`, the same metrics. A request with no body whose invocation
 * finishes at once (ADR 8) is answered without a promise.
 */
export function invokeHandler(deps: InvokeHandlerDeps, fallback: RequestHandler): RequestHandler {
  const { runtime, maxBodyBytes, podName, report } = deps;

  const fail = (request: IncomingMessage, response: ServerResponse, error: unknown): void => {
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
  };

  const answer = (response: ServerResponse, result: InvocationResult): void => {
    const { output } = result;
    // A counter's few digits go as a string: one write of headers and body, no Buffer view.
    const body =
      shortAsciiText(output) ?? Buffer.from(output.buffer, output.byteOffset, output.length);
    const headers: Record<string, string | number> = {
      'Content-Type': result.numeric ? NUMERIC_TYPE : BYTES_TYPE,
      // An ASCII string has as many bytes as characters.
      'Content-Length': body.length,
      'X-Glass-Pod': podName,
    };
    if (result.replayed === true) headers['Idempotent-Replayed'] = 'true';
    if (result.notStored !== undefined) headers[NOT_STORED_HEADER] = result.notStored;
    response.writeHead(200, headers).end(body);
  };

  /** Answers a failure that escaped both of the above: logged, counted, connection closed. */
  const lost = (request: IncomingMessage, response: ServerResponse) => (error: unknown) => {
    report(error, request.url ?? '');
    response.destroy();
  };

  const invokeAndAnswer = (
    request: IncomingMessage,
    response: ServerResponse,
    target: ResolvedExport,
    body: Uint8Array,
    query: string,
  ): void => {
    const started = performance.now();
    const record = (outcome: string): void => {
      const ms = performance.now() - started;
      runtime.metrics.recordInvocation(target.definition.name, target.signature.name, outcome, ms);
    };
    let result: MaybeAsync<InvocationResult>;
    try {
      const header = request.headers['idempotency-key'];
      const key = parseIdempotencyKey(Array.isArray(header) ? header[0] : header);
      result = invokeIdempotently(runtime, target, { body, args: valuesOf(query), key });
    } catch (error) {
      record(outcomeOf(error));
      fail(request, response, error);
      return;
    }
    if (!(result instanceof Promise)) {
      record('ok');
      answer(response, result);
      return;
    }
    result
      .then(
        (done) => {
          record('ok');
          answer(response, done);
        },
        (error: unknown) => {
          record(outcomeOf(error));
          fail(request, response, error);
        },
      )
      .catch(lost(request, response));
  };

  const serve = (
    request: IncomingMessage,
    response: ServerResponse,
    path: RegExpExecArray,
    query: string,
  ): void => {
    let target: ResolvedExport;
    let body: MaybeAsync<Uint8Array>;
    try {
      target = resolveTarget(runtime, request.method ?? 'GET', path);
      if (!runtime.ready) throw notReady('runtime is not ready');
      body = readBody(request, maxBodyBytes);
    } catch (error) {
      fail(request, response, error);
      return;
    }
    if (!(body instanceof Promise)) {
      invokeAndAnswer(request, response, target, body, query);
      return;
    }
    body
      .then(
        (bytes) => {
          invokeAndAnswer(request, response, target, bytes, query);
        },
        (error: unknown) => {
          fail(request, response, error);
        },
      )
      .catch(lost(request, response));
  };

  return (request, response) => {
    const url = request.url ?? '/';
    const mark = url.indexOf('?');
    const path = INVOKE_PATH.exec(mark < 0 ? url : url.slice(0, mark));
    if (path === null) {
      fallback(request, response);
      return;
    }
    try {
      serve(request, response, path, mark < 0 ? '' : url.slice(mark + 1));
    } catch (error) {
      lost(request, response)(error);
    }
  };
}
