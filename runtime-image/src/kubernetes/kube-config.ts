import { KubeConfig } from '@kubernetes/client-node';

export interface KubeTarget {
  config: KubeConfig;
  /** Where the GlassCluster and its Faaslets live. */
  namespace: string;
}

/** What client-node falls back to when it found no kubeconfig and no service account. */
const NOTHING_FOUND = 'http://localhost:8080';

/**
 * Kube credentials from `--kubeconfig`, else the usual search (the KUBECONFIG variable,
 * ~/.kube/config, then the pod's service account); the namespace from `--namespace` (or
 * POD_NAMESPACE, which the flag reads), else the kubeconfig context's, else `default`.
 */
export function loadKubeTarget(options: { kubeconfig?: string; namespace?: string }): KubeTarget {
  const config = new KubeConfig();
  if (options.kubeconfig !== undefined) {
    config.loadFromFile(options.kubeconfig);
  } else {
    config.loadFromDefault();
    // Rather than a watch that fails forever against a guessed address, say what is missing.
    if (config.getCurrentCluster()?.server === NOTHING_FOUND && config.users[0]?.name === 'user') {
      throw new Error(
        'no Kubernetes credentials: pass --kubeconfig, set KUBECONFIG, or run in a pod with a service account',
      );
    }
  }
  if (!config.getCurrentCluster()) {
    throw new Error('the kubeconfig has no current context with a cluster');
  }
  const contextNamespace = config.getContextObject(config.getCurrentContext())?.namespace?.trim();
  return { config, namespace: options.namespace ?? (contextNamespace || 'default') };
}
