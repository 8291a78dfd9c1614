/** Condition types and reasons, exported so the operator, runtime and tests agree on spelling. */
export const ConditionType = {
  Ready: 'Ready',
  ModuleResolved: 'ModuleResolved',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
} as const;

export const Reason = {
  Ready: 'Ready',
  InvalidModule: 'InvalidModule',
  ModuleNotFound: 'ModuleNotFound',
  DigestMismatch: 'DigestMismatch',
  ClusterNotFound: 'ClusterNotFound',
  Reconciling: 'Reconciling',
} as const;
