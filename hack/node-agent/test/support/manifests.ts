// Pods and Deployments of Glass's image for the agent's tests.
import type { V1Container, V1Deployment, V1Pod } from '@kubernetes/client-node';

export const NAMESPACE = 'default';

/** A runtime container serving the counter sample, named as its pod in X-Glass-Pod. */
export function runtimeContainer(
  extraArgs: string[] = [],
  overrides: Partial<V1Container> = {},
): V1Container {
  return {
    name: 'runtime',
    image: 'glass:test',
    args: [
      'runtime',
      '--port',
      '8080',
      '--host',
      '0.0.0.0',
      '--workers',
      '1',
      '--faaslets',
      '/app/crds/samples/counter.yaml',
      '--pod-name',
      '$(POD_NAME)',
      ...extraArgs,
    ],
    env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: {
      httpGet: { path: '/ready', port: 'http' },
      periodSeconds: 1,
      failureThreshold: 1,
    },
    ...overrides,
  };
}

export function pod(name: string, container: V1Container, serviceAccountName?: string): V1Pod {
  return {
    metadata: { name, namespace: NAMESPACE },
    spec: {
      containers: [container],
      terminationGracePeriodSeconds: 5,
      ...(serviceAccountName ? { serviceAccountName } : {}),
    },
  };
}

export function deployment(name: string, replicas: number, container: V1Container): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [container], terminationGracePeriodSeconds: 5 },
      },
    },
  };
}
