// What the router needs of a Faaslet, read from the object the operator keeps up to date:
// the exports and whether its module touches state come from status (the operator compiled
// the module), the namespace template from spec. A Faaslet the operator has not checked yet,
// or found broken, is left out: its calls are placed by routing key, and the pods answer.
import { Faaslet, parseNamespaceTemplate, type FaasletStatus } from '@glass/crds';
import type { PlacedFaaslet } from './faaslet-catalog.js';

export function placedFaasletFromObject(
  object: unknown,
  cluster: string,
): PlacedFaaslet | undefined {
  const parsed = Faaslet.safeParse(object);
  if (!parsed.success) return undefined;
  const { metadata, spec, status } = parsed.data;
  if (spec.cluster !== cluster || !isReady(status)) return undefined;
  return {
    name: metadata.name,
    exports: status?.exports ?? [],
    namespace: parseNamespaceTemplate(spec.state.namespace ?? metadata.name),
    // An operator older than this field did not say: place by namespace, the safe side.
    touchesState: status?.touchesState ?? true,
  };
}

function isReady(status: FaasletStatus | undefined): boolean {
  return status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}
