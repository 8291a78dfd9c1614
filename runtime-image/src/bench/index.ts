// `npm run bench`: every figure is measured beside its baseline in this same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { printTable, type BenchRow } from './report.js';
import { suites } from './suites.js';

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const suite of suites) {
  if (only.length > 0 && !only.some((o) => suite.title.includes(o))) continue;
  console.log(`\n== ${suite.title}`);
  const suiteRows = await suite.run();
  printTable(suiteRows);
  rows.push(...suiteRows);
}
mkdirSync('bench-results', { recursive: true });
const file = `bench-results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
console.log(`\nwrote ${file}`);
