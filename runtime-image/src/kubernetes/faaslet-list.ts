// Where an informer lists and watches the Faaslets of one namespace: shared by the runtime's
// cluster watch and the router's catalog, so both read exactly the same objects.
import {
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '@glass/crds';

export function faasletSource(config: KubeConfig, namespace: string) {
  const custom = config.makeApiClient(CustomObjectsApi);
  return {
    name: 'faaslets',
    path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/faaslets`,
    list: () =>
      custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'faaslets',
      }) as Promise<KubernetesListObject<KubernetesObject>>,
  };
}
