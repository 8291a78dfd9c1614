#!/usr/bin/env node
// The `glass` command. A committed shim, so `npm ci` can link it before anything is built.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error(
    'glass is not built yet: run `npm run build` (or `make build`) in the repository first',
  );
  process.exit(1);
}
await import(main.href);
