import { globalSuite } from './global-suite.js';
import { languagesSuite } from './languages-suite.js';
import type { BenchSuite } from './report.js';
import { operatorSuite } from './operator.js';
import { routerSuite } from './router.js';
import { runtimeSuite } from './runtime-suite.js';

/** Every benchmark suite, in the order `npm run bench` runs them. */
export const suites: BenchSuite[] = [
  runtimeSuite,
  languagesSuite,
  routerSuite,
  globalSuite,
  operatorSuite,
];
