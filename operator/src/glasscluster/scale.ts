import type { GlassCluster } from '@glass/crds';
import { selector } from './resources/meta.js';
import type { DeploymentState } from './status.js';

/**
 * A label selector as text, `a=b,c=d` with the keys sorted: the form the API server gives a
 * Deployment's own `/scale` status.selector, so both read alike.
 */
export function selectorText(matchLabels: Record<string, string>): string {
  return Object.keys(matchLabels)
    .sort()
    .map((key) => `${key}=${matchLabels[key] ?? ''}`)
    .join(',');
}

/**
 * The status fields the GlassCluster's scale subresource reads (ADR 0130): the runtime pods
 * that exist, as the runtime Deployment counts them, and the selector that finds them, the
 * Deployment's own. spec.replicas is the spec's: the operator passes it on to the Deployment.
 */
export function scaleStatus(
  cluster: GlassCluster,
  runtime: DeploymentState | undefined,
): { replicas: number; selector: string } {
  return {
    replicas: runtime?.status?.replicas ?? 0,
    selector: selectorText(selector(cluster, 'runtime')),
  };
}
