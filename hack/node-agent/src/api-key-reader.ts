// Keys of Secrets and ConfigMaps for container env, read from the API server when a pod starts.
import { describeApiError, isNotFound } from '@glass/runtime/kube-api-errors';
import type { KeyReader } from './container-env.js';
import type { Kube } from './kube.js';

export function apiKeyReader(kube: Kube): KeyReader {
  return {
    async secretKey(namespace, name, key) {
      try {
        const secret = await kube.core.readNamespacedSecret({ name, namespace });
        const encoded = secret.data?.[key];
        return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString();
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw describeApiError(`reading Secret ${namespace}/${name}`, error);
      }
    },
    async configMapKey(namespace, name, key) {
      try {
        const configMap = await kube.core.readNamespacedConfigMap({ name, namespace });
        return configMap.data?.[key];
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw describeApiError(`reading ConfigMap ${namespace}/${name}`, error);
      }
    },
  };
}
