import { createServer, type Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import type { ManifestProblem } from '@glass/crds';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { createRequestHandler } from '../http/app.js';
import type { RequestHandler } from '../http/invoke-handler.js';
import { AdminCredentials } from '../http/admin-credentials.js';
import { GlobalTier } from '../state/global-tier.js';
import {
  DEFAULT_IDEMPOTENCY_BUDGET_BYTES,
  DEFAULT_IDEMPOTENCY_MAX_RESPONSE_BYTES,
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
} from '../state/idempotency.js';
import type { Membership } from '../router/membership.js';
import { DEFAULT_VIRTUAL_NODES } from '../router/ring.js';
import { PeerForwarder } from '../placement/peer-forwarder.js';
import { GlassRuntime, type RuntimeOptions } from './glass-runtime.js';
import { DEFAULT_MODULE_FETCH_POLICY } from './module-fetch.js';
import { openPodMembership } from './pod-membership.js';
import { PodOwnership } from './pod-ownership.js';

/**
 * The membership this pod follows, if any, and its ownership of namespaces over it (ADR 0101):
 * without one, a lone runtime owns every namespace.
 */
async function followMembership(
  config: RuntimeConfig,
  parts: { runtime: GlassRuntime; forwarder: PeerForwarder; log: Logger; podName: string },
): Promise<{ membership?: Membership; owning?: PodOwnership }> {
  const membership = await openPodMembership(config, parts.log);
  if (!membership) return {};
  const owning = new PodOwnership(parts.runtime, membership, parts.forwarder, parts.log, {
    self: parts.podName,
    virtualNodes: config.virtualNodes ?? DEFAULT_VIRTUAL_NODES,
    handoffTimeoutMs: config.handoffTimeoutMs ?? 5000,
  });
  return { membership, owning };
}

const answerNotReady: RequestHandler = (_request, response) => {
  const body = JSON.stringify({ error: { code: 'not_ready', message: 'runtime is starting' } });
  response
    .writeHead(503, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'X-Glass-Error': 'not_ready',
    })
    .end(body);
};

/** How long a stopping runtime lets the calls in flight finish. */
const DRAIN_MS = 2000;

export interface RunningRuntime {
  runtime: GlassRuntime;
  /** With --cluster: resolves once the first Faaslets of the GlassCluster were loaded. */
  clusterSynced?: Promise<void>;
  server: Server;
  port: number;
  problems: ManifestProblem[];
  close(): Promise<void>;
}

export function describeProblem(p: ManifestProblem): string {
  const where = p.document > 0 ? `${p.source} (document ${p.document})` : p.source;
  return `${where}${p.name ? `: ${p.name}` : ''}: ${p.message}`;
}

/** The flags' Idempotency-Key and module-fetch policies, defaults filled in. */
function policiesOf(
  config: RuntimeConfig,
): Pick<RuntimeOptions, 'idempotency' | 'moduleFetch' | 'allowedStateNamespaces'> {
  return {
    ...(config.allowedStateNamespaces && { allowedStateNamespaces: config.allowedStateNamespaces }),
    idempotency: {
      ttlMs: (config.idempotencyTtlSeconds ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS) * 1000,
      budgetBytes: config.idempotencyBudgetBytes ?? DEFAULT_IDEMPOTENCY_BUDGET_BYTES,
      maxResponseBytes:
        config.idempotencyMaxResponseBytes ?? DEFAULT_IDEMPOTENCY_MAX_RESPONSE_BYTES,
      ...(config.testCrashAfterCommitOf && { crashAfterCommitOf: config.testCrashAfterCommitOf }),
    },
    moduleFetch: {
      ...DEFAULT_MODULE_FETCH_POLICY,
      allowCidrs: config.moduleFetchAllowCidrs ?? [],
      maxBytes: config.moduleFetchMaxBytes ?? DEFAULT_MODULE_FETCH_POLICY.maxBytes,
    },
  };
}

/**
 * Starts a runtime pod: workers, HTTP, the Faaslets in files, then (--cluster) the watch of a
 * GlassCluster's Faaslets; `/ready` turns true once all of them were loaded (or refused).
 */
export async function serveRuntime(
  config: RuntimeConfig,
  log: Logger,
  tuning: Partial<RuntimeOptions> = {},
): Promise<RunningRuntime> {
  // Redis first: an unreachable or refusing Redis ends startup with a clear message.
  const global = config.redis ? await GlobalTier.connect(config.redis, log) : undefined;
  if (global) log.info({ endpoint: global.endpoint }, 'global state on Redis');
  const runtime = new GlassRuntime({
    workers: config.workers,
    log,
    ...(global ? { global } : {}),
    ...policiesOf(config),
    ...tuning,
  });
  // Bad Kubernetes credentials end startup here, before anything listens.
  const watch = config.kubernetes
    ? // Loaded only here: the Kubernetes client costs tens of MiB a local runtime never needs.
      new (await import('../kubernetes/cluster-watch.js')).ClusterWatch(
        runtime,
        config.kubernetes,
        log,
      )
    : undefined;
  await runtime.start();
  // Until the real handler is in (the membership is read after listening, to know this pod's
  // name), a request is answered 503 not_ready rather than left without an answer.
  let handle: RequestHandler = answerNotReady;
  const server = createServer((request, response) => {
    handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'runtime listening');
  const podName = config.podName ?? `${config.host}:${port}`;
  const credentials = new AdminCredentials({
    ...(config.adminToken !== undefined && { admin: config.adminToken }),
    ...(config.metricsToken !== undefined && { metrics: config.metricsToken }),
  });
  const forwarder = new PeerForwarder(podName, 60_000, credentials.peerHeaders);
  const { membership, owning } = await followMembership(config, {
    runtime,
    forwarder,
    log,
    podName,
  });
  handle = createRequestHandler({
    runtime,
    maxBodyBytes: config.maxBodyBytes,
    podName,
    forwarder,
    credentials,
    ...(owning && { ownership: owning }),
  });
  // Keep-alive longer than the router's idle timeout, so the router closes idle sockets first.
  server.keepAliveTimeout = 65_000;
  const problems = await runtime.loadFiles(config.faaslets);
  for (const problem of problems) log.error(describeProblem(problem));
  let closed = false;
  const becomeReady = (): void => {
    if (closed) return;
    runtime.ready = true;
    log.info({ port, faaslets: runtime.registry.all().map((d) => d.name) }, 'runtime ready');
  };
  let clusterSynced: Promise<void> | undefined;
  if (watch && config.kubernetes) {
    const { cluster } = config.kubernetes;
    log.info({ cluster, namespace: watch.namespace }, 'watching the Faaslets of the GlassCluster');
    clusterSynced = watch.start().then(becomeReady);
  } else {
    becomeReady();
  }
  return {
    runtime,
    ...(clusterSynced && { clusterSynced }),
    server,
    port,
    problems,
    async close() {
      closed = true;
      runtime.ready = false;
      // Local namespaces go to their next owners before the server closes (ADR 0103); calls
      // still sent here meanwhile are served, or forwarded once this pod owns nothing.
      runtime.draining = owning !== undefined;
      await owning?.leave();
      runtime.draining = false;
      await watch?.stop();
      await membership?.close();
      await forwarder.close();
      // Calls in flight finish; a keep-alive connection that stays busy (a router still sending
      // until it learns this pod left) is cut after DRAIN_MS instead of holding the exit forever.
      const drained = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeIdleConnections();
      await Promise.race([drained, delay(DRAIN_MS)]);
      server.closeAllConnections();
      await runtime.close();
    },
  };
}
