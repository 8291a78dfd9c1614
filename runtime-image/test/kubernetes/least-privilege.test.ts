// The runtime as the operator runs it: under its own ServiceAccount, bound to exactly the Role
// the operator grants it (read Faaslets and ConfigMaps in its namespace, nothing else), with
// credentials found through KUBECONFIG and its names from POD_NAME / POD_NAMESPACE.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlPlane, type SharedControlPlane } from '../support/control-plane.js';
import { SAMPLES } from '../support/runtime-server.js';
import {
  createNamespace,
  deleteNamespace,
  startClusterRuntime,
  waitForAnswer,
  waitUntilReady,
  type ClusterRuntime,
} from './cluster-runtime.js';
import { apply } from './manifests.js';

const ACCOUNT = 'glass-runtime';
const READ = ['get', 'list', 'watch'];
/** The runtime's rules in operator/src/glasscluster/resources/rbac.ts (RULES.runtime), copied. */
const RUNTIME_RULES = [
  { apiGroups: ['glass.dev'], resources: ['faaslets'], verbs: READ },
  { apiGroups: [''], resources: ['configmaps'], verbs: READ },
];

function serviceAccountObjects(namespace: string): Record<string, unknown>[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: ACCOUNT } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: ACCOUNT },
      rules: RUNTIME_RULES,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: ACCOUNT },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ACCOUNT },
      subjects: [{ kind: 'ServiceAccount', name: ACCOUNT, namespace }],
    },
  ];
}

/** A kubeconfig holding only the account's token, for the admin kubeconfig's server and CA. */
function tokenKubeconfig(
  plane: SharedControlPlane,
  token: string,
  namespace: string | undefined,
): Record<string, unknown> {
  const cluster = plane.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'plane',
        cluster: {
          server: cluster.server,
          ...(cluster.caData !== undefined && { 'certificate-authority-data': cluster.caData }),
          ...(cluster.caFile !== undefined && { 'certificate-authority': cluster.caFile }),
        },
      },
    ],
    users: [{ name: ACCOUNT, user: { token } }],
    contexts: [
      {
        name: ACCOUNT,
        context: { cluster: 'plane', user: ACCOUNT, ...(namespace && { namespace }) },
      },
    ],
    'current-context': ACCOUNT,
  };
}

describe('the runtime under the least-privilege Role the operator grants', function () {
  this.timeout(120_000);
  let plane: SharedControlPlane;
  let namespace: string;
  let dir: string;
  let token: string;
  let runtime: ClusterRuntime | undefined;

  before(async function () {
    this.timeout(15 * 60_000);
    plane = await controlPlane();
    namespace = await createNamespace(plane, 'glass-runtime-rbac');
    dir = mkdtempSync(join(tmpdir(), 'glass-runtime-rbac-'));
    await apply(plane, namespace, serviceAccountObjects(namespace));
    token = (await plane.kubectlOk(['create', 'token', ACCOUNT, '-n', namespace])).trim();
    await plane.kubectlOk(['apply', '-n', namespace, '-f', `${SAMPLES}/counter.yaml`]);
  });

  afterEach(async function () {
    await runtime?.glass.stop();
    runtime = undefined;
  });

  after(async function () {
    rmSync(dir, { recursive: true, force: true });
    await deleteNamespace(plane, namespace);
  });

  it('is an account that may read Faaslets and ConfigMaps there and nothing else', async function () {
    const can = async (verb: string, resource: string, inNamespace = namespace) => {
      const as = `system:serviceaccount:${namespace}:${ACCOUNT}`;
      const result = await plane.kubectl([
        'auth',
        'can-i',
        verb,
        resource,
        '-n',
        inNamespace,
        '--as',
        as,
      ]);
      return result.stdout.trim();
    };
    assert.equal(await can('watch', 'faaslets.glass.dev'), 'yes');
    assert.equal(await can('list', 'configmaps'), 'yes');
    assert.equal(await can('patch', 'faaslets.glass.dev'), 'no');
    assert.equal(await can('list', 'secrets'), 'no');
    assert.equal(await can('list', 'configmaps', 'default'), 'no');
  });

  it('serves the sample with that account, found through KUBECONFIG, as POD_NAME in POD_NAMESPACE', async function () {
    const kubeconfig = join(dir, 'pod-kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify(tokenKubeconfig(plane, token, undefined)));
    runtime = await startClusterRuntime({
      env: { KUBECONFIG: kubeconfig, POD_NAMESPACE: namespace, POD_NAME: 'glass-runtime-abc12' },
    });
    await waitUntilReady(runtime.base);
    await waitForAnswer(runtime.base, '/invoke/counter/get', { status: 200 });
    const response = await fetch(`${runtime.base}/invoke/counter/add?value=2`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-glass-pod'), 'glass-runtime-abc12');
    assert.doesNotMatch(runtime.glass.output(), /watch failed/);
  });

  it('takes the namespace from the kubeconfig context when POD_NAMESPACE is not set', async function () {
    const kubeconfig = join(dir, 'context-kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify(tokenKubeconfig(plane, token, namespace)));
    runtime = await startClusterRuntime({ args: ['--kubeconfig', kubeconfig] });
    // Anywhere else (`default`) the account may read nothing, and the runtime would never be ready.
    await waitUntilReady(runtime.base);
    await waitForAnswer(runtime.base, '/invoke/counter/get', { status: 200 });
    assert.match(runtime.glass.output(), new RegExp(`"namespace":"${namespace}"`));
  });
});
