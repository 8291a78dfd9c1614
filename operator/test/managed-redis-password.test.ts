// Issue 15 item 6 / ADR 126: the Redis a GlassCluster gets with `state.managed: true` requires
// a password from the cluster's credentials Secret. The manifests the operator writes are run
// here as a kubelet would: `$(VAR)` in args and env filled from the Secret's values, then a real
// redis-server with those args. A client without the password (any pod, were NetworkPolicies
// not enforced) is refused; the runtime's URL carries the password that opens it.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { API_VERSION, GlassCluster } from '@glass/crds';
import { credentialsSecret, desiredChildren } from '../src/glasscluster/resources/index.js';

type Json = Record<string, unknown>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  args: string[];
  env?: EnvVar[];
}

const cluster = GlassCluster.parse({
  apiVersion: API_VERSION,
  kind: 'GlassCluster',
  metadata: { name: 'demo', namespace: 'team', uid: 'uid-1', generation: 1 },
  spec: { state: { managed: true } },
});

const containerOf = (children: Json[], name: string): Container => {
  const deployment = children.find(
    (c) => c.kind === 'Deployment' && (c.metadata as Json).name === name,
  ) as { spec: { template: { spec: { containers: Container[] } } } } | undefined;
  const container = deployment?.spec.template.spec.containers[0];
  assert.ok(container, name);
  return container;
};

/** The kubelet's reading of a container's env: Secret keys, then `$(VAR)` of earlier ones. */
function kubeletEnv(container: Container, secrets: Record<string, Record<string, string>>) {
  const env: Record<string, string> = {};
  const expand = (text: string): string =>
    text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secrets[ref.name]?.[ref.key];
      assert.ok(value !== undefined, `Secret ${ref.name} has key ${ref.key}`);
      env[variable.name] = value;
    } else if (variable.value !== undefined) {
      env[variable.name] = expand(variable.value);
    }
  }
  return { env, expand };
}

/** One RESP exchange on a fresh connection: what the server answers to `commands`. */
async function resp(port: number, commands: string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(commands.map((c) => `${c}\r\n`).join(''));
  for (let i = 0; i < 100 && text.split('\r\n').length <= commands.length; i++) await delay(20);
  socket.destroy();
  return text;
}

describe('the managed Redis needs the password from the cluster’s Secret (issue 15 item 6)', function () {
  let redis: ChildProcess | undefined;
  let port = 0;
  const secret = credentialsSecret(cluster) as { metadata: { name: string }; stringData: Json };
  const secrets = { [secret.metadata.name]: secret.stringData as Record<string, string> };
  const children = desiredChildren(cluster);

  before(async function () {
    const container = containerOf(children, 'demo-redis');
    const { expand } = kubeletEnv(container, secrets);
    const dir = await mkdtemp(join(tmpdir(), 'glass-managed-redis-'));
    port = 20_000 + Math.floor(Math.random() * 20_000);
    // The container's own args, as the kubelet expands them; then where to listen and write.
    const args = container.args.map((a) => (a === '/data' ? dir : expand(a)));
    args.push('--bind', '127.0.0.1');
    args.push('--port', String(port), '--daemonize', 'no');
    redis = spawn('redis-server', args, { stdio: 'ignore' });
    redis.once('error', (error) => {
      throw new Error(`redis-server: ${error.message} (apt-get install redis-server)`);
    });
    for (let i = 0; i < 200; i++) {
      if ((await resp(port, ['PING']).catch(() => '')) !== '') return;
      await delay(25);
    }
    throw new Error('redis-server did not start');
  });
  after(function () {
    redis?.kill('SIGKILL');
  });

  it('refuses a client without the password, and keeps serving one with it', async function () {
    const attack = await resp(port, ['PING', 'SET glass.team.demo:{counter}:x 999']);
    assert.match(attack, /^-NOAUTH/);
    const { env } = kubeletEnv(containerOf(children, 'demo-runtime'), secrets);
    const url = new URL(env.GLASS_REDIS_URL ?? '');
    assert.equal(url.host, 'demo-redis:6379');
    const password = decodeURIComponent(url.password);
    assert.equal(password, secrets['demo-credentials']?.['redis-password']);
    const served = await resp(port, [`AUTH ${password}`, 'PING']);
    assert.equal(served, '+OK\r\n+PONG\r\n');
    assert.match(await resp(port, ['PING']), /^-NOAUTH/, 'still refusing after');
  });

  it('puts the password in no manifest, only the Secret', function () {
    const manifests = JSON.stringify(children);
    assert.ok(!manifests.includes(String(secrets['demo-credentials']?.['redis-password'])));
  });
});
