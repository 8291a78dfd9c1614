// A container's environment as the kubelet builds it: literal values with `$(VAR)` references
// to variables defined before them, the downward API fields, and keys of Secrets and ConfigMaps.
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';

/** Reads one key of a Secret or ConfigMap in the pod's namespace; undefined when absent. */
export interface KeyReader {
  secretKey(namespace: string, name: string, key: string): Promise<string | undefined>;
  configMapKey(namespace: string, name: string, key: string): Promise<string | undefined>;
}

/** The pod facts the downward API can show, once the agent has given the pod its address. */
export interface PodFacts {
  pod: V1Pod;
  podIp: string;
  hostIp: string;
}

export class EnvError extends Error {
  readonly reason = 'CreateContainerConfigError';
}

/**
 * `$(NAME)` → the value of NAME when it is defined, `$$(NAME)` → `$(NAME)` literally, anything
 * else is left as written (Kubernetes' expansion rules, `third_party/forked/golang/expansion`).
 */
export function expand(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name?: string) => {
    if (match === '$$') return '$';
    return name !== undefined && name in env ? (env[name] ?? '') : match;
  });
}

function fieldValue(path: string, facts: PodFacts): string {
  const { pod } = facts;
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName ?? 'default',
    'status.podIP': facts.podIp,
    'status.podIPs': facts.podIp,
    'status.hostIP': facts.hostIp,
    'status.hostIPs': facts.hostIp,
  };
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) {
    const map = label[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[label[2] ?? ''] ?? '';
  }
  const value = fields[path];
  if (value === undefined)
    throw new EnvError(`fieldRef ${path} is not supported by the node agent`);
  return value;
}

interface KeyRef {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  key: string;
  optional: boolean;
}

function keyRefOf(variable: V1EnvVar): KeyRef {
  const { secretKeyRef, configMapKeyRef } = variable.valueFrom ?? {};
  const ref = secretKeyRef ?? configMapKeyRef;
  if (!ref) {
    throw new EnvError(
      `env ${variable.name}: only value, fieldRef, secretKeyRef and configMapKeyRef`,
    );
  }
  const kind = secretKeyRef ? 'Secret' : 'ConfigMap';
  return { kind, name: ref.name ?? '', key: ref.key, optional: ref.optional ?? false };
}

async function sourceValue(variable: V1EnvVar, facts: PodFacts, keys: KeyReader): Promise<string> {
  const fieldRef = variable.valueFrom?.fieldRef;
  if (fieldRef) return fieldValue(fieldRef.fieldPath, facts);
  const namespace = facts.pod.metadata?.namespace ?? 'default';
  const ref = keyRefOf(variable);
  const value =
    ref.kind === 'Secret'
      ? await keys.secretKey(namespace, ref.name, ref.key)
      : await keys.configMapKey(namespace, ref.name, ref.key);
  if (value !== undefined) return value;
  if (ref.optional) return '';
  throw new EnvError(
    `env ${variable.name}: ${ref.kind} ${namespace}/${ref.name} has no key "${ref.key}"`,
  );
}

/** The container's `env`, in order, each value expanded against the ones before it. */
export async function containerEnv(
  container: V1Container,
  facts: PodFacts,
  keys: KeyReader,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    env[variable.name] =
      variable.valueFrom === undefined
        ? expand(variable.value ?? '', env)
        : await sourceValue(variable, facts, keys);
  }
  return env;
}
