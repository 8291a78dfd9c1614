import type { StateKey, StoreQuota, VersionedEntry } from '../host/protocol.js';
import { quotaExceeded } from '../runtime/errors.js';

interface Usage {
  keys: number;
  bytes: number;
}

const namespaceOf = (key: StateKey): string => key.slice(0, key.indexOf('/'));

/** What a stored entry counts against its namespace: its key's and its value's bytes. */
const sizeOf = (key: StateKey, value: Uint8Array): number => key.length + value.length;

/**
 * Keys and bytes per namespace of one store, kept as commits apply, so a commit's
 * `maxKeys` / `maxNamespaceBytes` check costs its own writes, not a scan of the namespace.
 */
export class NamespaceUsage {
  private readonly usage = new Map<string, Usage>();

  /**
   * Throws a 413 naming the quota when applying `writes` over `current` (each key's stored
   * value) would leave a namespace over it. Commits that shrink a namespace always pass, so
   * one already over a lowered quota can still be cleaned up.
   */
  check(
    writes: VersionedEntry[],
    current: (key: StateKey) => Uint8Array | undefined,
    quota: Pick<StoreQuota, 'keys' | 'namespaceBytes'>,
  ): void {
    const deltas = new Map<string, Usage>();
    for (const [key, value] of writes) {
      const old = current(key);
      const delta = deltas.get(namespaceOf(key)) ?? { keys: 0, bytes: 0 };
      delta.keys += (value === null ? 0 : 1) - (old === undefined ? 0 : 1);
      delta.bytes += (value === null ? 0 : sizeOf(key, value)) - (old ? sizeOf(key, old) : 0);
      deltas.set(namespaceOf(key), delta);
    }
    for (const [namespace, delta] of deltas) {
      const now = this.usage.get(namespace) ?? { keys: 0, bytes: 0 };
      if (delta.keys > 0 && now.keys + delta.keys > quota.keys) {
        throw quotaExceeded(
          `quota maxKeys exceeded: namespace ${namespace} would hold ${now.keys + delta.keys} keys, over the limit of ${quota.keys}; nothing was applied`,
        );
      }
      if (delta.bytes > 0 && now.bytes + delta.bytes > quota.namespaceBytes) {
        throw quotaExceeded(
          `quota maxNamespaceBytes exceeded: namespace ${namespace} would hold ${now.bytes + delta.bytes} bytes, over the limit of ${quota.namespaceBytes}; nothing was applied`,
        );
      }
    }
  }

  /** Records one entry replacing `old` (undefined: absent) with `value` (null: deleted). */
  apply(key: StateKey, old: Uint8Array | undefined, value: Uint8Array | null): void {
    const namespace = namespaceOf(key);
    const now = this.usage.get(namespace) ?? { keys: 0, bytes: 0 };
    now.keys += (value === null ? 0 : 1) - (old === undefined ? 0 : 1);
    now.bytes += (value === null ? 0 : sizeOf(key, value)) - (old ? sizeOf(key, old) : 0);
    if (now.keys === 0) this.usage.delete(namespace);
    else this.usage.set(namespace, now);
  }
}
