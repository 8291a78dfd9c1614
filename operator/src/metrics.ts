import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'glass_operator_reconcile_total',
    help: 'Reconciles by controller and result (ok; stale: computed from a stale copy, retried; error)',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'glass_operator_reconcile_duration_seconds',
    help: 'Reconcile duration by controller',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'glass_operator_leader',
    help: '1 while this replica leads',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
