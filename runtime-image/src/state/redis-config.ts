import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';
import { z } from 'zod';

/** Where the global tier's Redis is and how to reach it. Parsed once at the CLI edge. */
export const RedisSettings = z
  .object({
    /** `redis://[user[:password]@]host[:port][/db]` or `rediss://…` for TLS. */
    url: z.string().min(1),
    /** From `--redis-password-file` (a mounted Secret), never from a flag's value. */
    password: z.string().min(1).optional(),
    /** PEM of the CA that signed the server's certificate (`--redis-tls-ca FILE`). */
    tlsCa: z.string().min(1).optional(),
    /** Accept any server certificate: only ever as an explicit flag. */
    tlsInsecureSkipVerify: z.boolean().default(false),
    /** A command that has no answer after this long fails (503), so an outage answers fast. */
    commandTimeoutMs: z.coerce.number().int().min(1).max(600_000).default(2000),
    /** How long startup keeps trying to reach Redis before exiting non-zero. */
    connectTimeoutMs: z.coerce.number().int().min(0).max(600_000).default(10_000),
    /** First part of every Redis key, so several clusters can share one Redis. */
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .default('glass'),
  })
  .superRefine((settings, ctx) => {
    let endpoint: RedisEndpoint;
    try {
      endpoint = parseRedisUrl(settings.url);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: (error as Error).message });
      return;
    }
    if (endpoint.password !== undefined && settings.password !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message:
          'the URL already carries a password: use the URL or --redis-password-file, not both',
      });
    }
    if (!endpoint.tls && (settings.tlsCa !== undefined || settings.tlsInsecureSkipVerify)) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'TLS options need a rediss:// URL',
      });
    }
  });
export type RedisSettings = z.infer<typeof RedisSettings>;

export interface RedisEndpoint {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
}

/**
 * Parses a Redis URL. Errors never repeat the URL itself: it may hold a password.
 */
export function parseRedisUrl(text: string): RedisEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('not a URL: expected redis://host:port or rediss://host:port');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`scheme ${url.protocol} is not redis: or rediss:`);
  }
  if (url.hostname === '') throw new Error('the URL has no host');
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new Error(`database "${dbText}" is not a number`);
  return {
    tls: url.protocol === 'rediss:',
    // IPv6 literals come bracketed from URL; sockets want them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    db,
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

/** `host:port`: the only way a Redis address is ever logged or shown. */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

/** ioredis options for the global tier's one connection (see ADR 0042 for each choice). */
export function ioredisOptions(settings: RedisSettings): RedisOptions {
  const endpoint = parseRedisUrl(settings.url);
  const options: RedisOptions = {
    host: endpoint.host,
    port: endpoint.port,
    db: endpoint.db,
    lazyConnect: true,
    // Fail at once while disconnected rather than queueing: an outage answers 503 fast.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // No commandTimeout: RedisLink's one watchdog bounds commands instead of a timer each.
    connectTimeout: Math.min(settings.commandTimeoutMs * 2, 10_000),
    // No auto-pipelining: commands still leave in order without waiting for each other's
    // replies (pipelining), and a lone commit does not wait a setImmediate (ADR 0042).
    enableAutoPipelining: false,
    keepAlive: 1000,
    noDelay: true,
  };
  const username = endpoint.username;
  const password = settings.password ?? endpoint.password;
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  if (endpoint.tls) {
    options.tls = {
      // SNI names a host, never an address (RFC 6066).
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      ...(settings.tlsCa !== undefined ? { ca: settings.tlsCa } : {}),
      ...(settings.tlsInsecureSkipVerify ? { rejectUnauthorized: false } : {}),
    };
  }
  return options;
}
