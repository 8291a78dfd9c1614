// The router's Prometheus metrics, in a registry of its own (never prom-client's global one).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { ScrapedCount, scrapedCounts } from '../metrics/scraped-count.js';
import { ScrapedHistogram } from '../metrics/scraped-histogram.js';

/** Why an attempt on a pod failed: it never reached the pod, broke after, or timed out. */
export type FailureKind = 'connect' | 'reset' | 'timeout' | 'unavailable';

export interface PodGaugeSource {
  podGauges(): { name: string; healthy: boolean; ringShare: number }[];
}

export class RouterMetrics {
  readonly registry = new Registry();
  /** Requests by pod and code, counted in a plain map on the hot path, exported on scrape. */
  private readonly requestCounts = new Map<string, ScrapedCount>();
  /** Observed into directly (the one series has no labels); prom-client reads it on scrape. */
  readonly duration = new ScrapedHistogram({
    name: 'glass_router_request_duration_seconds',
    help: 'Time from request received to response headers sent, retries included.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  }).series({});
  readonly failures = new Counter({
    name: 'glass_router_upstream_failures_total',
    help: 'Attempts on a pod that failed, by pod and kind (connect, reset, timeout, unavailable).',
    labelNames: ['pod', 'kind'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'glass_router_retries_total',
    help: 'Requests sent to the next pod clockwise, by why (not_reached, idempotent).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly healthChanges = new Counter({
    name: 'glass_router_health_changes_total',
    help: 'Pods ejected from or readmitted to routing, by pod and change.',
    labelNames: ['pod', 'change'] as const,
    registers: [this.registry],
  });

  constructor(source: PodGaugeSource) {
    const podGauges = (): ReturnType<PodGaugeSource['podGauges']> => source.podGauges();
    const requestCounts = this.requestCounts;
    new Counter({
      name: 'glass_router_requests_total',
      help: 'Requests answered by the router, by the pod that answered ("" for none) and HTTP status code.',
      labelNames: ['pod', 'code'] as const,
      registers: [this.registry],
      collect: scrapedCounts(() => requestCounts.values()),
    });
    new Gauge({
      name: 'glass_router_pod_healthy',
      help: '1 when the pod takes traffic, 0 while it is ejected.',
      labelNames: ['pod'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const pod of podGauges()) this.set({ pod: pod.name }, pod.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'glass_router_pod_ring_share',
      help: 'Fraction of the hash ring the pod owns.',
      labelNames: ['pod'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const pod of podGauges()) this.set({ pod: pod.name }, pod.ringShare);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'glass_router_' });
  }

  countRequest(pod: string, status: number): void {
    const key = `${pod} ${status}`;
    let count = this.requestCounts.get(key);
    if (!count) {
      count = new ScrapedCount({ pod, code: String(status) });
      this.requestCounts.set(key, count);
    }
    count.inc();
  }
}
