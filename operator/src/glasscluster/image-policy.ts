import { DEFAULT_MANAGED_REDIS_IMAGE, type GlassCluster } from '@glass/crds';

// Which images a GlassCluster may run (ADR 0085). Whoever may create a GlassCluster would
// otherwise run any image, with the operator's help, under the pods' ServiceAccounts.

/**
 * Whether `image` is allowed by `allowed`: an entry with a tag or digest allows exactly that
 * reference; a bare repository (`registry.example/team/glass`) allows any tag or digest of
 * it, and nothing else (not `registry.example/team/glass-miner`). An empty list allows all:
 * the operator was started without one (it warns at startup).
 */
export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((entry) => {
    if (image === entry) return true;
    const lastPart = entry.slice(entry.lastIndexOf('/') + 1);
    const bareRepository = !lastPart.includes(':') && !lastPart.includes('@');
    return bareRepository && (image.startsWith(`${entry}:`) || image.startsWith(`${entry}@`));
  });
}

/**
 * The first image of the cluster that the list refuses, with the field that names it, else
 * undefined: `spec.image`, then the managed Redis's `spec.state.managedImage` (ADR 0126). The
 * operator's own default Redis image is allowed whatever the list: no user chose it.
 */
export function refusedImage(
  cluster: GlassCluster,
  allowed: readonly string[],
): { field: string; image: string } | undefined {
  if (!imageAllowed(cluster.spec.image, allowed)) {
    return { field: 'spec.image', image: cluster.spec.image };
  }
  const redis = cluster.spec.state?.managed ? cluster.spec.state.managedImage : undefined;
  if (
    redis !== undefined &&
    redis !== DEFAULT_MANAGED_REDIS_IMAGE &&
    !imageAllowed(redis, allowed)
  ) {
    return { field: 'spec.state.managedImage', image: redis };
  }
  return undefined;
}
