// The nginx anchor (issue 12): Debian's nginx, one worker, `hash $http_x_user_id consistent`,
// in front of the same runtime(s) as the Glass router. Everything it writes (pid, logs, temp
// files) goes to the bench's temp dir, so it runs as the current user without /var/lib/nginx.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Anchor } from './anchor.js';
import { freePort, spawnCommand, stop, type Child } from './children.js';
import { childPids } from './cpu.js';

export function nginxConfig(dir: string, port: number, upstreams: number[]): string {
  const temp = (name: string): string => join(dir, 'temp', name);
  return [
    // As root the worker would switch to the compiled-in user (nobody), who cannot use this
    // temp dir; any other user cannot switch at all, and nginx warns if `user` is set.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'nginx-error.log')} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    // The router logs no request either.
    '  access_log off;',
    `  client_body_temp_path ${temp('body')};`,
    `  proxy_temp_path ${temp('proxy')};`,
    `  fastcgi_temp_path ${temp('fastcgi')};`,
    `  uwsgi_temp_path ${temp('uwsgi')};`,
    `  scgi_temp_path ${temp('scgi')};`,
    // The default (1,000) would close wrk's connections mid-run.
    '  keepalive_requests 1000000;',
    '  upstream runtimes {',
    '    hash $http_x_user_id consistent;',
    ...upstreams.map((p) => `    server 127.0.0.1:${p};`),
    // Keep-alive to the runtimes, as the router's pools: without it nginx connects per request.
    '    keepalive 64;',
    '    keepalive_requests 1000000;',
    '  }',
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    location / {',
    '      proxy_pass http://runtimes;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * SIGTERM to the master (a fast shutdown that ends its worker too); a worker still there after
 * the master has gone (killed after its grace second) is killed by the PID noted before.
 */
async function stopNginx(master: Child): Promise<void> {
  const pid = master.process.pid;
  let workers: number[] = [];
  try {
    if (pid !== undefined && master.process.exitCode === null) workers = childPids(pid);
  } catch {
    // The master has ended already: its worker ended with it.
  }
  await stop(master);
  for (const worker of workers) {
    try {
      // Only if that PID is still an nginx worker, not a process that reused the number.
      if (readFileSync(`/proc/${worker}/cmdline`, 'utf8').startsWith('nginx: worker')) {
        process.kill(worker, 'SIGKILL');
      }
    } catch {
      // Ended with its master, as it should.
    }
  }
}

export async function startNginx(bin: string, dir: string, upstreams: number[]): Promise<Anchor> {
  const port = await freePort();
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const config = join(dir, 'nginx.conf');
  writeFileSync(config, nginxConfig(dir, port, upstreams));
  // -e: the log for errors before the config is read (the compiled-in one is /var/log/nginx).
  const child = spawnCommand(bin, [
    ...['-p', dir, '-c', config, '-e', join(dir, 'nginx-error.log')],
  ]);
  return { child, url: `http://127.0.0.1:${port}`, stop: () => stopNginx(child) };
}
