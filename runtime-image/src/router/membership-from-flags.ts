// The membership `glass router`'s flags ask for: a static list, or a Service's EndpointSlices.
import type { Logger } from 'pino';
import { loadKubeTarget } from '../kubernetes/kube-config.js';
import { DEFAULT_BACKEND_PORT, type RouterFlags } from './config.js';
import { EndpointSliceMembership } from './endpoint-slice-membership.js';
import type { Membership } from './membership.js';
import { StaticMembership } from './static-membership.js';

/**
 * Builds the membership and, for Kubernetes, waits for its first list (so the router does not
 * start answering 503 for pods it is about to learn of). Throws when the credentials cannot be
 * loaded; a failing API server does not throw, it is retried in the background.
 */
export async function openMembership(flags: RouterFlags, log: Logger): Promise<Membership> {
  if (flags.kubernetesService === undefined) return new StaticMembership(flags.backend);
  const { config, namespace } = loadKubeTarget(flags);
  const membership = new EndpointSliceMembership(
    config,
    {
      namespace,
      service: flags.kubernetesService,
      backendPort: flags.backendPort ?? DEFAULT_BACKEND_PORT,
    },
    log,
  );
  await membership.start();
  return membership;
}
