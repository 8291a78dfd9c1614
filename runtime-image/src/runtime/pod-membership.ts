// Which membership a runtime pod follows to know the namespaces it owns (ADR 0101): the
// members file of `glass up`, the runtime Service's EndpointSlices in Kubernetes, or none.
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { FileMembership } from '../placement/file-membership.js';
import type { Membership } from '../router/membership.js';

/** The runtime port in a GlassCluster, when a slice names none. */
const RUNTIME_PORT = 8080;

export async function openPodMembership(
  config: RuntimeConfig,
  log: Logger,
): Promise<Membership | undefined> {
  if (config.membersFile !== undefined) {
    const membership = new FileMembership(config.membersFile, (error) => {
      log.warn(
        { err: error, file: config.membersFile },
        'members file unreadable; keeping the last members',
      );
    });
    await membership.start();
    return membership;
  }
  if (config.peersService === undefined || config.kubernetes === undefined) return undefined;
  // Loaded only here: the Kubernetes client costs tens of MiB a local runtime never needs.
  const { loadKubeTarget } = await import('../kubernetes/kube-config.js');
  const { EndpointSliceMembership } = await import('../router/endpoint-slice-membership.js');
  const { config: kube, namespace } = loadKubeTarget(config.kubernetes);
  const membership = new EndpointSliceMembership(
    kube,
    { namespace, service: config.peersService, backendPort: RUNTIME_PORT },
    log,
  );
  await membership.start();
  return membership;
}
