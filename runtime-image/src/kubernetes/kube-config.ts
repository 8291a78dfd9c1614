// Where a Glass process's Kubernetes credentials and namespace come from: the runtime's
// `--cluster` mode (docs/adr/0064), the router's `--kubernetes-service` (docs/adr/0065) and
// the operator (`@glass/runtime/kube-config`).
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeTarget {
  config: KubeConfig;
  /** Where the watched objects live (a GlassCluster's Faaslets, a Service's EndpointSlices). */
  namespace: string;
}

export interface KubeTargetFlags {
  /** `--kubeconfig`; absent: KUBECONFIG, ~/.kube/config, then the pod's service account. */
  kubeconfig?: string | undefined;
  /** `--namespace` (or POD_NAMESPACE, which the flag reads). */
  namespace?: string | undefined;
}

/**
 * The credentials from `--kubeconfig`, else what `kubectl` would use; the namespace from
 * `--namespace`, else the kubeconfig context's, else `default`. Throws, saying what is
 * missing, when there are no usable credentials: a startup error, not something to retry.
 */
export function loadKubeTarget(flags: KubeTargetFlags): KubeTarget {
  const config = loadKubeConfig(flags.kubeconfig);
  const contextNamespace = config.getContextObject(config.getCurrentContext())?.namespace?.trim();
  return { config, namespace: flags.namespace ?? (contextNamespace || 'default') };
}

/**
 * The kubeconfig at `path`, else what `kubectl` would use (KUBECONFIG, ~/.kube/config, the
 * pod's service account). Throws, saying what is missing, when there are no usable credentials.
 */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (path !== undefined) {
    try {
      config.loadFromFile(path);
    } catch (err) {
      throw new Error(`cannot read the kubeconfig ${path}: ${(err as Error).message}`);
    }
  } else {
    config.loadFromDefault();
    // client-node's last resort is an unauthenticated http://localhost:8080: in a router pod
    // that is the router itself, elsewhere a watch failing forever against a guessed address.
    if (isLastResort(config)) {
      throw new Error(
        'no Kubernetes credentials: give --kubeconfig or KUBECONFIG, or run in a pod with a service account',
      );
    }
  }
  if (config.getCurrentCluster() === null) {
    const which = path === undefined ? 'the kubeconfig' : `the kubeconfig ${path}`;
    throw new Error(`${which} has no current context with a cluster`);
  }
  return config;
}

/**
 * The placeholder `loadFromDefault` builds when it found nothing (client-node's `config.js`,
 * `loadFromClusterAndUser`): all of its names must match, so a real kubeconfig that happens to
 * point at localhost:8080 (a `kubectl proxy`) is still used.
 */
function isLastResort(config: KubeConfig): boolean {
  const cluster = config.getCurrentCluster();
  return (
    config.getCurrentContext() === 'loaded-context' &&
    cluster?.name === 'cluster' &&
    cluster.server === 'http://localhost:8080' &&
    config.getCurrentUser()?.name === 'user'
  );
}
