// Issue 15 item 1, the router side (ADR 0125): in Kubernetes the router's /lb/status (pod
// addresses, configuration) and /metrics are on the Service's port, so with a token configured
// (the operator sets one) they answer only to it; /lb/health stays open for the kubelet's
// probes, and calls are served as before.
import assert from 'node:assert/strict';
import {
  call,
  freePort,
  killAll,
  MAIN_JS,
  Pool,
  spawnNode,
  startBackend,
  waitFor,
  type Backend,
  type Spawned,
} from './helpers.js';

const ADMIN = 'router-admin-token-0123456789abcdef';
const METRICS = 'router-metrics-token-0123456789abcdef';
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('hostile clients: the router’s status needs its token (issue 15 item 1)', function () {
  this.timeout(60_000);
  let backend: Backend;
  let router: Spawned;
  let client: Pool;

  before(async function () {
    backend = await startBackend();
    const port = await freePort();
    const args = [MAIN_JS, 'router', '--port', String(port), '--host', '127.0.0.1'];
    args.push('--backend', backend.url, '--health-interval', '100ms');
    const env = { ...process.env, GLASS_ADMIN_TOKEN: ADMIN, GLASS_METRICS_TOKEN: METRICS };
    router = await spawnNode(args, /router listening/, 20_000, env);
    client = new Pool(`http://127.0.0.1:${port}`);
    await waitFor('the backend to be healthy', async () => {
      return (await call(client, '/invoke/x/y')).status === 200;
    });
  });
  after(async function () {
    await client.close();
    await killAll();
  });

  const attacks = [
    { path: '/lb/status', token: undefined },
    { path: '/lb/status', token: 'wrong-token-0123456789abcdef' },
    { path: '/lb/status', token: METRICS },
    { path: '/lb/status?x=1', token: undefined },
    { path: '/metrics', token: undefined },
    { path: '/metrics', token: 'wrong-token-0123456789abcdef' },
  ];
  for (const attack of attacks) {
    const who =
      attack.token === undefined
        ? 'no token'
        : attack.token === METRICS
          ? 'the metrics token'
          : 'a wrong token';
    it(`answers 401 to GET ${attack.path} with ${who}, and keeps serving calls`, async function () {
      const answer = await call(client, attack.path, {
        headers: attack.token === undefined ? {} : bearer(attack.token),
      });
      assert.equal(answer.status, 401, JSON.stringify(answer.json));
      assert.equal((answer.json as { error: { code: string } }).error.code, 'unauthorized');
      assert.doesNotMatch(JSON.stringify(answer.json), /127\.0\.0\.1/);
      assert.equal((await call(client, '/invoke/x/y')).status, 200);
    });
  }

  it('answers /lb/status to the admin token and /metrics to either token', async function () {
    const status = await call(client, '/lb/status', { headers: bearer(ADMIN) });
    assert.equal(status.status, 200);
    assert.match(JSON.stringify(status.json), new RegExp(backend.name));
    for (const token of [ADMIN, METRICS]) {
      const metrics = await call(client, '/metrics', { headers: bearer(token) });
      assert.equal(metrics.status, 200);
    }
  });

  it('keeps /lb/health and /lb/ready open for probes, and never logs a token', async function () {
    assert.equal((await call(client, '/lb/health')).status, 200);
    assert.equal((await call(client, '/lb/ready')).status, 200);
    assert.doesNotMatch(router.output(), new RegExp(`${ADMIN}|${METRICS}`));
  });
});
