// The HAProxy anchor (issue 12): Debian's haproxy, one thread, hashing X-User-ID onto a
// consistent ring as the Glass router does, in front of the same runtime(s). Its config is
// written into the bench's temp dir; it runs in the foreground as a child and is stopped by PID.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnCommand, stop } from './children.js';
import type { Anchor } from './anchor.js';

/** `upstreams` are loopback ports of runtimes; the config is HAProxy's usual keep-alive proxy. */
export function haproxyConfig(port: number, upstreams: number[]): string {
  return [
    'global',
    // One thread, like the router's one event loop: CPU per request compares like with like.
    '  nbthread 1',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend glass',
    `  bind 127.0.0.1:${port}`,
    '  default_backend runtimes',
    'backend runtimes',
    '  balance hdr(X-User-ID)',
    '  hash-type consistent',
    // Keep-alive to the runtimes shared between client connections, as the router's pools do.
    '  http-reuse always',
    ...upstreams.map((p, i) => `  server runtime${i} 127.0.0.1:${p}`),
    '',
  ].join('\n');
}

export async function startHaproxy(bin: string, dir: string, upstreams: number[]): Promise<Anchor> {
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, upstreams));
  // -db: stay in the foreground, no daemon, so the PID we hold is the one that serves.
  const child = spawnCommand(bin, ['-db', '-f', config]);
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stop(child) };
}
