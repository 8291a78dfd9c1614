import { strict as assert } from 'node:assert';
import { API_VERSION, GlassCluster } from '@glass/crds';
import { desiredChildren } from '../../src/glasscluster/resources/index.js';
import {
  CONFIG_HASH_ANNOTATION,
  RESTRICTED_CONTAINER,
  RESTRICTED_POD,
  TMP_SIZE_LIMIT,
} from '../../src/glasscluster/resources/meta.js';

type Json = Record<string, unknown>;

function cluster(spec: Json = {}): GlassCluster {
  return GlassCluster.parse({
    apiVersion: API_VERSION,
    kind: 'GlassCluster',
    metadata: { name: 'demo', namespace: 'team', uid: 'uid-1', generation: 1 },
    spec,
  });
}

const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);

const child = (children: Json[], kind: string, name: string): Json => {
  const found = children.find((c) => c.kind === kind && at(c, 'metadata', 'name') === name);
  assert.ok(found, `${kind}/${name}`);
  return found;
};

const deployments = (c: GlassCluster): Json[] =>
  desiredChildren(c).filter((o) => o.kind === 'Deployment');

const hashOf = (c: GlassCluster, name: string): unknown =>
  at(
    child(desiredChildren(c), 'Deployment', name),
    'spec',
    'template',
    'metadata',
    'annotations',
    CONFIG_HASH_ANNOTATION,
  );

describe('the GlassCluster resource builders', function () {
  const childrenCases: { name: string; spec: Json; want: string[] }[] = [
    {
      name: 'a cluster without managed state yields RBAC, two Services and two Deployments',
      spec: {},
      want: [
        'Deployment/demo-router',
        'Deployment/demo-runtime',
        'NetworkPolicy/demo-router-ingress',
        'NetworkPolicy/demo-runtime-ingress',
        'Role/demo-router',
        'Role/demo-runtime',
        'RoleBinding/demo-router',
        'RoleBinding/demo-runtime',
        'Service/demo-router',
        'Service/demo-runtime',
        'ServiceAccount/demo-router',
        'ServiceAccount/demo-runtime',
      ],
    },
    {
      name: 'state.managed adds a Redis Deployment and Service',
      spec: { state: { managed: true } },
      want: [
        'Deployment/demo-redis',
        'Deployment/demo-router',
        'Deployment/demo-runtime',
        'NetworkPolicy/demo-redis-ingress',
        'NetworkPolicy/demo-router-ingress',
        'NetworkPolicy/demo-runtime-ingress',
        'Role/demo-router',
        'Role/demo-runtime',
        'RoleBinding/demo-router',
        'RoleBinding/demo-runtime',
        'Service/demo-redis',
        'Service/demo-router',
        'Service/demo-runtime',
        'ServiceAccount/demo-router',
        'ServiceAccount/demo-runtime',
      ],
    },
  ];
  for (const tc of childrenCases) {
    it(tc.name, function () {
      const names = desiredChildren(cluster(tc.spec)).map(
        (c) => `${String(c.kind)}/${String(at(c, 'metadata', 'name'))}`,
      );
      assert.deepEqual([...names].sort(), tc.want);
    });
  }

  it('writes no NetworkPolicy when the operator is told not to', function () {
    const kinds = desiredChildren(
      cluster({ state: { managed: true } }),
      {},
      { networkPolicies: false },
    ).map((c) => c.kind);
    assert.ok(!kinds.includes('NetworkPolicy'));
  });

  it('lets into runtime pods only their own routers, each other and Prometheus, and into the managed Redis only its runtime pods', function () {
    const children = desiredChildren(cluster({ state: { managed: true } }));
    const own = (component: string): Json => ({
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/instance': 'demo',
          'app.kubernetes.io/component': component,
        },
      },
    });
    const runtime = child(children, 'NetworkPolicy', 'demo-runtime-ingress');
    assert.equal(at(runtime, 'metadata', 'namespace'), 'team');
    assert.deepEqual(at(runtime, 'spec', 'podSelector'), own('runtime').podSelector);
    assert.deepEqual(at(runtime, 'spec', 'ingress'), [
      {
        from: [
          own('router'),
          own('runtime'),
          {
            namespaceSelector: {},
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 'http' }],
      },
    ]);
    const redis = child(children, 'NetworkPolicy', 'demo-redis-ingress');
    assert.deepEqual(at(redis, 'spec', 'ingress'), [
      { from: [own('runtime')], ports: [{ protocol: 'TCP', port: 'redis' }] },
    ]);
    const router = child(children, 'NetworkPolicy', 'demo-router-ingress');
    assert.deepEqual(at(router, 'spec', 'ingress'), [
      { ports: [{ protocol: 'TCP', port: 'http' }] },
    ]);
  });

  it('grants the runtime get/list/watch on Faaslets, ConfigMaps and EndpointSlices and the router on EndpointSlices and Faaslets, nothing more', function () {
    const children = desiredChildren(cluster());
    const read = ['get', 'list', 'watch'];
    assert.deepEqual(child(children, 'Role', 'demo-runtime').rules, [
      { apiGroups: ['glass.dev'], resources: ['faaslets'], verbs: read },
      { apiGroups: [''], resources: ['configmaps'], verbs: read },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
    ]);
    assert.deepEqual(child(children, 'Role', 'demo-router').rules, [
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
      { apiGroups: ['glass.dev'], resources: ['faaslets'], verbs: read },
    ]);
    for (const component of ['runtime', 'router']) {
      const binding = child(children, 'RoleBinding', `demo-${component}`);
      assert.deepEqual(binding.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: `demo-${component}`,
      });
      assert.deepEqual(binding.subjects, [
        { kind: 'ServiceAccount', name: `demo-${component}`, namespace: 'team' },
      ]);
      const pod = at(
        child(children, 'Deployment', `demo-${component}`),
        'spec',
        'template',
        'spec',
      );
      assert.equal(at(pod, 'serviceAccountName'), `demo-${component}`);
    }
  });

  it('runs the managed Redis from redis:7-alpine, or from state.managedImage', function () {
    const image = (c: GlassCluster): unknown =>
      at(
        child(desiredChildren(c), 'Deployment', 'demo-redis'),
        'spec',
        'template',
        'spec',
        'containers',
        0,
        'image',
      );
    assert.equal(image(cluster({ state: { managed: true } })), 'redis:7-alpine');
    const pinned = 'mirror.internal/library/redis@sha256:' + 'a'.repeat(64);
    assert.equal(image(cluster({ state: { managed: true, managedImage: pinned } })), pinned);
  });

  it('runs every pod under the restricted Pod Security profile', function () {
    for (const deployment of deployments(cluster({ state: { managed: true } }))) {
      const pod = at(deployment, 'spec', 'template', 'spec') as Json;
      assert.deepEqual(pod.securityContext, RESTRICTED_POD);
      assert.equal(at(RESTRICTED_POD, 'runAsNonRoot'), true);
      for (const container of pod.containers as Json[]) {
        assert.deepEqual(container.securityContext, RESTRICTED_CONTAINER);
        assert.deepEqual(container.securityContext, {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
    }
  });

  for (const component of ['runtime', 'router']) {
    it(`gives the ${component} a writable /tmp on its read-only root: a small, bounded emptyDir`, function () {
      const pod = at(
        child(desiredChildren(cluster()), 'Deployment', `demo-${component}`),
        'spec',
        'template',
        'spec',
      ) as Json;
      const [container] = pod.containers as Json[];
      assert.equal(at(container, 'securityContext', 'readOnlyRootFilesystem'), true);
      assert.deepEqual(container?.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
      assert.deepEqual(pod.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: TMP_SIZE_LIMIT } }]);
    });
  }

  it('puts the image pull secrets on every pod it makes: runtime, router and managed Redis', function () {
    const secrets = [{ name: 'regcred' }, { name: 'mirror.example.com' }];
    const made = deployments(cluster({ imagePullSecrets: secrets, state: { managed: true } }));
    assert.deepEqual(made.map((d) => at(d, 'metadata', 'name')).sort(), [
      'demo-redis',
      'demo-router',
      'demo-runtime',
    ]);
    for (const deployment of made) {
      assert.deepEqual(at(deployment, 'spec', 'template', 'spec', 'imagePullSecrets'), secrets);
    }
  });

  const noSecrets: { name: string; spec: Json }[] = [
    { name: 'none are given', spec: {} },
    { name: 'an empty list is given', spec: { imagePullSecrets: [] } },
  ];
  for (const tc of noSecrets) {
    it(`leaves imagePullSecrets off every pod when ${tc.name}`, function () {
      for (const deployment of deployments(cluster({ ...tc.spec, state: { managed: true } }))) {
        const pod = at(deployment, 'spec', 'template', 'spec') as Json;
        assert.ok(!('imagePullSecrets' in pod), String(at(deployment, 'metadata', 'name')));
      }
    });
  }

  it('makes the GlassCluster the controller owner of every child, in its namespace, with the managed-by label', function () {
    for (const c of desiredChildren(cluster({ state: { managed: true } }))) {
      const metadata = c.metadata as Json;
      assert.equal(metadata.namespace, 'team');
      assert.deepEqual(metadata.ownerReferences, [
        {
          apiVersion: API_VERSION,
          kind: 'GlassCluster',
          name: 'demo',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.equal(at(metadata, 'labels', 'app.kubernetes.io/managed-by'), 'glass-operator');
      assert.equal(at(metadata, 'labels', 'glass.dev/cluster'), 'demo');
    }
  });

  it("selects each Deployment's pods by labels its pod template carries", function () {
    for (const deployment of deployments(cluster({ state: { managed: true } }))) {
      const selector = at(deployment, 'spec', 'selector', 'matchLabels') as Json;
      const podLabels = at(deployment, 'spec', 'template', 'metadata', 'labels') as Json;
      for (const [k, v] of Object.entries(selector)) assert.equal(podLabels[k], v, k);
    }
  });

  const hashCases: {
    name: string;
    spec: Json;
    deployment: 'runtime' | 'router';
    rolls: boolean;
  }[] = [
    {
      name: 'a new image rolls the runtime pods',
      spec: { image: 'example.test/glass:2' },
      deployment: 'runtime',
      rolls: true,
    },
    {
      name: 'a new image rolls the router pods',
      spec: { image: 'example.test/glass:2' },
      deployment: 'router',
      rolls: true,
    },
    {
      name: 'more workers per pod roll the runtime pods',
      spec: { workers: 8 },
      deployment: 'runtime',
      rolls: true,
    },
    {
      name: 'a Redis URL rolls the runtime pods',
      spec: { state: { redis: { url: 'redis://r:6379' } } },
      deployment: 'runtime',
      rolls: true,
    },
    {
      name: 'routing keys roll the router pods',
      spec: { router: { keys: ['session'] } },
      deployment: 'router',
      rolls: true,
    },
    {
      name: 'virtual nodes roll the router pods',
      spec: { router: { virtualNodes: 10 } },
      deployment: 'router',
      rolls: true,
    },
    {
      name: 'more replicas do not roll the runtime pods',
      spec: { replicas: 5 },
      deployment: 'runtime',
      rolls: false,
    },
    {
      name: 'runtime-only changes do not roll the router pods',
      spec: { workers: 8 },
      deployment: 'router',
      rolls: false,
    },
  ];
  for (const tc of hashCases) {
    it(`config hash: ${tc.name}`, function () {
      const name = `demo-${tc.deployment}`;
      const before = hashOf(cluster(), name);
      assert.match(String(before), /^[0-9a-f]{16}$/);
      assert.equal(hashOf(cluster(), name), before, 'the same spec gives the same hash');
      assert.equal(hashOf(cluster(tc.spec), name) !== before, tc.rolls);
    });
  }

  const redisCases: { name: string; state: Json | undefined; want: Json[] }[] = [
    { name: 'no state: the runtime gets no Redis', state: undefined, want: [] },
    {
      name: 'a Redis URL is passed as is',
      state: { redis: { url: 'redis://r:6379' } },
      want: [{ name: 'GLASS_REDIS_URL', value: 'redis://r:6379' }],
    },
    {
      name: 'a secretRef is read from the Secret',
      state: { redis: { secretRef: { name: 'redis', key: 'url' } } },
      want: [
        { name: 'GLASS_REDIS_URL', valueFrom: { secretKeyRef: { name: 'redis', key: 'url' } } },
      ],
    },
    {
      name: 'managed points at the managed Redis Service',
      state: { managed: true },
      // With the password the kubelet fills in from the cluster's Secret (ADR 126).
      want: [
        {
          name: 'GLASS_REDIS_URL',
          value: 'redis://:$(GLASS_MANAGED_REDIS_PASSWORD)@demo-redis:6379',
        },
      ],
    },
  ];
  for (const tc of redisCases) {
    it(`Redis wiring: ${tc.name}`, function () {
      const spec = tc.state === undefined ? {} : { state: tc.state };
      const runtime = child(desiredChildren(cluster(spec)), 'Deployment', 'demo-runtime');
      const env = at(runtime, 'spec', 'template', 'spec', 'containers', 0, 'env') as Json[];
      assert.deepEqual(
        env.filter((e) => e.name === 'GLASS_REDIS_URL'),
        tc.want,
      );
    });
  }

  const argsOf = (c: GlassCluster): string[] =>
    at(
      child(desiredChildren(c), 'Deployment', `${c.metadata.name}-runtime`),
      ...['spec', 'template', 'spec', 'containers', 0, 'args'],
    ) as string[];
  const prefixOf = (c: GlassCluster): string | undefined => {
    const args = argsOf(c);
    const at = args.indexOf('--redis-key-prefix');
    return at < 0 ? undefined : args[at + 1];
  };
  const inNamespace = (namespace: string, state: Json): GlassCluster =>
    GlassCluster.parse({
      apiVersion: API_VERSION,
      kind: 'GlassCluster',
      metadata: { name: 'demo', namespace, uid: `uid-${namespace}`, generation: 1 },
      spec: { state },
    });
  for (const state of redisCases.flatMap((tc) => (tc.state ? [tc.state] : []))) {
    it(`Redis keys: prefixed by Kubernetes namespace and cluster name (${JSON.stringify(state)})`, function () {
      assert.equal(prefixOf(inNamespace('team-a', state)), 'glass.team-a.demo');
      assert.equal(prefixOf(inNamespace('team-b', state)), 'glass.team-b.demo');
    });
  }

  it("passes the operator's module-fetch rules on to the runtime pods, which fetch URL modules too", function () {
    const args = at(
      child(
        desiredChildren(cluster(), {
          moduleFetchAllowCidrs: ['10.0.0.0/8', 'fd00::/8'],
          moduleFetchMaxBytes: 1024,
        }),
        'Deployment',
        'demo-runtime',
      ),
      ...['spec', 'template', 'spec', 'containers', 0, 'args'],
    ) as string[];
    assert.deepEqual(args.slice(args.indexOf('--module-fetch-allow-cidr')), [
      '--module-fetch-allow-cidr',
      '10.0.0.0/8',
      '--module-fetch-allow-cidr',
      'fd00::/8',
      '--module-fetch-max-bytes',
      '1024',
    ]);
    assert.ok(!argsOf(cluster()).includes('--module-fetch-allow-cidr'), 'none by default');
  });

  it('passes allowedStateNamespaces on to the runtime pods, which refuse the rest themselves', function () {
    const flagOf = (c: GlassCluster): string | undefined => {
      const args = argsOf(c);
      const at = args.indexOf('--allowed-state-namespaces');
      return at < 0 ? undefined : args[at + 1];
    };
    assert.equal(flagOf(cluster()), undefined);
    assert.equal(
      flagOf(cluster({ allowedStateNamespaces: ['team-a-*', 'shared'] })),
      'team-a-*,shared',
    );
    assert.equal(flagOf(cluster({ allowedStateNamespaces: [] })), '');
  });

  it('Redis keys: no prefix flag without Redis', function () {
    assert.equal(prefixOf(cluster()), undefined);
  });

  it('makes the runtime Service headless, for the router to read pod addresses', function () {
    const service = child(desiredChildren(cluster()), 'Service', 'demo-runtime');
    assert.equal(at(service, 'spec', 'clusterIP'), 'None');
  });
});
