/**
 * Failures an invocation or request can end in, each with the HTTP status and code
 * DESIGN.md gives it. The HTTP layer maps these and nothing else to error responses.
 */
export class GlassError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string): GlassError =>
  new GlassError(400, 'bad_request', message);
export const notFound = (message: string): GlassError => new GlassError(404, 'not_found', message);
export const conflict = (message: string): GlassError => new GlassError(409, 'conflict', message);
export const tooLarge = (message: string): GlassError =>
  new GlassError(413, 'payload_too_large', message);
export const tooManyRequests = (message: string): GlassError =>
  new GlassError(429, 'concurrency_limit', message);
export const guestTrap = (message: string): GlassError =>
  new GlassError(500, 'guest_trap', message);
export const memoryLimit = (message: string): GlassError =>
  new GlassError(500, 'memory_limit', message);
export const guestExit = (message: string): GlassError =>
  new GlassError(500, 'guest_exit', message);
/** A guest stored more than its `spec.state.quota` allows; nothing it wrote was applied. */
export const quotaExceeded = (message: string): GlassError =>
  new GlassError(413, 'quota_exceeded', message);
export const notReady = (message: string): GlassError => new GlassError(503, 'not_ready', message);
export const unavailable = (message: string): GlassError =>
  new GlassError(503, 'unavailable', message);
/** A pod that does not own the call's namespace got it from another pod that thought it did. */
export const notOwner = (message: string): GlassError => new GlassError(503, 'not_owner', message);
export const timeout = (message: string): GlassError => new GlassError(504, 'timeout', message);
