#!/usr/bin/env node
// The `glass-operator` command. A committed shim, so `npm ci` can link it before anything is built.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('glass-operator is not built yet: run `npm run build` in the repository first');
  process.exit(1);
}
await import(main.href);
