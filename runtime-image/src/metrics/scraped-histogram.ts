import {
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  type MetricObjectWithValues,
  type MetricValueWithName,
} from 'prom-client';

/** One label set's observations: a count per bucket (not cumulative), their sum and count. */
export class HistogramSeries<T extends string> {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: LabelValues<T>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] ?? Infinity)) {
        this.counts[i] = (this.counts[i] ?? 0) + 1;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

/**
 * A prom-client Histogram whose observations go into plain per-series arrays the caller
 * keeps (`series(labels)` once, then `observe(value)` on it), read only when the registry is
 * scraped. prom-client's own `observe` hashes the labels of every observation, which on the
 * invoke path cost more than the rest of its bookkeeping together (ADR 8). The exposition is
 * prom-client's: the same `_bucket{le}` (cumulative, then `+Inf`), `_sum` and `_count` lines.
 */
export class ScrapedHistogram<T extends string> extends Histogram<T> {
  private readonly all = new Map<string, HistogramSeries<T>>();
  private readonly bounds: readonly number[];
  private readonly exposed: { name: string; help: string };

  constructor(configuration: HistogramConfiguration<T> & { buckets: number[] }) {
    super(configuration);
    this.bounds = [...configuration.buckets].sort((a, b) => a - b);
    this.exposed = { name: configuration.name, help: configuration.help };
  }

  /** The series of these label values: keep it, and observe into it. */
  series(labels: LabelValues<T>): HistogramSeries<T> {
    const key = JSON.stringify(labels);
    let series = this.all.get(key);
    if (!series) {
      series = new HistogramSeries(labels, this.bounds);
      this.all.set(key, series);
    }
    return series;
  }

  override get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    // The shape prom-client's own get() gives: merged labels, no exemplars.
    const values = this.values().map(({ labels, sharedLabels, value, metricName }) => ({
      value,
      metricName,
      exemplar: 'le' in labels ? null : undefined,
      labels: { ...labels, ...sharedLabels },
    }));
    // prom-client's typings say `type` is a numeric enum; at run time it is the string.
    return Promise.resolve({
      ...this.exposed,
      type: 'histogram',
      aggregator: 'sum',
      values,
    } as unknown as MetricObjectWithValues<MetricValueWithName<T>>);
  }

  /**
   * What prom-client's registry reads for the text format when a metric has it (its own
   * Histogram does, so this one must too): labels and shared labels apart.
   */
  getForPromString(): Promise<object> {
    return Promise.resolve({
      ...this.exposed,
      type: 'histogram',
      aggregator: 'sum',
      values: this.values(),
    });
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    (this.all as Map<string, HistogramSeries<T>> | undefined)?.clear();
  }

  private values(): {
    labels: Record<string, string | number>;
    sharedLabels: LabelValues<T>;
    value: number;
    metricName: string;
  }[] {
    const { name } = this.exposed;
    const values = [];
    for (const series of this.all.values()) {
      const sharedLabels = series.labels;
      let cumulative = 0;
      for (const [i, bound] of this.bounds.entries()) {
        cumulative += series.counts[i] ?? 0;
        values.push({
          labels: { le: bound },
          sharedLabels,
          value: cumulative,
          metricName: `${name}_bucket`,
        });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: `${name}_bucket` },
        { labels: {}, sharedLabels, value: series.sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels, value: series.count, metricName: `${name}_count` },
      );
    }
    return values;
  }
}
