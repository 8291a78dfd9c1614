// Puts the router together: membership → pod table → proxy → HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { TrustedProxies } from './client-ip.js';
import type { RouterSettings } from './config.js';
import { timerScheduler, type Scheduler } from './health.js';
import { FaasletCatalog } from '../placement/faaslet-catalog.js';
import { KeyExtractor } from './keys.js';
import { SeenNamespaces } from './seen-namespaces.js';
import { BufferBudget } from './buffer-budget.js';
import type { Membership } from './membership.js';
import { RouterMetrics } from './metrics.js';
import { PodTable } from './pods.js';
import { UpstreamProxy } from './proxy.js';
import type { RingHash } from './ring.js';
import { AdminCredentials } from '../http/admin-credentials.js';
import { createRouterHandler } from './server.js';

export interface RouterDeps {
  log: Logger;
  /** The Faaslets, so calls go to the owner of the namespace they touch (default: none known). */
  catalog?: FaasletCatalog;
  scheduler?: Scheduler;
  hash?: RingHash;
}

export interface RunningRouter {
  server: Server;
  table: PodTable;
  /** `http://host:port` the router listens on. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds the router and its pod table without listening (tests drive `table` directly). */
export function createRouter(
  settings: RouterSettings,
  membership: Membership,
  deps: RouterDeps,
): { server: Server; table: PodTable } {
  const { log } = deps;
  const table = new PodTable(membership, {
    virtualNodes: settings.virtualNodes,
    ...(deps.hash ? { hash: deps.hash } : {}),
    policy: settings,
    probeTimeout: settings.probeTimeout,
    balanceFactor: settings.balanceFactor,
    onMembershipChange: (event) => {
      log.info({ pod: event.member.name, endpoint: event.member.url }, `pod ${event.type}`);
    },
    onHealthChange: (pod, change) => {
      metrics.healthChanges.inc({ pod: pod.name, change });
      log.warn({ pod: pod.name }, `pod ${change}`);
    },
  });
  const metrics = new RouterMetrics(table);
  const proxy = new UpstreamProxy(table, metrics, settings);
  const handler = createRouterHandler({
    table,
    proxy,
    keys: new KeyExtractor(settings.keys, new TrustedProxies(settings.trustedProxies)),
    catalog: deps.catalog ?? new FaasletCatalog(),
    seen: new SeenNamespaces(),
    metrics,
    maxBody: settings.maxBody,
    buffered: new BufferBudget(settings.maxBuffered),
    credentials: new AdminCredentials({
      ...(settings.adminToken !== undefined && { admin: settings.adminToken }),
      ...(settings.metricsToken !== undefined && { metrics: settings.metricsToken }),
    }),
    describe: () => ({
      virtualNodes: settings.virtualNodes,
      keys: settings.keys,
      ...(membership.describe ? { membership: membership.describe() } : {}),
    }),
    onError: (err) => {
      log.warn({ err }, 'proxying failed');
    },
  });
  const server = createServer(
    {
      keepAliveTimeout: settings.idleTimeout,
      headersTimeout: settings.headerTimeout,
      requestTimeout: settings.requestTimeout,
      // Node checks both timeouts this often; the default (30 s) would let a slow client
      // overstay a 10 s header timeout by far.
      connectionsCheckingInterval: Math.min(1000, settings.headerTimeout),
    },
    handler,
  );
  server.maxConnections = settings.maxConnections;
  table.startProbing(deps.scheduler ?? timerScheduler, settings.healthInterval);
  return { server, table };
}

/** Starts the router listening; resolves once it accepts connections. */
export async function startRouter(
  settings: RouterSettings,
  membership: Membership,
  deps: RouterDeps,
): Promise<RunningRouter> {
  const { server, table } = createRouter(settings, membership, deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  return {
    server,
    table,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeIdleConnections();
      await table.close();
      await closed;
    },
  };
}
