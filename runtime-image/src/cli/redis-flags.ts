// `glass runtime`'s global-tier flags. This is the edge: the only place that reads the
// environment (GLASS_REDIS_URL, GLASS_REDIS_PASSWORD_FILE) and the secret files they name.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  DEFAULT_IDEMPOTENCY_BUDGET_BYTES,
  DEFAULT_IDEMPOTENCY_MAX_RESPONSE_BYTES,
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
} from '../state/idempotency.js';

export function addRedisOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--redis <url>',
        'Redis for durability: global (redis://host:port/db or rediss:// for TLS)',
      ).env('GLASS_REDIS_URL'),
    )
    .addOption(
      new Option(
        '--redis-password-file <path>',
        'file holding the Redis password (a mounted Secret)',
      ).env('GLASS_REDIS_PASSWORD_FILE'),
    )
    .option('--redis-tls-ca <file>', 'PEM CA bundle that signed the Redis server certificate')
    .option(
      '--redis-tls-insecure-skip-verify',
      'accept any Redis server certificate (testing only)',
      false,
    )
    .option('--redis-command-timeout <ms>', 'a Redis command with no answer by then fails', '2000')
    .option('--redis-connect-timeout <ms>', 'how long startup waits for Redis', '10000')
    .option('--redis-key-prefix <prefix>', 'first part of every Redis key', 'glass')
    .option(
      '--idempotency-ttl <seconds>',
      'how long an Idempotency-Key response is replayed',
      String(DEFAULT_IDEMPOTENCY_TTL_SECONDS),
    )
    .option(
      '--idempotency-budget-bytes <n>',
      'bytes of durability: local Idempotency-Key records kept; the oldest go first',
      String(DEFAULT_IDEMPOTENCY_BUDGET_BYTES),
    )
    .option(
      '--idempotency-max-response-bytes <n>',
      'largest response stored for an Idempotency-Key; larger ones answer unstored',
      String(DEFAULT_IDEMPOTENCY_MAX_RESPONSE_BYTES),
    )
    .addOption(
      new Option(
        '--test-crash-after-commit-of <key>',
        'TEST ONLY: SIGKILL this process after committing that Idempotency-Key',
      ).hideHelp(),
    );
}

function readSecretFile(flag: string, path: string): string {
  try {
    // A trailing newline is how `echo` and most editors end a file; it is never part of it.
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}

/** The flags as RuntimeConfig input (zod checks them); files are read here. */
export function redisConfigInput(flags: Record<string, unknown>): Record<string, unknown> {
  const str = (name: string): string | undefined =>
    typeof flags[name] === 'string' ? flags[name] : undefined;
  const url = str('redis');
  const passwordFile = str('redisPasswordFile');
  const caFile = str('redisTlsCa');
  if (url === undefined && (passwordFile !== undefined || caFile !== undefined)) {
    throw new Error('--redis-password-file and --redis-tls-ca need --redis URL');
  }
  return {
    redis:
      url === undefined
        ? undefined
        : {
            url,
            password: passwordFile && readSecretFile('--redis-password-file', passwordFile),
            tlsCa: caFile && readSecretFile('--redis-tls-ca', caFile),
            tlsInsecureSkipVerify: flags.redisTlsInsecureSkipVerify === true,
            commandTimeoutMs: str('redisCommandTimeout'),
            connectTimeoutMs: str('redisConnectTimeout'),
            keyPrefix: str('redisKeyPrefix'),
          },
    idempotencyTtlSeconds: str('idempotencyTtl'),
    idempotencyBudgetBytes: str('idempotencyBudgetBytes'),
    idempotencyMaxResponseBytes: str('idempotencyMaxResponseBytes'),
    testCrashAfterCommitOf: str('testCrashAfterCommitOf'),
  };
}
