// The pods act with their own ServiceAccount's RBAC and nothing more: checked with
// `kubectl auth whoami` and `kubectl auth can-i` with the token the kubelet mounted in each pod,
// read out of the running container.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '@glass/runtime/test-support/run';
import type { Cluster } from './cluster.js';
import { check } from './wait.js';

interface Expectation {
  /** Pod name prefix and the ServiceAccount it runs as. */
  podPrefix: string;
  serviceAccount: string;
  allowed: string[][];
  denied: string[][];
}

const EXPECTATIONS: Expectation[] = [
  {
    podPrefix: 'glass-operator-',
    serviceAccount: 'glass-operator',
    allowed: [
      ['patch', 'deployments.apps'],
      ['watch', 'faaslets.glass.dev'],
    ],
    denied: [
      ['get', 'secrets'],
      ['create', 'pods'],
    ],
  },
  {
    podPrefix: 'glass-runtime-',
    serviceAccount: 'glass-runtime',
    allowed: [
      ['watch', 'faaslets.glass.dev'],
      ['get', 'configmaps'],
      // Its peers: which namespaces it owns (ADR 0101).
      ['list', 'endpointslices.discovery.k8s.io'],
    ],
    denied: [
      ['get', 'secrets'],
      ['patch', 'endpointslices.discovery.k8s.io'],
      ['patch', 'faaslets.glass.dev'],
    ],
  },
  {
    podPrefix: 'glass-router-',
    serviceAccount: 'glass-router',
    // Its members, and which namespace each call touches (ADR 0101).
    allowed: [
      ['watch', 'endpointslices.discovery.k8s.io'],
      ['list', 'faaslets.glass.dev'],
    ],
    denied: [
      ['patch', 'faaslets.glass.dev'],
      ['get', 'configmaps'],
      ['get', 'secrets'],
    ],
  },
];

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A kubeconfig with only the pod's own credentials: its token and CA, the API server's address. */
async function podKubeconfig(cluster: Cluster, namespace: string, pod: string, workDir: string) {
  const read = (file: string) =>
    cluster.kubectlOk([
      'exec',
      '-n',
      namespace,
      pod,
      '--',
      'cat',
      `${SERVICE_ACCOUNT_DIR}/${file}`,
    ]);
  const [token, ca, server] = [
    await read('token'),
    await read('ca.crt'),
    await cluster.kubectlOk([
      'config',
      'view',
      '--raw',
      '-o',
      'jsonpath={.clusters[0].cluster.server}',
    ]),
  ];
  const file = join(workDir, `${pod}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'c',
        cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') },
      },
    ],
    users: [{ name: 'pod', user: { token } }],
    contexts: [{ name: 'pod', context: { cluster: 'c', user: 'pod', namespace } }],
    'current-context': 'pod',
  };
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

export async function checkPodCredentials(
  cluster: Cluster,
  namespace: string,
  workDir: string,
): Promise<void> {
  const kubectl = join(cluster.binDir, 'kubectl');
  const pods = (
    await cluster.kubectlOk([
      'get',
      'pods',
      '-n',
      namespace,
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ])
  ).split(' ');
  for (const expectation of EXPECTATIONS) {
    const pod = pods.find((p) => p.startsWith(expectation.podPrefix));
    check(pod !== undefined, `a running ${expectation.podPrefix}* pod`);
    const as = ['--kubeconfig', await podKubeconfig(cluster, namespace, pod, workDir)];
    const whoami = await run(kubectl, [
      ...as,
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    const user = `system:serviceaccount:${namespace}:${expectation.serviceAccount}`;
    check(
      whoami.stdout === user,
      `pod ${pod} acts as ${user}, not "${whoami.stdout}" ${whoami.stderr}`,
    );
    for (const [verb = '', resource = ''] of expectation.allowed) {
      const answer = await run(kubectl, [...as, 'auth', 'can-i', verb, resource, '-n', namespace]);
      check(
        answer.code === 0,
        `${expectation.serviceAccount} may ${verb} ${resource}: ${answer.stdout}${answer.stderr}`,
      );
    }
    for (const [verb = '', resource = ''] of expectation.denied) {
      const answer = await run(kubectl, [...as, 'auth', 'can-i', verb, resource, '-n', namespace]);
      check(
        answer.code === 1,
        `${expectation.serviceAccount} may not ${verb} ${resource}: ${answer.stdout}${answer.stderr}`,
      );
    }
  }
}
