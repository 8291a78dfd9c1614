// How Glass's processes read client-node's errors: the status and the API server's own words,
// not the whole response dump. Shared by the runtime, the router and the operator.
import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, when the server answered. */
const statusCode = (error: unknown): number | undefined =>
  error instanceof ApiException ? error.code : undefined;

export const isNotFound = (error: unknown): boolean => statusCode(error) === 404;
export const isConflict = (error: unknown): boolean => statusCode(error) === 409;

/** "403 endpointslices.discovery.k8s.io is forbidden: ...", or the message of any other error. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the raw body
    }
    return `${error.code} ${message}`;
  }
  // A failed watch request is a plain Error carrying the status (client-node's watch.js).
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  const message = error instanceof Error ? error.message : String(error);
  return typeof status === 'number' ? `${status} ${message}` : message;
}

/** "binding pod ns/x: 409 <what the server said>": what was attempted, then why it failed. */
export function describeApiError(doing: string, error: unknown): Error {
  return new Error(`${doing}: ${apiErrorMessage(error)}`);
}
