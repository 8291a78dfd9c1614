// The node agent against a real control plane: it registers a node that stays Ready, binds and
// runs pods of Glass's image as processes, reports their status like a kubelet, and stops them.
import { strict as assert } from 'node:assert';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { call } from '../src/e2e/http.js';
import { RedisServer } from '../src/e2e/redis-server.js';
import { run } from '@glass/runtime/test-support/run';
import { waitFor } from '../src/e2e/wait.js';
import { alive, isReady, startHarness, waitForPod, type Harness } from './support/cluster.js';
import { deployment, NAMESPACE, pod, runtimeContainer } from './support/manifests.js';

/** A first run builds the control plane's binaries from their Go modules (ADR 30). */
const BUILD_TIMEOUT_MS = 45 * 60_000;

const pidOf = (h: Harness, name: string): number => {
  const pid = h.agent.pods().find((p) => p.name === name)?.pids.runtime;
  assert.ok(pid !== undefined, `the agent runs pod ${name}`);
  return pid;
};

const environOf = (pid: number): Record<string, string> =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );

describe('node agent on a real control plane', function () {
  this.timeout(90_000);
  let h: Harness;
  const startedPids: number[] = [];

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS);
    h = await startHarness();
  });

  after(async function () {
    this.timeout(60_000);
    await h.agent.stop(1000);
    await h.redis.stop();
    await h.plane.down();
    rmSync(h.dir, { recursive: true, force: true });
  });

  it('registers a Ready node, without taints, and keeps renewing its lease', async () => {
    const node = await h.core.readNode({ name: 'glass-e2e' });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    const address = node.status?.addresses?.[0];
    assert.equal(`${address?.type ?? ''} ${address?.address ?? ''}`, 'InternalIP 127.88.0.1');
    const lease = () =>
      h.plane.kubectlOk([
        'get',
        'lease',
        '-n',
        'kube-node-lease',
        'glass-e2e',
        '-o',
        'jsonpath={.spec.renewTime}',
      ]);
    const first = await lease();
    await waitFor('the node lease to be renewed', 10_000, async () =>
      (await lease()) !== first ? true : undefined,
    );
    const again = await h.core.readNode({ name: 'glass-e2e' });
    assert.equal(again.spec?.taints, undefined, 'the node-lifecycle controller tainted the node');
  });

  it("binds a Deployment's pods and runs them: Running, Ready, each on its own address", async () => {
    await h.apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: deployment('counter', 2, runtimeContainer()),
    });
    const pods = await waitFor('2 ready counter pods', 60_000, async () => {
      const list = await h.core.listNamespacedPod({
        namespace: NAMESPACE,
        labelSelector: 'app=counter',
      });
      const ready = list.items.filter(isReady);
      return ready.length === 2 ? ready : undefined;
    });
    const ips = pods.map((p) => p.status?.podIP ?? '');
    assert.equal(new Set(ips).size, 2, `distinct pod IPs: ${ips.join(', ')}`);
    for (const p of pods) {
      const name = p.metadata?.name ?? '';
      const status = p.status;
      assert.ok(status);
      assert.equal(p.spec?.nodeName, 'glass-e2e');
      assert.equal(status.phase, 'Running');
      assert.equal(status.hostIP, '127.88.0.1');
      assert.match(status.podIP ?? '', /^127\.88\.\d+\.\d+$/);
      assert.deepEqual(status.conditions?.map((c) => `${c.type}=${c.status}`).sort(), [
        'ContainersReady=True',
        'Initialized=True',
        'PodScheduled=True',
        'Ready=True',
      ]);
      const container = status.containerStatuses?.[0];
      assert.ok(container?.state?.running && container.ready, JSON.stringify(container));
      const answer = await call(`http://${status.podIP ?? ''}:8080/invoke/add?value=3`);
      assert.equal(answer.text, '3');
      assert.equal(answer.pod, name, 'the container got its pod name through $(POD_NAME)');
      startedPids.push(pidOf(h, name));
    }
  });

  it("gives a container its env and exactly its ServiceAccount's credentials", async () => {
    await h.plane.kubectlOk(['create', 'serviceaccount', 'reader']);
    await h.plane.kubectlOk(['create', 'role', 'reader', '--verb=get', '--resource=configmaps']);
    await h.plane.kubectlOk([
      'create',
      'rolebinding',
      'reader',
      '--role=reader',
      '--serviceaccount=default:reader',
    ]);
    await h.plane.kubectlOk([
      'create',
      'secret',
      'generic',
      'creds',
      '--from-literal=password=s3cret',
    ]);
    await h.plane.kubectlOk(['create', 'configmap', 'settings', '--from-literal=mode=fast']);
    const container = runtimeContainer([], {
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'GREETING', value: 'hello $(POD_NAME)' },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
        {
          name: 'MAYBE',
          valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope', optional: true } },
        },
      ],
    });
    await h.core.createNamespacedPod({
      namespace: NAMESPACE,
      body: pod('env', container, 'reader'),
    });
    const running: V1Pod = await waitForPod(h, 'env', 'ready', isReady);
    const pid = pidOf(h, 'env');
    startedPids.push(pid);
    const env = environOf(pid);
    const want = {
      POD_NAME: 'env',
      GREETING: 'hello env',
      POD_IP: running.status?.podIP,
      NODE: 'glass-e2e',
      SA: 'reader',
      PASSWORD: 's3cret',
      MODE: 'fast',
      MAYBE: '',
    };
    for (const [name, value] of Object.entries(want)) assert.equal(env[name], value, name);
    assert.equal(
      env.PATH?.includes('node_modules'),
      false,
      "nothing of the agent's environment leaks in",
    );
    const kubeconfig = env.KUBECONFIG ?? '';
    const kubectl = join(h.plane.binDir, 'kubectl');
    const whoami = await run(kubectl, [
      '--kubeconfig',
      kubeconfig,
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    assert.equal(whoami.stdout, 'system:serviceaccount:default:reader');
    const canI = async (verb: string, resource: string) =>
      (await run(kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', verb, resource])).code ===
      0;
    assert.equal(await canI('get', 'configmaps'), true);
    assert.equal(await canI('get', 'secrets'), false);
    assert.equal(await canI('list', 'pods'), false);
  });

  it('leaves a pod of an image it cannot run Pending, with ErrImagePull and why', async () => {
    await h.core.createNamespacedPod({
      namespace: NAMESPACE,
      body: pod('foreign', { name: 'web', image: 'nginx:1.27' }),
    });
    const waiting = await waitForPod(
      h,
      'foreign',
      'to report its image',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull',
    );
    const status = waiting.status;
    assert.equal(status?.phase, 'Pending');
    assert.match(status.containerStatuses?.[0]?.state?.waiting?.message ?? '', /nginx:1\.27/);
    assert.deepEqual(h.agent.pods().find((p) => p.name === 'foreign')?.pids, {});
  });

  it('flips Ready to False while the readiness probe fails, and back when it passes', async () => {
    const port = h.redis.port;
    await h.core.createNamespacedPod({
      namespace: NAMESPACE,
      body: pod('probed', runtimeContainer(['--redis', h.redis.url])),
    });
    await waitForPod(h, 'probed', 'ready', isReady);
    startedPids.push(pidOf(h, 'probed'));
    await h.redis.stop(); // the runtime's /ready answers 503 while its Redis is down (ADR 45)
    const unready = await waitForPod(h, 'probed', 'not ready', (p) => !isReady(p), 20_000);
    const status = unready.status;
    assert.equal(status?.phase, 'Running');
    assert.equal(status.containerStatuses?.[0]?.ready, false);
    h.redis = await RedisServer.start(port);
    await waitForPod(h, 'probed', 'ready again', isReady, 30_000);
  });

  it('kills a container whose liveness probe keeps failing, and says why; a passing one runs on', async () => {
    const livenessProbe = {
      httpGet: { path: '/health', port: 'http' },
      periodSeconds: 1,
      failureThreshold: 2,
      terminationGracePeriodSeconds: 1,
    };
    await h.core.createNamespacedPod({
      namespace: NAMESPACE,
      body: pod('hung', runtimeContainer([], { livenessProbe })),
    });
    await waitForPod(h, 'hung', 'ready', isReady);
    const pid = pidOf(h, 'hung');
    startedPids.push(pid);
    await delay(3500); // three periods of a passing probe
    const running = await h.core.readNamespacedPod({ namespace: NAMESPACE, name: 'hung' });
    assert.equal(running.status?.phase, 'Running');
    assert.equal(alive(pid), true);
    // Hung: the process is there but answers nothing, so /health times out.
    process.kill(pid, 'SIGSTOP');
    const failed = await waitForPod(h, 'hung', 'Failed', (p) => p.status?.phase === 'Failed');
    const terminated = failed.status?.containerStatuses?.[0]?.state?.terminated;
    // A stopped process cannot act on SIGTERM: SIGKILL after the probe's 1 s grace period.
    assert.equal(terminated?.exitCode, 137);
    assert.equal(terminated.message, 'liveness probe failed 2 times in a row; ended by SIGKILL');
    assert.equal(alive(pid), false);
  });

  it('ends a pod whose process is killed (no restart in place), and its ReplicaSet replaces it', async () => {
    const list = await h.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: 'app=counter',
    });
    const victim = list.items[0]?.metadata?.name ?? '';
    process.kill(pidOf(h, victim), 'SIGKILL');
    const failed = await waitForPod(h, victim, 'Failed', (p) => p.status?.phase === 'Failed');
    const terminated = failed.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.exitCode, 137);
    assert.equal(terminated.signal, 9);
    assert.equal(failed.status?.containerStatuses?.[0]?.restartCount, 0);
    await waitFor('a replacement counter pod to be ready', 60_000, async () => {
      const now = await h.core.listNamespacedPod({
        namespace: NAMESPACE,
        labelSelector: 'app=counter',
      });
      const ready = now.items.filter((p) => isReady(p) && p.metadata?.name !== victim);
      return ready.length === 2 ? true : undefined;
    });
  });

  it('on delete, stops the process (SIGTERM) and then removes the pod object', async () => {
    const pid = pidOf(h, 'env');
    await h.core.deleteNamespacedPod({ namespace: NAMESPACE, name: 'env' });
    await waitFor('pod env to be gone', 20_000, async () => {
      const list = await h.core.listNamespacedPod({
        namespace: NAMESPACE,
        fieldSelector: 'metadata.name=env',
      });
      return list.items.length === 0 ? true : undefined;
    });
    assert.equal(alive(pid), false, `process ${pid} of pod env still runs`);
  });

  it('ends every process it started when it stops', async () => {
    const running = h.agent.pods().flatMap((p) => Object.values(p.pids));
    assert.ok(running.length >= 3, `pods still running before the stop: ${running.join(', ')}`);
    await h.agent.stop(1000);
    const left = [...running, ...startedPids].filter(alive);
    assert.deepEqual(left, [], 'pod processes left running');
  });
});
