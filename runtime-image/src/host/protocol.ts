// Messages between the runtime's main thread (HTTP, state, commits) and its guest workers.
// Everything here crosses postMessage, so it is plain data (plus WebAssembly.Module).
import type { Abi, Durability } from '@glass/crds';
import type { NamespaceTemplate, Placeholder } from '@glass/crds/namespace-template';
import type { ValueType } from '../wasm/module-info.js';

export interface ExportSignature {
  name: string;
  params: ValueType[];
  results: ValueType[];
}

/** A Faaslet as the host runs it: resolved, compiled, with its limits in plain numbers. */
export interface FaasletDefinition {
  name: string;
  /**
   * Which compiled version of the Faaslet this is, unique and increasing in the process: a
   * swap loads a new revision beside the old one, so invocations already running on the old
   * one finish on it (docs/adr/0064-runtime-kubernetes-mode.md).
   */
  revision: number;
  /** The namespace template: a fixed name, or one a call's value fills (ADR 0100). */
  namespace: NamespaceTemplate;
  durability: Durability;
  /**
   * The module imports state or nested-call functions, so its calls run on the owner of their
   * namespace; one that touches no state runs anywhere (ADR 0101).
   */
  touchesState: boolean;
  abi: Abi;
  digest: string;
  module: WebAssembly.Module;
  /** Callable exports; for `wasi-command` only `_start`. */
  exports: ExportSignature[];
  timeoutMs: number;
  memoryBytes: number;
  /** `spec.state.quota` in bytes and keys: what one invocation may store. */
  quota: StoreQuota;
  maxInstances: number;
  maxConcurrency: number;
  env: Record<string, string>;
  args: string[];
}

export interface StoreQuota {
  valueBytes: number;
  transactionBytes: number;
  keys: number;
  namespaceBytes: number;
}

/** What a call fills placeholders with; only the ones it carries are set. */
export type CallValues = Partial<Record<Placeholder, string>>;

/** `namespace/key`: a namespace never holds `/`, so the first `/` always splits them. */
export type StateKey = string;

/** A key's value and version; value null means absent. Version '' means "never written". */
export type VersionedEntry = [key: StateKey, value: Uint8Array | null, version: string];

export interface InvokeRequest {
  type: 'invoke';
  id: number;
  faaslet: string;
  /** The revision of the Faaslet this invocation runs (FaasletDefinition.revision). */
  revision: number;
  export: string;
  input: Uint8Array;
  /** Numeric arguments as decimal text (i64 needs more than a double). */
  args: string[];
  /** The namespace this invocation's state functions act on: its template, resolved. */
  namespace: string;
  /** The call's placeholder values, when it has any: nested calls to keyed callees use them. */
  values?: CallValues;
  /**
   * Keys whose cached copies are stale (another worker committed them, or this worker's
   * commit of them failed). Only keys, never values: a value read now could be older than
   * this worker's own in-flight writes; a fetch at execution time cannot be.
   */
  invalidate: StateKey[];
  /** Drop the whole cache first (too many updates were pending to send one by one). */
  clearCache: boolean;
}

export type ToWorker =
  | { type: 'load'; definition: FaasletDefinition }
  /** Without a revision: every revision of the Faaslet; with one: that revision only. */
  | { type: 'unload'; name: string; revision?: number }
  /** Invocations batched per event-loop turn: one thread wake-up for many calls. */
  | { type: 'invoke-batch'; requests: InvokeRequest[] };

export interface GuestLog {
  level: number;
  faaslet: string;
  message: string;
}

export interface InvokeDone {
  type: 'done';
  id: number;
  /** Every key read, with the version seen: validated at commit. */
  reads: [StateKey, string][];
  /** Every key written, with the new version this worker assigned. */
  writes: VersionedEntry[];
  output: Uint8Array;
  logs: GuestLog[];
}

export type FailureKind = 'trap' | 'memory-limit' | 'bad-input' | 'not-found' | 'exit' | 'quota';

export interface InvokeFailed {
  type: 'failed';
  id: number;
  kind: FailureKind;
  message: string;
  logs: GuestLog[];
  /**
   * Every key read before the failure (a nested call's included), with the version seen: a
   * failure on a snapshot that is no longer current is retried, not answered (ADR 0048).
   */
  reads: [StateKey, string][];
}

/** The transaction saw a value that changed under it; the main thread retries it. */
export interface InvokeConflict {
  type: 'conflict';
  id: number;
  keys: StateKey[];
}

/** A synchronous read of keys missing from the worker's cache (the worker blocks). */
export interface FetchRequest {
  type: 'fetch';
  id: number;
  keys: StateKey[];
  /**
   * The reads so far, validated first, so every value the guest read before this one is
   * consistent with it. A cached value read after it may still be older (ADR 0048).
   */
  reads: [StateKey, string][];
}

export type FetchReply = { ok: true; entries: VersionedEntry[] } | { ok: false; stale: StateKey[] };

export type InvokeOutcome = InvokeDone | InvokeFailed | InvokeConflict;

/** From the main-thread fast lane only: run this one on a worker instead. */
export interface InvokeYield {
  type: 'yield';
  id: number;
  reason: string;
}

export type FromWorker =
  | { type: 'loaded'; revision: number; error?: string }
  | { type: 'outcomes'; outcomes: InvokeOutcome[] }
  | FetchRequest;

export interface WorkerData {
  /** Unique per worker incarnation: the prefix of every version this worker assigns. */
  uid: string;
  fetchFlag: SharedArrayBuffer;
  fetchPort: import('node:worker_threads').MessagePort;
}

export function stateKey(namespace: string, key: string): StateKey {
  return `${namespace}/${key}`;
}
