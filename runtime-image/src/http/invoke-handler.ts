// The hot path, `/invoke/...`, served on node:http directly: koa's context objects, its
// middleware chain and its response handling cost a request more than the guest does
// (ADR 8). Everything else goes to the koa app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { shortAsciiText } from '../host/ascii.js';
import { NamespaceValueError } from '@glass/crds/namespace-template';
import { callNamespace } from '../placement/call-values.js';
import { FORWARDED_BY, ForwardError, type PeerForwarder } from '../placement/peer-forwarder.js';
import type { Member } from '../router/membership.js';
import { badRequest, notOwner, notReady } from '../runtime/errors.js';
import type { Placement } from '../runtime/pod-placement.js';
import type { GlassRuntime } from '../runtime/glass-runtime.js';
import { invokeIdempotently } from '../runtime/idempotent-invoke.js';
import type { InvocationResult, InvocationScope } from '../runtime/invoker.js';
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
  /** Sends calls for namespaces another pod owns to that pod. */
  forwarder: PeerForwarder;
}

const HERE: Placement = { here: true };

/** `/invoke/:faaslet/:export/:key`, `/invoke/:faaslet/:export` or `/invoke/:export`. */
const INVOKE_PATH = /^\/invoke\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;
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

/**
 * The namespace the call acts on and the values that filled it (ADR 0100). A Faaslet that
 * touches no state has no namespace to resolve: its template stands in (idempotency records).
 */
function scopeOf(target: ResolvedExport, request: IncomingMessage, path: RegExpExecArray) {
  const key = path[3];
  const source = {
    headers: request.headers,
    pathKey: key === undefined ? undefined : decoded(key),
  };
  const { namespace: template, touchesState } = target.definition;
  if (template.placeholder === undefined) return { namespace: template.text };
  try {
    return callNamespace(template, source);
  } catch (error) {
    if (!(error instanceof NamespaceValueError)) throw error;
    if (!touchesState) return { namespace: template.text };
    throw badRequest(error.message);
  }
}

function resolveTarget(runtime: GlassRuntime, method: string, path: RegExpExecArray) {
  const [, first = '', second, key] = path;
  if (key !== undefined && second === undefined) throw badRequest('malformed invoke path');
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
  const { runtime, maxBodyBytes, podName, report, forwarder } = deps;

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

  const forward = (
    request: IncomingMessage,
    response: ServerResponse,
    owner: Member,
    body: MaybeAsync<Uint8Array>,
  ): void => {
    runtime.metrics.forwarded.inc();
    Promise.resolve(body)
      .then((bytes) =>
        forwarder.forward(
          owner,
          {
            method: request.method ?? 'GET',
            url: request.url ?? '/',
            headers: request.headers,
            body: bytes,
          },
          response,
        ),
      )
      .catch((error: unknown) => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        fail(request, response, error instanceof ForwardError ? notOwner(error.message) : error);
      });
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
    placed: { target: ResolvedExport; scope: InvocationScope },
    body: Uint8Array,
    query: string,
  ): void => {
    const { target, scope } = placed;
    const started = performance.now();
    const record = (outcome: string): void => {
      const ms = performance.now() - started;
      runtime.metrics.recordInvocation(target.definition.name, target.signature.name, outcome, ms);
    };
    let result: MaybeAsync<InvocationResult>;
    try {
      const header = request.headers['idempotency-key'];
      const key = parseIdempotencyKey(Array.isArray(header) ? header[0] : header);
      result = invokeIdempotently(runtime, target, { body, args: valuesOf(query), key, scope });
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
    let scope: InvocationScope;
    let placement: Placement = HERE;
    try {
      target = resolveTarget(runtime, request.method ?? 'GET', path);
      if (!runtime.ready && !runtime.draining) throw notReady('runtime is not ready');
      scope = scopeOf(target, request, path);
      if (target.definition.touchesState) {
        const by = request.headers[FORWARDED_BY];
        placement = runtime.placement.place(scope.namespace, Array.isArray(by) ? by[0] : by);
      }
      body = readBody(request, maxBodyBytes);
    } catch (error) {
      fail(request, response, error);
      return;
    }
    if (!placement.here) {
      forward(request, response, placement.owner, body);
      return;
    }
    // A namespace this pod just gained waits for its previous owner's hand-off (ADR 0103).
    const handedOver = target.definition.touchesState
      ? runtime.handoff?.gate(scope.namespace)
      : undefined;
    if (handedOver) {
      const reading = body;
      body = handedOver.then(() => reading);
    }
    if (!(body instanceof Promise)) {
      invokeAndAnswer(request, response, { target, scope }, body, query);
      return;
    }
    body
      .then(
        (bytes) => {
          invokeAndAnswer(request, response, { target, scope }, bytes, query);
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
