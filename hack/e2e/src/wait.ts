// Bounded waits: every wait in the e2e names what it waits for and gives up with that name.
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value other than undefined, and returns that value. After
 * `timeoutMs` it fails with `what`, and with the last thing `probe` threw, if anything.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 200,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(
        `timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}${cause}`,
      );
    }
    await delay(intervalMs);
  }
}

/** Fails the e2e with `message` unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}
