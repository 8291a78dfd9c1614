// The Helm chart (charts/glass), rendered: helm lint; helm template for each ci/*-values.yaml
// scenario, applied with a server-side dry run against the real API server in a namespace that
// enforces the restricted Pod Security profile; assertions on the rendered objects (RBAC verbs,
// security contexts, CRDs). chart-install.test.ts installs it for real.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parse, parseDocument, type YAMLMap } from 'yaml';
import { controlPlane, REPO_ROOT } from './support/control-plane.js';
import {
  asList,
  ChartHarness,
  CHART,
  CI_DIR,
  CRD_FILES,
  find,
  LEADER_ELECTION_PERMISSIONS,
  OPERATOR_CLUSTER_PERMISSIONS,
  parseDocs,
  permissionsOf,
  RELEASE,
  type Manifest,
  type Rule,
} from './support/chart.js';

interface PodTemplate {
  spec: {
    imagePullSecrets?: { name: string }[];
    securityContext?: Record<string, unknown>;
    containers: { name: string; securityContext?: Record<string, unknown> }[];
    initContainers?: { name: string; securityContext?: Record<string, unknown> }[];
  };
}

const podTemplates = (docs: Manifest[]): [string, PodTemplate][] =>
  docs
    .filter((d) => d.kind === 'Deployment')
    .map((d) => [d.metadata.name, (d.spec as { template: PodTemplate }).template]);

/** The chart's scenarios: ci/<scenario>-values.yaml, with what each must render. */
interface Scenario {
  file: string;
  expect: { kind: string; name: string; present: boolean }[];
}

const SCENARIO_EXPECTATIONS: Record<string, Scenario['expect']> = {
  'default-values.yaml': [
    { kind: 'GlassCluster', name: 'glass', present: true },
    { kind: 'Role', name: 'glass-operator-leader-election', present: true },
    { kind: 'Deployment', name: 'glass-state', present: false },
    // Security by default (ADR 83): runtime pods are not reachable from the whole cluster.
    { kind: 'NetworkPolicy', name: 'glass-runtime', present: true },
    { kind: 'NetworkPolicy', name: 'glass-router', present: true },
  ],
  'redis-networkpolicy-values.yaml': [
    { kind: 'GlassCluster', name: 'glass', present: true },
    { kind: 'Deployment', name: 'glass-state', present: true },
    { kind: 'Service', name: 'glass-state', present: true },
    { kind: 'PersistentVolumeClaim', name: 'glass-state', present: true },
    { kind: 'NetworkPolicy', name: 'glass-runtime', present: true },
    { kind: 'NetworkPolicy', name: 'glass-router', present: true },
    { kind: 'NetworkPolicy', name: 'glass-managed-redis', present: true },
    { kind: 'NetworkPolicy', name: 'glass-operator', present: true },
    { kind: 'NetworkPolicy', name: 'glass-state', present: true },
  ],
  'no-cluster-values.yaml': [
    { kind: 'GlassCluster', name: 'glass', present: false },
    { kind: 'Role', name: 'glass-operator-leader-election', present: false },
    { kind: 'Deployment', name: 'glass-operator', present: true },
  ],
};

describe('the Helm chart (charts/glass)', function () {
  this.timeout(180_000);
  let chart: ChartHarness;

  before(async function () {
    this.timeout(50 * 60_000); // the first control plane of a run may build its binaries
    chart = new ChartHarness(await controlPlane());
    await chart.installChartCrds();
  });

  after(async function () {
    await chart.deleteNamespaces();
  });

  it('has a ci/*-values.yaml scenario for each expectation table and no other', function () {
    const files = readdirSync(CI_DIR)
      .filter((f) => f.endsWith('-values.yaml'))
      .sort();
    assert.deepEqual(files, Object.keys(SCENARIO_EXPECTATIONS).sort());
  });

  it('passes helm lint --strict with the defaults and with every scenario', async function () {
    await chart.helmOk(['lint', '--strict', CHART]);
    for (const file of Object.keys(SCENARIO_EXPECTATIONS)) {
      await chart.helmOk(['lint', '--strict', CHART, '-f', join(CI_DIR, file)]);
    }
  });

  it('documents every value in values.yaml with a comment', function () {
    const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    assert.ok(isMap(doc.contents));
    assert.deepEqual(undocumentedValues(doc.contents, '', doc.commentBefore), []);
  });

  it('by default lets only the router, the other runtime pods, the operator and Prometheus reach the runtime pods', async function () {
    const docs = parseDocs(await chart.helmOk(['template', RELEASE, CHART]));
    const policy = docs.find(
      (d) => d.kind === 'NetworkPolicy' && d.metadata.name === 'glass-runtime',
    );
    assert.ok(policy, 'a NetworkPolicy for the runtime pods');
    const spec = policy.spec as { policyTypes: string[]; ingress: { from: unknown[] }[] };
    assert.deepEqual(spec.policyTypes, ['Ingress']);
    assert.deepEqual(
      spec.ingress.flatMap((rule) => rule.from),
      [
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/managed-by': 'glass-operator',
              'app.kubernetes.io/component': 'router',
            },
          },
        },
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/managed-by': 'glass-operator',
              'app.kubernetes.io/component': 'runtime',
            },
          },
        },
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'glass',
              'app.kubernetes.io/instance': RELEASE,
              'app.kubernetes.io/component': 'operator',
            },
          },
        },
        {
          namespaceSelector: {},
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
        },
      ],
    );
  });

  it('with redis.enabled, the Redis requires a generated password that the cluster reads from a Secret', async function () {
    const render = async (): Promise<Manifest[]> =>
      parseDocs(await chart.helmOk(['template', RELEASE, CHART, '--set', 'redis.enabled=true']));
    const docs = await render();
    const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === 'glass-state-auth');
    assert.ok(secret, 'a Secret with the Redis password');
    const data = secret.data as Record<string, string>;
    const password = Buffer.from(data.password ?? '', 'base64').toString();
    assert.match(password, /^[A-Za-z0-9]{40}$/);
    assert.equal(
      Buffer.from(data.url ?? '', 'base64').toString(),
      `redis://:${password}@glass-state.default.svc:6379`,
    );
    const redis = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'glass-state');
    const container = (
      redis?.spec as { template: { spec: { containers: { args: string[]; env: unknown[] }[] } } }
    ).template.spec.containers[0];
    assert.ok(container, 'a Redis container');
    assert.deepEqual(container.args.slice(0, 2), ['--requirepass', '$(REDIS_PASSWORD)']);
    assert.deepEqual(container.env, [
      {
        name: 'REDIS_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'glass-state-auth', key: 'password' } },
      },
    ]);
    const cluster = docs.find((d) => d.kind === 'GlassCluster');
    assert.deepEqual((cluster?.spec as { state: unknown }).state, {
      redis: { secretRef: { name: 'glass-state-auth', key: 'url' } },
    });
    // No password in any manifest but the Secret's.
    const others = docs.filter((d) => d !== secret);
    assert.ok(
      !JSON.stringify(others).includes(password),
      'the password appears outside its Secret',
    );
    // Each render without a cluster makes its own: none is baked into the chart.
    const again = (await render()).find((d) => d.metadata.name === 'glass-state-auth');
    assert.notEqual((again?.data as Record<string, string>).password, data.password);
  });

  it('has the operator allow its own image, and the listed ones, to GlassClusters', async function () {
    const argsOf = async (...set: string[]): Promise<string[]> => {
      const docs = parseDocs(await chart.helmOk(['template', RELEASE, CHART, ...set]));
      const operator = docs.find(
        (d) => d.kind === 'Deployment' && d.metadata.name === 'glass-operator',
      );
      const spec = operator?.spec as { template: { spec: { containers: { args: string[] }[] } } };
      return (spec.template.spec.containers[0]?.args ?? []).filter((a) =>
        a.startsWith('--allowed-image='),
      );
    };
    assert.deepEqual(await argsOf(), ['--allowed-image=glass:0.1.0']);
    assert.deepEqual(
      await argsOf(
        '--set',
        'image.repository=r.example/glass',
        '--set',
        'operator.allowedImages={r.example/other}',
      ),
      ['--allowed-image=r.example/glass:0.1.0', '--allowed-image=r.example/other'],
    );
  });

  it('carries the generated CRDs in its crds/ folder, byte for byte', async function () {
    for (const file of CRD_FILES) {
      assert.equal(
        readFileSync(join(CHART, 'crds', file), 'utf8'),
        readFileSync(join(REPO_ROOT, 'crds', file), 'utf8'),
        `charts/glass/crds/${file} differs from crds/${file}: run npm run generate`,
      );
    }
    const shown = parseDocs(
      await chart.helmOk(['template', RELEASE, CHART, '--include-crds']),
    ).filter((d) => d.kind === 'CustomResourceDefinition');
    assert.deepEqual(shown.map((d) => `${d.kind}/${d.metadata.name}`).sort(), [
      'CustomResourceDefinition/faaslets.glass.dev',
      'CustomResourceDefinition/glassclusters.glass.dev',
    ]);
  });

  const refused: { name: string; args: string[]; message: RegExp }[] = [
    {
      name: 'a cluster name that is not a DNS label',
      args: ['--set', 'cluster.name=Bad_Name'],
      message: /cluster\/name/,
    },
    {
      name: 'zero operator replicas',
      args: ['--set', 'operator.replicas=0'],
      message: /operator\/replicas/,
    },
    {
      name: 'a misspelt value',
      args: ['--set', 'operator.replica=2'],
      message: /additional properties 'replica' not allowed/,
    },
    {
      name: 'an unknown routing key',
      args: ['--set', 'cluster.router.keys={cookie}'],
      message: /router\/keys/,
    },
    {
      name: 'a Redis URL of another scheme',
      args: ['--set', 'cluster.state.redis.url=http://x'],
      message: /state\/redis\/url/,
    },
    {
      name: 'two operators without a Lease',
      args: ['--set', 'operator.replicas=2', '--set', 'operator.leaderElection.enabled=false'],
      message: /needs operator.leaderElection.enabled/,
    },
    {
      name: 'an image pull secret that could not be a Secret name',
      args: ['--set', 'imagePullSecrets[0].name=Reg_Cred'],
      message: /imagePullSecrets\/0\/name/,
    },
    {
      name: "cluster.state next to the chart's Redis",
      args: ['--set', 'redis.enabled=true', '--set', 'cluster.state.managed=true'],
      message: /cluster.state must be empty/,
    },
  ];
  for (const tc of refused) {
    it(`refuses ${tc.name}`, async function () {
      const result = await chart.helm(['template', RELEASE, CHART, ...tc.args]);
      assert.notEqual(result.code, 0, 'helm template accepted it');
      assert.match(result.stderr, tc.message);
    });
  }

  describe('Pod Security admission in the test namespaces', function () {
    it('does warn about a Deployment outside the restricted profile (the check below is live)', async function () {
      const ns = await chart.restrictedNamespace('chart-psa');
      const bad = asList({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'unrestricted', namespace: ns },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: {
            metadata: { labels: { app: 'x' } },
            spec: { containers: [{ name: 'x', image: 'busybox:1' }] },
          },
        },
      });
      const result = await chart.dryRunApply(bad);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /would violate PodSecurity "restricted/);
    });
  });

  for (const [file, expectations] of Object.entries(SCENARIO_EXPECTATIONS)) {
    describe(`helm template with ci/${file}`, function () {
      let namespace: string;
      let rendered: string;
      let docs: Manifest[];
      before(async function () {
        namespace = await chart.restrictedNamespace('chart-ci');
        rendered = await chart.helmOk([
          'template',
          RELEASE,
          CHART,
          '-n',
          namespace,
          '-f',
          join(CI_DIR, file),
        ]);
        docs = parseDocs(rendered);
      });

      it('is accepted by the API server in a server-side dry run, without a PodSecurity warning', async function () {
        const result = await chart.dryRunApply(rendered);
        assert.equal(result.code, 0, `dry run refused:\n${result.stderr}`);
        assert.doesNotMatch(result.stderr, /PodSecurity/);
        for (const d of docs) {
          assert.match(
            result.stdout,
            new RegExp(
              `^${d.kind.toLowerCase()}[.a-z0-9]*/${d.metadata.name} serverside-applied \\(server dry run\\)$`,
              'm',
            ),
          );
        }
      });

      for (const e of expectations) {
        it(`${e.present ? 'renders' : 'does not render'} ${e.kind} ${e.name}`, function () {
          assert.equal(find(docs, e.kind, e.name) !== undefined, e.present);
        });
      }

      it('grants the operator exactly the permissions it uses, with no wildcard anywhere', function () {
        const roles = docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role');
        for (const role of roles) {
          for (const rule of role.rules as Rule[]) {
            for (const field of [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames]) {
              assert.ok(
                !(field ?? []).includes('*'),
                `${role.kind} ${role.metadata.name} has a wildcard`,
              );
            }
          }
        }
        const clusterRole = find(docs, 'ClusterRole', 'glass-operator');
        assert.ok(clusterRole, 'no ClusterRole glass-operator');
        assert.deepEqual(permissionsOf(clusterRole.rules as Rule[]), OPERATOR_CLUSTER_PERMISSIONS);
        assert.deepEqual(roles.map((r) => `${r.kind}/${r.metadata.name}`).sort(), [
          'ClusterRole/glass-operator',
          ...(find(docs, 'Role', 'glass-operator-leader-election')
            ? ['Role/glass-operator-leader-election']
            : []),
        ]);
        const leader = find(docs, 'Role', 'glass-operator-leader-election');
        if (leader) {
          assert.equal(leader.metadata.namespace, namespace);
          assert.deepEqual(permissionsOf(leader.rules as Rule[]), LEADER_ELECTION_PERMISSIONS);
        }
        const bindings = docs.filter((d) => d.kind.endsWith('Binding'));
        for (const binding of bindings) {
          assert.deepEqual(binding.subjects, [
            { kind: 'ServiceAccount', name: 'glass-operator', namespace },
          ]);
        }
      });

      it('runs every container under the restricted profile', function () {
        const templates = podTemplates(docs);
        assert.ok(templates.length > 0);
        for (const [name, template] of templates) {
          assert.deepEqual(
            template.spec.securityContext,
            {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              fsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            `${name}: pod securityContext`,
          );
          for (const c of [...template.spec.containers, ...(template.spec.initContainers ?? [])]) {
            assert.deepEqual(
              c.securityContext,
              {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              `${name}/${c.name}: container securityContext`,
            );
          }
        }
      });

      it('passes its imagePullSecrets to every pod it renders and to the GlassCluster', function () {
        const values = parse(readFileSync(join(CI_DIR, file), 'utf8')) as {
          imagePullSecrets?: { name: string }[];
        } | null;
        const want = values?.imagePullSecrets ?? [];
        for (const [name, template] of podTemplates(docs)) {
          assert.deepEqual(template.spec.imagePullSecrets ?? [], want, name);
        }
        const cluster = find(docs, 'GlassCluster', 'glass');
        if (cluster) {
          const spec = cluster.spec as { imagePullSecrets?: { name: string }[] };
          assert.deepEqual(spec.imagePullSecrets ?? [], want);
        }
      });

      it('passes only strings as container commands and arguments (as kubectl reads YAML)', function () {
        for (const [name, template] of podTemplates(docs)) {
          for (const c of template.spec.containers as { command?: unknown[]; args?: unknown[] }[]) {
            for (const value of [...(c.command ?? []), ...(c.args ?? [])]) {
              assert.equal(typeof value, 'string', `${name}: ${JSON.stringify(value)}`);
            }
          }
        }
      });

      it('points the operator at its Lease in the release namespace, or runs it without one', function () {
        const deployment = find(docs, 'Deployment', 'glass-operator') as
          | {
              spec: { template: { spec: { containers: { command: string[]; args: string[] }[] } } };
            }
          | undefined;
        const container = deployment?.spec.template.spec.containers[0];
        assert.ok(container);
        assert.deepEqual(container.command, ['node', '/app/operator/bin/glass-operator.js']);
        if (find(docs, 'Role', 'glass-operator-leader-election')) {
          assert.ok(container.args.includes(`--lease-namespace=${namespace}`));
          assert.ok(container.args.includes('--lease-name=glass-operator'));
        } else {
          assert.ok(container.args.includes('--no-leader-elect'));
        }
      });
    });
  }
});

/**
 * Dotted paths of values with no comment: every leaf needs one; a map of documented values
 * needs none itself; a documented map with no comments inside (resources, say) is free-form.
 * yaml attaches the comment above a map's first key to the map.
 */
function undocumentedValues(map: YAMLMap, path: string, firstComment?: string | null): string[] {
  return map.items.flatMap((pair, i) => {
    const key = pair.key as { value?: unknown; commentBefore?: string | null };
    const at = path ? `${path}.${String(key.value)}` : String(key.value);
    const comment = key.commentBefore ?? (i === 0 ? firstComment : undefined);
    const value = pair.value;
    if (isMap(value) && value.items.length > 0) {
      if (comment && !hasComments(value)) return [];
      return undocumentedValues(value, at, value.commentBefore);
    }
    return comment ? [] : [at];
  });
}

function hasComments(map: YAMLMap): boolean {
  return (
    Boolean(map.commentBefore) ||
    map.items.some(
      (pair) =>
        Boolean((pair.key as { commentBefore?: string | null }).commentBefore) ||
        (isMap(pair.value) && hasComments(pair.value)),
    )
  );
}
