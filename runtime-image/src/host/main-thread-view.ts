import type { StateKey, VersionedEntry } from './protocol.js';
import { YieldToWorker, type StateView } from './worker-cache.js';

/**
 * The fast lane's view of state: the store itself, read synchronously on the main thread.
 * Nothing is cached and nothing is installed: the commit goes through the store like any
 * other, so a value that changed in between fails validation as usual.
 */
export class MainThreadView implements StateView {
  private sequence = 0;

  constructor(
    private readonly uid: string,
    private readonly peek: (key: StateKey) => VersionedEntry | undefined,
  ) {}

  lookup(key: StateKey): { value: Uint8Array | null; version: string } {
    const entry = this.peek(key);
    if (!entry) throw new YieldToWorker(`${key} is not in this process`);
    return { value: entry[1], version: entry[2] };
  }

  nextVersion(): string {
    this.sequence++;
    return `${this.uid}.${this.sequence}`;
  }

  install(): void {
    // The store applies committed writes; there is no copy here to update.
  }

  invalidate(): void {
    // Nothing cached.
  }

  clear(): void {
    // Nothing cached.
  }
}
