// `helm install` of charts/glass on the real API server, then its operator ServiceAccount:
// what it may and may not do (kubectl auth can-i), every child of a GlassCluster applied as it,
// the RBAC escalation check that makes endpointslices necessary, and the real operator process
// running with that ServiceAccount's token, reconciling without one refusal.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlassCluster } from '@glass/crds';
import { desiredChildren } from '../src/glasscluster/resources/index.js';
import { asList, ChartHarness, CHART, parseDocs, RELEASE, type Rule } from './support/chart.js';
import { controlPlane, REPO_ROOT, type ControlPlane } from './support/control-plane.js';
import { startOperator, type OperatorProcess } from './support/operator-process.js';
import { eventually } from './support/wait.js';

describe('helm install of charts/glass, and the operator ServiceAccount it binds', function () {
  this.timeout(180_000);
  let chart: ChartHarness;
  let plane: ControlPlane;
  let namespace: string;
  let installOutput: string;
  const as = (): string => `--as=system:serviceaccount:${namespace}:glass-operator`;
  before(async function () {
    this.timeout(50 * 60_000); // the first control plane of a run may build its binaries
    chart = new ChartHarness(await controlPlane());
    plane = chart.plane;
    // As on a fresh cluster: no Glass CRDs, so helm must install them from the chart's crds/
    // before it can create the GlassCluster. (Deleting them also deletes every Faaslet and
    // GlassCluster earlier test files left; helm leaves the CRDs in place for later ones.)
    await plane.kubectlOk([
      'delete',
      'crd',
      'faaslets.glass.dev',
      'glassclusters.glass.dev',
      '--ignore-not-found',
      '--timeout=120s',
    ]);
    namespace = await chart.restrictedNamespace('chart-install');
    installOutput = await chart.helmOk(['install', RELEASE, CHART, '-n', namespace]);
  });
  after(async function () {
    await chart.helm(['uninstall', RELEASE, '-n', namespace]);
    await chart.deleteNamespaces();
  });

  it('created the operator, its RBAC and the default GlassCluster', async function () {
    const out = await plane.kubectlOk([
      'get',
      '-n',
      namespace,
      'deployment/glass-operator',
      'serviceaccount/glass-operator',
      'role/glass-operator-leader-election',
      'rolebinding/glass-operator-leader-election',
      'glasscluster/glass',
      '-o',
      'name',
    ]);
    assert.equal(out.trim().split('\n').length, 5);
    await plane.kubectlOk([
      'get',
      'clusterrole/glass-operator',
      'clusterrolebinding/glass-operator',
    ]);
  });

  it('installed the CRDs from its crds/ folder on an API server that had none', async function () {
    const managers = await plane.kubectlOk([
      'get',
      'crd',
      'faaslets.glass.dev',
      'glassclusters.glass.dev',
      '--show-managed-fields',
      '-o',
      'jsonpath={.items[*].metadata.managedFields[*].manager}',
    ]);
    assert.deepEqual(managers.split(' ').filter((m) => m === 'helm').length, 2, managers);
  });

  it("prints the user's next lines in its notes: apply a Faaslet, port-forward, curl", function () {
    for (const line of [
      `kubectl -n ${namespace} apply -f crds/samples/counter.yaml`,
      `kubectl -n ${namespace} port-forward svc/glass-router 8080:80 &`,
      'curl "localhost:8080/invoke/add?value=5"',
    ]) {
      assert.ok(installOutput.includes(line), `NOTES lack: ${line}\n${installOutput}`);
    }
  });

  const canI: {
    verb: string;
    resource: string;
    sub?: string;
    where: 'all' | 'release' | 'other';
    allowed: boolean;
  }[] = [
    { verb: 'watch', resource: 'faaslets.glass.dev', where: 'all', allowed: true },
    { verb: 'list', resource: 'glassclusters.glass.dev', where: 'all', allowed: true },
    {
      verb: 'patch',
      resource: 'glassclusters.glass.dev',
      sub: 'status',
      where: 'other',
      allowed: true,
    },
    {
      verb: 'patch',
      resource: 'faaslets.glass.dev',
      sub: 'status',
      where: 'other',
      allowed: true,
    },
    { verb: 'watch', resource: 'configmaps', where: 'all', allowed: true },
    { verb: 'watch', resource: 'deployments.apps', where: 'all', allowed: true },
    {
      verb: 'delete',
      resource: 'rolebindings.rbac.authorization.k8s.io',
      where: 'other',
      allowed: true,
    },
    { verb: 'create', resource: 'events', where: 'other', allowed: true },
    { verb: 'create', resource: 'leases.coordination.k8s.io', where: 'release', allowed: true },
    { verb: 'create', resource: 'leases.coordination.k8s.io', where: 'other', allowed: false },
    {
      verb: 'update',
      resource: 'leases.coordination.k8s.io/glass-operator',
      where: 'release',
      allowed: true,
    },
    {
      verb: 'update',
      resource: 'leases.coordination.k8s.io/someone-else',
      where: 'release',
      allowed: false,
    },
    { verb: 'patch', resource: 'faaslets.glass.dev', where: 'other', allowed: false },
    { verb: 'delete', resource: 'glassclusters.glass.dev', where: 'other', allowed: false },
    // Scaling is for users and an HPA; the operator only reads spec.replicas (ADR 130).
    {
      verb: 'patch',
      resource: 'glassclusters.glass.dev',
      sub: 'scale',
      where: 'other',
      allowed: false,
    },
    { verb: 'get', resource: 'secrets', where: 'other', allowed: false },
    { verb: 'list', resource: 'secrets', where: 'other', allowed: false },
    { verb: 'patch', resource: 'secrets', where: 'other', allowed: false },
    { verb: 'create', resource: 'secrets', where: 'other', allowed: true },
    { verb: 'create', resource: 'pods', where: 'other', allowed: false },
    { verb: 'patch', resource: 'configmaps', where: 'other', allowed: false },
    {
      verb: 'escalate',
      resource: 'roles.rbac.authorization.k8s.io',
      where: 'other',
      allowed: false,
    },
    { verb: 'bind', resource: 'roles.rbac.authorization.k8s.io', where: 'other', allowed: false },
    {
      verb: 'patch',
      resource: 'clusterroles.rbac.authorization.k8s.io',
      where: 'all',
      allowed: false,
    },
  ];
  for (const tc of canI) {
    it(`${tc.allowed ? 'may' : 'may not'} ${tc.verb} ${tc.resource}${tc.sub ? `/${tc.sub}` : ''} (${tc.where === 'all' ? 'all namespaces' : `${tc.where} namespace`})`, async function () {
      const where =
        tc.where === 'all'
          ? ['--all-namespaces']
          : ['-n', tc.where === 'release' ? namespace : 'default'];
      const sub = tc.sub ? [`--subresource=${tc.sub}`] : [];
      const result = await plane.kubectl([
        'auth',
        'can-i',
        tc.verb,
        tc.resource,
        ...sub,
        ...where,
        as(),
      ]);
      assert.equal(result.stdout.trim(), tc.allowed ? 'yes' : 'no', result.stderr);
    });
  }

  it('may server-side apply every child of a GlassCluster, Roles and RoleBindings included', async function () {
    // For real, as the operator does: Roles first, then the RoleBindings that need them.
    const children = operatorChildren(namespace, await clusterUid(plane, namespace));
    const result = await plane.kubectl(
      [
        'apply',
        '--server-side',
        '--field-manager=glass-operator',
        '--force-conflicts',
        as(),
        '-f',
        '-',
      ],
      children,
    );
    assert.equal(result.code, 0, `the operator's children were refused:\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /PodSecurity/);
    assert.match(
      result.stdout,
      /^rolebinding\.rbac\.authorization\.k8s\.io\/glass-router serverside-applied$/m,
    );
    assert.match(result.stdout, /^deployment\.apps\/glass-redis serverside-applied$/m);
  });

  it('could not write those Roles without holding what they grant (the escalation check is live)', async function () {
    // The same apply by an identity with every permission of the chart's ClusterRole but endpointslices.
    const name = `glass-chart-no-slices-${randomBytes(3).toString('hex')}`;
    const role = parseDocs(
      await plane.kubectlOk(['get', 'clusterrole/glass-operator', '-o', 'yaml']),
    )[0];
    const rules = (role?.rules as Rule[]).filter(
      (r) => !(r.apiGroups ?? []).includes('discovery.k8s.io'),
    );
    const manifest = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name },
        rules,
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name }],
      },
    ];
    await plane.kubectlOk(['apply', '--server-side', '-f', '-'], asList(...manifest));
    try {
      // A namespace without those Roles yet: writing one that already matches is not checked.
      const fresh = await chart.restrictedNamespace('chart-escalation');
      const children = operatorChildren(fresh, '7d8a3c9e-0000-4000-8000-000000000001');
      const result = await chart.dryRunApply(children, [
        '--field-manager=glass-operator',
        '--force-conflicts',
        `--as=${name}`,
      ]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /attempting to grant RBAC permissions not currently held/);
    } finally {
      await plane.kubectl(['delete', 'clusterrolebinding', name]);
      await plane.kubectl(['delete', 'clusterrole', name]);
    }
  });

  describe('the real operator, running with that ServiceAccount token', function () {
    let dir: string;
    let operator: OperatorProcess | undefined;
    const jsonpath = (ref: string, path: string): Promise<string> =>
      plane.kubectlOk(['get', ref, '-n', namespace, '-o', `jsonpath=${path}`]);

    before(async function () {
      dir = mkdtempSync(join(tmpdir(), 'glass-chart-sa-'));
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, await serviceAccountKubeconfig(plane, namespace, 'glass-operator'));
      await plane.kubectlOk([
        'apply',
        '-n',
        namespace,
        '-f',
        join(REPO_ROOT, 'crds/samples/counter.yaml'),
      ]);
      // The arguments the chart's Deployment passes.
      operator = await startOperator(kubeconfig, 'chart-test', [
        `--lease-namespace=${namespace}`,
        '--lease-name=glass-operator',
      ]);
    });
    after(async function () {
      await operator?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('takes the leader Lease in the release namespace', async function () {
      await eventually(
        'the Lease glass-operator held by chart-test',
        async () =>
          (await jsonpath('lease/glass-operator', '{.spec.holderIdentity}')) === 'chart-test',
      );
    });

    it('reconciles the default GlassCluster and deletes the Redis it no longer wants', async function () {
      await eventually(
        'GlassCluster glass status written',
        async () =>
          (await jsonpath('glasscluster/glass', '{.status.routerService}')) === 'glass-router',
      );
      await eventually('the managed Redis applied earlier deleted', async () => {
        const left = await plane.kubectlOk([
          'get',
          'deployments,services',
          '-n',
          namespace,
          '-o',
          'name',
        ]);
        return !left.includes('glass-redis');
      });
      const image = await jsonpath(
        'deployment/glass-runtime',
        '{.spec.template.spec.containers[0].image}',
      );
      assert.equal(image, 'glass:0.1.0');
    });

    it('resolves a Faaslet of that cluster and records an Event for it', async function () {
      await plane.kubectlOk([
        'wait',
        '--for=condition=Ready',
        'faaslet/counter',
        '-n',
        namespace,
        '--timeout=30s',
      ]);
      await eventually('an Event about Faaslet counter', async () => {
        const events = await plane.kubectlOk([
          'get',
          'events',
          '-n',
          namespace,
          '--field-selector=involvedObject.kind=Faaslet,involvedObject.name=counter',
          '-o',
          'name',
        ]);
        return events.trim() !== '';
      });
    });

    it('was never refused by the API server', function () {
      const output = operator?.output() ?? '';
      assert.doesNotMatch(output, /forbidden|\b403\b/i, output);
    });
  });

  // With the operator gone only helm and kubectl write the GlassCluster (ADR 130).
  describe('helm upgrade of a GlassCluster scaled with kubectl scale', function () {
    const replicas = async (): Promise<string> =>
      (
        await plane.kubectlOk([
          'get',
          'glasscluster/glass',
          '-n',
          namespace,
          '-o',
          'jsonpath={.spec.replicas}',
        ])
      ).trim();
    const scaleTo = (count: number): Promise<string> =>
      plane.kubectlOk(['scale', 'glasscluster/glass', '-n', namespace, `--replicas=${count}`]);
    const upgrade = (...set: string[]): Promise<string> =>
      chart.helmOk(['upgrade', RELEASE, CHART, '-n', namespace, '--reuse-values', ...set]);

    it('keeps the scaled count through an upgrade that leaves cluster.replicas as it was: helm patches a custom resource from its old manifest to its new one', async function () {
      await scaleTo(3);
      assert.equal(await replicas(), '3');
      await upgrade('--set', 'cluster.workers=3');
      assert.equal(await replicas(), '3');
    });

    it('writes cluster.replicas over the scaled count once the value changes', async function () {
      await upgrade('--set', 'cluster.replicas=4');
      assert.equal(await replicas(), '4');
    });
  });
});

/** A kubeconfig for the control plane that authenticates with a token of `serviceAccount`. */
async function serviceAccountKubeconfig(
  plane: ControlPlane,
  namespace: string,
  serviceAccount: string,
): Promise<string> {
  const token = (
    await plane.kubectlOk(['create', 'token', serviceAccount, '-n', namespace])
  ).trim();
  const cluster = plane.kubeConfig.getCurrentCluster();
  assert.ok(cluster?.caData, 'the admin kubeconfig has no embedded CA');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'glass',
        cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData },
      },
    ],
    users: [{ name: serviceAccount, user: { token } }],
    contexts: [{ name: 'glass', context: { cluster: 'glass', user: serviceAccount, namespace } }],
    'current-context': 'glass',
  });
}

/** The uid of the helm-installed GlassCluster `glass`, so children applied for real go with it. */
async function clusterUid(plane: ControlPlane, namespace: string): Promise<string> {
  const uid = await plane.kubectlOk([
    'get',
    'glasscluster/glass',
    '-n',
    namespace,
    '-o',
    'jsonpath={.metadata.uid}',
  ]);
  return uid.trim();
}

/** Every child the operator applies for a GlassCluster `glass`, with a managed Redis so every kind is there. */
function operatorChildren(namespace: string, uid: string): string {
  const cluster = GlassCluster.parse({
    apiVersion: 'glass.dev/v1alpha1',
    kind: 'GlassCluster',
    metadata: { name: 'glass', namespace, uid },
    spec: { image: 'glass:test', state: { managed: true } },
  });
  return asList(...desiredChildren(cluster));
}
