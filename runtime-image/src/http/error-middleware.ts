import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { GlassError } from '../runtime/errors.js';
import type { RuntimeMetrics } from '../runtime/metrics.js';

/** Errors raised by libraries (raw-body, koa) that carry an HTTP status of their own. */
function libraryError(error: unknown): GlassError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, type, message } = error as {
    status?: unknown;
    type?: unknown;
    message?: unknown;
  };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const code = type === 'entity.too.large' ? 'payload_too_large' : 'bad_request';
  return new GlassError(status, code, typeof message === 'string' ? message : 'bad request');
}

/** How a request's failure is answered and counted; shared by koa and the raw invoke path. */
export interface FailureReporter {
  /** The answer for `error`: itself when it is a GlassError, else 4xx or 500 `internal`. */
  (error: unknown, path: string): GlassError;
}

export function failureReporter(log: Logger, metrics: RuntimeMetrics): FailureReporter {
  return (error, path) => {
    const known = error instanceof GlassError ? error : libraryError(error);
    const failure = known ?? new GlassError(500, 'internal', 'internal error');
    if (!known) log.error({ err: error, path }, 'unexpected error');
    metrics.errors.inc({ code: failure.code });
    return failure;
  };
}

/** The JSON every error answer carries. */
export function errorBody(failure: GlassError): { error: { code: string; message: string } } {
  return { error: { code: failure.code, message: failure.message } };
}

/**
 * The outermost middleware: names the pod on every answer (`X-Glass-Pod`), and is the one
 * place where koa's failures become `{ "error": { "code", "message" } }` answers.
 */
export function errorMiddleware(report: FailureReporter, podName: string): Middleware {
  return async (ctx, next) => {
    ctx.set('X-Glass-Pod', podName);
    try {
      await next();
    } catch (error) {
      const failure = report(error, ctx.path);
      ctx.status = failure.status;
      // So a proxy can tell a pod's trouble (not_ready) from everyone's (unavailable) unread.
      ctx.set('X-Glass-Error', failure.code);
      ctx.body = errorBody(failure);
    }
  };
}
