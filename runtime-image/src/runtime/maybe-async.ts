/** A value now, or later: what a step returns when it only sometimes has to wait. */
export type MaybeAsync<T> = T | Promise<T>;

/**
 * `next(value)` at once when `value` is already there, else once it is. A chain of these
 * stays synchronous (no promise, no microtask) for as long as every step does: the hot path
 * of a warm local invocation never waits for anything (ADR 8).
 */
export function andThen<T, R>(
  value: MaybeAsync<T>,
  next: (value: T) => MaybeAsync<R>,
): MaybeAsync<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
