import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ScrapedCount, scrapedCounts } from '../metrics/scraped-count.js';
import { ScrapedHistogram, type HistogramSeries } from '../metrics/scraped-histogram.js';

/** One Faaslet/export/outcome: its count, and the latency series of its Faaslet. */
type InvocationSeries = ScrapedCount & { latency: HistogramSeries<'faaslet'> };

/** The runtime pod's Prometheus metrics, on a registry of its own (several runtimes may share a process in tests). */
export class RuntimeMetrics {
  readonly registry = new Registry();
  /** Counted in plain numbers on the hot path, read by prom-client when scraped (ADR 8). */
  private readonly invocationCounts = new Map<string, InvocationSeries>();
  private readonly invocations = new Counter({
    name: 'glass_invocations_total',
    help: 'Invocations by Faaslet, export and outcome (ok or an error code)',
    labelNames: ['faaslet', 'export', 'outcome'] as const,
    registers: [this.registry],
    collect: scrapedCounts(() => this.invocationCounts.values()),
  });
  private readonly latency = new ScrapedHistogram({
    name: 'glass_invocation_duration_seconds',
    help: 'Invocation latency from request to committed answer',
    labelNames: ['faaslet'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly ranOnMain = new ScrapedCount({ lane: 'main' });
  readonly ranOnWorker = new ScrapedCount({ lane: 'worker' });
  readonly lanes = new Counter({
    name: 'glass_invocation_lane_total',
    help: 'Executions by where they ran: main (the fast lane) or worker',
    labelNames: ['lane'] as const,
    registers: [this.registry],
    collect: scrapedCounts(() => [this.ranOnMain, this.ranOnWorker]),
  });
  readonly committed = new ScrapedCount({ result: 'committed' });
  readonly conflicted = new ScrapedCount({ result: 'conflict' });
  readonly commits = new Counter({
    name: 'glass_state_commits_total',
    help: 'State commits by result: committed, or conflict (retried: a stale commit, a stale read, or a failure on a stale snapshot)',
    labelNames: ['result'] as const,
    registers: [this.registry],
    collect: scrapedCounts(() => [this.committed, this.conflicted]),
  });
  readonly staleFailures = new Counter({
    name: 'glass_stale_snapshot_failures_total',
    help: 'Guest failures (by kind) on a snapshot no longer current: retried like conflicts, not answered',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly forwarded = new Counter({
    name: 'glass_forwarded_calls_total',
    help: 'Calls this pod sent on to the owner of their namespace (a hop the router would have saved)',
    registers: [this.registry],
  });
  readonly handoffs = new Counter({
    name: 'glass_namespace_handoffs_total',
    help: 'Local namespaces moved between pods, by outcome: sent, received, failed (not sent; lost), lost (its owner crashed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly stateReads = new Counter({
    name: 'glass_state_fetches_total',
    help: 'Synchronous state fetches by guest workers (reads that missed their cache)',
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'glass_errors_total',
    help: 'Errors answered, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly workers: Gauge;
  readonly workerRestarts = new Counter({
    name: 'glass_worker_restarts_total',
    help: 'Guest worker threads that ended (timeouts kill their worker)',
    registers: [this.registry],
  });
  readonly faaslets = new Gauge({
    name: 'glass_faaslets_loaded',
    help: 'Faaslets this pod serves',
    registers: [this.registry],
  });
  readonly loadFailures = new Counter({
    name: 'glass_faaslet_load_failures_total',
    help: 'Faaslet versions this pod refused: invalid spec or module, digest mismatch, module not found',
    labelNames: ['faaslet', 'reason'] as const,
    registers: [this.registry],
  });
  readonly refused = new Gauge({
    name: 'glass_faaslet_refused',
    help: 'Faaslets (1 each) whose latest version this pod refused; it keeps serving the previous one, if any',
    labelNames: ['faaslet'] as const,
    registers: [this.registry],
  });
  /** Invocations running or queued: a plain number, read when scraped. */
  readonly inFlight = new ScrapedCount({});

  recordInvocation(faaslet: string, exportName: string, outcome: string, ms: number): void {
    const key = `${faaslet}/${exportName}/${outcome}`;
    let series = this.invocationCounts.get(key);
    if (!series) {
      series = Object.assign(new ScrapedCount({ faaslet, export: exportName, outcome }), {
        latency: this.latency.series({ faaslet }),
      });
      this.invocationCounts.set(key, series);
    }
    series.inc();
    series.latency.observe(ms / 1000);
  }

  /** The fast lane's own counts, read when Prometheus scrapes. */
  watchFastLane(stats: { ran: number; yielded: number; skipped: number }): void {
    new Gauge({
      name: 'glass_fast_lane_calls',
      help: 'Calls the main-thread fast lane ran to the end, yielded to a worker, or skipped',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        for (const [result, count] of Object.entries(stats)) this.set({ result }, count);
      },
    });
  }

  constructor(workerCount: () => number) {
    collectDefaultMetrics({ register: this.registry });
    const inFlight = this.inFlight;
    new Gauge({
      name: 'glass_invocations_in_flight',
      help: 'Invocations running or queued',
      registers: [this.registry],
      collect() {
        this.set(inFlight.value);
      },
    });
    this.workers = new Gauge({
      name: 'glass_workers',
      help: 'Guest worker threads running',
      registers: [this.registry],
      collect() {
        this.set(workerCount());
      },
    });
  }
}
