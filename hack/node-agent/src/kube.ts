// The API clients the agent uses, and how it reads their errors.
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';

export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

export function connect(kubeconfigPath: string): Kube {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
  };
}

/** A JSON merge patch: maps merge, lists and scalars replace, null deletes. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export const statusCode = (error: unknown): number | undefined =>
  error instanceof ApiException ? error.code : undefined;

export const isNotFound = (error: unknown): boolean => statusCode(error) === 404;
export const isConflict = (error: unknown): boolean => statusCode(error) === 409;

/** "binding pod ns/x: 409 <what the server said>": what was attempted, then why it failed. */
export function describeApiError(doing: string, error: unknown): Error {
  if (!(error instanceof ApiException)) {
    return new Error(`${doing}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
  let message = body;
  try {
    message = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    // not JSON: keep the raw body
  }
  return new Error(`${doing}: ${error.code} ${message}`);
}
