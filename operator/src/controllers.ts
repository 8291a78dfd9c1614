import { API_VERSION, FAASLET_KIND, GLASS_CLUSTER_KIND } from '@glass/crds';
import {
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ResilientInformer } from '@glass/runtime/resilient-informer';
import { MANAGED_BY } from './glasscluster/resources/meta.js';
import type { WorkQueue } from './queue/workqueue.js';

type FaasletObject = KubernetesObject & {
  spec?: { cluster?: string; module?: { configMapRef?: { name?: string } } };
};

export interface Informers {
  all: ResilientInformer<KubernetesObject>[];
  /** The informers whose caches reconcilers read from, by `apiVersion/kind`. */
  caches: ReadonlyMap<string, ResilientInformer<KubernetesObject>>;
}

const keyOf = (o: KubernetesObject): string =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * The watches: every event becomes the `namespace/name` key of a root object (a GlassCluster
 * or a Faaslet); owned objects map to their controller owner. Handlers only enqueue.
 */
export function buildInformers(
  config: KubeConfig,
  queues: { clusters: WorkQueue; faaslets: WorkQueue },
  log: Logger,
): Informers {
  const objects = KubernetesObjectApi.makeApiClient(config);
  const list = (apiVersion: string, kind: string, labelSelector?: string) => () =>
    objects.list(
      apiVersion,
      kind,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    );

  const faaslets = new ResilientInformer<FaasletObject>(
    config,
    {
      name: 'faaslets',
      path: '/apis/glass.dev/v1alpha1/faaslets',
      list: list(API_VERSION, FAASLET_KIND),
      onChange: (f) => {
        queues.faaslets.add(keyOf(f));
      },
    },
    log,
  );
  /** Faaslets in `namespace` for which `matches` holds, from the informer's cache. */
  const faasletsWhere = (
    namespace: string | undefined,
    matches: (f: FaasletObject) => boolean,
  ): void => {
    for (const f of faaslets.list())
      if (f.metadata?.namespace === namespace && matches(f)) queues.faaslets.add(keyOf(f));
  };

  const clusters = new ResilientInformer<KubernetesObject>(
    config,
    {
      name: 'glassclusters',
      path: '/apis/glass.dev/v1alpha1/glassclusters',
      list: list(API_VERSION, GLASS_CLUSTER_KIND),
      onChange: (c) => {
        queues.clusters.add(keyOf(c));
        faasletsWhere(
          c.metadata?.namespace,
          (f) => (f.spec?.cluster ?? 'glass') === c.metadata?.name,
        );
      },
    },
    log,
  );

  const configMaps = new ResilientInformer<KubernetesObject>(
    config,
    {
      name: 'configmaps',
      path: '/api/v1/configmaps',
      list: list('v1', 'ConfigMap'),
      onChange: (cm) => {
        faasletsWhere(
          cm.metadata?.namespace,
          (f) => f.spec?.module?.configMapRef?.name === cm.metadata?.name,
        );
      },
    },
    log,
  );

  const toOwner = (child: KubernetesObject): void => {
    const owner = child.metadata?.ownerReferences?.find(
      (o) => o.controller && o.kind === GLASS_CLUSTER_KIND,
    );
    if (owner) queues.clusters.add(`${child.metadata?.namespace ?? ''}/${owner.name}`);
  };
  const owned: [string, string, string][] = [
    ['deployments', '/apis/apps/v1/deployments', 'apps/v1:Deployment'],
    ['services', '/api/v1/services', 'v1:Service'],
    [
      'networkpolicies',
      '/apis/networking.k8s.io/v1/networkpolicies',
      'networking.k8s.io/v1:NetworkPolicy',
    ],
    ['serviceaccounts', '/api/v1/serviceaccounts', 'v1:ServiceAccount'],
    ['roles', '/apis/rbac.authorization.k8s.io/v1/roles', 'rbac.authorization.k8s.io/v1:Role'],
    [
      'rolebindings',
      '/apis/rbac.authorization.k8s.io/v1/rolebindings',
      'rbac.authorization.k8s.io/v1:RoleBinding',
    ],
  ];
  const selector = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
  const children = owned.map(([name, path, type]) => {
    const [apiVersion = '', kind = ''] = type.split(':');
    return new ResilientInformer<KubernetesObject>(
      config,
      {
        name,
        path,
        list: list(apiVersion, kind, selector),
        labelSelector: selector,
        onChange: toOwner,
      },
      log,
    );
  });
  const caches = new Map<string, ResilientInformer<KubernetesObject>>([
    [`${API_VERSION}/${FAASLET_KIND}`, faaslets],
    [`${API_VERSION}/${GLASS_CLUSTER_KIND}`, clusters],
    ['v1/ConfigMap', configMaps],
  ]);
  return { all: [faaslets, clusters, configMaps, ...children], caches };
}
