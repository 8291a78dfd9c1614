// Where the router's Kubernetes credentials and namespace come from (docs/adr/0065).
import { KubeConfig } from '@kubernetes/client-node';

/**
 * `path` when given, else what `kubectl` would use: `KUBECONFIG`, then ~/.kube/config, then
 * the pod's service account. client-node's last resort is an unauthenticated
 * http://localhost:8080, which in a router pod is the router itself: refused with a message
 * instead, so a pod without credentials fails at once and says why.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const config = new KubeConfig();
  if (path !== undefined) {
    try {
      config.loadFromFile(path);
    } catch (err) {
      throw new Error(`cannot read the kubeconfig ${path}: ${(err as Error).message}`);
    }
  } else {
    config.loadFromDefault();
    if (isLastResort(config)) {
      throw new Error(
        'no Kubernetes credentials: give --kubeconfig or KUBECONFIG, or run in a pod with a service account',
      );
    }
  }
  if (config.getCurrentCluster() === null) {
    throw new Error(`kubeconfig ${path ?? ''} has no current context with a cluster`.trim());
  }
  return config;
}

/** The placeholder `loadFromDefault` builds when it found nothing (client-node's `config.js`). */
function isLastResort(config: KubeConfig): boolean {
  const cluster = config.getCurrentCluster();
  return (
    config.getCurrentContext() === 'loaded-context' &&
    cluster?.name === 'cluster' &&
    cluster.server === 'http://localhost:8080'
  );
}

/** `--namespace`/`POD_NAMESPACE` when given, else the kubeconfig context's, else `default`. */
export function resolveNamespace(config: KubeConfig, given: string | undefined): string {
  if (given !== undefined) return given;
  const context = config.getContextObject(config.getCurrentContext());
  return context?.namespace ?? 'default';
}
