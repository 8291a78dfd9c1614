// What one pod sends another when namespaces change owner (ADR 0103): JSON, values in
// base64, several namespaces per message, and `done` on the last message of a view change.
import type { NamespaceSnapshot } from '../state/tiers.js';

export interface HandoffMessage {
  /** The pod that owned these namespaces. */
  from: string;
  /** The membership this hand-off is for (viewIdOf): the receiver's must match. */
  view: string;
  /** Every namespace `from` had for the receiver under `view` has been sent. */
  done: boolean;
  namespaces: NamespaceSnapshot[];
}

interface WireRecord {
  key: string;
  ttlMs: number;
  fingerprint: string;
  numeric: boolean;
  output: string;
}

interface WireNamespace {
  namespace: string;
  entries: [string, string | null, string][];
  records: WireRecord[];
}

const b64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** The name of a membership: its members' names, sorted. Pods with the same members agree. */
export function viewIdOf(names: Iterable<string>): string {
  return [...names].sort().join(',');
}

/** About how many bytes a namespace takes on the wire, to cut messages to size. */
export function wireSize(snapshot: NamespaceSnapshot): number {
  let size = snapshot.namespace.length + 64;
  for (const [key, value, version] of snapshot.entries) {
    size += key.length + version.length + Math.ceil(((value?.length ?? 0) * 4) / 3) + 16;
  }
  for (const r of snapshot.records) {
    size += r.key.length + r.fingerprint.length + Math.ceil((r.response.output.length * 4) / 3) + 64;
  }
  return size;
}

export function encodeHandoff(message: HandoffMessage): string {
  const namespaces: WireNamespace[] = message.namespaces.map((n) => ({
    namespace: n.namespace,
    entries: n.entries.map(([key, value, version]) => [
      key,
      value === null ? null : b64(value),
      version,
    ]),
    records: n.records.map((r) => ({
      key: r.key,
      ttlMs: r.ttlMs,
      fingerprint: r.fingerprint,
      numeric: r.response.numeric,
      output: b64(r.response.output),
    })),
  }));
  return JSON.stringify({ ...message, namespaces });
}

/** Parses a message; throws on anything that is not one. */
export function decodeHandoff(text: string): HandoffMessage {
  const raw = JSON.parse(text) as {
    from?: unknown;
    view?: unknown;
    done?: unknown;
    namespaces?: WireNamespace[];
  };
  if (typeof raw.from !== 'string' || typeof raw.view !== 'string') {
    throw new Error('a hand-off needs from and view');
  }
  if (!Array.isArray(raw.namespaces)) throw new Error('a hand-off needs namespaces');
  return {
    from: raw.from,
    view: raw.view,
    done: raw.done === true,
    namespaces: raw.namespaces.map((n) => ({
      namespace: String(n.namespace),
      entries: n.entries.map(([key, value, version]) => [
        String(key),
        value === null ? null : bytesOf(String(value)),
        String(version),
      ]),
      records: n.records.map((r) => ({
        key: String(r.key),
        ttlMs: Number(r.ttlMs),
        fingerprint: String(r.fingerprint),
        response: { numeric: r.numeric === true, output: bytesOf(String(r.output)) },
      })),
    })),
  };
}
