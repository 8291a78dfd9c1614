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

/**
 * The outermost middleware: names the pod on every answer (`X-Glass-Pod`), and is the one
 * place where failures become `{ "error": { "code", "message" } }` answers.
 */
export function errorMiddleware(log: Logger, metrics: RuntimeMetrics, podName: string): Middleware {
  return async (ctx, next) => {
    ctx.set('X-Glass-Pod', podName);
    try {
      await next();
    } catch (error) {
      const known = error instanceof GlassError ? error : libraryError(error);
      const failure = known ?? new GlassError(500, 'internal', 'internal error');
      if (!known) log.error({ err: error, path: ctx.path }, 'unexpected error');
      metrics.errors.inc({ code: failure.code });
      ctx.status = failure.status;
      // So a proxy can tell a pod's trouble (not_ready) from everyone's (unavailable) unread.
      ctx.set('X-Glass-Error', failure.code);
      ctx.body = { error: { code: failure.code, message: failure.message } };
    }
  };
}
