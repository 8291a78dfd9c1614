// The hot path's plain counts (ADR 8) must read exactly as prom-client's own metrics would.
import { strict as assert } from 'node:assert';
import { Counter, Histogram, Registry } from 'prom-client';
import { ScrapedCount, scrapedCounts } from '../../src/metrics/scraped-count.js';
import { ScrapedHistogram } from '../../src/metrics/scraped-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, number][] = [
  ['a', 0.0005],
  ['a', 0.001],
  ['b', 0.05],
  ['a', 0.5],
  ['b', 7],
  ['a', 0.0001],
];

describe('metrics counted in plain numbers and read when scraped', function () {
  it('expose a histogram exactly as prom-client does, in text and JSON', async function () {
    const theirs = new Registry();
    const ours = new Registry();
    const config = { name: 'h_seconds', help: 'a histogram', labelNames: ['faaslet'] as const };
    const reference = new Histogram({ ...config, buckets: BUCKETS, registers: [theirs] });
    const scraped = new ScrapedHistogram({ ...config, buckets: BUCKETS, registers: [ours] });
    for (const [faaslet, value] of OBSERVED) {
      reference.observe({ faaslet }, value);
      scraped.series({ faaslet }).observe(value);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
    assert.match(await ours.metrics(), /^h_seconds_bucket\{le="0.1",faaslet="b"\} 1$/m);
  });

  it('expose counters exactly as prom-client does, including after more counting', async function () {
    const theirs = new Registry();
    const ours = new Registry();
    const config = { name: 'c_total', help: 'a counter', labelNames: ['lane'] as const };
    const reference = new Counter({ ...config, registers: [theirs] });
    const main = new ScrapedCount({ lane: 'main' });
    const worker = new ScrapedCount({ lane: 'worker' });
    new Counter({ ...config, registers: [ours], collect: scrapedCounts(() => [main, worker]) });
    for (let i = 0; i < 5; i++) {
      main.inc();
      reference.inc({ lane: 'main' });
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    worker.inc();
    reference.inc({ lane: 'worker' });
    main.inc();
    reference.inc({ lane: 'main' });
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.match(await ours.metrics(), /^c_total\{lane="main"\} 6$/m);
  });
});
