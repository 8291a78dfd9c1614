// The pods act with their own ServiceAccount's RBAC and nothing more: checked with
// `kubectl auth whoami` and `kubectl auth can-i` against the kubeconfig the agent gave each pod.
import type { NodeAgent } from '../agent.js';
import type { ControlPlane } from './control-plane.js';
import { check } from './wait.js';
import { run } from '@glass/runtime/test-support/run';
import { join } from 'node:path';

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

export async function checkPodCredentials(
  agent: NodeAgent,
  plane: ControlPlane,
  namespace: string,
): Promise<void> {
  const kubectl = join(plane.binDir, 'kubectl');
  for (const expectation of EXPECTATIONS) {
    const pod = agent
      .pods()
      .find((p) => p.name.startsWith(expectation.podPrefix) && Object.keys(p.pids).length > 0);
    check(
      pod?.kubeconfig !== undefined,
      `a running ${expectation.podPrefix}* pod with a kubeconfig`,
    );
    const as = ['--kubeconfig', pod.kubeconfig];
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
      `pod ${pod.name} acts as ${user}, not "${whoami.stdout}" ${whoami.stderr}`,
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
