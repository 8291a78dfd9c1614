// The Redis image `make image` builds (localhost/glass-redis:dev) runs what the chart's Redis
// and the operator's managed Redis run: no command, only Redis options as args
// (charts/glass/templates/redis.yaml, operator/src/glasscluster/resources/redis.ts), as uid
// 65532 on a read-only root, and answers from outside the container.
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { freePort } from '../../src/local/ports.js';
import { waitFor } from '../support/wait.js';
import { REDIS_IMAGE, requireImage, runDetached } from './podman.js';

const cases = [
  {
    name: "the chart's Redis: a password, AOF in /data, no RDB snapshots",
    args: [
      '--requirepass',
      'image-test',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--dir',
      '/data',
      '--save',
      '',
    ],
    password: 'image-test' as string | undefined,
  },
  {
    name: "the operator's managed Redis: no password, reached from outside (protected mode off)",
    args: ['--appendonly', 'yes', '--dir', '/data', '--save', ''],
    password: undefined,
  },
];

describe(`the Redis image (${REDIS_IMAGE})`, function () {
  this.timeout(120_000);

  before(async function () {
    await requireImage(REDIS_IMAGE);
  });

  for (const tc of cases) {
    it(`${tc.name}: runs as 65532 on a read-only root, and INCR works`, async function () {
      const port = await freePort();
      const container = await runDetached([
        '--read-only',
        '--user',
        '65532:65532',
        '-p',
        `127.0.0.1:${port}:6379`,
        REDIS_IMAGE,
        ...tc.args,
      ]);
      const redis = new Redis({
        port,
        password: tc.password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      // Refused connects before Redis listens reject the calls below; no unhandled event.
      redis.on('error', () => undefined);
      try {
        await waitFor(
          'Redis to answer PING',
          async () => {
            try {
              if (redis.status !== 'ready') await redis.connect();
              await redis.ping();
              return true;
            } catch {
              redis.disconnect();
              return false;
            }
          },
          60_000,
        ).catch(async (error: unknown) => {
          throw new Error(`${(error as Error).message}; container log:\n${await container.logs()}`);
        });
        assert.equal(await redis.incr('image-test'), 1);
        assert.equal(await redis.incr('image-test'), 2);
        const id = await container.exec(['id', '-u']);
        assert.equal(id.stdout.trim(), '65532');
        const aof = await container.exec(['ls', '/data/appendonlydir']);
        assert.equal(aof.code, 0, `no AOF in /data: ${aof.stderr}`);
        const root = await container.exec(['sh', '-c', 'echo x > /written']);
        assert.match(root.stderr, /Read-only file system/);
      } finally {
        redis.disconnect();
        await container.remove();
      }
    });
  }
});
