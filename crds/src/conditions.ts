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
  /** The module at spec.module.url is over the operator's byte cap (ADR 0081). */
  ModuleTooLarge: 'ModuleTooLarge',
  ClusterNotFound: 'ClusterNotFound',
  /** Its state namespace is not among its GlassCluster's allowedStateNamespaces (ADR 0129). */
  StateNamespaceNotAllowed: 'StateNamespaceNotAllowed',
  Reconciling: 'Reconciling',
} as const;

/** Reasons of a GlassCluster's Ready, Progressing and Degraded conditions (docs/adr/0054). */
export const GlassClusterReason = {
  /** Ready=True: every runtime and router pod wanted is ready. */
  Available: 'Available',
  /** Ready=False: fewer ready pods than wanted. */
  PodsNotReady: 'PodsNotReady',
  /** Every condition: the spec does not parse (the CRD's validation was bypassed). */
  InvalidSpec: 'InvalidSpec',
  /** Progressing=True: a Deployment is taking on a new spec or replica count. */
  RollingOut: 'RollingOut',
  /** Progressing=False: both Deployments are at the wanted spec and replica count. */
  RolloutComplete: 'RolloutComplete',
  /** Progressing=False: a Deployment gave up (its progressDeadlineSeconds passed). */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** Degraded=True: fewer pods available than wanted, with no rollout under way. */
  PodsUnavailable: 'PodsUnavailable',
  /** Degraded=True: the API server refused a child (or could not be reached). */
  ApplyFailed: 'ApplyFailed',
  /** Every condition: spec.image is not in the operator's allowed images (ADR 0085). */
  ImageNotAllowed: 'ImageNotAllowed',
  /** Degraded=False. */
  AsExpected: 'AsExpected',
} as const;
