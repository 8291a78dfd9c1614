import type { Counter, LabelValues } from 'prom-client';

/**
 * A count the hot path adds to as a plain number; the prom-client Counter it belongs to reads
 * it when scraped (`scrapedCounts`). prom-client hashes a metric's labels on every `inc()`,
 * which on the invoke path cost more than the rest of the call's bookkeeping (ADR 8).
 */
export class ScrapedCount {
  value = 0;

  constructor(readonly labels: Record<string, string>) {}

  inc(): void {
    this.value++;
  }

  dec(): void {
    this.value--;
  }
}

/** A Counter's `collect`: its series become exactly these counts. */
export function scrapedCounts<T extends string>(
  counts: () => Iterable<ScrapedCount>,
): (this: Counter<T>) => void {
  return function (this: Counter<T>) {
    this.reset();
    for (const count of counts()) {
      // The labels were named by the metric that made these counts.
      if (count.value > 0) this.inc(count.labels as LabelValues<T>, count.value);
    }
  };
}
