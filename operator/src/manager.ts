import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.js';
import { buildInformers } from './controllers.js';
import { FaasletReconciler } from './faaslet/reconcile.js';
import { GlassClusterReconciler, type ClusterPolicy } from './glasscluster/reconcile.js';
import { loadKubeConfig } from '@glass/runtime/kube-config';
import { Kube, reuseConnections, StaleReadError } from './kube/client.js';
import { CachedReader } from './kube/reader.js';
import type { ResilientInformer } from '@glass/runtime/resilient-informer';
import { LeaderElection } from './leader/lease.js';
import { OperatorMetrics } from './metrics.js';
import { WorkQueue } from './queue/workqueue.js';
import { EventRecorder } from './status/events.js';
import { DEFAULT_MODULE_FETCH_POLICY } from '@glass/runtime/module-bytes';

interface Controller {
  name: string;
  queue: WorkQueue;
  reconcile(namespace: string, name: string): Promise<void>;
}

/**
 * The controller manager: informers feed two de-duplicating queues; workers run the
 * reconcilers only while this replica holds the Lease. /healthz, /readyz (informers synced)
 * and /metrics are served by every replica.
 */
/** What the operator's flags impose on every GlassCluster it reconciles. */
export function clusterPolicyOf(config: OperatorConfig): ClusterPolicy {
  return {
    allowedImages: config.allowedImages,
    networkPolicies: config.networkPolicies,
    runtimePods: {
      moduleFetchAllowCidrs: config.moduleFetchAllowCidrs,
      moduleFetchMaxBytes: config.moduleFetchMaxBytes,
    },
  };
}

export class Manager {
  private readonly informers: ResilientInformer<KubernetesObject>[];
  private readonly controllers: Controller[];
  private readonly election: LeaderElection | undefined;
  private readonly metrics = new OperatorMetrics();
  private server: Server | undefined;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly config: OperatorConfig,
    private readonly log: Logger,
  ) {
    const kubeConfig = reuseConnections(loadKubeConfig(config.kubeconfig));
    const kube = new Kube(kubeConfig);
    const events = new EventRecorder(kubeConfig, 'glass-operator', log);
    const queue = (): WorkQueue => new WorkQueue({ baseDelayMs: 100, maxDelayMs: 60_000 });
    const queues = { clusters: queue(), faaslets: queue() };
    const informers = buildInformers(kubeConfig, queues, log);
    this.informers = informers.all;
    const reader = new CachedReader(kube, informers.caches);
    if (config.allowedImages.length === 0) {
      log.warn('no --allowed-image: a GlassCluster may run any image (see docs/adr/0085)');
    }
    const clusters = new GlassClusterReconciler(
      kube,
      events,
      reader,
      undefined,
      clusterPolicyOf(config),
    );
    const faaslets = new FaasletReconciler(kube, events, reader, undefined, {
      ...DEFAULT_MODULE_FETCH_POLICY,
      allowCidrs: config.moduleFetchAllowCidrs,
      maxBytes: config.moduleFetchMaxBytes,
    });
    this.controllers = [
      {
        name: 'glasscluster',
        queue: queues.clusters,
        reconcile: (ns, n) => clusters.reconcile(ns, n),
      },
      { name: 'faaslet', queue: queues.faaslets, reconcile: (ns, n) => faaslets.reconcile(ns, n) },
    ];
    this.election = config.leaderElect
      ? new LeaderElection(
          kubeConfig,
          {
            namespace: config.leaseNamespace,
            name: config.leaseName,
            identity: config.identity,
            leaseDurationMs: config.leaseDurationMs,
            retryPeriodMs: config.retryPeriodMs,
          },
          {
            onStartedLeading: () => {
              this.startWorkers();
            },
            onStoppedLeading: () => {
              this.lostLeadership();
            },
          },
          log,
        )
      : undefined;
  }

  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  async start(): Promise<number> {
    const port = await this.serveHealth();
    await Promise.all(this.informers.map((i) => i.start()));
    if (this.election) this.election.start();
    else this.startWorkers();
    return port;
  }

  /**
   * Graceful: no new keys, the reconciles in flight finish, and only then is the Lease
   * released, so the next leader never writes alongside this one.
   */
  async stop(): Promise<void> {
    this.running = false;
    for (const c of this.controllers) c.queue.shutdown();
    await Promise.all(this.workers);
    await this.election?.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    await new Promise<void>((resolve) => {
      if (!this.server) resolve();
      else
        this.server.close(() => {
          resolve();
        });
    });
  }

  private startWorkers(): void {
    if (this.running) return;
    this.running = true;
    this.metrics.leader.set(1);
    for (const controller of this.controllers) {
      for (let i = 0; i < this.config.concurrency; i++) this.workers.push(this.work(controller));
    }
  }

  /** A replica that lost its Lease must not write any more: exit, and be restarted as a follower. */
  private lostLeadership(): void {
    this.metrics.leader.set(0);
    if (!this.running) return;
    this.log.error('lost the leader lease; exiting');
    process.exit(1);
  }

  private async work(controller: Controller): Promise<void> {
    for (;;) {
      const key = await controller.queue.get();
      if (key === undefined || !this.running) return;
      const [namespace = '', name = ''] = key.split('/');
      const end = this.metrics.duration.startTimer({ controller: controller.name });
      try {
        await controller.reconcile(namespace, name);
        controller.queue.forget(key);
        this.metrics.reconciles.inc({ controller: controller.name, result: 'ok' });
      } catch (error) {
        const retryInMs = controller.queue.addRateLimited(key);
        // A stale cached read is routine (the cache trails our own writes): retry, quietly.
        const stale = error instanceof StaleReadError;
        this.metrics.reconciles.inc({
          controller: controller.name,
          result: stale ? 'stale' : 'error',
        });
        this.log[stale ? 'debug' : 'warn'](
          { controller: controller.name, key, retryInMs, err: (error as Error).message },
          stale ? 'reconcile read a stale copy; retrying' : 'reconcile failed',
        );
      } finally {
        end();
        controller.queue.done(key);
      }
    }
  }

  private serveHealth(): Promise<number> {
    const server = createServer((request, response) => {
      const path = request.url ?? '';
      if (path === '/healthz') {
        response.writeHead(200).end('ok');
      } else if (path === '/readyz') {
        response
          .writeHead(this.synced ? 200 : 503)
          .end(this.synced ? 'ok' : 'informers not synced');
      } else if (path === '/metrics') {
        void this.metrics.registry.metrics().then((text) => {
          response.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text);
        });
      } else {
        response.writeHead(404).end();
      }
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.healthPort, this.config.healthHost, () => {
        resolve((server.address() as AddressInfo).port);
      });
    });
  }
}
