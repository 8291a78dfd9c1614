// A pod's API credentials as the kubelet provides them: a token of the pod's ServiceAccount,
// bound to the pod (TokenRequest), here written into a kubeconfig instead of a projected
// volume. Glass's processes load credentials with KubeConfig.loadFromDefault(), which reads
// $KUBECONFIG first, so each pod acts with exactly its own RBAC.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';

/** An hour: far longer than a test, and what the kubelet asks for before refreshing. */
const TOKEN_SECONDS = 3600;

/** The API server's address and CA, as in the agent's own kubeconfig. */
function clusterOf(config: KubeConfig): { server: string; caData: string } {
  const cluster = config.getCurrentCluster();
  if (!cluster?.caData) {
    throw new Error(
      'the agent kubeconfig must embed its cluster CA (certificate-authority-data) to pass it on',
    );
  }
  return { server: cluster.server, caData: cluster.caData };
}

async function requestToken(core: CoreV1Api, pod: V1Pod): Promise<string> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
  const response = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: TOKEN_SECONDS,
        boundObjectRef: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pod.metadata?.name ?? '',
          uid: pod.metadata?.uid ?? '',
        },
      },
    },
  });
  return response.status?.token ?? '';
}

/**
 * Writes `<dir>/kubeconfig` holding the pod's ServiceAccount token and returns its path, or
 * undefined when the pod opted out (`automountServiceAccountToken: false`).
 */
export async function writePodKubeconfig(
  core: CoreV1Api,
  config: KubeConfig,
  pod: V1Pod,
  dir: string,
): Promise<string | undefined> {
  if (pod.spec?.automountServiceAccountToken === false) return undefined;
  const { server, caData } = clusterOf(config);
  const token = await requestToken(core, pod);
  const name = `${pod.metadata?.namespace ?? ''}-${pod.metadata?.name ?? ''}`;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cluster', cluster: { server, 'certificate-authority-data': caData } }],
    users: [{ name, user: { token } }],
    contexts: [
      {
        name,
        context: { cluster: 'cluster', user: name, namespace: pod.metadata?.namespace },
      },
    ],
    'current-context': name,
  };
  const path = join(dir, 'kubeconfig');
  await writeFile(path, stringify(kubeconfig), { mode: 0o600 });
  return path;
}
