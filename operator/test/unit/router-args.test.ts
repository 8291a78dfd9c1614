// The router pod's command line, as the operator writes it, parsed by the real `glass router`
// flag parser: a flag or value format the router does not accept would crash-loop the pod.
import { strict as assert } from 'node:assert';
import { API_VERSION, durationToMs, GlassCluster } from '@glass/crds';
import { parseRouterArgs } from '@glass/runtime/router-command';
import { RUNTIME_PORT_NAME } from '@glass/runtime/router-endpoint-slices';
import { names } from '../../src/glasscluster/resources/meta.js';
import { routerDeployment } from '../../src/glasscluster/resources/router.js';
import { RUNTIME_PORT, runtimeService } from '../../src/glasscluster/resources/runtime.js';

type Json = Record<string, unknown>;

function cluster(spec: Json): GlassCluster {
  return GlassCluster.parse({
    apiVersion: API_VERSION,
    kind: 'GlassCluster',
    metadata: { name: 'demo', namespace: 'team', uid: 'uid-1', generation: 1 },
    spec,
  });
}

interface Container {
  args: string[];
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[];
}

function routerContainer(c: GlassCluster): Container {
  const deployment = routerDeployment(c) as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  const [container] = deployment.spec.template.spec.containers;
  assert.ok(container);
  return container;
}

/** Runs `parse` with POD_NAMESPACE set as the pod's downward API would set it. */
function withPodNamespace<T>(namespace: string, parse: () => T): T {
  const before = process.env.POD_NAMESPACE;
  process.env.POD_NAMESPACE = namespace;
  try {
    return parse();
  } finally {
    if (before === undefined) delete process.env.POD_NAMESPACE;
    else process.env.POD_NAMESPACE = before;
  }
}

const cases: { name: string; spec: Json }[] = [
  { name: 'the CRD defaults', spec: {} },
  {
    name: 'every router field set',
    spec: {
      router: {
        virtualNodes: 40,
        keys: ['session', 'client-ip'],
        healthCheck: { interval: '500ms', unhealthyThreshold: 5, healthyThreshold: 1 },
      },
    },
  },
  { name: 'a health interval in minutes', spec: { router: { healthCheck: { interval: '2m' } } } },
];

describe('the router pod arguments, read by glass router', function () {
  for (const tc of cases) {
    it(`are accepted and mean what the spec says, for ${tc.name}`, function () {
      const c = cluster(tc.spec);
      const container = routerContainer(c);
      const [subcommand, ...args] = container.args;
      assert.equal(subcommand, 'router');
      const namespaceEnv = container.env.find((e) => e.name === 'POD_NAMESPACE');
      assert.equal(namespaceEnv?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
      const flags = withPodNamespace('team', () => parseRouterArgs(args));
      const router = c.spec.router;
      assert.deepEqual(
        {
          kubernetesService: flags.kubernetesService,
          namespace: flags.namespace,
          backendPort: flags.backendPort,
          backend: flags.backend,
          virtualNodes: flags.virtualNodes,
          keys: flags.keys,
          healthInterval: flags.healthInterval,
          unhealthyThreshold: flags.unhealthyThreshold,
          healthyThreshold: flags.healthyThreshold,
        },
        {
          kubernetesService: names(c).runtime,
          namespace: 'team',
          backendPort: RUNTIME_PORT,
          backend: [],
          virtualNodes: router.virtualNodes,
          keys: router.keys,
          healthInterval: durationToMs(router.healthCheck.interval),
          unhealthyThreshold: router.healthCheck.unhealthyThreshold,
          healthyThreshold: router.healthCheck.healthyThreshold,
        },
      );
    });
  }

  it('name the runtime Service, whose port carries the name the router looks for', function () {
    const c = cluster({});
    const service = runtimeService(c) as {
      metadata: { name: string };
      spec: { ports: { name: string; port: number }[] };
    };
    assert.equal(
      service.metadata.name,
      parseRouterArgs(routerContainer(c).args.slice(1)).kubernetesService,
    );
    assert.deepEqual(
      service.spec.ports.map((p) => [p.name, p.port]),
      [[RUNTIME_PORT_NAME, RUNTIME_PORT]],
    );
  });
});
