// What one pod sends another when namespaces change owner (ADR 0103): JSON, values in
// base64, several namespaces per message, and `done` on the last message of a view change.
import { z } from 'zod';
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

/** The wire form, checked at the edge like every other input (a peer can be wrong too). */
const WireMessage = z.object({
  from: z.string().min(1),
  view: z.string(),
  done: z.boolean(),
  namespaces: z.array(
    z.object({
      namespace: z.string().min(1),
      entries: z.array(z.tuple([z.string(), z.string().nullable(), z.string()])),
      records: z.array(
        z.object({
          key: z.string(),
          ttlMs: z.number().positive(),
          fingerprint: z.string(),
          numeric: z.boolean(),
          output: z.string(),
        }),
      ),
    }),
  ),
});
type WireMessage = z.infer<typeof WireMessage>;

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
    size +=
      r.key.length + r.fingerprint.length + Math.ceil((r.response.output.length * 4) / 3) + 64;
  }
  return size;
}

export function encodeHandoff(message: HandoffMessage): string {
  const wire: WireMessage = {
    ...message,
    namespaces: message.namespaces.map((n) => ({
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
    })),
  };
  return JSON.stringify(wire);
}

/** Parses a message; throws, saying what is wrong, on anything that is not one. */
export function decodeHandoff(text: string): HandoffMessage {
  const parsed = WireMessage.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
  const wire = parsed.data;
  return {
    ...wire,
    namespaces: wire.namespaces.map((n) => ({
      namespace: n.namespace,
      entries: n.entries.map(([key, value, version]) => [
        key,
        value === null ? null : bytesOf(value),
        version,
      ]),
      records: n.records.map((r) => ({
        key: r.key,
        ttlMs: r.ttlMs,
        fingerprint: r.fingerprint,
        response: { numeric: r.numeric, output: bytesOf(r.output) },
      })),
    })),
  };
}
