// `glass runtime --redis …`: how the global tier is configured, and what a wrong
// configuration says. Every case is a real `glass` process against a real redis-server.
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGlass, type CliProcess } from '../support/cli-process.js';
import { RedisServer, freePort } from '../support/redis-server.js';
import { call } from '../support/runtime-server.js';
import { counterFaaslets, increment, SHARED_GLOBAL } from '../support/global-runtimes.js';
import { makeCertificates, type TestCertificates } from '../support/tls-certs.js';

const PASSWORD = 'correct-horse-battery-staple';

/** Runs `glass runtime` with these flags; resolves with its base URL once ready. */
async function ready(glass: CliProcess): Promise<string> {
  const line = await glass.line(/"msg":"runtime ready"/, 30_000);
  return `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
}

describe('glass runtime --redis: configuration and startup errors', function () {
  this.timeout(120_000);
  let faaslets: string;
  let plain: RedisServer;
  let secured: RedisServer;
  let tls: RedisServer;
  let certs: TestCertificates;
  const started: CliProcess[] = [];

  const glass = (args: string[], env: Record<string, string> = {}): CliProcess => {
    const child = runGlass(['runtime', '--port', '0', '--faaslets', faaslets, ...args], env);
    started.push(child);
    return child;
  };

  before(async function () {
    faaslets = await counterFaaslets(SHARED_GLOBAL);
    certs = await makeCertificates();
    [plain, secured, tls] = await Promise.all([
      RedisServer.start(),
      RedisServer.start({ password: PASSWORD }),
      RedisServer.start({ tls: certs }),
    ]);
  });
  afterEach(async function () {
    await Promise.all(started.splice(0).map((child) => child.stop()));
  });
  after(async function () {
    await Promise.all([plain, secured, tls].map((server) => server.stop()));
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('serves durability: global with --redis, and logs where Redis is as host:port', async function () {
    const child = glass(['--redis', plain.url]);
    const base = await ready(child);
    assert.equal((await increment(base, 'inc-a')).status, 200);
    assert.match(
      child.output(),
      new RegExp(`"endpoint":"127\\.0\\.0\\.1:${plain.port}","msg":"global state on Redis"`),
    );
  });

  it('reads the URL from GLASS_REDIS_URL (at the CLI edge only)', async function () {
    const base = await ready(glass([], { GLASS_REDIS_URL: plain.url }));
    assert.equal((await increment(base, 'inc-b')).status, 200);
  });

  it('takes the password from --redis-password-file and never logs it', async function () {
    const file = join(certs.dir, 'password');
    await writeFile(file, `${PASSWORD}\n`);
    const child = glass(['--redis', secured.url, '--redis-password-file', file]);
    const base = await ready(child);
    assert.equal((await increment(base, 'inc-a')).status, 200);
    await child.stop();
    assert.ok(!child.output().includes(PASSWORD), 'the password appeared in the output');
  });

  it('exits non-zero saying authentication failed on a wrong password, without echoing it', async function () {
    const child = glass(['--redis', `redis://:not-${PASSWORD}@127.0.0.1:${secured.port}`]);
    assert.notEqual(await child.exited, 0);
    assert.match(
      child.output(),
      new RegExp(`Redis at 127\\.0\\.0\\.1:${secured.port}: authentication failed`),
    );
    assert.ok(!child.output().includes(`not-${PASSWORD}`), 'the password appeared in the output');
  });

  it('exits non-zero saying authentication failed when the password is missing', async function () {
    const child = glass(['--redis', secured.url]);
    assert.notEqual(await child.exited, 0);
    assert.match(child.output(), /authentication failed \(NOAUTH/);
  });

  it('exits non-zero naming host:port when nothing answers there', async function () {
    const port = await freePort();
    const child = glass(['--redis', `redis://127.0.0.1:${port}`, '--redis-connect-timeout', '500']);
    assert.notEqual(await child.exited, 0);
    assert.match(
      child.output(),
      new RegExp(
        `cannot reach Redis at 127\\.0\\.0\\.1:${port} within 500 ms: connect ECONNREFUSED`,
      ),
    );
  });

  it('refuses a URL that is not redis:// or rediss://, without echoing it', async function () {
    const child = glass(['--redis', `http://user:${PASSWORD}@127.0.0.1:1`]);
    assert.notEqual(await child.exited, 0);
    assert.match(child.output(), /redis\.url: scheme http: is not redis: or rediss:/);
    assert.ok(!child.output().includes(PASSWORD));
  });

  it('speaks TLS to rediss:// with --redis-tls-ca', async function () {
    const base = await ready(glass(['--redis', tls.url, '--redis-tls-ca', certs.caFile]));
    assert.equal((await increment(base, 'inc-a')).status, 200);
  });

  it('exits non-zero saying the TLS handshake failed when the CA does not match', async function () {
    const child = glass(['--redis', tls.url, '--redis-tls-ca', certs.otherCaFile]);
    assert.notEqual(await child.exited, 0);
    assert.match(
      child.output(),
      new RegExp(`Redis at 127\\.0\\.0\\.1:${tls.port}: TLS handshake failed`),
    );
  });

  it('skips certificate verification only when told to, explicitly', async function () {
    const base = await ready(glass(['--redis', tls.url, '--redis-tls-insecure-skip-verify']));
    assert.equal((await increment(base, 'inc-c')).status, 200);
  });

  it('refuses TLS options without a rediss:// URL', async function () {
    const child = glass(['--redis', plain.url, '--redis-tls-ca', certs.caFile]);
    assert.notEqual(await child.exited, 0);
    assert.match(child.output(), /TLS options need a rediss:\/\/ URL/);
  });

  it('without --redis, refuses durability: global Faaslets and still serves the rest', async function () {
    const mixed = await counterFaaslets([
      { name: 'stays-local', namespace: 'here', durability: 'local' },
      { name: 'wants-global', namespace: 'there', durability: 'global' },
    ]);
    const child = runGlass(['runtime', '--port', '0', '--faaslets', mixed]);
    started.push(child);
    const base = await ready(child);
    assert.match(
      child.output(),
      /wants-global: durability: global needs a Redis \(glass runtime --redis URL\)/,
    );
    assert.equal((await increment(base, 'stays-local')).text, '1');
    assert.equal((await call(base, 'POST', '/invoke/wants-global/add', '1')).status, 404);
  });
});
